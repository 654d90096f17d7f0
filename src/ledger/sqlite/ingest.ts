import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors';
import type { IngestBatch, IngestResult, PreparedRecord, SinkRoute } from '../../core/ledger';
import type { EntityType } from '../../core/records';
import type { Db } from './connection';
import { deliveryCounter, type LedgerCounters } from './counters';
import { GATEWAY_ACTOR, type DeliveryStore } from './deliveries';

export interface Route {
  sinkId: string;
  maxAttempts: number;
  /** undefined = takes every entity type. */
  accepts: ReadonlySet<EntityType> | undefined;
}

/**
 * The intake hot path. Per changed record: one version insert, one record write and one
 * delivery insert per route; per batch: one hash lookup, one open-quarantine probe and one
 * cursor write. Unchanged records cost nothing but their share of the hash lookup, and bodies
 * are stored as given, never parsed.
 */
export class IngestWriter {
  private readonly hashesOf: Database.Statement<[string], { id: string; content_hash: string; seq: number; status: string }>;
  private readonly stageRun: Database.Statement<unknown[]>;
  private readonly stageChange: Database.Statement<unknown[]>;
  private readonly maxSeq: Database.Statement<[], { m: number }>;
  private readonly insertVersion: Database.Statement<unknown[]>;
  private readonly insertRecord: Database.Statement<unknown[]>;
  private readonly updateRecord: Database.Statement<unknown[]>;
  private readonly insertDelivery: Database.Statement<unknown[]>;
  private readonly hasOpenQuarantine: Database.Statement<[string, string], { one: number }>;
  private readonly resolveQuarantine: Database.Statement<unknown[]>;
  private readonly upsertQuarantine: Database.Statement<unknown[]>;
  private readonly upsertCursor: Database.Statement<unknown[]>;
  private readonly tx: (batch: IngestBatch) => IngestResult;

  constructor(db: Db, private readonly counters: LedgerCounters, private readonly deliveries: DeliveryStore) {
    this.hashesOf = db.prepare('SELECT id, content_hash, seq, status FROM records WHERE id IN (SELECT value FROM json_each(?))');
    this.stageRun = db.prepare(`INSERT INTO staged_runs (run_id, school_id, source_instance, routes) VALUES (?, ?, ?, ?)
      ON CONFLICT (run_id) DO NOTHING`);
    // A record changed twice in one run keeps its first base (the stored hash) and its last content.
    this.stageChange = db.prepare(`INSERT INTO staged_changes (run_id, school_id, source_instance, entity_type, record_id, kind, base_hash, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, record_id) WHERE hold_id IS NULL DO UPDATE SET kind = excluded.kind, record = excluded.record`);
    this.maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS m FROM records');
    this.insertVersion = db.prepare(`INSERT INTO record_versions (record_seq, record_id, content_hash, status, run_id, ingested_at, body)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.insertRecord = db.prepare(`INSERT INTO records (seq, id, entity_type, school_id, source_system, source_instance, source_id,
      status, revision, content_hash, date_last_modified, source_modified_at, source_created_at, first_seen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.updateRecord = db.prepare(`UPDATE records SET entity_type = ?, school_id = ?, source_system = ?, source_instance = ?,
      source_id = ?, status = ?, revision = ?, content_hash = ?, date_last_modified = ?, source_modified_at = ?,
      source_created_at = ? WHERE seq = ?`);
    this.insertDelivery = db.prepare(`INSERT INTO deliveries (sink_id, record_seq, record_id, entity_type, school_id, revision,
      content_hash, idempotency_key, state, attempts, max_attempts, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`);
    this.hasOpenQuarantine = db.prepare(`SELECT 1 AS one FROM quarantine
      WHERE school_id = ? AND source_instance = ? AND resolved_at IS NULL LIMIT 1`);
    this.resolveQuarantine = db.prepare(`UPDATE quarantine SET resolved_at = ?
      WHERE school_id = ? AND source_instance = ? AND resolved_at IS NULL
        AND source_id IN (SELECT value FROM json_each(?))`);
    this.upsertQuarantine = db.prepare(`INSERT INTO quarantine (school_id, source_instance, stream, source_id, entity_type,
      error_code, message, issues, raw, run_id, first_seen_at, last_seen_at, seen_count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
      ON CONFLICT (school_id, source_instance, source_id, stream) WHERE resolved_at IS NULL DO UPDATE SET
        entity_type = COALESCE(excluded.entity_type, entity_type), error_code = excluded.error_code,
        message = excluded.message, issues = excluded.issues, raw = excluded.raw, run_id = excluded.run_id,
        last_seen_at = excluded.last_seen_at, seen_count = seen_count + 1`);
    // An unmoved cursor is not rewritten, so re-reading unchanged data writes nothing at all.
    this.upsertCursor = db.prepare(`INSERT INTO cursors (school_id, source_instance, stream, cursor, updated_at)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (school_id, source_instance, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
        WHERE cursors.cursor IS NOT excluded.cursor`);
    this.tx = counters.transaction((batch: IngestBatch) => this.apply(batch));
  }

  ingest(batch: IngestBatch): IngestResult {
    return this.tx(batch);
  }

  currentHashes(ids: readonly string[]): Map<string, string> {
    const map = new Map<string, string>();
    for (const [id, known] of this.known(ids)) map.set(id, known.hash);
    return map;
  }

  known(ids: readonly string[]): Map<string, Known> {
    const map = new Map<string, Known>();
    if (ids.length === 0) return map;
    for (const row of this.hashesOf.all(JSON.stringify(ids))) map.set(row.id, { hash: row.content_hash, seq: row.seq, status: row.status });
    return map;
  }

  private apply(b: IngestBatch): IngestResult {
    const routes = toRoutes(b.routes);
    const result: IngestResult = { inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0, superseded: 0 };
    const current = this.known(b.records.map((r) => r.id));
    const staging = b.hold?.enabled === true;
    let runStaged = false;
    const seqs = this.seqAllocator();
    for (const rec of b.records) {
      const previous = current.get(rec.id);
      if (previous?.hash === rec.contentHash) {
        result.unchanged++;
        continue;
      }
      if (staging && previous !== undefined) {
        if (!runStaged) {
          this.stageRun.run(b.runId, b.schoolId, b.sourceInstance, JSON.stringify(b.routes));
          runStaged = true;
        }
        const kind = rec.status === 'tobedeleted' && previous.status !== 'tobedeleted' ? 'delete' : 'change';
        this.stageChange.run(b.runId, b.schoolId, b.sourceInstance, rec.entityType, rec.id, kind, previous.hash, JSON.stringify(rec));
        result.staged = (result.staged ?? 0) + 1;
        continue;
      }
      const seq = this.write(rec, previous, routes, { runId: b.runId, sourceInstance: b.sourceInstance, now: b.now }, result, seqs);
      // A repeated id later in the same batch compares against this version.
      current.set(rec.id, { hash: rec.contentHash, seq, status: rec.status });
    }
    // Resolution first, then this batch's own quarantine entries: an entry quarantined now stays open.
    const unchanged = b.unchangedSourceIds ?? [];
    if ((b.records.length > 0 || unchanged.length > 0) && this.hasOpenQuarantine.get(b.schoolId, b.sourceInstance) !== undefined) {
      this.resolveQuarantine.run(b.now, b.schoolId, b.sourceInstance, JSON.stringify([...b.records.map((r) => r.sourceId), ...unchanged]));
    }
    for (const q of b.quarantine) {
      this.upsertQuarantine.run(b.schoolId, b.sourceInstance, q.stream, q.sourceId, q.entityType ?? null, q.errorCode, q.message,
        JSON.stringify(q.issues), q.raw === undefined ? null : JSON.stringify(q.raw), b.runId, b.now, b.now);
      result.quarantined++;
    }
    if (b.checkpoint !== undefined) {
      this.upsertCursor.run(b.schoolId, b.sourceInstance, b.stream, JSON.stringify(b.checkpoint), b.now);
    }
    return result;
  }

  /** Hands out seqs for new records; safe because the IMMEDIATE transaction makes this connection the only writer. */
  seqAllocator(): () => number {
    let next: number | undefined;
    return () => {
      next ??= (this.maxSeq.get()?.m ?? 0) + 1;
      return next++;
    };
  }

  /**
   * Writes one changed record: a new version, the record row, and one delivery per route
   * (superseding older queued versions). Callers run it inside a ledger transaction and have
   * checked that the content differs from `previous`. Returns the record's seq.
   */
  write(rec: PreparedRecord, previous: Known | undefined, routes: readonly Route[], at: WriteContext, result: IngestResult, nextSeq: () => number): number {
    const seq = previous !== undefined ? previous.seq : nextSeq();
    const revision = Number(this.insertVersion.run(seq, rec.id, rec.contentHash, rec.status, at.runId, at.now, rec.body).lastInsertRowid);
    if (previous === undefined) {
      this.insertRecord.run(seq, rec.id, ...recordColumns(rec, at.sourceInstance), revision, rec.contentHash, rec.dateLastModified,
        rec.sourceModifiedAt ?? null, rec.sourceCreatedAt ?? null, at.now);
      result.inserted++;
      this.counters.add('records', 1);
    } else {
      this.updateRecord.run(...recordColumns(rec, at.sourceInstance), revision, rec.contentHash, rec.dateLastModified,
        rec.sourceModifiedAt ?? null, rec.sourceCreatedAt ?? null, seq);
      result.updated++;
    }
    for (const route of routes) {
      if (route.accepts !== undefined && !route.accepts.has(rec.entityType)) continue;
      // A record seen for the first time has no deliveries to supersede.
      if (previous !== undefined) {
        result.superseded += this.deliveries.supersedeOlder(route.sinkId, seq, revision, at.now, GATEWAY_ACTOR);
      }
      this.insertDelivery.run(route.sinkId, seq, rec.id, rec.entityType, rec.schoolId, revision, rec.contentHash,
        `${rec.entityType}:${rec.id}:${revision}`, route.maxAttempts, at.now, at.now, at.now);
      result.enqueued++;
      this.counters.add(deliveryCounter('pending'), 1);
    }
    return seq;
  }
}

export interface Known {
  hash: string;
  seq: number;
  status: string;
}

export interface WriteContext {
  runId: string;
  sourceInstance: string;
  now: string;
}

function recordColumns(rec: PreparedRecord, sourceInstance: string): [string, string, string, string, string, string] {
  return [rec.entityType, rec.schoolId, rec.sourceSystem, sourceInstance, rec.sourceId, rec.status];
}

export function toRoutes(routes: readonly SinkRoute[]): Route[] {
  const seen = new Set<string>();
  return routes.map((r) => {
    if (seen.has(r.sinkId)) {
      throw new GatewayError('GW_INTERNAL', `Sink ${r.sinkId} is routed twice in one ingest batch`);
    }
    seen.add(r.sinkId);
    return { sinkId: r.sinkId, maxAttempts: r.maxAttempts, accepts: r.accepts === undefined ? undefined : new Set(r.accepts) };
  });
}
