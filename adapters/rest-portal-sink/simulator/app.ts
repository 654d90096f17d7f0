/**
 * The express app of the simulated REST portal (no listen() here; index.ts starts it).
 *
 * It speaks the protocol in ../README.md: bearer auth, a batch endpoint with per-item
 * results and idempotency keys, health, and a read-back endpoint for demos; plus `/_sim/*`
 * control routes (no auth: the simulator listens on loopback only).
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { ENTITY_TYPES } from '../../../src/core/records';
import {
  HEALTH_PATH,
  RECORDS_PATH,
  batchIdempotencyKey,
  type WireErrorBody,
  type WireItem,
  type WireReason,
  type WireResult,
} from '../protocol';
import { type FaultState, parseFaultSpec } from './faults';
import type { PortalLedger } from './state';

export const SIMULATED_PORTAL_VERSION = 'rest-portal-sim/1.0.0';

export interface PortalAppDeps {
  token: string;
  batchPath: string;
  /** Larger batches are answered 413 BATCH_TOO_LARGE. */
  maxBatchSize: number;
  /** Entity types always refused with ENTITY_NOT_ACCEPTED (configuration, not a fault). */
  refuseEntities: ReadonlySet<string>;
  ledger: PortalLedger;
  faults: FaultState;
  now(): Date;
  log: Logger;
}

const ENTITY_SET: ReadonlySet<string> = new Set(ENTITY_TYPES);
const BODY_LIMIT = '20mb';

export function createPortalApp(deps: PortalAppDeps): express.Express {
  const { ledger, faults, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  /** Batch keys being applied right now: a concurrent request with the same key gets 409. */
  const inFlight = new Set<string>();

  app.get('/_sim/state', (_req, res) => {
    res.json(ledger.snapshot());
  });

  app.post('/_sim/faults', express.json(), (req, res) => {
    try {
      // parseFaultSpec admits only supported kinds (400 otherwise), so inject never ignores one here.
      const spec = parseFaultSpec(req.body);
      faults.inject(spec);
      log.info('rest-portal simulator: fault injected', { kind: spec.kind });
      res.status(204).end();
    } catch (e) {
      sendError(res, 400, 'FAULT_INVALID', e instanceof Error ? e.message : String(e));
    }
  });

  // Injected statuses come first, as a proxy or load balancer in front of the portal would answer them.
  app.use('/api', (req, res, next) => {
    const fullPath = req.baseUrl + req.path;
    const fault = faults.takeStatus(fullPath, req.method === 'POST' && fullPath === deps.batchPath);
    if (!fault) return next();
    if (fault.retryAfterSec !== undefined) res.setHeader('Retry-After', String(fault.retryAfterSec));
    const code = fault.status === 429 ? 'RATE_LIMITED' : fault.status >= 500 ? 'UNAVAILABLE' : 'INJECTED_FAULT';
    sendError(res, fault.status, code, 'injected fault');
  });

  app.use('/api', (req, res, next) => {
    if (bearerMatches(req.get('authorization'), deps.token)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="diary-portal"');
    sendError(res, 401, 'UNAUTHORIZED', 'missing or invalid bearer token');
  });

  app.get(HEALTH_PATH, async (_req, res) => {
    await delay(faults.takeSlow());
    res.json({ status: 'ok', version: SIMULATED_PORTAL_VERSION });
  });

  app.get(`${RECORDS_PATH}/:recordId`, async (req, res) => {
    await delay(faults.takeSlow());
    const latest = ledger.latestOf(String(req.params.recordId));
    if (!latest) return sendError(res, 404, 'NOT_FOUND', 'no record applied under this id');
    res.json(latest);
  });

  app.post(deps.batchPath, express.json({ limit: BODY_LIMIT }), async (req, res) => {
    const envelope = readEnvelope(req, deps.maxBatchSize);
    if ('error' in envelope) return sendError(res, envelope.status, envelope.error.code, envelope.error.message, envelope.error.issues);
    const { items, batchKey } = envelope;
    if (inFlight.has(batchKey)) {
      return sendError(res, 409, 'REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being applied');
    }
    inFlight.add(batchKey);
    try {
      await delay(faults.takeSlow());
      const bf = faults.takeBatchFaults();
      const receivedAt = deps.now().toISOString();
      const results: WireResult[] = [];
      for (const raw of items) {
        const key = raw.idempotencyKey as string;
        if (!bf.ignoreIdempotency && ledger.isKnown(key)) {
          ledger.countDuplicate();
          const remoteId = ledger.remoteIdOfKey(key);
          results.push({ idempotencyKey: key, status: 'duplicate', ...(remoteId ? { remoteId } : {}) });
          continue;
        }
        const reason = validateItem(raw, deps.refuseEntities, (t) => faults.takeEntityRejection(t));
        if (reason) {
          ledger.countRejected();
          results.push({ idempotencyKey: key, status: 'rejected', reason });
          continue;
        }
        const entry = ledger.apply(raw as unknown as WireItem, receivedAt);
        results.push({ idempotencyKey: key, status: 'accepted', remoteId: entry.remoteId });
      }
      ledger.countBatch();
      log.debug('rest-portal simulator: batch applied', { items: items.length });

      if (bf.dropConnection) {
        req.socket.destroy();
        return;
      }
      if (bf.malformed) {
        res.status(200).type('text/html').send('<html><body>502 Bad Gateway (mangled by proxy)</body></html>');
        return;
      }
      if (bf.partialResults && results.length > 0) results.pop();
      res.json({ results });
    } finally {
      inFlight.delete(batchKey);
    }
  });

  app.use((_req: Request, res: Response) => {
    sendError(res, 404, 'NOT_FOUND', 'no such endpoint');
  });

  // Body-parser failures (bad JSON, too large) reach here; anything else is a simulator bug.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') return sendError(res, 413, 'BATCH_TOO_LARGE', 'request body too large');
    if (e.type === 'entity.parse.failed' || e.status === 400) {
      return sendError(res, 400, 'BATCH_MALFORMED', 'request body is not valid JSON');
    }
    log.error('rest-portal simulator: unexpected error', { error: err instanceof Error ? err.message : String(err) });
    sendError(res, 500, 'INTERNAL', 'simulator error');
  });

  return app;
}

type Envelope =
  | { items: Record<string, unknown>[]; batchKey: string }
  | { status: number; error: WireErrorBody['error'] };

/** Whole-request checks: shape, size, item keys, and the batch Idempotency-Key header. */
function readEnvelope(req: Request, maxBatchSize: number): Envelope {
  const body: unknown = req.body;
  if (!req.is('application/json')) {
    return { status: 400, error: { code: 'BATCH_MALFORMED', message: 'Content-Type must be application/json' } };
  }
  if (!isObject(body) || !Array.isArray(body.items)) {
    return {
      status: 400,
      error: { code: 'BATCH_MALFORMED', message: 'body must be {items: [...]}', issues: [{ path: '/items', message: 'required array' }] },
    };
  }
  if (body.items.length > maxBatchSize) {
    return { status: 413, error: { code: 'BATCH_TOO_LARGE', message: `at most ${maxBatchSize} items per batch` } };
  }
  const items: Record<string, unknown>[] = [];
  for (const [i, it] of body.items.entries()) {
    if (!isObject(it) || typeof it.idempotencyKey !== 'string' || it.idempotencyKey === '' || it.idempotencyKey.includes('\n')) {
      return {
        status: 400,
        error: {
          code: 'BATCH_MALFORMED', message: 'every item needs an idempotencyKey',
          issues: [{ path: `/items/${i}/idempotencyKey`, message: 'required non-empty string without newlines' }],
        },
      };
    }
    items.push(it);
  }
  const header = req.get('idempotency-key');
  const expected = batchIdempotencyKey(items.map((it) => it.idempotencyKey as string));
  if (header !== expected) {
    return {
      status: 400,
      error: {
        code: header ? 'IDEMPOTENCY_KEY_MISMATCH' : 'IDEMPOTENCY_KEY_MISSING',
        message: 'Idempotency-Key must be the SHA-256 of the sorted item keys',
      },
    };
  }
  return { items, batchKey: expected };
}

/** Per-item checks of a not-yet-applied item; the first problem found is the reason. */
function validateItem(
  it: Record<string, unknown>,
  configuredRefusals: ReadonlySet<string>,
  faultRefuses: (entityType: string) => boolean,
): WireReason | undefined {
  const invalid = (path: string, message: string): WireReason => ({ code: 'RECORD_INVALID', message, path });
  if (typeof it.recordId !== 'string' || it.recordId === '') return invalid('/recordId', 'recordId is required');
  if (typeof it.entityType !== 'string' || !ENTITY_SET.has(it.entityType)) {
    return { code: 'ENTITY_UNKNOWN', message: 'entityType is not a known canonical entity', path: '/entityType' };
  }
  if (configuredRefusals.has(it.entityType)) {
    return { code: 'ENTITY_NOT_ACCEPTED', message: `this portal does not accept ${it.entityType}`, path: '/entityType' };
  }
  if (typeof it.schoolId !== 'string' || it.schoolId === '') return invalid('/schoolId', 'schoolId is required');
  if (!Number.isInteger(it.revision) || (it.revision as number) < 0) {
    return invalid('/revision', 'revision must be a non-negative integer');
  }
  if (it.status !== 'active' && it.status !== 'tobedeleted') return invalid('/status', "status must be 'active' or 'tobedeleted'");
  if (!isObject(it.record)) return invalid('/record', 'record must be an object');
  // Checked last so an injected refusal is only spent on an item that would otherwise be applied.
  if (faultRefuses(it.entityType)) {
    return { code: 'ENTITY_NOT_ACCEPTED', message: `this portal does not accept ${it.entityType} (injected)`, path: '/entityType' };
  }
  return undefined;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const got = Buffer.from(header, 'utf8');
  const want = Buffer.from(`Bearer ${token}`, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  issues?: { path: string; message: string }[],
): void {
  const body: WireErrorBody = { error: { code, message, ...(issues ? { issues } : {}) } };
  res.status(status).json(body);
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
