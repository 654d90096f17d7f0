/**
 * The SLA engine's store in the ledger's SQLite file (tables of migration 3, migrations-sla.ts).
 * Reads `records`, `record_versions`, `deliveries` and `delivery_attempts`, `served` (migration 5:
 * what the ФГИС pull API served) and `paper_extracts` / `paper_extract_records` (migration 7: the
 * weekly paper extracts register) read-only; writes only its own `sla_*` tables. Build it on `(ledger as SqliteLedger).database()` after `migrate()`.
 *
 * One file for the whole store (about 450 lines): the statements share row mappers and the
 * transaction helpers, and splitting obligations from alerts would only scatter the SQL.
 */
import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors';
import type {
  AccessCodeRequestInput, AccessCodeRequestRow, SlaAlertInput, SlaAlertLevel, SlaAlertRow, SlaAlertState, SlaAlertUpdate,
  SlaEvaluationWrite, SlaLateValue, SlaLedgerRecord, SlaObligationFilter, SlaObligationRow, SlaOpenCounts, SlaProgress, SlaReportCell, SlaState, SlaStore,
} from '../../core/sla-store';
import { SLA_STATES } from '../../core/sla-store';
import { guard, StatementCache, type Db } from './connection';

interface ObligationDbRow {
  record_id: string; obligation: string; school_id: string; entity_type: string; record_revision: number | null; record_ref: string | null;
  class_group_id: string | null; class_label: string | null; subject_id: string | null; subject_label: string | null;
  event_date: string | null; clock_start: string | null; due_at: string | null; due_date: string | null; period_date: string;
  met_at: string | null; source_status: string | null; source_late_ms: number; source_basis: string | null; source_approximate: number;
  gateway_status: string | null; gateway_late_ms: number; gateway_due_at: string | null; late_ms: number; state: SlaState;
  detail: string | null; next_check_at: string | null; evaluated_at: string;
}

interface RecordHead { seq: number; id: string; entity_type: string; school_id: string; status: 'active' | 'tobedeleted'; revision: number; first_seen_at: string }
interface AlertDbRow {
  id: number; school_id: string; obligation: string; level: SlaAlertLevel; previous_level: SlaAlertLevel; created_at: string; payload: string;
  webhook_state: SlaAlertRow['webhookState']; email_state: SlaAlertRow['emailState']; attempts: number; next_attempt_at: string | null;
  last_error: string | null; sent_at: string | null;
}
interface AccessDbRow {
  id: number; school_id: string; family_ref: string; received_at: string; registered_at: string; due_at: string; due_date: string;
  registered_by: string; issued_at: string | null; issued_by: string | null; created_at: string; updated_at: string;
}

const OBLIGATION_COLUMNS = ['record_id', 'obligation', 'school_id', 'entity_type', 'record_revision', 'record_ref', 'class_group_id', 'class_label',
  'subject_id', 'subject_label', 'event_date', 'clock_start', 'due_at', 'due_date', 'period_date', 'met_at', 'source_status', 'source_late_ms',
  'source_basis', 'source_approximate', 'gateway_status', 'gateway_late_ms', 'gateway_due_at', 'late_ms', 'state', 'detail', 'next_check_at',
  'evaluated_at'] as const;

const HEAD_COLUMNS = 'seq, id, entity_type, school_id, status, revision, first_seen_at';
const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const opt = <K extends string, V>(key: K, v: V | null): { [P in K]?: V } => (v === null ? {} : { [key]: v }) as { [P in K]?: V };

/** The embedded SlaStore. Every write is one IMMEDIATE transaction. */
export class SqliteSlaStore implements SlaStore {
  private readonly q: StatementCache;
  private readonly insertObligation: Database.Statement<unknown[]>;
  private readonly writeTx: (w: SlaEvaluationWrite) => void;
  private readonly alertTx: (states: readonly SlaAlertState[], alerts: readonly SlaAlertInput[]) => number[];

  constructor(private readonly db: Db) {
    this.q = new StatementCache(db);
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sla_obligations'").get();
    if (exists === undefined) throw new GatewayError('GW_LEDGER_MIGRATION', 'The ledger has no SLA tables; run migrate() before opening the SLA store');
    this.insertObligation = db.prepare(`INSERT INTO sla_obligations (${OBLIGATION_COLUMNS.join(', ')})
      VALUES (${OBLIGATION_COLUMNS.map(() => '?').join(', ')})`);
    const deleteRows = db.prepare('DELETE FROM sla_obligations WHERE record_id = ?');
    const setProgress = db.prepare('UPDATE sla_progress SET value = ? WHERE name = ? AND value < ?');
    this.writeTx = (w: SlaEvaluationWrite): void => {
      db.transaction(() => {
        for (const id of new Set(w.recordIds)) deleteRows.run(id);
        for (const r of w.rows) this.insertObligation.run(...toDbRow(r));
        for (const [name, value] of Object.entries(w.progress ?? {})) if (value !== undefined) setProgress.run(value, name, value);
      }).immediate();
    };
    const upsertState = db.prepare(`INSERT INTO sla_alert_state (school_id, obligation, alerted_level, alerted_at, observed_level, observed_since)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (school_id, obligation) DO UPDATE SET alerted_level = excluded.alerted_level,
      alerted_at = excluded.alerted_at, observed_level = excluded.observed_level, observed_since = excluded.observed_since`);
    const insertAlert = db.prepare(`INSERT INTO sla_alerts (school_id, obligation, level, previous_level, created_at, payload, webhook_state,
      email_state, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.alertTx = (states, alerts) => db.transaction(() => {
      for (const s of states) upsertState.run(s.schoolId, s.obligation, s.alertedLevel, orNull(s.alertedAt), s.observedLevel, s.observedSince);
      return alerts.map((a) => {
        const pending = a.webhook || a.email;
        return Number(insertAlert.run(a.schoolId, a.obligation, a.level, a.previousLevel, a.createdAt, JSON.stringify(a.payload),
          a.webhook ? 'pending' : 'skipped', a.email ? 'pending' : 'skipped', pending ? a.createdAt : null).lastInsertRowid);
      });
    }).immediate();
  }

  // --- the ledger, read-only -------------------------------------------------------------

  progress(): Promise<SlaProgress> {
    return guard(() => {
      const rows = this.q.get<{ name: string; value: number }>('SELECT name, value FROM sla_progress').all();
      const get = (n: string): number => rows.find((r) => r.name === n)?.value ?? 0;
      return { revision: get('revision'), attempt: get('attempt') };
    });
  }

  changedRecords(afterRevision: number, entityTypes: readonly string[], limit: number): Promise<{ records: SlaLedgerRecord[]; lastRevision: number; scanned: number }> {
    return guard(() => {
      const heads = this.q.get<RecordHead>(`SELECT ${HEAD_COLUMNS} FROM records WHERE revision > ? ORDER BY revision LIMIT ?`).all(afterRevision, limit);
      const lastRevision = heads[heads.length - 1]?.revision ?? afterRevision;
      const wanted = new Set(entityTypes);
      return { records: this.withVersions(heads.filter((h) => wanted.has(h.entity_type))), lastRevision, scanned: heads.length };
    });
  }

  recordsOfSchool(schoolId: string, entityTypes: readonly string[], afterSeq: number, limit: number): Promise<{ records: SlaLedgerRecord[]; lastSeq: number }> {
    return guard(() => {
      const heads = this.q.get<RecordHead>(`SELECT ${HEAD_COLUMNS} FROM records WHERE school_id = ? AND status = 'active'
        AND entity_type IN (SELECT value FROM json_each(?)) AND seq > ? ORDER BY seq LIMIT ?`).all(schoolId, JSON.stringify(entityTypes), afterSeq, limit);
      const lastSeq = heads[heads.length - 1]?.seq ?? afterSeq;
      return { records: this.withVersions(heads), lastSeq };
    });
  }

  recordsByIds(ids: readonly string[]): Promise<SlaLedgerRecord[]> {
    return guard(() => this.withVersions(this.q.get<RecordHead>(`SELECT ${HEAD_COLUMNS} FROM records
      WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids))));
  }

  deliveredSince(afterAttempt: number, entityTypes: readonly string[], limit: number): Promise<{ recordIds: string[]; lastAttempt: number; scanned: number }> {
    return guard(() => {
      const rows = this.q.get<{ id: number; to_state: string; record_id: string; entity_type: string }>(`SELECT a.id, a.to_state, d.record_id, d.entity_type
        FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.id > ? ORDER BY a.id LIMIT ?`).all(afterAttempt, limit);
      const lastAttempt = rows[rows.length - 1]?.id ?? afterAttempt;
      const wanted = new Set(entityTypes);
      return { recordIds: [...new Set(rows.filter((r) => r.to_state === 'delivered' && wanted.has(r.entity_type)).map((r) => r.record_id))], lastAttempt, scanned: rows.length };
    });
  }

  firstDeliveries(items: ReadonlyArray<{ recordId: string; fromRevision: number }>, sinkIds: readonly string[]): Promise<Map<string, string>> {
    return guard(() => {
      const out = new Map<string, string>();
      if (items.length === 0 || sinkIds.length === 0) return out;
      const floors = new Map(items.map((i) => [i.recordId, i.fromRevision]));
      const seqs = this.q.get<{ seq: number; id: string }>('SELECT seq, id FROM records WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...floors.keys()]));
      // Per sink and record: the (sink_id, record_seq, revision) index answers each probe. The
      // destination's SendingTimestamp (migration 6) may carry an offset (+03:00), so the earliest
      // is taken by instant in code, not by string order in SQL.
      const acknowledged = this.q.get<{ at: string }>(`SELECT COALESCE(sending_timestamp, delivered_at) AS at FROM deliveries
        WHERE sink_id = ? AND record_seq = ? AND revision >= ? AND delivered_at IS NOT NULL`);
      for (const { seq, id } of seqs) {
        for (const sink of sinkIds) {
          for (const { at } of acknowledged.all(sink, seq, floors.get(id) ?? 0)) keepEarliest(out, id, at);
        }
      }
      return out;
    });
  }

  firstServed(items: ReadonlyArray<{ recordId: string; fromRevision: number }>): Promise<Map<string, string>> {
    return guard(() => {
      const out = new Map<string, string>();
      // served_record (record_id, served_at) answers each probe; any pull consumer counts.
      const first = this.q.get<{ at: string | null }>('SELECT MIN(served_at) AS at FROM served WHERE record_id = ? AND revision >= ?');
      for (const i of items) {
        const at = first.get(i.recordId, i.fromRevision)?.at ?? null;
        if (at !== null) keepEarliest(out, i.recordId, at);
      }
      return out;
    });
  }

  firstHandedOver(items: ReadonlyArray<{ recordId: string; fromRevision: number }>): Promise<Map<string, string>> {
    return guard(() => {
      const out = new Map<string, string>();
      const first = this.q.get<{ at: string | null }>(`SELECT MIN(e.handed_over_at) AS at FROM paper_extract_records x
        JOIN paper_extracts e ON e.id = x.extract_id WHERE x.record_id = ? AND x.revision >= ? AND e.handed_over_at IS NOT NULL`);
      for (const i of items) {
        const at = first.get(i.recordId, i.fromRevision)?.at ?? null;
        if (at !== null) keepEarliest(out, i.recordId, at);
      }
      return out;
    });
  }

  servedSinceJudged(slackMs: number, afterRecordId: string, limit: number): Promise<string[]> {
    return guard(() => {
      // Open rows come from the two partial indexes (waiting rows carry next_check_at; at-risk and
      // breached rows are in sla_obligations_open), so this never scans the judged history; the
      // unary + keeps the planner from walking the primary key for the record-id cursor instead.
      const slack = `-${Math.max(0, Math.round(slackMs / 1000))} seconds`;
      return this.q.get<{ record_id: string }>(`WITH open AS (
          SELECT record_id, MIN(evaluated_at) AS judged FROM (
            SELECT record_id, evaluated_at FROM sla_obligations WHERE next_check_at IS NOT NULL AND state IN ('pending', 'at_risk') AND gateway_status IS NOT NULL
            UNION ALL
            SELECT record_id, evaluated_at FROM sla_obligations WHERE state IN ('at_risk', 'breached') AND gateway_status IS NOT NULL
          ) WHERE +record_id > ? GROUP BY record_id
        )
        SELECT o.record_id FROM open o
        WHERE EXISTS (SELECT 1 FROM served s WHERE s.record_id = o.record_id AND s.served_at > strftime('%Y-%m-%dT%H:%M:%fZ', o.judged, ?))
           OR EXISTS (SELECT 1 FROM paper_extract_records x JOIN paper_extracts e ON e.id = x.extract_id
                      WHERE x.record_id = o.record_id AND e.handed_over_at > strftime('%Y-%m-%dT%H:%M:%fZ', o.judged, ?))
        ORDER BY o.record_id LIMIT ?`).all(afterRecordId, slack, slack, limit).map((r) => r.record_id);
    });
  }

  currentBodies(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    return guard(() => {
      const out = new Map<string, Record<string, unknown>>();
      if (ids.length === 0) return out;
      const rows = this.q.get<{ id: string; body: string }>(`SELECT r.id, v.body FROM records r JOIN record_versions v ON v.revision = r.revision
        WHERE r.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify([...new Set(ids)]));
      for (const r of rows) out.set(r.id, JSON.parse(r.body) as Record<string, unknown>);
      return out;
    });
  }

  studentClasses(schoolId: string): Promise<Map<string, string>> {
    return guard(() => {
      const out = new Map<string, string>();
      const primary = new Set<string>();
      const rows = this.q.get<{ body: string }>(`SELECT v.body FROM records r JOIN record_versions v ON v.revision = r.revision
        WHERE r.school_id = ? AND r.entity_type = 'membership' AND r.status = 'active' ORDER BY r.seq`).all(schoolId);
      for (const { body } of rows) {
        const m = JSON.parse(body) as { personId?: string; classGroupId?: string; role?: string; primary?: boolean; endDate?: string };
        if (m.role !== 'student' || !m.personId || !m.classGroupId || m.endDate !== undefined) continue;
        if (primary.has(m.personId)) continue;
        if (m.primary === true) primary.add(m.personId);
        if (m.primary === true || !out.has(m.personId)) out.set(m.personId, m.classGroupId);
      }
      return out;
    });
  }

  private withVersions(heads: readonly RecordHead[]): SlaLedgerRecord[] {
    if (heads.length === 0) return [];
    const versions = this.q.get<{ record_seq: number; revision: number; ingested_at: string; body: string }>(`SELECT record_seq, revision, ingested_at, body
      FROM record_versions WHERE record_seq IN (SELECT value FROM json_each(?)) ORDER BY record_seq, revision`).all(JSON.stringify(heads.map((h) => h.seq)));
    const bySeq = new Map<number, SlaLedgerRecord['versions']>();
    for (const v of versions) {
      const list = bySeq.get(v.record_seq) ?? [];
      list.push({ revision: v.revision, ingestedAt: v.ingested_at, record: JSON.parse(v.body) as Record<string, unknown> });
      bySeq.set(v.record_seq, list);
    }
    return heads.map((h) => ({
      recordId: h.id, schoolId: h.school_id, entityType: h.entity_type, status: h.status, revision: h.revision,
      firstSeenAt: h.first_seen_at, versions: bySeq.get(h.seq) ?? [],
    }));
  }

  // --- obligations -----------------------------------------------------------------------

  writeEvaluation(w: SlaEvaluationWrite): Promise<void> {
    return guard(() => this.writeTx(w));
  }

  dueForCheck(now: string, limit: number): Promise<string[]> {
    return guard(() => [...new Set(this.q.get<{ record_id: string }>(`SELECT record_id FROM sla_obligations
      WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at LIMIT ?`).all(now, limit).map((r) => r.record_id))]);
  }

  listObligations(f: SlaObligationFilter): Promise<SlaObligationRow[]> {
    return guard(() => {
      const where = ['school_id = ?'];
      const args: unknown[] = [f.schoolId];
      if (f.fromDate !== undefined) { where.push('period_date >= ?'); args.push(f.fromDate); }
      if (f.toDate !== undefined) { where.push('period_date <= ?'); args.push(f.toDate); }
      if (f.obligation !== undefined) { where.push('obligation = ?'); args.push(f.obligation); }
      if (f.states !== undefined) { where.push('state IN (SELECT value FROM json_each(?))'); args.push(JSON.stringify(f.states)); }
      const sql = `SELECT * FROM sla_obligations WHERE ${where.join(' AND ')} ORDER BY period_date, obligation, due_at, record_id LIMIT ? OFFSET ?`;
      return this.q.get<ObligationDbRow>(sql).all(...args, f.limit ?? -1, f.offset ?? 0).map(fromDbRow);
    });
  }

  reportCells(schoolId: string, fromDate: string, toDate: string): Promise<{ cells: SlaReportCell[]; lateValues: SlaLateValue[] }> {
    return guard(() => {
      const cells = this.q.get<{ obligation: string; class_label: string | null; month: string; state: SlaState; n: number; ls: number; lg: number }>(
        `SELECT obligation, class_label, substr(period_date, 1, 7) AS month, state, COUNT(*) AS n,
           SUM(source_late_ms > 0) AS ls, SUM(gateway_late_ms > 0) AS lg
         FROM sla_obligations WHERE school_id = ? AND period_date >= ? AND period_date <= ?
         GROUP BY obligation, class_label, month, state`,
      ).all(schoolId, fromDate, toDate).map((r) => ({
        obligation: r.obligation, ...opt('classLabel', r.class_label), month: r.month, state: r.state, count: r.n, lateSource: r.ls, lateGateway: r.lg,
      }));
      const lateValues = this.q.get<{ obligation: string; class_label: string | null; month: string; late_ms: number }>(
        `SELECT obligation, class_label, substr(period_date, 1, 7) AS month, late_ms FROM sla_obligations
         WHERE school_id = ? AND period_date >= ? AND period_date <= ? AND state = 'late'`,
      ).all(schoolId, fromDate, toDate).map((r) => ({ obligation: r.obligation, ...opt('classLabel', r.class_label), month: r.month, lateMs: r.late_ms }));
      return { cells, lateValues };
    });
  }

  stateCounts(schoolId: string): Promise<Record<SlaState, number>> {
    return guard(() => {
      const counts = Object.fromEntries(SLA_STATES.map((s) => [s, 0])) as Record<SlaState, number>;
      for (const r of this.q.get<{ state: SlaState; n: number }>('SELECT state, COUNT(*) AS n FROM sla_obligations WHERE school_id = ? GROUP BY state').all(schoolId)) {
        counts[r.state] = r.n;
      }
      return counts;
    });
  }

  schoolHash(schoolId: string): Promise<string | undefined> {
    return guard(() => this.q.get<{ config_hash: string }>('SELECT config_hash FROM sla_schools WHERE school_id = ?').get(schoolId)?.config_hash);
  }

  clearSchool(schoolId: string): Promise<void> {
    return guard(() => this.db.transaction(() => {
      this.q.get('DELETE FROM sla_schools WHERE school_id = ?').run(schoolId);
      this.q.get('DELETE FROM sla_obligations WHERE school_id = ?').run(schoolId);
    }).immediate());
  }

  setSchoolHash(schoolId: string, hash: string, now: string): Promise<void> {
    return guard(() => {
      this.q.get(`INSERT INTO sla_schools (school_id, config_hash, built_at) VALUES (?, ?, ?)
        ON CONFLICT (school_id) DO UPDATE SET config_hash = excluded.config_hash, built_at = excluded.built_at`).run(schoolId, hash, now);
    });
  }

  // --- alerts ----------------------------------------------------------------------------

  openCounts(): Promise<SlaOpenCounts[]> {
    return guard(() => this.q.get<{ school_id: string; obligation: string; at_risk: number; breached: number; earliest: string | null }>(
      `SELECT school_id, obligation, SUM(state = 'at_risk') AS at_risk, SUM(state = 'breached') AS breached, MIN(due_at) AS earliest
       FROM sla_obligations WHERE state IN ('at_risk', 'breached') GROUP BY school_id, obligation`,
    ).all().map((r) => ({ schoolId: r.school_id, obligation: r.obligation, atRisk: r.at_risk, breached: r.breached, ...opt('earliestDueAt', r.earliest) })));
  }

  alertStates(schoolId?: string): Promise<SlaAlertState[]> {
    return guard(() => {
      const sql = `SELECT * FROM sla_alert_state ${schoolId === undefined ? '' : 'WHERE school_id = ?'} ORDER BY school_id, obligation`;
      const rows = this.q.get<{ school_id: string; obligation: string; alerted_level: SlaAlertLevel; alerted_at: string | null; observed_level: SlaAlertLevel; observed_since: string }>(sql)
        .all(...(schoolId === undefined ? [] : [schoolId]));
      return rows.map((r) => ({
        schoolId: r.school_id, obligation: r.obligation, alertedLevel: r.alerted_level, ...opt('alertedAt', r.alerted_at),
        observedLevel: r.observed_level, observedSince: r.observed_since,
      }));
    });
  }

  saveAlertStates(states: readonly SlaAlertState[], alerts: readonly SlaAlertInput[]): Promise<number[]> {
    return guard(() => this.alertTx(states, alerts));
  }

  dueAlerts(now: string, limit: number): Promise<SlaAlertRow[]> {
    return guard(() => this.q.get<AlertDbRow>('SELECT * FROM sla_alerts WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?')
      .all(now, limit).map(fromAlertRow));
  }

  updateAlert(id: number, u: SlaAlertUpdate): Promise<void> {
    return guard(() => {
      this.q.get(`UPDATE sla_alerts SET webhook_state = ?, email_state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = COALESCE(?, sent_at)
        WHERE id = ?`).run(u.webhookState, u.emailState, u.attempts, orNull(u.nextAttemptAt), orNull(u.lastError), orNull(u.sentAt), id);
    });
  }

  listAlerts(filter: { schoolId?: string; limit?: number }): Promise<SlaAlertRow[]> {
    return guard(() => {
      const sql = `SELECT * FROM sla_alerts ${filter.schoolId === undefined ? '' : 'WHERE school_id = ?'} ORDER BY id DESC LIMIT ?`;
      return this.q.get<AlertDbRow>(sql).all(...(filter.schoolId === undefined ? [] : [filter.schoolId]), filter.limit ?? 100).map(fromAlertRow);
    });
  }

  // --- access-code requests --------------------------------------------------------------

  insertAccessRequest(i: AccessCodeRequestInput): Promise<AccessCodeRequestRow> {
    return guard(() => this.db.transaction(() => {
      const open = this.q.get<{ id: number }>('SELECT id FROM sla_access_requests WHERE school_id = ? AND family_ref = ? AND issued_at IS NULL').get(i.schoolId, i.familyRef);
      if (open !== undefined) {
        throw new GatewayError('GW_ACCESS_CODE_CONFLICT', `School ${i.schoolId} already has open access-code request ${open.id} for this family reference.`, {
          issues: [{ path: '/body/familyRef', message: `an open request (${open.id}) exists; issue it before registering another` }],
        });
      }
      const id = Number(this.q.get(`INSERT INTO sla_access_requests (school_id, family_ref, received_at, registered_at, due_at, due_date, registered_by,
        created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(i.schoolId, i.familyRef, i.receivedAt, i.registeredAt, i.dueAt, i.dueDate,
        i.registeredBy, i.now, i.now).lastInsertRowid);
      return this.accessRow(id) as AccessCodeRequestRow;
    }).immediate());
  }

  issueAccessRequest(id: number, issuedAt: string, issuedBy: string, now: string): Promise<AccessCodeRequestRow> {
    return guard(() => this.db.transaction(() => {
      const row = this.accessRow(id);
      if (row === undefined) throw new GatewayError('GW_API_NOT_FOUND', `Access-code request ${id} does not exist.`);
      if (row.issuedAt !== undefined) {
        throw new GatewayError('GW_ACCESS_CODE_CONFLICT', `Access-code request ${id} was already issued.`, { issues: [{ path: '/params/id', message: `already issued at ${row.issuedAt}` }] });
      }
      this.q.get('UPDATE sla_access_requests SET issued_at = ?, issued_by = ?, updated_at = ? WHERE id = ?').run(issuedAt, issuedBy, now, id);
      return this.accessRow(id) as AccessCodeRequestRow;
    }).immediate());
  }

  getAccessRequest(id: number): Promise<AccessCodeRequestRow | undefined> {
    return guard(() => this.accessRow(id));
  }

  listAccessRequests(filter: { schoolId?: string; open?: boolean; limit?: number }): Promise<AccessCodeRequestRow[]> {
    return guard(() => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (filter.schoolId !== undefined) { where.push('school_id = ?'); args.push(filter.schoolId); }
      if (filter.open === true) where.push('issued_at IS NULL');
      if (filter.open === false) where.push('issued_at IS NOT NULL');
      const sql = `SELECT * FROM sla_access_requests ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at, id LIMIT ?`;
      return this.q.get<AccessDbRow>(sql).all(...args, filter.limit ?? -1).map(fromAccessRow);
    });
  }

  private accessRow(id: number): AccessCodeRequestRow | undefined {
    const r = this.q.get<AccessDbRow>('SELECT * FROM sla_access_requests WHERE id = ?').get(id);
    return r === undefined ? undefined : fromAccessRow(r);
  }
}

/** Keeps the earliest instant per key, as a UTC ISO string (inputs may carry an offset). */
function keepEarliest(out: Map<string, string>, key: string, at: string): void {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return;
  const known = out.get(key);
  if (known === undefined || t < Date.parse(known)) out.set(key, new Date(t).toISOString());
}

function toDbRow(r: SlaObligationRow): unknown[] {
  return [r.recordId, r.obligation, r.schoolId, r.entityType, orNull(r.recordRevision), orNull(r.recordRef), orNull(r.classGroupId), orNull(r.classLabel),
    orNull(r.subjectId), orNull(r.subjectLabel), orNull(r.eventDate), orNull(r.clockStart), orNull(r.dueAt), orNull(r.dueDate), r.periodDate,
    orNull(r.metAt), orNull(r.sourceStatus), Math.round(r.sourceLateMs), orNull(r.sourceBasis), r.sourceApproximate ? 1 : 0, orNull(r.gatewayStatus),
    Math.round(r.gatewayLateMs), orNull(r.gatewayDueAt), Math.round(r.lateMs), r.state, orNull(r.detail), orNull(r.nextCheckAt), r.evaluatedAt];
}

function fromDbRow(r: ObligationDbRow): SlaObligationRow {
  return {
    recordId: r.record_id, obligation: r.obligation, schoolId: r.school_id, entityType: r.entity_type,
    ...opt('recordRevision', r.record_revision), ...opt('recordRef', r.record_ref), ...opt('classGroupId', r.class_group_id),
    ...opt('classLabel', r.class_label), ...opt('subjectId', r.subject_id), ...opt('subjectLabel', r.subject_label),
    ...opt('eventDate', r.event_date), ...opt('clockStart', r.clock_start), ...opt('dueAt', r.due_at), ...opt('dueDate', r.due_date),
    periodDate: r.period_date, ...opt('metAt', r.met_at), ...opt('sourceStatus', r.source_status as SlaObligationRow['sourceStatus'] | null),
    sourceLateMs: r.source_late_ms, ...opt('sourceBasis', r.source_basis), sourceApproximate: r.source_approximate === 1,
    ...opt('gatewayStatus', r.gateway_status as SlaObligationRow['gatewayStatus'] | null), gatewayLateMs: r.gateway_late_ms,
    ...opt('gatewayDueAt', r.gateway_due_at), lateMs: r.late_ms, state: r.state, ...opt('detail', r.detail),
    ...opt('nextCheckAt', r.next_check_at), evaluatedAt: r.evaluated_at,
  };
}

function fromAlertRow(r: AlertDbRow): SlaAlertRow {
  return {
    id: r.id, schoolId: r.school_id, obligation: r.obligation, level: r.level, previousLevel: r.previous_level, createdAt: r.created_at,
    payload: JSON.parse(r.payload) as Record<string, unknown>, webhookState: r.webhook_state, emailState: r.email_state, attempts: r.attempts,
    ...opt('nextAttemptAt', r.next_attempt_at), ...opt('lastError', r.last_error), ...opt('sentAt', r.sent_at),
  };
}

function fromAccessRow(r: AccessDbRow): AccessCodeRequestRow {
  return {
    id: r.id, schoolId: r.school_id, familyRef: r.family_ref, receivedAt: r.received_at, registeredAt: r.registered_at, dueAt: r.due_at,
    dueDate: r.due_date, registeredBy: r.registered_by, ...opt('issuedAt', r.issued_at), ...opt('issuedBy', r.issued_by),
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}
