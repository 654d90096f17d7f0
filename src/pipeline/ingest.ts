import type { RunContext, SourceAdapter } from '../core/adapter';
import type { Cursor } from '../core/cursor';
import { GatewayError, toGatewayError, type Issue, type SerializedError } from '../core/errors';
import type { HoldPolicy, HoldView, IngestResult, Ledger, PreparedRecord, QuarantineInput, RunCounts, RunStatus, SinkRoute } from '../core/ledger';
import type { Logger } from '../core/logger';
import { canonicalId } from '../core/ids';
import type { EntityType } from '../core/records';
import { normalizeRecord, tombstoneOf, type Normalized, type NormalizeContext } from './normalize';

/** What the pipeline needs of the canonical validator (src/infra/schemas.ts provides it). */
export interface RecordValidator {
  validate(record: unknown): Issue[];
}

/** Observer hooks for metrics; all optional. */
export interface IngestObserver {
  counted?(schoolId: string, source: string, result: 'inserted' | 'updated' | 'unchanged' | 'quarantined', n: number): void;
}

export interface SourceRunRequest<C> {
  runId: string;
  schoolId: string;
  sourceInstance: string;
  adapter: SourceAdapter<C>;
  ctx: RunContext<C>;
  streams: readonly string[];
  routes: readonly SinkRoute[];
  idNamespace: string;
  /** Ignore stored cursors and read from the adapter's start (with ctx.since as the lower bound). */
  ignoreCursor?: boolean;
  /** Records per ledger transaction (a checkpoint always flushes). */
  batchSize?: number;
  /** The school's safety-hold policy; absent = changes are applied at once. */
  hold?: HoldPolicy;
}

export interface SourceRunResult {
  status: RunStatus;
  counts: RunCounts;
  streams: Record<string, 'ok' | SerializedError>;
  error?: SerializedError;
  /** Safety holds this run created or joined: its changes of these kinds wait for an operator. */
  holds?: HoldView[];
}

export interface IngestDeps {
  ledger: Ledger;
  validator: RecordValidator;
  log: Logger;
  now(): Date;
  observer?: IngestObserver;
}

const DEFAULT_BATCH = 1000;

/**
 * Reads every requested stream of one source instance and takes the records in:
 * read → normalize → dedup (content hash) → validate → ledger + outbox (one transaction per batch,
 * the cursor committed with the records it covers).
 *
 * Dedup runs before validation: an unchanged record was valid when it was stored, so only
 * changed records pay for validation; the outcome is the same as validate-then-dedup.
 *
 * A failing stream does not stop the others, except a permanent error (bad credentials),
 * which would fail every stream the same way.
 */
export async function runSource<C>(deps: IngestDeps, req: SourceRunRequest<C>): Promise<SourceRunResult> {
  const counts: RunCounts = { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 };
  const streams: Record<string, 'ok' | SerializedError> = {};
  const batchSize = req.batchSize ?? DEFAULT_BATCH;
  let firstError: GatewayError | undefined;
  // A permanent or internal error stops the run and fails it even if earlier streams were read:
  // the runner decides health from the run's status and error class.
  let fatal: GatewayError | undefined;

  for (const stream of req.streams) {
    if (req.ctx.signal.aborted) break;
    const log = deps.log.child({ stream });
    try {
      await readStream(deps, req, stream, batchSize, counts, log);
      streams[stream] = 'ok';
    } catch (e) {
      const err = toGatewayError(e);
      streams[stream] = err.toJSON();
      firstError ??= err;
      log.error('stream failed', { err, code: err.code, class: err.errorClass });
      if (err.errorClass === 'permanent' || err.errorClass === 'internal') { fatal = err; break; }
    }
  }
  // Staged changes are committed with their cursors, so they are settled whatever happened.
  const holds = req.hold?.enabled === true ? await settle(deps, req, counts) : [];
  const okStreams = Object.values(streams).filter((s) => s === 'ok').length;
  const status: RunStatus = !firstError ? 'ok' : fatal || okStreams === 0 ? 'failed' : 'partial';
  const error = fatal ?? firstError;
  return { status, counts, streams, ...(error ? { error: error.toJSON() } : {}), ...(holds.length > 0 ? { holds } : {}) };
}

async function settle<C>(deps: IngestDeps, req: SourceRunRequest<C>, counts: RunCounts): Promise<HoldView[]> {
  const policy = req.hold as HoldPolicy;
  const res = await deps.ledger.settleRun(req.runId, policy, deps.now().toISOString());
  counts.updated += res.applied.updated;
  counts.enqueued += res.applied.enqueued;
  for (const h of res.holds) {
    counts.held = (counts.held ?? 0) + h.deletes + h.changes;
    deps.log.warn('sync held for operator approval', {
      event: 'sync_held', holdId: h.id, schoolId: h.schoolId, source: h.sourceInstance, entityType: h.entityType,
      deletes: h.deletes, changes: h.changes, baseline: h.baseline, reason: h.reason,
      remedy: `diary-gateway holds approve ${h.id}  (or: holds reject ${h.id})`,
    });
  }
  return res.holds;
}

async function readStream<C>(
  deps: IngestDeps, req: SourceRunRequest<C>, stream: string, batchSize: number, counts: RunCounts, log: Logger,
): Promise<void> {
  const from = req.ignoreCursor ? null : await deps.ledger.getCursor(req.schoolId, req.sourceInstance, stream);
  const nctx: NormalizeContext = {
    idNamespace: req.idNamespace,
    schoolId: req.schoolId,
    sourceSystem: req.adapter.spec.system,
    adapter: req.adapter.spec.id,
    adapterVersion: req.adapter.spec.version,
    fetchedAt: deps.now().toISOString(),
  };
  let pending: Normalized[] = [];
  let quarantine: QuarantineInput[] = [];
  // The batch being written. Batches are written one after another (a failed batch stops
  // the chain, so no later cursor can be committed past it), but the next batch is read
  // and normalised while this one is written (the ledger may write on another thread).
  let writing: Promise<void> = Promise.resolve();

  const flush = async (checkpoint?: Cursor): Promise<void> => {
    if (pending.length === 0 && quarantine.length === 0 && !checkpoint) return;
    const batch = pending;
    const q = quarantine;
    pending = [];
    quarantine = [];
    await writing;
    const stored = await deps.ledger.currentHashes(batch.map((n) => n.prepared.id));
    const changed: PreparedRecord[] = [];
    const unchangedIds: string[] = [];
    for (const n of batch) {
      if (stored.get(n.prepared.id) === n.prepared.contentHash) { unchangedIds.push(n.prepared.sourceId); continue; }
      const issues = deps.validator.validate(n.record);
      if (issues.length > 0) {
        q.push({
          stream, sourceId: n.record.sourceId, entityType: n.record.entityType, errorCode: 'GW_RECORD_INVALID',
          message: `${n.record.entityType} ${n.record.sourceId} of school ${req.schoolId} does not match the canonical schema: ${summarizeIssues(issues)}`,
          issues, raw: n.record,
        });
        continue;
      }
      changed.push(n.prepared);
    }
    writing = deps.ledger.ingest({
      runId: req.runId, schoolId: req.schoolId, sourceInstance: req.sourceInstance, stream,
      records: changed, unchangedSourceIds: unchangedIds, quarantine: q, ...(checkpoint ? { checkpoint } : {}), routes: req.routes,
      now: deps.now().toISOString(), ...(req.hold ? { hold: req.hold } : {}),
    }).then((res) => tally(res, unchangedIds.length, q));
    // Observed at the next flush or at the end; this only keeps it from counting as unhandled.
    writing.catch(() => undefined);
  };

  const tally = (res: IngestResult, unchanged: number, q: QuarantineInput[]): void => {
    counts.inserted += res.inserted;
    counts.updated += res.updated;
    counts.unchanged += unchanged + res.unchanged;
    counts.quarantined += res.quarantined;
    counts.enqueued += res.enqueued;
    if (res.staged) counts.staged = (counts.staged ?? 0) + res.staged;
    const o = deps.observer;
    if (o?.counted) {
      o.counted(req.schoolId, req.sourceInstance, 'inserted', res.inserted);
      o.counted(req.schoolId, req.sourceInstance, 'updated', res.updated);
      o.counted(req.schoolId, req.sourceInstance, 'unchanged', unchanged + res.unchanged);
      o.counted(req.schoolId, req.sourceInstance, 'quarantined', res.quarantined);
    }
    if (res.quarantined > 0) {
      for (const entry of q) {
        // The journal's own id can identify a child; logs carry the canonical id instead
        // (`quarantine list` shows the source id to an operator).
        const recordId = entry.entityType ? canonicalId(req.idNamespace, req.adapter.spec.system, req.schoolId, entry.entityType, entry.sourceId) : undefined;
        log.warn('record quarantined', { code: entry.errorCode, entityType: entry.entityType, recordId, paths: entry.issues.map((i) => i.path) });
      }
    }
  };

  // Canonical ids a complete read returned, per entity whose missing records it deletes.
  const snapshot = snapshotOf(req, stream);
  try {
    await readInto();
    await flush();
  } finally {
    // Whatever happened while reading, the batches already handed over are committed (or
    // their failure is what this read reports).
    await writing;
  }
  if (snapshot !== undefined && snapshot.complete && !req.ctx.signal.aborted) {
    await deleteMissing(deps, req, stream, snapshot.seen, counts, log);
  }

  async function readInto(): Promise<void> {
    for await (const msg of req.adapter.read(req.ctx, stream, from)) {
      if (msg.kind === 'record') {
        counts.read++;
        const n = normalizeRecord(msg.record, nctx);
        snapshot?.seen.get(msg.record.entityType)?.add(n.prepared.id);
        pending.push(n);
        if (pending.length >= batchSize) await flush();
      } else if (msg.kind === 'invalid') {
        counts.read++;
        if (snapshot !== undefined) {
          // A record that could not be read this time is not missing; one of unknown kind could be anything.
          if (msg.entityType === undefined) snapshot.complete = false;
          else snapshot.seen.get(msg.entityType)?.add(canonicalId(req.idNamespace, req.adapter.spec.system, req.schoolId, msg.entityType, msg.sourceId));
        }
        quarantine.push({
          stream, sourceId: msg.sourceId, ...(msg.entityType ? { entityType: msg.entityType } : {}),
          errorCode: msg.error.code === 'GW_RECORD_INVALID' ? 'GW_RECORD_INVALID' : 'GW_RECORD_UNMAPPABLE',
          message: `school ${req.schoolId}, ${msg.entityType ?? 'record'} ${msg.sourceId}: ${msg.error.message}`,
          issues: msg.error.issues, raw: msg.raw ?? null,
        });
      } else {
        await flush(msg.cursor);
      }
    }
  }
}

interface Snapshot {
  seen: Map<EntityType, Set<string>>;
  complete: boolean;
}

/** Tracking for a stream that deletes missing records; undefined when it does not or the read is partial (`--since`). */
function snapshotOf<C>(req: SourceRunRequest<C>, stream: string): Snapshot | undefined {
  const spec = req.adapter.streams.find((s) => s.name === stream);
  if (!spec?.deletesMissing?.length || req.ctx.since !== undefined) return undefined;
  return { seen: new Map(spec.deletesMissing.map((e) => [e, new Set<string>()])), complete: true };
}

/**
 * Marks deleted the records of a snapshot stream's entities that this source instance wrote
 * and a complete read did not return. The tombstones go through the same ingest (and so the
 * same safety hold) as any other change.
 */
async function deleteMissing<C>(
  deps: IngestDeps, req: SourceRunRequest<C>, stream: string, seen: Map<EntityType, Set<string>>, counts: RunCounts, log: Logger,
): Promise<void> {
  const now = deps.now().toISOString();
  for (const [entityType, ids] of seen) {
    const missing = (await deps.ledger.activeRecordIds(req.schoolId, req.sourceInstance, entityType)).filter((id) => !ids.has(id));
    for (let i = 0; i < missing.length; i += 500) {
      const tombstones: PreparedRecord[] = [];
      for (const id of missing.slice(i, i + 500)) {
        const stored = await deps.ledger.getRecord(id);
        if (stored !== undefined && stored.status === 'active') tombstones.push(tombstoneOf(stored.record, now));
      }
      const res = await deps.ledger.ingest({
        runId: req.runId, schoolId: req.schoolId, sourceInstance: req.sourceInstance, stream, records: tombstones, quarantine: [],
        routes: req.routes, now, ...(req.hold ? { hold: req.hold } : {}),
      });
      counts.updated += res.updated;
      counts.enqueued += res.enqueued;
      if (res.staged) counts.staged = (counts.staged ?? 0) + res.staged;
    }
    if (missing.length > 0) log.info('records missing from a full read marked deleted', { entityType, count: missing.length });
  }
}

/** The first few issues of a record as one line (for quarantine messages). */
export function summarizeIssues(issues: readonly Issue[]): string {
  const first = issues.slice(0, 3).map((i) => `${i.path} ${i.message}`).join('; ');
  return issues.length > 3 ? `${first}; and ${issues.length - 3} more` : first;
}
