/**
 * What the ledger knows about a record, turned into the deadline engine's `RecordFacts` and the
 * report's labels (class, subject). Pure functions over the record's versions and the bodies of
 * the records it references; the engine (engine.ts) fetches those.
 *
 * Rules:
 * - When the journal first had the record comes from the **first** version: a later correction
 *   (a changed mark, a new markedAt) must not make an on-time entry look late. It is passed as
 *   `journalHadAt` only when it differs from what the current version says.
 * - A mark whose earlier version was `deferred` and whose current one is not was deferred
 *   (illness): its clock starts at the entry of the final mark — the `markedAt` of the first
 *   version after the deferral.
 * - Class: the lesson's class, else the assessment's, else the student's class membership.
 *   Subject: the record's own subjectId, else the lesson's, else the assessment's.
 */
import type { SlaLedgerRecord } from '../core/sla-store';
import type { Channel } from './profiles';
import type { RecordFacts } from './due';

type Body = Record<string, unknown>;

const str = (b: Body | undefined, k: string): string | undefined => {
  const v = b?.[k];
  return typeof v === 'string' ? v : undefined;
};

/** Ids the record refers to that the facts need (lesson, assessment, period, subject). */
export function firstLevelRefs(rec: SlaLedgerRecord): string[] {
  const cur = current(rec);
  return ['lessonId', 'assessmentId', 'reportingPeriodId', 'subjectId'].map((k) => str(cur, k)).filter((v): v is string => v !== undefined);
}

/** Ids needed once the first level is known: the class groups and subjects of lessons and assessments. */
export function secondLevelRefs(rec: SlaLedgerRecord, refs: ReadonlyMap<string, Body>): string[] {
  const cur = current(rec);
  const out: string[] = [];
  for (const k of ['lessonId', 'assessmentId']) {
    const ref = refs.get(str(cur, k) ?? '');
    for (const f of ['classGroupId', 'subjectId']) {
      const id = str(ref, f);
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

/**
 * The first revision whose delivery meets an obligation: the first version, or for a mark that
 * was deferred, the first version after the deferral (delivering the deferral is not delivering
 * the mark).
 */
export function deliveryFloor(rec: SlaLedgerRecord): number {
  const deferredAt = rec.entityType === 'mark' ? rec.versions.map((v) => str(v.record, 'markStatus')).lastIndexOf('deferred') : -1;
  return (rec.versions[deferredAt + 1] ?? rec.versions[0])?.revision ?? 0;
}

/** The class a lesson or assessment of the record names, if any. */
export function lessonClass(rec: SlaLedgerRecord, refs: ReadonlyMap<string, Body>): string | undefined {
  const cur = current(rec);
  return str(refs.get(str(cur, 'lessonId') ?? ''), 'classGroupId') ?? str(refs.get(str(cur, 'assessmentId') ?? ''), 'classGroupId');
}

export function current(rec: SlaLedgerRecord): Body {
  const last = rec.versions[rec.versions.length - 1];
  return last?.record ?? {};
}

/** The student the record is about (marks, attendance), if any. */
export function studentOf(rec: SlaLedgerRecord): string | undefined {
  return str(current(rec), 'studentId');
}

export interface Derived {
  facts: RecordFacts;
  classGroupId?: string;
  classLabel?: string;
  subjectId?: string;
  subjectLabel?: string;
}

export interface DeriveInput {
  rec: SlaLedgerRecord;
  /** Bodies of referenced records by canonical id (both levels). */
  refs: ReadonlyMap<string, Body>;
  /** The student's class from memberships, when the record names no lesson or assessment class. */
  studentClass?: string;
  /** First delivery to a sink or serve to a pull consumer, whichever came first. */
  deliveredAt?: string;
  /** First hand-over of a paper extract carrying it. */
  servedAt?: string;
  channels?: readonly Channel[];
  /** Since when the family is reached through `channels`. */
  channelsSince?: string;
}

/** RecordFacts and labels of one ledger record. */
export function deriveFacts(i: DeriveInput): Derived {
  const cur = current(i.rec);
  const first = i.rec.versions[0]?.record ?? cur;
  const isMark = i.rec.entityType === 'mark';
  const facts: RecordFacts = { takenInAt: i.rec.firstSeenAt };

  const hadAt = (b: Body): string | undefined => str(b['provenance'] as Body | undefined, 'sourceCreatedAt') ?? (isMark ? str(b, 'markedAt') : undefined);
  const firstHad = hadAt(first);
  if (firstHad !== undefined && firstHad !== hadAt(cur)) facts.journalHadAt = firstHad;

  if (isMark) {
    const deferredAt = i.rec.versions.map((v) => str(v.record, 'markStatus')).lastIndexOf('deferred');
    if (deferredAt >= 0 && str(cur, 'markStatus') !== 'deferred') {
      facts.wasDeferred = true;
      const entry = i.rec.versions[deferredAt + 1];
      const entered = str(entry?.record, 'markedAt') ?? entry?.ingestedAt;
      if (entered !== undefined) facts.finalEnteredAt = entered;
    }
  }

  const lesson = i.refs.get(str(cur, 'lessonId') ?? '');
  const assessment = i.refs.get(str(cur, 'assessmentId') ?? '');
  const period = i.refs.get(str(cur, 'reportingPeriodId') ?? '');
  const lessonDate = str(lesson, 'date');
  const workDate = str(assessment, 'date');
  const periodEnd = str(period, 'endDate');
  if (lessonDate !== undefined) facts.lessonDate = lessonDate;
  if (workDate !== undefined) facts.workDate = workDate;
  if (periodEnd !== undefined) facts.periodEndDate = periodEnd;
  if (i.deliveredAt !== undefined) facts.deliveredAt = i.deliveredAt;
  if (i.servedAt !== undefined) facts.servedAt = i.servedAt;
  if (i.channels !== undefined) facts.channels = i.channels;
  if (i.channelsSince !== undefined) facts.channelsSince = i.channelsSince;

  const classGroupId = str(lesson, 'classGroupId') ?? str(assessment, 'classGroupId') ?? i.studentClass;
  const subjectId = str(cur, 'subjectId') ?? str(lesson, 'subjectId') ?? str(assessment, 'subjectId');
  const classLabel = str(i.refs.get(classGroupId ?? ''), 'title');
  const subject = i.refs.get(subjectId ?? '');
  const subjectLabel = str(subject, 'title') ?? str(subject, 'shortTitle');
  return {
    facts,
    ...(classGroupId !== undefined ? { classGroupId } : {}),
    ...(classLabel !== undefined ? { classLabel } : {}),
    ...(subjectId !== undefined ? { subjectId } : {}),
    ...(subjectLabel !== undefined ? { subjectLabel } : {}),
  };
}
