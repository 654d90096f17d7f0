/**
 * Row shapes as SQLite returns them (snake_case, NULL for absent) and their mapping to the
 * contract types. JSON columns are parsed here, on read, never on the ingest path.
 */
import type { Cursor } from '../../core/cursor';
import type { DeliveryState } from '../../core/delivery-states';
import type { Issue, SerializedError } from '../../core/errors';
import type { CursorRow, DeliveryAttempt, DeliveryView, QuarantineEntry, RecordVersion, RunSummary, StoredRecord } from '../../core/ledger';
import type { EntityType, RecordStatus } from '../../core/records';

export interface RecordRow {
  id: string;
  entity_type: EntityType;
  school_id: string;
  source_system: string;
  source_instance: string;
  source_id: string;
  status: RecordStatus;
  revision: number;
  content_hash: string;
  date_last_modified: string;
  source_modified_at: string | null;
  source_created_at: string | null;
  first_seen_at: string;
  body: string;
}

export interface VersionRow {
  record_id: string;
  revision: number;
  content_hash: string;
  status: RecordStatus;
  run_id: string;
  ingested_at: string;
  body: string;
}

export interface DeliveryRow {
  id: number;
  sink_id: string;
  record_id: string;
  entity_type: EntityType;
  school_id: string;
  revision: number;
  content_hash: string;
  idempotency_key: string;
  state: DeliveryState;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string | null;
  lease_until: string | null;
  lease_owner: string | null;
  last_error: string | null;
  remote_ref: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface AttemptRow {
  delivery_id: number;
  attempt: number;
  from_state: DeliveryState;
  to_state: DeliveryState;
  at: string;
  duration_ms: number | null;
  error_code: string | null;
  error_class: string | null;
  message: string | null;
  actor: string;
}

export interface QuarantineRow {
  id: number;
  school_id: string;
  source_instance: string;
  stream: string;
  source_id: string;
  entity_type: EntityType | null;
  error_code: string;
  message: string;
  issues: string;
  raw: string | null;
  run_id: string;
  first_seen_at: string;
  last_seen_at: string;
  seen_count: number;
  resolved_at: string | null;
}

export interface RunRow {
  run_id: string;
  school_id: string;
  source_instance: string;
  trigger: RunSummary['trigger'];
  started_at: string;
  finished_at: string | null;
  status: RunSummary['status'];
  counts: string;
  streams: string | null;
  error: string | null;
}

export interface CursorDbRow {
  school_id: string;
  source_instance: string;
  stream: string;
  cursor: string;
  updated_at: string;
}

/** Adds `key: value` only when the column is not NULL, so absent optionals stay absent. */
function opt<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The stored body with the ledger-stamped revision. The parsed object is fresh, so the revision
 * is set on it rather than copied into another (same keys in the same order as a spread).
 */
export function bodyWithRevision(body: string, revision: number): Record<string, unknown> {
  const rec = JSON.parse(body) as Record<string, unknown>;
  rec.revision = revision;
  return rec;
}

export function toStoredRecord(r: RecordRow): StoredRecord {
  return {
    id: r.id,
    entityType: r.entity_type,
    schoolId: r.school_id,
    sourceSystem: r.source_system,
    sourceInstance: r.source_instance,
    sourceId: r.source_id,
    status: r.status,
    revision: r.revision,
    contentHash: r.content_hash,
    dateLastModified: r.date_last_modified,
    ...opt('sourceModifiedAt', r.source_modified_at),
    ...opt('sourceCreatedAt', r.source_created_at),
    firstSeenAt: r.first_seen_at,
    record: bodyWithRevision(r.body, r.revision),
  };
}

export function toRecordVersion(v: VersionRow): RecordVersion {
  return {
    recordId: v.record_id,
    revision: v.revision,
    contentHash: v.content_hash,
    status: v.status,
    runId: v.run_id,
    ingestedAt: v.ingested_at,
    record: bodyWithRevision(v.body, v.revision),
  };
}

export function toDeliveryView(d: DeliveryRow): DeliveryView {
  return {
    id: d.id,
    sinkId: d.sink_id,
    recordId: d.record_id,
    entityType: d.entity_type,
    schoolId: d.school_id,
    revision: d.revision,
    idempotencyKey: d.idempotency_key,
    state: d.state,
    attempts: d.attempts,
    maxAttempts: d.max_attempts,
    ...opt('nextAttemptAt', d.next_attempt_at),
    ...opt('lastError', d.last_error === null ? null : (JSON.parse(d.last_error) as SerializedError)),
    ...opt('remoteRef', d.remote_ref),
    createdAt: d.created_at,
    updatedAt: d.updated_at,
    ...opt('deliveredAt', d.delivered_at),
  };
}

export function toDeliveryAttempt(a: AttemptRow): DeliveryAttempt {
  return {
    deliveryId: a.delivery_id,
    attempt: a.attempt,
    fromState: a.from_state,
    toState: a.to_state,
    at: a.at,
    ...opt('durationMs', a.duration_ms),
    ...opt('errorCode', a.error_code),
    ...opt('errorClass', a.error_class),
    ...opt('message', a.message),
    actor: a.actor,
  };
}

export function toQuarantineEntry(q: QuarantineRow): QuarantineEntry {
  return {
    id: q.id,
    schoolId: q.school_id,
    sourceInstance: q.source_instance,
    stream: q.stream,
    sourceId: q.source_id,
    ...opt('entityType', q.entity_type),
    errorCode: q.error_code,
    message: q.message,
    issues: JSON.parse(q.issues) as Issue[],
    raw: q.raw === null ? undefined : (JSON.parse(q.raw) as unknown),
    runId: q.run_id,
    firstSeenAt: q.first_seen_at,
    lastSeenAt: q.last_seen_at,
    seenCount: q.seen_count,
    ...opt('resolvedAt', q.resolved_at),
  };
}

export function toRunSummary(r: RunRow): RunSummary {
  return {
    runId: r.run_id,
    schoolId: r.school_id,
    sourceInstance: r.source_instance,
    trigger: r.trigger,
    startedAt: r.started_at,
    ...opt('finishedAt', r.finished_at),
    status: r.status,
    counts: JSON.parse(r.counts) as RunSummary['counts'],
    ...opt('streams', r.streams === null ? null : (JSON.parse(r.streams) as NonNullable<RunSummary['streams']>)),
    ...opt('error', r.error === null ? null : (JSON.parse(r.error) as SerializedError)),
  };
}

export function toCursorRow(c: CursorDbRow): CursorRow {
  return {
    schoolId: c.school_id,
    sourceInstance: c.source_instance,
    stream: c.stream,
    cursor: JSON.parse(c.cursor) as Cursor,
    updatedAt: c.updated_at,
  };
}

/** SQL fragment and parameters of a dynamic filter; `where` is empty or starts with WHERE. */
export interface Where {
  where: string;
  params: unknown[];
}

/** Joins `column op ?` conditions whose value is defined, plus `fixed` conditions without parameters. */
export function buildWhere(conditions: ReadonlyArray<readonly [string, unknown]>, fixed: readonly string[] = []): Where {
  const parts: string[] = [...fixed];
  const params: unknown[] = [];
  for (const [sql, value] of conditions) {
    if (value === undefined) continue;
    parts.push(sql);
    params.push(value);
  }
  return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}

/** `LIMIT ? OFFSET ?` with SQLite's "-1 = no limit". */
export function limitOffset(limit: number | undefined, offset: number | undefined): { sql: string; params: number[] } {
  return { sql: 'LIMIT ? OFFSET ?', params: [limit ?? -1, offset ?? 0] };
}
