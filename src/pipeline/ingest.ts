import type { RunContext, SourceAdapter } from '../core/adapter';
import type { Cursor } from '../core/cursor';
import { GatewayError, toGatewayError, type Issue, type SerializedError } from '../core/errors';
import type { IngestResult, Ledger, PreparedRecord, QuarantineInput, RunCounts, RunStatus, SinkRoute } from '../core/ledger';
import type { Logger } from '../core/logger';
import { canonicalId } from '../core/ids';
import { normalizeRecord, type Normalized, type NormalizeContext } from './normalize';

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
}

export interface SourceRunResult {
  status: RunStatus;
  counts: RunCounts;
  streams: Record<string, 'ok' | SerializedError>;
  error?: SerializedError;
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
  const okStreams = Object.values(streams).filter((s) => s === 'ok').length;
  const status: RunStatus = !firstError ? 'ok' : fatal || okStreams === 0 ? 'failed' : 'partial';
  const error = fatal ?? firstError;
  return { status, counts, streams, ...(error ? { error: error.toJSON() } : {}) };
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
          message: `${n.record.entityType} ${n.record.sourceId} of school ${req.schoolId} does not match the canonical schema: ${summarize(issues)}`,
          issues, raw: n.record,
        });
        continue;
      }
      changed.push(n.prepared);
    }
    writing = deps.ledger.ingest({
      runId: req.runId, schoolId: req.schoolId, sourceInstance: req.sourceInstance, stream,
      records: changed, unchangedSourceIds: unchangedIds, quarantine: q, ...(checkpoint ? { checkpoint } : {}), routes: req.routes,
      now: deps.now().toISOString(),
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

  try {
    await readInto();
    await flush();
  } finally {
    // Whatever happened while reading, the batches already handed over are committed (or
    // their failure is what this read reports).
    await writing;
  }

  async function readInto(): Promise<void> {
    for await (const msg of req.adapter.read(req.ctx, stream, from)) {
      if (msg.kind === 'record') {
        counts.read++;
        pending.push(normalizeRecord(msg.record, nctx));
        if (pending.length >= batchSize) await flush();
      } else if (msg.kind === 'invalid') {
        counts.read++;
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

function summarize(issues: Issue[]): string {
  const first = issues.slice(0, 3).map((i) => `${i.path} ${i.message}`).join('; ');
  return issues.length > 3 ? `${first}; and ${issues.length - 3} more` : first;
}
