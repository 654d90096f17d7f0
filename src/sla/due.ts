/**
 * The deadline engine: for one record and one school, which obligations apply, when each clock
 * started, when it is due, and the two verdicts —
 *
 * - **source**: did the journal have the record by the deadline? Judged from the start event
 *   (lesson date, period end …) against when the journal first had it.
 * - **gateway**: once taken in, was it delivered / made available / served in time? When the
 *   journal was already late, the gateway is held to the moment the journal had it (plus the
 *   profile's allowance), so the two lateness durations add up to the whole delay.
 *
 * A mark deferred for a valid reason (illness) has no running clock; once the final mark is
 * entered, obligations with `deferredStartEvent: mark_entered` start at that entry, and the
 * journal is judged against the deferral's due date. Everything here is a pure function of
 * its arguments (the caller passes `now`).
 */
import type { CanonicalRecord } from '../core/records';
import { weekdayIndex } from '../infra/adapter-kit/dates';
import { registrationOf, type Registration } from './calendar';
import { addDays, addHours, endOfLocalDay, localDateOf, localToInstant, startOfLocalDay, toLocal } from './local-time';
import type { Channel, CoverFilter, MetBy, ResolvedObligation, SchoolSla, StartEvent } from './profiles';

/** A request for a personal access code, registered by the school (not a canonical record). */
export interface AccessCodeRequest {
  entityType: 'access_code_request';
  id: string;
  schoolId: string;
  /** When the request reached the school (UTC ISO). */
  receivedAt: string;
  status?: 'active' | 'tobedeleted';
}

export type SlaSubject = CanonicalRecord | AccessCodeRequest;

/**
 * What the ledger and the runtime know about a record beyond its content. All instants are
 * UTC ISO strings. Every field is optional; what is missing makes a verdict `unknown`,
 * `pending` or the obligation `unresolved` — never a guess.
 */
export interface RecordFacts {
  /** When the journal first had the record, if known better than the record says. */
  journalHadAt?: string;
  /** When the gateway first took the record in (first ledger revision's fetchedAt). */
  takenInAt?: string;
  /** First successful delivery to a sink. */
  deliveredAt?: string;
  /** When families could first see it (defaults to deliveredAt for push sinks). */
  availableAt?: string;
  /** When it was handed over: paper report printed, access code sent. */
  servedAt?: string;
  /** An earlier revision of this mark had markStatus 'deferred' (from the ledger history). */
  wasDeferred?: boolean;
  /** When the final mark of a formerly deferred mark was entered (default: markedAt). */
  finalEnteredAt?: string;
  /** Date of the lesson the record refers to (lessonId → lesson.date). */
  lessonDate?: string;
  /** Date of the work a mark is for (assessmentId → assessment.date). */
  workDate?: string;
  /** Last day of the period a period/annual mark closes (reportingPeriodId → endDate). */
  periodEndDate?: string;
  /** How the student's family is reached; default ['electronic']. */
  channels?: readonly Channel[];
  /**
   * Since when the family is reached through `channels` (UTC ISO or a date). An obligation
   * that covers only some channels (paper) does not apply to a clock that started before it.
   */
  channelsSince?: string;
}

export type VerdictStatus = 'on_time' | 'late' | 'pending' | 'overdue' | 'unknown';
/** Where the journal-had instant came from; first_seen is only an upper bound. */
export type JournalBasis = 'facts' | 'source_created' | 'marked_at' | 'final_entered' | 'first_seen';

/** One clock's verdict. `lateByMs` > 0 exactly when status is late or overdue. */
export interface ClockVerdict {
  status: VerdictStatus;
  /** The instant this clock is judged against (UTC ISO). */
  dueAt: string;
  /** The instant judged: when the journal had it / when it was delivered, available or served. */
  at?: string;
  lateByMs: number;
  /** Source: where `at` came from. Gateway: which moment met it. */
  basis?: JournalBasis | MetBy;
  /** Source judged from the gateway's first sight: a 'late' may be overstated. */
  approximate?: boolean;
  /** Gateway: the journal itself had the record only after the deadline. */
  sourceWasLate?: boolean;
}

export interface ObligationResult {
  key: string;
  profileId: string;
  obligationId: string;
  title: string;
  metBy: MetBy;
  /** clocked: due time computed; deferred: the mark is not attested yet; unresolved: facts missing. */
  state: 'clocked' | 'deferred' | 'unresolved';
  /** The start event used (mark_entered for a formerly deferred mark). */
  startEvent: StartEvent;
  /** Local date of the start event. */
  eventDate?: string;
  /** Instant the clock starts (hour units, instant events). */
  startAt?: string;
  registration?: { date: string; at: string; movedToNextWorkingDay: boolean };
  /** Last local day of the term. */
  dueDate?: string;
  /** The deadline instant (UTC ISO); met at or before it. */
  dueAt?: string;
  /** The last day was not worked and moved forward (ГК РФ ст. 193). */
  rolledToWorkingDay?: boolean;
  /** unresolved: the RecordFacts fields that would resolve it. */
  missing?: string[];
  /** deferred: the date the deferred attestation is due. */
  deferralDueDate?: string;
  source: ClockVerdict | null;
  gateway: ClockVerdict | null;
}

interface JournalHad { at: Date; basis: JournalBasis }

type ResolvedStart =
  | { kind: 'date'; date: string }
  | { kind: 'term'; firstDay: string }
  | { kind: 'instant'; at: Date; date: string; registration?: Registration }
  | { kind: 'missing'; missing: string[] };

/** Due time of one start: the last local day and the deadline instant. */
export interface DueTime {
  eventDate?: string;
  startAt?: Date;
  dueDate: string;
  dueAt: Date;
  rolledToWorkingDay: boolean;
}

/** Judges one record against every obligation of the school that covers it. */
export function evaluateRecord(sla: SchoolSla, subject: SlaSubject, facts: RecordFacts, now: Date): ObligationResult[] {
  if (subject.status === 'tobedeleted') return [];
  const channels = facts.channels ?? ['electronic'];
  const since = facts.channelsSince !== undefined ? Date.parse(facts.channelsSince) : Number.NaN;
  return sla.obligations.filter((o) => covers(o, subject, channels)).flatMap((o) => {
    const r = evaluateObligation(sla, o, subject, facts, now);
    // A family that went on paper owes nothing on paper for clocks that started before.
    // (Date events start the clock at the end of the named day.)
    const started = r.startAt !== undefined ? Date.parse(r.startAt) : r.eventDate !== undefined ? endOfLocalDay(r.eventDate, sla.timeZone).getTime() : Number.NaN;
    if (o.covers.channels !== undefined && !Number.isNaN(since) && started < since) return [];
    return [r];
  });
}

/** True when the obligation applies to the record (entity type, filters, family channel). */
export function covers(o: ResolvedObligation, subject: SlaSubject, channels: readonly Channel[]): boolean {
  if (!o.covers.entityTypes.includes(subject.entityType)) return false;
  if (o.covers.channels !== undefined && !o.covers.channels.some((c) => channels.includes(c))) return false;
  return (o.covers.where ?? []).every((f) => matches(f, fieldOf(subject, f.field)));
}

function matches(f: CoverFilter, value: unknown): boolean {
  if (f.in !== undefined) return f.in.some((v) => v === value);
  if (f.notIn !== undefined) return !f.notIn.some((v) => v === value);
  if (f.exists !== undefined) return (value !== undefined && value !== null) === f.exists;
  return true;
}

function fieldOf(subject: SlaSubject, dotted: string): unknown {
  let v: unknown = subject;
  for (const part of dotted.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function str(subject: SlaSubject, field: string): string | undefined {
  const v = (subject as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}

/** Judges one obligation (which must cover the record). */
export function evaluateObligation(sla: SchoolSla, o: ResolvedObligation, subject: SlaSubject, facts: RecordFacts, now: Date): ObligationResult {
  const isMark = subject.entityType === 'mark';
  const markStatus = isMark ? str(subject, 'markStatus') : undefined;
  const deferral = isMark ? ((subject as Record<string, unknown>)['deferral'] as { dueDate?: string } | undefined) : undefined;
  const followsDeferral = o.deferredStartEvent === 'mark_entered';
  const base = { key: o.key, profileId: o.profileId, obligationId: o.id, title: o.title, metBy: o.metBy };

  if (markStatus === 'deferred' && followsDeferral) {
    const dueDate = deferral?.dueDate;
    const source = dueDate === undefined ? null : openVerdict(endOfLocalDay(dueDate, sla.timeZone), now);
    return { ...base, state: 'deferred', startEvent: 'mark_entered', ...(dueDate ? { deferralDueDate: dueDate } : {}), source, gateway: null };
  }
  const formerlyDeferred = isMark && followsDeferral && (facts.wasDeferred === true || deferral !== undefined);
  // week_start already follows the entry (the week in which the journal had the final mark).
  const event: StartEvent = formerlyDeferred && o.startEvent !== 'week_start' ? 'mark_entered' : o.startEvent;
  const journal = journalHad(subject, facts, formerlyDeferred);
  const start = resolveStart(sla, o, event, subject, facts, journal);
  if (start.kind === 'missing') {
    return { ...base, state: 'unresolved', startEvent: event, missing: start.missing, source: null, gateway: null };
  }
  const due = computeDue(sla, o, start);
  const dueAt = due.dueAt;

  let source: ClockVerdict | null = null;
  if (formerlyDeferred && deferral?.dueDate !== undefined && event !== 'week_start') {
    source = judgeSource(endOfLocalDay(deferral.dueDate, sla.timeZone), journal);
  } else if (event !== 'mark_entered' && event !== 'request_registered' && event !== 'week_start') {
    source = judgeSource(dueAt, journal);
  }
  const gateway = o.metBy === 'entered_at_source' ? null : judgeGateway(o, dueAt, journal, facts, now);

  return {
    ...base,
    state: 'clocked',
    startEvent: event,
    ...(due.eventDate !== undefined ? { eventDate: due.eventDate } : {}),
    ...(due.startAt !== undefined ? { startAt: due.startAt.toISOString() } : {}),
    ...(start.kind === 'instant' && start.registration
      ? { registration: { date: start.registration.date, at: start.registration.at.toISOString(), movedToNextWorkingDay: start.registration.movedToNextWorkingDay } }
      : {}),
    dueDate: due.dueDate,
    dueAt: dueAt.toISOString(),
    rolledToWorkingDay: due.rolledToWorkingDay,
    source,
    gateway,
  };
}

/** When the journal had the record, and how we know (see RecordFacts). */
function journalHad(subject: SlaSubject, facts: RecordFacts, formerlyDeferred: boolean): JournalHad | undefined {
  if (subject.entityType === 'access_code_request') return undefined;
  const rec = subject as CanonicalRecord;
  if (formerlyDeferred) {
    const at = facts.finalEnteredAt ?? str(rec, 'markedAt');
    if (at !== undefined) return { at: new Date(at), basis: 'final_entered' };
  }
  if (facts.journalHadAt !== undefined) return { at: new Date(facts.journalHadAt), basis: 'facts' };
  if (rec.provenance?.sourceCreatedAt !== undefined) return { at: new Date(rec.provenance.sourceCreatedAt), basis: 'source_created' };
  const markedAt = rec.entityType === 'mark' ? str(rec, 'markedAt') : undefined;
  if (markedAt !== undefined) return { at: new Date(markedAt), basis: 'marked_at' };
  if (facts.takenInAt !== undefined) return { at: new Date(facts.takenInAt), basis: 'first_seen' };
  return undefined;
}

function resolveStart(
  sla: SchoolSla, o: ResolvedObligation, event: StartEvent, subject: SlaSubject, facts: RecordFacts, journal: JournalHad | undefined,
): ResolvedStart {
  const date = (d: string | undefined, missing: string): ResolvedStart => (d !== undefined ? { kind: 'date', date: d } : { kind: 'missing', missing: [missing] });
  switch (event) {
    case 'lesson_date':
      return date(facts.lessonDate ?? str(subject, 'date') ?? facts.workDate, 'lessonDate');
    case 'work_date':
      return date(facts.workDate ?? str(subject, 'date') ?? facts.lessonDate, 'workDate');
    case 'period_end':
      return date(facts.periodEndDate, 'periodEndDate');
    case 'result_date': {
      const markedAt = str(subject, 'markedAt');
      return date(str(subject, 'date') ?? (markedAt !== undefined ? localDateOf(new Date(markedAt), sla.timeZone) : undefined), 'markedAt');
    }
    case 'mark_entered': {
      const at = journal?.at ?? (str(subject, 'markedAt') !== undefined ? new Date(str(subject, 'markedAt') as string) : undefined);
      return at === undefined ? { kind: 'missing', missing: ['finalEnteredAt'] } : { kind: 'instant', at, date: localDateOf(at, sla.timeZone) };
    }
    case 'request_registered': {
      const received = str(subject, 'receivedAt');
      if (received === undefined) return { kind: 'missing', missing: ['receivedAt'] };
      const at = new Date(received);
      if (o.registration === 'on_receipt') return { kind: 'instant', at, date: localDateOf(at, sla.timeZone) };
      const registration = registrationOf(at, sla.timeZone, sla.workingHours, sla.calendar);
      return { kind: 'instant', at: registration.at, date: registration.date, registration };
    }
    case 'week_start': {
      if (journal === undefined) return { kind: 'missing', missing: ['journalHadAt'] };
      const d = localDateOf(journal.at, sla.timeZone);
      return { kind: 'term', firstDay: addDays(d, 7 - weekdayIndex(d)) };
    }
  }
}

/**
 * The deadline of a resolved start. Day units: the term's first day is the day after the event
 * (week_start: the named Monday itself); calendar days end `amount` days later, moved to the
 * next working day if that day is off and the obligation rolls; working days end on the
 * `amount`-th working day. Hour units run from the instant (date events: from the end of the
 * event day).
 */
export function computeDue(sla: SchoolSla, o: Pick<ResolvedObligation, 'allowed' | 'endOfDay' | 'rollToWorkingDay'>, start: Exclude<ResolvedStart, { kind: 'missing' }>): DueTime {
  const tz = sla.timeZone;
  const cal = sla.calendar;
  const eventDate = start.kind === 'term' ? undefined : start.date;
  const dayBefore = start.kind === 'term' ? addDays(start.firstDay, -1) : start.date;
  const { amount, unit } = o.allowed;
  if (unit === 'hours') {
    const startAt = start.kind === 'instant' ? start.at : startOfLocalDay(addDays(dayBefore, 1), tz);
    const dueAt = addHours(startAt, amount);
    return { ...(eventDate ? { eventDate } : {}), startAt, dueDate: localDateOf(new Date(dueAt.getTime() - 1), tz), dueAt, rolledToWorkingDay: false };
  }
  let last = unit === 'working_days' ? cal.addWorkingDays(dayBefore, amount) : addDays(dayBefore, amount);
  let rolled = false;
  if (unit === 'calendar_days' && o.rollToWorkingDay && !cal.isWorkingDay(last)) {
    last = cal.workingDayOnOrAfter(last);
    rolled = true;
  }
  let dueAt = endOfLocalDay(last, tz);
  if (!o.endOfDay && start.kind === 'instant') {
    const l = toLocal(start.at, tz);
    dueAt = localToInstant(last, l.minuteOfDay, tz);
  }
  // week_start: the clock starts at the opening of the named Monday.
  const startAt = start.kind === 'instant' ? start.at : start.kind === 'term' ? startOfLocalDay(start.firstDay, tz) : undefined;
  return { ...(eventDate ? { eventDate } : {}), ...(startAt !== undefined ? { startAt } : {}), dueDate: last, dueAt, rolledToWorkingDay: rolled };
}

function judgeSource(dueAt: Date, journal: JournalHad | undefined): ClockVerdict {
  if (journal === undefined) return { status: 'unknown', dueAt: dueAt.toISOString(), lateByMs: 0 };
  const late = journal.at.getTime() - dueAt.getTime();
  return {
    status: late > 0 ? 'late' : 'on_time',
    dueAt: dueAt.toISOString(),
    at: journal.at.toISOString(),
    lateByMs: Math.max(0, late),
    basis: journal.basis,
    ...(journal.basis === 'first_seen' ? { approximate: true } : {}),
  };
}

function openVerdict(dueAt: Date, now: Date): ClockVerdict {
  const late = now.getTime() - dueAt.getTime();
  return { status: late > 0 ? 'overdue' : 'pending', dueAt: dueAt.toISOString(), lateByMs: Math.max(0, late) };
}

function judgeGateway(o: ResolvedObligation, dueAt: Date, journal: JournalHad | undefined, facts: RecordFacts, now: Date): ClockVerdict {
  const sourceWasLate = journal !== undefined && journal.at.getTime() > dueAt.getTime();
  const held = sourceWasLate ? addHours(journal.at, o.lateSourceAllowanceHours) : dueAt;
  const gatewayDue = held.getTime() > dueAt.getTime() ? held : dueAt;
  const met = metAt(o.metBy, facts);
  if (met === undefined) return { ...openVerdict(gatewayDue, now), sourceWasLate };
  const late = new Date(met).getTime() - gatewayDue.getTime();
  return {
    status: late > 0 ? 'late' : 'on_time',
    dueAt: gatewayDue.toISOString(),
    at: new Date(met).toISOString(),
    lateByMs: Math.max(0, late),
    basis: o.metBy,
    sourceWasLate,
  };
}

function metAt(metBy: MetBy, facts: RecordFacts): string | undefined {
  switch (metBy) {
    case 'delivered': return facts.deliveredAt;
    case 'available': return facts.availableAt ?? facts.deliveredAt;
    case 'served': return facts.servedAt;
    case 'entered_at_source': return undefined;
  }
}

/** ISO 8601 rendering of a duration in ms, to the minute ('P1DT2H5M'), for reports. */
export function formatDuration(ms: number): string {
  const totalMinutes = Math.round(Math.max(0, ms) / 60_000);
  const d = Math.floor(totalMinutes / 1440);
  const h = Math.floor((totalMinutes % 1440) / 60);
  const m = totalMinutes % 60;
  const date = d > 0 ? `${d}D` : '';
  const time = `${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}`;
  if (date === '' && time === '') return 'PT0M';
  return `P${date}${time === '' ? '' : `T${time}`}`;
}
