/**
 * The withdrawal purge: 152-ФЗ ст. 21 ч. 5 (stop processing, destroy within 30 days) and
 * приказ РКН № 179 (an act of destruction plus an event-log extract). domain.md §1.4.
 *
 * For every child with a standing withdrawal due before the next run, in one transaction per school:
 * - every record version about the child (subjects.ts decides per entity type) gets its body
 *   replaced by a stub holding only the envelope keys and a `purged` marker; a guardian's own
 *   person record goes when every child linked to them is purged (they stay a parent of the others);
 * - messages to a purged person, staged changes (safety hold) about the child, and quarantined
 *   raw records that mention the child (canonical id, journal id, full name) lose their content;
 * - the family's contacts, notices and withheld-delivery notes are deleted;
 * - one audit row records what was destroyed (counts, record ids), when, and on what basis.
 * Kept, on purpose: the record rows (canonical ids, journal ids, content hashes, timestamps) and
 * the delivery history — pseudonymous keys without content, needed as the event-log extract and
 * so the gateway recognises the child's records when the journal sends them again (unchanged
 * ones are not stored again; changed or new ones are never delivered and are destroyed by the
 * next run); and the consent documents' items, the operator's proof of consent (ст. 9 ч. 3),
 * until the evidence retention ends.
 */
import type { PurgeAuditEntry, PurgeHook, PurgeReport } from '../../core/consent';
import type { Logger } from '../../core/logger';
import type { EntityType } from '../../core/records';
import type { Db } from '../../ledger/sqlite/connection';
import { resolveConcerns, type SubjectRecord } from './subjects';
import { SqliteSubjectLookups } from './sqlite-lookups';

export interface PurgeOptions {
  /** Destroy what falls due within this long from now (the interval between runs). */
  horizonMs: number;
  evidenceRetentionDays: number;
  /** Other stores' share of the purge (src/core/consent.ts PurgeHook). */
  hooks?: readonly PurgeHook[];
}

export const PURGE_BASIS = '152-ФЗ ст. 21 ч. 5';
const DAY_MS = 86_400_000;
/** Marks a version destroyed because it is addressed to a person purged in an earlier run. */
const PURGED_PERSON = '*';

interface DueRow { id: number; school_id: string; child_id: string; withdrawn_at: string; purge_due_at: string; withdrawal_evidence_ref: string | null }
interface VersionRow { seq: number; id: string; entity_type: EntityType; source_system: string; status: string; revision: number; body: string }
interface StagedRow { id: number; hold_id: number | null; record_id: string; record: string }

/** Identifiers by which a raw record may name a child or purged guardian. */
export interface SubjectMarks {
  ids: Set<string>;
  sourceIds: Set<string>;
  /** [family name, given name], compared case-insensitively as substrings of one string value. */
  names: Array<[string, string]>;
}

/** Keys under which a short numeric journal id is taken as a person reference. */
const PERSON_KEY = /(student|pupil|person|child|learner|user|uchen|kid|guardian|parent)/i;
/** A journal id this distinctive matches wherever it appears as a whole value. */
const distinctive = (s: string): boolean => s.length >= 6 || /\D/.test(s);

/** True when a raw (vendor or mapped) record mentions one of the marks as a whole value or a full name. */
export function rawMentions(raw: unknown, marks: SubjectMarks, key = ''): boolean {
  if (typeof raw === 'string' || typeof raw === 'number') {
    const s = String(raw);
    if (marks.ids.has(s)) return true;
    if (marks.sourceIds.has(s) && (distinctive(s) || PERSON_KEY.test(key))) return true;
    if (typeof raw === 'string' && marks.names.length > 0) {
      const low = raw.toLowerCase();
      if (marks.names.some(([f, g]) => low.includes(f) && low.includes(g))) return true;
    }
    return false;
  }
  if (Array.isArray(raw)) return raw.some((v) => rawMentions(v, marks, key));
  if (raw !== null && typeof raw === 'object') return Object.entries(raw).some(([k, v]) => rawMentions(v, marks, k));
  return false;
}

/** `student:45` style segments of a composite source id. */
function sourceIdMentions(sourceId: string, entityType: string | null, marks: SubjectMarks): boolean {
  if (entityType === 'person' && marks.sourceIds.has(sourceId)) return true;
  const parts = sourceId.split(/[^\p{L}\p{N}_-]+/u);
  return parts.some((p, i) => marks.sourceIds.has(p) && (distinctive(p) || (i > 0 && PERSON_KEY.test(parts[i - 1] ?? ''))));
}

interface Plan {
  /** revision → { record id, entity, children it is counted for } */
  versions: Map<number, { row: VersionRow; children: string[] }>;
  staged: Array<{ row: StagedRow; children: string[] }>;
  quarantine: Map<number, string[]>;
}

export class ConsentPurger {
  constructor(private readonly db: Db, private readonly opts: PurgeOptions, private readonly log: Logger) {}

  async run(now: string): Promise<PurgeReport> {
    const horizon = new Date(Date.parse(now) + this.opts.horizonMs).toISOString();
    const due = this.db.prepare<[string], DueRow>(`SELECT id, school_id, child_id, withdrawn_at, purge_due_at, withdrawal_evidence_ref FROM consents
      WHERE withdrawn_at IS NOT NULL AND superseded_by IS NULL AND purge_due_at <= ? ORDER BY school_id, child_id, id`).all(horizon);
    const bySchool = new Map<string, Map<string, DueRow[]>>();
    for (const d of due) {
      const m = bySchool.get(d.school_id) ?? new Map<string, DueRow[]>();
      m.set(d.child_id, [...(m.get(d.child_id) ?? []), d]);
      bySchool.set(d.school_id, m);
    }
    const entries: PurgeAuditEntry[] = [];
    for (const [schoolId, children] of bySchool) {
      const plan = await this.plan(schoolId, new Set(children.keys()));
      entries.push(...this.db.transaction(() => this.destroy(schoolId, children, plan, now)).immediate());
    }
    const cutoff = new Date(Date.parse(now) - this.opts.evidenceRetentionDays * DAY_MS).toISOString();
    const evidenceItemsPurged = this.db.prepare(`UPDATE consents SET items = NULL, items_purged_at = @now WHERE items IS NOT NULL
      AND ((withdrawn_at IS NOT NULL AND withdrawn_at <= @cutoff) OR (valid_to IS NOT NULL AND valid_to <= @cutoff))`).run({ now, cutoff }).changes;
    if (entries.length > 0 || evidenceItemsPurged > 0) {
      this.log.info('withdrawal purge done', {
        children: entries.length, versions: entries.reduce((n, e) => n + e.destroyed.versions, 0),
        quarantineRaws: entries.reduce((n, e) => n + e.destroyed.quarantineRaws, 0), evidenceItemsPurged,
      });
    }
    return { at: now, entries, evidenceItemsPurged };
  }

  /** Reads (outside the write transaction) what is to be destroyed for these children of one school. */
  private async plan(schoolId: string, due: Set<string>): Promise<Plan> {
    const dueJson = JSON.stringify([...due]);
    const versions = this.db.prepare<[{ school: string; due: string }], VersionRow>(`SELECT r.seq, r.id, r.entity_type, r.source_system, r.status, v.revision, v.body
      FROM record_versions v JOIN records r ON r.seq = v.record_seq
      WHERE r.school_id = @school AND json_extract(v.body, '$.purged') IS NULL AND (
        (r.entity_type IN ('guardian_link', 'mark', 'attendance_event', 'recommendation') AND json_extract(v.body, '$.studentId') IN (SELECT value FROM json_each(@due)))
        OR (r.entity_type = 'membership' AND json_extract(v.body, '$.personId') IN (SELECT value FROM json_each(@due)))
        OR (r.entity_type = 'person' AND (r.id IN (SELECT value FROM json_each(@due))
            OR EXISTS (SELECT 1 FROM json_each(v.body, '$.roles') WHERE value = 'guardian')))
        OR (r.entity_type = 'homework' AND json_extract(v.body, '$.isIndividual') = 1)
        OR r.entity_type = 'message')`).all({ school: schoolId, due: dueJson });
    const staged = this.db.prepare<[string], StagedRow>('SELECT id, hold_id, record_id, record FROM staged_changes WHERE school_id = ?').all(schoolId);
    const stagedBodies = staged.map((s) => {
      const rec = JSON.parse(s.record) as { entityType: EntityType; body: string };
      return { entityType: rec.entityType, schoolId, payload: JSON.parse(rec.body) as Record<string, unknown> };
    });
    const subjects: SubjectRecord[] = [
      ...versions.map((v) => ({ entityType: v.entity_type, schoolId, payload: JSON.parse(v.body) as Record<string, unknown> })),
      ...stagedBodies,
    ];
    const concerns = await resolveConcerns(subjects, new SqliteSubjectLookups(this.db, true));
    const purgedPersons = new Set(this.db.prepare<[string], { id: string }>(`SELECT r.id FROM records r JOIN record_versions v ON v.revision = r.revision
      WHERE r.school_id = ? AND r.entity_type = 'person' AND json_extract(v.body, '$.purged') IS NOT NULL`).all(schoolId).map((r) => r.id));
    // Guardians go first: a message to a guardian purged now counts as about a purged person.
    const decide = (s: SubjectRecord, i: number): string[] => {
      const c = concerns[i];
      if (c?.kind !== 'children') return [];
      const roles = Array.isArray(s.payload['roles']) ? (s.payload['roles'] as unknown[]) : [];
      if (s.entityType === 'person' && roles.includes('guardian') && !due.has(String(s.payload['id']))) {
        return c.ids.every((k) => due.has(k)) ? c.ids : [];
      }
      return c.ids.filter((k) => due.has(k));
    };
    const counted = subjects.map(decide);
    // Persons purged now, with the children they are counted for; earlier purged ones count for none.
    const personChildren = new Map<string, string[]>([...purgedPersons].map((p) => [p, []]));
    subjects.forEach((s, i) => { if (s.entityType === 'person' && (counted[i] ?? []).length > 0) personChildren.set(String(s.payload['id']), counted[i] ?? []); });
    subjects.forEach((s, i) => {
      if (s.entityType !== 'message' || (counted[i] ?? []).length > 0) return;
      const recips = Array.isArray(s.payload['recipients']) ? (s.payload['recipients'] as Array<Record<string, unknown>>) : [];
      const hit = recips.map((r) => personChildren.get(String(r['recipientId']))).filter((k): k is string[] => k !== undefined);
      // A message to a purged person goes even when no child of this run can be named (PURGED_PERSON).
      if (hit.length > 0) counted[i] = [...new Set([...hit.flat(), PURGED_PERSON])];
    });
    const plan: Plan = { versions: new Map(), staged: [], quarantine: new Map() };
    versions.forEach((v, i) => { const k = counted[i] ?? []; if (k.length > 0) plan.versions.set(v.revision, { row: v, children: k }); });
    staged.forEach((s, i) => { const k = counted[versions.length + i] ?? []; if (k.length > 0) plan.staged.push({ row: s, children: k }); });
    this.planQuarantine(schoolId, due, plan, versions, counted);
    return plan;
  }

  private planQuarantine(schoolId: string, due: Set<string>, plan: Plan, versions: VersionRow[], counted: string[][]): void {
    const marksOf = new Map<string, SubjectMarks>();
    const marks = (child: string): SubjectMarks => {
      let m = marksOf.get(child);
      if (!m) marksOf.set(child, (m = { ids: new Set([child]), sourceIds: new Set(), names: [] }));
      return m;
    };
    // The child's and purged guardians' own person records give journal ids and names.
    versions.forEach((v, i) => {
      if (v.entity_type !== 'person') return;
      const kids = (counted[i] ?? []).filter((k) => due.has(k));
      const body = JSON.parse(v.body) as Record<string, unknown>;
      for (const k of kids) {
        const m = marks(k);
        m.ids.add(v.id);
        const src = body['sourceId'];
        if (typeof src === 'string') m.sourceIds.add(src);
        const f = body['familyName'];
        const g = body['givenName'];
        if (typeof f === 'string' && typeof g === 'string') m.names.push([f.toLowerCase(), g.toLowerCase()]);
      }
    });
    for (const child of due) {
      const m = marks(child);
      for (const r of this.db.prepare<[string], { source_id: string }>('SELECT source_id FROM records WHERE id = ?').all(child)) m.sourceIds.add(r.source_id);
    }
    const rows = this.db.prepare<[string], { id: number; source_id: string; entity_type: string | null; raw: string }>(
      'SELECT id, source_id, entity_type, raw FROM quarantine WHERE school_id = ? AND raw IS NOT NULL').all(schoolId);
    for (const q of rows) {
      const raw: unknown = JSON.parse(q.raw);
      const kids = [...due].filter((k) => { const m = marks(k); return sourceIdMentions(q.source_id, q.entity_type, m) || rawMentions(raw, m); });
      if (kids.length > 0) plan.quarantine.set(q.id, kids);
    }
  }

  private destroy(schoolId: string, children: Map<string, DueRow[]>, plan: Plan, now: string): PurgeAuditEntry[] {
    const stub = this.db.prepare<[string, number]>('UPDATE record_versions SET body = ? WHERE revision = ? AND json_extract(body, \'$.purged\') IS NULL');
    const tally = new Map<string, PurgeAuditEntry['destroyed']>();
    const t = (child: string): PurgeAuditEntry['destroyed'] => {
      let d = tally.get(child);
      if (!d) tally.set(child, (d = { contacts: 0, records: {}, versions: 0, quarantineRaws: 0, stagedChanges: 0, notices: 0, recordIds: [] }));
      return d;
    };
    const recordsSeen = new Map<string, Set<string>>();
    for (const [revision, { row, children: kids }] of plan.versions) {
      const body = JSON.stringify({
        id: row.id, entityType: row.entity_type, schemaVersion: 1, schoolId, sourceSystem: row.source_system, status: row.status,
        purged: { at: now, basis: PURGE_BASIS },
      });
      if (stub.run(body, revision).changes === 0) continue;
      for (const k of kids.filter((x) => children.has(x))) {
        const d = t(k);
        d.versions++;
        const seen = recordsSeen.get(k) ?? new Set<string>();
        if (!seen.has(row.id)) {
          seen.add(row.id);
          d.records[row.entity_type] = (d.records[row.entity_type] ?? 0) + 1;
          d.recordIds.push(row.id);
        }
        recordsSeen.set(k, seen);
      }
    }
    const holds = new Set<number>();
    const dropStaged = this.db.prepare<[number]>('DELETE FROM staged_changes WHERE id = ?');
    for (const s of plan.staged) {
      dropStaged.run(s.row.id);
      if (s.row.hold_id !== null) holds.add(s.row.hold_id);
      for (const k of s.children.filter((x) => children.has(x))) t(k).stagedChanges++;
    }
    const recount = this.db.prepare<[string, number]>(`UPDATE holds SET
      deletes = (SELECT COUNT(*) FROM staged_changes s WHERE s.hold_id = holds.id AND s.kind = 'delete'),
      changes = (SELECT COUNT(*) FROM staged_changes s WHERE s.hold_id = holds.id AND s.kind = 'change'), updated_at = ?
      WHERE id = ? AND state = 'pending'`);
    for (const h of holds) recount.run(now, h);
    const clearRaw = this.db.prepare<[number]>('UPDATE quarantine SET raw = NULL WHERE id = ?');
    for (const [id, kids] of plan.quarantine) {
      clearRaw.run(id);
      for (const k of kids) t(k).quarantineRaws++;
    }
    const delContacts = this.db.prepare<[string, string]>('DELETE FROM family_contacts WHERE school_id = ? AND child_id = ?');
    const delNotices = this.db.prepare<[string, string]>('DELETE FROM family_notices WHERE school_id = ? AND child_id = ?');
    const delWithheld = this.db.prepare<[string, string]>('DELETE FROM consent_withheld WHERE school_id = ? AND child_id = ?');
    const lastPurge = this.db.prepare<[string, string], { at: string | null }>('SELECT MAX(purged_at) AS at FROM consent_purges WHERE school_id = ? AND child_id = ?');
    const audit = this.db.prepare(`INSERT INTO consent_purges (school_id, child_id, consent_ids, withdrawn_at, due_at, purged_at, basis, destroyed)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const out: PurgeAuditEntry[] = [];
    for (const [child, rows] of children) {
      const d = t(child);
      d.contacts = delContacts.run(schoolId, child).changes;
      d.notices = delNotices.run(schoolId, child).changes;
      delWithheld.run(schoolId, child);
      for (const h of this.opts.hooks ?? []) {
        const n = h.destroy(schoolId, child, now);
        if (n > 0) d.other = { ...(d.other ?? {}), [h.name]: n };
      }
      const withdrawnAt = rows.map((r) => r.withdrawn_at).sort()[0] as string;
      const dueAt = rows.map((r) => r.purge_due_at).sort()[0] as string;
      const before = lastPurge.get(schoolId, child)?.at ?? null;
      const destroyedSomething = d.versions + d.contacts + d.notices + d.quarantineRaws + d.stagedChanges + Object.values(d.other ?? {}).reduce((a, b) => a + b, 0) > 0;
      // The first purge after a withdrawal is always recorded (the act), later runs only when they destroyed something.
      if (!destroyedSomething && before !== null && before >= withdrawnAt) continue;
      const basis = `${PURGE_BASIS}: ${rows.map((r) => `consent #${r.id} withdrawn ${r.withdrawn_at}${r.withdrawal_evidence_ref ? ` (evidence ${r.withdrawal_evidence_ref})` : ''}`).join('; ')}; destruction due ${dueAt}`;
      const id = Number(audit.run(schoolId, child, JSON.stringify(rows.map((r) => r.id)), withdrawnAt, dueAt, now, basis, JSON.stringify(d)).lastInsertRowid);
      out.push({ id, schoolId, childId: child, consentIds: rows.map((r) => r.id), withdrawnAt, dueAt, purgedAt: now, basis, destroyed: d });
    }
    return out;
  }
}
