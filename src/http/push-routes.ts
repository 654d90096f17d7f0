/**
 * Push intake over HTTP: `POST /intake/v1/schools/:schoolId/sources/:instanceId/records`.
 *
 * Not behind the admin bearer auth: each school's journal authenticates with its own secret
 * (adapters/push-source/auth.ts). Mount the router outside `/api`, before the app's 404.
 *
 * Order per request, chosen so nothing reveals which schools and sources exist:
 *  1. the raw body is read with one router-wide cap (`maxBodyBytes`), the same for everyone → 413;
 *  2. auth against the instance (an unknown school/source, or one that is not a push source, is
 *     checked against a decoy key and answered exactly like a wrong signature) → 401;
 *  3. the instance's own limits (maxBytes → 413), the Idempotency-Key, the JSON → 400, maxItems → 413;
 *  4. the pipeline (src/pipeline/push-intake.ts): 200 when every item was taken in,
 *     207 when at least one is `invalid` (JSON body, not WebDAV XML).
 * Logs carry school, source, run id, counts and the outcome; never the body, headers or values.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { ErrorCode } from '../core/error-codes';
import { GatewayError, type Issue } from '../core/errors';
import { makeIdResolver } from '../core/ids';
import type { HoldPolicy, Ledger, SinkRoute } from '../core/ledger';
import { nullLogger, type Logger } from '../core/logger';
import { verifyPushAuth, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../adapters/push-source/auth';
import { PUSH_SPEC, type ResolvedPushConfig } from '../../adapters/push-source/spec';
import { mapPushItem, parsePushBody } from '../../adapters/push-source/wire';
import type { IngestObserver, RecordValidator } from '../pipeline/ingest';
import { createPushIntake, type PushResult } from '../pipeline/push-intake';
import { problemFromError, PROBLEM_CONTENT_TYPE } from './error-handler';

export const PUSH_ROUTE = '/intake/v1/schools/:schoolId/sources/:instanceId/records';
/** Pre-auth cap on a body when the router is not told otherwise: the push-source default maxBytes × 2. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
/**
 * Codes of the push-specific refusals. The catalog has no push codes yet, so these borrow the
 * admin API's (whose remedy text speaks of admin tokens); the proposed GW_PUSH_UNAUTHORIZED (401),
 * GW_PUSH_TOO_LARGE (413) and GW_PUSH_KEY_REUSED (422) replace them here once they exist.
 * `send` answers with the status given, whatever the code's catalog status.
 */
const CODES = {
  unauthorized: 'GW_PUSH_UNAUTHORIZED',
  tooLarge: 'GW_PUSH_TOO_LARGE',
  keyReused: 'GW_PUSH_KEY_REUSED',
} as const satisfies Record<string, ErrorCode>;
const UNAUTHENTICATED = 'The request is not authenticated for this school and source: check the path, the secret and the signature or token.';

/** A push source instance as the router needs it. */
export interface PushTarget {
  schoolId: string;
  instanceId: string;
  /** The instance config with secrets resolved and defaults filled in. Never logged. */
  config: ResolvedPushConfig;
  /** Where the school's records are delivered (as for its pulled sources). */
  routes: readonly SinkRoute[];
  idNamespace: string;
  /** The school's safety-hold policy (absent: changes are applied at once). */
  hold?: HoldPolicy;
}

export interface PushRouterDeps {
  ledger: Ledger;
  validator: RecordValidator;
  /** The push-source instance `instanceId` of school `schoolId`; undefined when there is none. */
  pushTarget(schoolId: string, instanceId: string): PushTarget | undefined;
  now?(): Date;
  log?: Logger;
  /** Called after a push queued deliveries (wakes the delivery workers). */
  onEnqueued?(): void;
  observer?: IngestObserver;
  /** Cap on a body before authentication, the same for every path (default 10 MiB). Set it ≥ the largest instance maxBytes. */
  maxBodyBytes?: number;
  idempotency?: { ttlMs?: number; maxBytes?: number };
}

export function createPushRouter(deps: PushRouterDeps): express.Router {
  const log = deps.log ?? nullLogger;
  const now = deps.now ?? (() => new Date());
  const intake = createPushIntake({
    ledger: deps.ledger, validator: deps.validator, log, now, ...(deps.observer ? { observer: deps.observer } : {}),
  });
  const cache = new IdempotencyCache({ now, ...deps.idempotency });
  const router = express.Router();
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });

  router.post(PUSH_ROUTE, (_req, res, next) => {
    res.locals['routeTemplate'] = PUSH_ROUTE;
    res.set('Cache-Control', 'no-store');
    next();
  }, readBody, async (req: Request<{ schoolId: string; instanceId: string }>, res: Response) => {
    const { schoolId, instanceId } = req.params;
    const rlog = log.child({ schoolId: clip(schoolId), source: clip(instanceId) });
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let target: PushTarget | undefined;
    try {
      target = deps.pushTarget(schoolId, instanceId);
    } catch {
      target = undefined;
    }
    if (target && (target.schoolId !== schoolId || target.instanceId !== instanceId)) target = undefined;
    const auth = verifyPushAuth(target?.config, {
      body, now: now(),
      ...optional('authorization', req.get('authorization')),
      ...optional('timestamp', req.get(TIMESTAMP_HEADER)),
      ...optional('signature', req.get(SIGNATURE_HEADER)),
    });
    if (!auth.ok || target === undefined) {
      const stale = !auth.ok && auth.reason === 'stale_timestamp';
      rlog.warn('push refused', { status: 401, reason: stale ? 'stale_timestamp' : 'unauthenticated' });
      res.set('WWW-Authenticate', 'Bearer realm="diary-gateway-intake", DiaryHmac realm="diary-gateway-intake"');
      send(res, 401, new GatewayError(CODES.unauthorized, stale
        ? `X-Diary-Timestamp must be unix seconds within ${target?.config.clockSkewSeconds ?? 0} s of the gateway clock; sign each attempt anew.`
        : UNAUTHENTICATED));
      return;
    }
    const cfg = target.config;
    if (body.length > cfg.maxBytes) {
      rlog.warn('push refused', { status: 413, reason: 'too_large', bytes: body.length });
      send(res, 413, new TooLarge('The request body is too large for this source.', [{ path: '/', message: `body must be at most ${cfg.maxBytes} bytes; split the batch` }]));
      return;
    }
    const idemKey = req.get(IDEMPOTENCY_HEADER);
    if (idemKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idemKey)) {
      send(res, 400, badRequest('The Idempotency-Key header is malformed.', [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }]));
      return;
    }
    const run = (): Promise<StoredAnswer> => take(target, body, rlog);
    let answer: StoredAnswer;
    let replayed = false;
    try {
      if (idemKey === undefined) answer = await run();
      else {
        const bodyHash = createHash('sha256').update(body).digest('hex');
        const got = await cache.getOrRun(`${schoolId}\u0000${instanceId}\u0000${idemKey}`, bodyHash, run);
        if (got === 'mismatch') {
          send(res, 422, new GatewayError(CODES.keyReused, 'This Idempotency-Key was used with a different body.', { issues: [{ path: '/headers/idempotency-key', message: 'was already used with a different body within 24 h; use a new key for a new batch' }] }));
          return;
        }
        ({ answer, replayed } = got);
      }
    } catch (e) {
      const problem = problemFromError(e);
      rlog.warn('push failed', { status: problem.status, code: problem.code });
      if (problem.code === 'GW_LEDGER_BUSY') res.set('Retry-After', '1');
      send(res, problem.status, e);
      return;
    }
    if (replayed) {
      res.set('Idempotent-Replayed', 'true');
      rlog.info('push answered from the idempotency cache', { status: answer.status });
    }
    res.status(answer.status).type('application/json').send(answer.body);
  });

  async function take(target: PushTarget, body: Buffer, rlog: Logger): Promise<StoredAnswer> {
    const cfg = target.config;
    const parsed = parsePushBody(body);
    if (!parsed.ok) throw badRequest('The request body is not a push batch.', parsed.issues);
    if (parsed.records.length > cfg.maxItems) {
      throw new TooLarge(`The batch has ${parsed.records.length} records; this source takes at most ${cfg.maxItems} per request.`, [
        { path: '/records', message: `must have at most ${cfg.maxItems} items; split the batch` },
      ]);
    }
    const ids = makeIdResolver(target.idNamespace, cfg.sourceSystem, target.schoolId);
    const result: PushResult = await intake.push({
      schoolId: target.schoolId, sourceInstance: target.instanceId, sourceSystem: cfg.sourceSystem,
      adapter: PUSH_SPEC.id, adapterVersion: PUSH_SPEC.version, idNamespace: target.idNamespace, routes: target.routes,
      ...(target.hold ? { hold: target.hold } : {}),
      items: parsed.records.map((r) => mapPushItem(r, ids)),
    });
    if (result.summary.enqueued > 0) deps.onEnqueued?.();
    const status = result.summary.invalid > 0 ? 207 : 200;
    rlog.info('push answered', { status, runId: result.runId, ...result.summary });
    return { status, body: JSON.stringify({ runId: result.runId ?? null, summary: result.summary, items: result.items }) };
  }

  // Errors of the body reader (too large, aborted, unsupported encoding); the handler answers its own.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) { next(err); return; }
    const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
    if (type === 'entity.too.large') {
      log.warn('push refused', { status: 413, reason: 'too_large' });
      send(res, 413, new TooLarge('The request body is too large.', [{ path: '/', message: 'body is too large; split the batch' }]));
      return;
    }
    const problem = problemFromError(err);
    if (problem.code === 'GW_INTERNAL') log.error('push intake internal error', { errorName: err instanceof Error ? err.name : undefined, stack: err instanceof Error ? err.stack : undefined, method: req.method });
    send(res, problem.status, err);
  });

  return router;
}

/**
 * A stand-alone app with only the push route, for a listener of its own: journals reach it from
 * outside while the admin API stays on loopback. Unknown paths get a bare 404 problem.
 */
export function createPushApp(deps: PushRouterDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(createPushRouter(deps));
  app.use((_req, res) => {
    send(res, 404, new GatewayError('GW_API_NOT_FOUND', 'No such intake route; see the push-source README.'));
  });
  return app;
}

/** Too many bytes or records: 413 wherever it is thrown (nothing was written). */
class TooLarge extends GatewayError {
  constructor(message: string, issues: Issue[]) { super(CODES.tooLarge, message, { issues, httpStatus: 413 }); }
}

function badRequest(message: string, issues: Issue[]): GatewayError {
  return new GatewayError('GW_API_BAD_REQUEST', message, { issues });
}

/** problem+json with the status of this answer (see CODES: it may differ from the code's catalog status). */
function send(res: Response, status: number, err: unknown): void {
  const code = err instanceof TooLarge ? 413 : status;
  const problem = { ...problemFromError(err), status: code };
  res.status(code).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** Path parameters are the caller's text: keep log lines short. */
function clip(s: string): string {
  return s.length > 128 ? `${s.slice(0, 128)}…` : s;
}

// ------------------------------------------------------------------------------------------------
// Idempotency-Key: the first answer per (school, source, key), kept in memory

/** An answer as sent: status and JSON text. */
export interface StoredAnswer { status: number; body: string }

interface Entry { bodyHash: string; at: number; answer?: StoredAnswer; pending?: Promise<StoredAnswer>; bytes: number }

/** Defaults: keep answers a day (what the README promises), in at most 64 MiB. */
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const IDEMPOTENCY_MAX_BYTES = 64 * 1024 * 1024;

/**
 * An in-memory store of first answers, bounded by age and total size (the oldest go first). It does not survive a
 * restart; a repeat after one is still harmless (content-hash dedup answers `unchanged` and
 * writes nothing), it just gets the `unchanged` answer instead of the first one.
 * A repeat while the first is still running waits for it and gets its answer.
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly maxBytes: number;
  private readonly now: () => Date;

  constructor(opts: { now: () => Date; ttlMs?: number; maxBytes?: number }) {
    this.now = opts.now;
    this.ttlMs = opts.ttlMs ?? IDEMPOTENCY_TTL_MS;
    this.maxBytes = opts.maxBytes ?? IDEMPOTENCY_MAX_BYTES;
  }

  get size(): number { return this.entries.size; }

  /** The stored (or in-flight) answer for `key`, else runs `run` and stores its answer; errors are not stored. */
  async getOrRun(key: string, bodyHash: string, run: () => Promise<StoredAnswer>): Promise<{ answer: StoredAnswer; replayed: boolean } | 'mismatch'> {
    const t = this.now().getTime();
    this.expire(t);
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.bodyHash !== bodyHash) return 'mismatch';
      if (hit.answer) return { answer: hit.answer, replayed: true };
      if (hit.pending) return { answer: await hit.pending, replayed: true };
    }
    const entry: Entry = { bodyHash, at: t, bytes: 0 };
    const pending = run();
    entry.pending = pending;
    this.entries.set(key, entry);
    try {
      const answer = await pending;
      entry.answer = answer;
      delete entry.pending;
      entry.bytes = answer.body.length + key.length + 128;
      this.bytes += entry.bytes;
      this.evict();
      return { answer, replayed: false };
    } catch (e) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw e;
    }
  }

  private expire(t: number): void {
    for (const [key, e] of this.entries) {
      if (t - e.at < this.ttlMs) break; // insertion order is age order
      this.drop(key, e);
    }
  }

  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (e.pending) continue;
      this.drop(key, e);
    }
  }

  private drop(key: string, e: Entry): void {
    if (e.pending) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
