/**
 * Shared fixtures of the http-* tests: an in-memory fake of the Ledger read side that records
 * calls, a fake runtime, a recording logger, and a walker that lists the routes an express app
 * serves from its router stack. The describe block at the end checks the walker itself, so
 * the route-parity test in http-openapi.test.ts cannot pass vacuously.
 */
import assert from 'node:assert/strict';
import type express from 'express';
import { GatewayError } from '../../src/core/errors';
import type { DeliveryState } from '../../src/core/delivery-states';
import type {
  CursorRow, DeliveryAttempt, DeliveryFilter, DeliveryView, HoldState, HoldView, Ledger, LedgerStats, QuarantineEntry,
  QuarantineFilter, RunSummary,
} from '../../src/core/ledger';
import type { Logger } from '../../src/core/logger';
import { createApp, type AdminDeps, type SourceStatus } from '../../src/http/app';
import { createMetrics } from '../../src/infra/metrics';

export const TOKEN = 'test-token-0123456789abcdef';
export const OTHER_TOKEN = 'second-operator-token';
export const FROZEN_NOW = new Date('2025-03-01T12:00:00.000Z');

// --- fake ledger ------------------------------------------------------------------------

export interface LedgerCall {
  method: string;
  args: unknown[];
}

function notInFake(name: string): never {
  throw new GatewayError('GW_INTERNAL', `FakeLedger.${name} is not used by the admin API`);
}

/** The read side of a Ledger over plain arrays; write methods used by the API are recorded. */
export class FakeLedger implements Ledger {
  readonly calls: LedgerCall[] = [];
  deliveries: Array<DeliveryView & { attemptLog: DeliveryAttempt[] }> = [];
  quarantine: QuarantineEntry[] = [];
  holds: HoldView[] = [];
  runs: RunSummary[] = [];
  cursors: CursorRow[] = [];
  stats_: LedgerStats = {
    records: 0, quarantineOpen: 0,
    deliveries: { pending: 0, in_flight: 0, delivered: 0, retry_wait: 0, dead: 0, rejected: 0, superseded: 0 },
  };
  replayResult = { replayed: 0, superseded: 0 };
  failStats = false;

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async migrate(): Promise<{ from: number; to: number }> { return { from: 0, to: 0 }; }
  async close(): Promise<void> { /* nothing to close */ }
  async currentHashes(): Promise<Map<string, string>> { return notInFake('currentHashes'); }
  async ingest(): Promise<never> { return notInFake('ingest'); }
  async getCursor(): Promise<never> { return notInFake('getCursor'); }
  async settleRun(): Promise<never> { return notInFake('settleRun'); }
  async settleInterrupted(): Promise<never> { return notInFake('settleInterrupted'); }
  async activeRecordIds(): Promise<never> { return notInFake('activeRecordIds'); }
  async findByExternalId(): Promise<never> { return notInFake('findByExternalId'); }
  async recordServed(): Promise<never> { return notInFake('recordServed'); }
  async listServed(): Promise<never> { return notInFake('listServed'); }
  async listHolds(filter: { schoolId?: string; state?: HoldState }): Promise<HoldView[]> {
    return this.holds.filter((h) => (filter.schoolId === undefined || h.schoolId === filter.schoolId) && (filter.state === undefined || h.state === filter.state));
  }
  async getHold(id: number): Promise<HoldView | undefined> { return this.holds.find((h) => h.id === id); }
  async decideHold(id: number, decision: 'approve' | 'reject', actor: string, now: string): Promise<HoldView> {
    this.record('decideHold', id, decision, actor, now);
    const h = this.holds.find((x) => x.id === id);
    if (h === undefined) throw new GatewayError('GW_API_NOT_FOUND', `There is no safety hold ${id}`);
    if (h.state !== 'pending') throw new GatewayError('GW_HOLD_DECIDED', `Safety hold ${id} was already ${h.state}`);
    h.state = decision === 'approve' ? 'approved' : 'rejected';
    h.decidedAt = now;
    h.decidedBy = actor;
    return h;
  }
  async listCursors(schoolId?: string): Promise<CursorRow[]> {
    this.record('listCursors', schoolId);
    return this.cursors.filter((c) => schoolId === undefined || c.schoolId === schoolId);
  }
  async getRecord(): Promise<never> { return notInFake('getRecord'); }
  async getRecordHistory(): Promise<never> { return notInFake('getRecordHistory'); }
  async listRecords(): Promise<never> { return notInFake('listRecords'); }
  async claimDeliveries(): Promise<never> { return notInFake('claimDeliveries'); }
  async completeDeliveries(): Promise<never> { return notInFake('completeDeliveries'); }
  async recoverInFlight(): Promise<never> { return notInFake('recoverInFlight'); }
  async replayDeliveries(filter: DeliveryFilter, actor: string, now: string): Promise<{ replayed: number; superseded: number }> {
    this.record('replayDeliveries', filter, actor, now);
    return this.replayResult;
  }
  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]> {
    this.record('listDeliveries', filter);
    return this.deliveries
      .filter((d) => filter.state === undefined || d.state === filter.state)
      .map(({ attemptLog: _a, ...d }) => d);
  }
  async getDelivery(id: number): Promise<(DeliveryView & { attemptLog: DeliveryAttempt[] }) | undefined> {
    this.record('getDelivery', id);
    return this.deliveries.find((d) => d.id === id);
  }
  async nextDueAt(): Promise<never> { return notInFake('nextDueAt'); }
  async listQuarantine(filter: QuarantineFilter): Promise<QuarantineEntry[]> {
    this.record('listQuarantine', filter);
    return this.quarantine;
  }
  async getQuarantine(id: number): Promise<QuarantineEntry | undefined> {
    this.record('getQuarantine', id);
    return this.quarantine.find((q) => q.id === id);
  }
  async startRun(): Promise<never> { return notInFake('startRun'); }
  async finishRun(): Promise<never> { return notInFake('finishRun'); }
  async listRuns(filter: { schoolId?: string; sourceInstance?: string; limit?: number }): Promise<RunSummary[]> {
    this.record('listRuns', filter);
    return this.runs
      .filter((r) => (filter.schoolId === undefined || r.schoolId === filter.schoolId)
        && (filter.sourceInstance === undefined || r.sourceInstance === filter.sourceInstance))
      .slice(0, filter.limit ?? 1000);
  }
  async tryLock(): Promise<never> { return notInFake('tryLock'); }
  async lockHolder(): Promise<never> { return notInFake('lockHolder'); }
  async failInterruptedRuns(): Promise<never> { return notInFake('failInterruptedRuns'); }
  async unlock(): Promise<never> { return notInFake('unlock'); }
  async stats(): Promise<LedgerStats> {
    this.record('stats');
    if (this.failStats) throw new GatewayError('GW_LEDGER_BUSY', 'ledger busy');
    return this.stats_;
  }
  async verify(): Promise<string[]> { return []; }
}

export function delivery(id: number, state: DeliveryState, extra: Partial<DeliveryView> = {}): DeliveryView & { attemptLog: DeliveryAttempt[] } {
  return {
    id, sinkId: 'portal', recordId: `rec-${id}`, entityType: 'mark', schoolId: 'school-1', revision: id,
    idempotencyKey: `mark:src-${id}:hash`, state, attempts: 1, maxAttempts: 8,
    createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:05:00.000Z',
    ...extra,
    attemptLog: [{
      deliveryId: id, attempt: 1, fromState: 'in_flight', toState: state, at: '2025-03-01T10:05:00.000Z',
      durationMs: 12, errorCode: 'GW_SINK_UNAVAILABLE', errorClass: 'retryable', message: 'portal answered 503', actor: 'gateway',
    }],
  };
}

// --- runtime, logger, deps ----------------------------------------------------------------

export class FakeRuntime {
  isReady = true;
  list: SourceStatus[] = [];
  sources(): SourceStatus[] { return this.list; }
  ready(): boolean { return this.isReady; }
}

export interface LogLine { level: string; message: string; meta?: Record<string, unknown> }

export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (fields: Record<string, unknown>): Logger & { lines: LogLine[] } => {
    const at = (level: string) => (message: string, meta?: Record<string, unknown>): void => {
      lines.push({ level, message, meta: { ...fields, ...meta } });
    };
    return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (f) => make({ ...fields, ...f }) };
  };
  return make({});
}

export interface Harness {
  app: express.Express;
  ledger: FakeLedger;
  runtime: FakeRuntime;
  log: Logger & { lines: LogLine[] };
  deps: AdminDeps;
}

export function harness(over: Partial<AdminDeps> = {}): Harness {
  const ledger = new FakeLedger();
  const runtime = new FakeRuntime();
  const log = recordingLogger();
  const deps: AdminDeps = {
    ledger, runtime, log,
    metrics: createMetrics({ ledger, now: () => FROZEN_NOW, defaultMetrics: false }),
    tokens: [TOKEN, OTHER_TOKEN],
    now: () => FROZEN_NOW,
    ...over,
  };
  return { app: createApp(deps), ledger, runtime, log, deps };
}

// --- routes from the router stack -----------------------------------------------------------

export interface AppRoute { method: string; path: string }

/** The parts of router 2.x internals the walker reads (not part of express's typings). */
interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[] };
}

/** Every (method, path) an express 5 app serves, read from `app.router.stack`, mounted routers included. */
export function listAppRoutes(app: express.Express): AppRoute[] {
  const out: AppRoute[] = [];
  const walk = (stack: readonly StackLayer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== '_all') out.push({ method: m.toUpperCase(), path: prefix + layer.route.path });
        }
      } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
      }
    }
  };
  const router = (app as unknown as { router: { stack: StackLayer[] } }).router;
  walk(router.stack, '');
  return out;
}

/** `/a/:id/b` → `/a/{id}/b` (OpenAPI path template). */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** A concrete path for a route template (ids filled with existing test ids). */
export function concretePath(path: string): string {
  return path.replace(':schoolId', 'school-1').replace(':id', '1');
}

describe('http test kit', () => {
  it('lists the routes of an app from its router stack, mounted routers included', () => {
    const routes = listAppRoutes(harness().app).map((r) => `${r.method} ${r.path}`);
    assert.ok(routes.includes('GET /healthz'));
    assert.ok(routes.includes('GET /metrics'));
    assert.ok(routes.includes('GET /api/v1/deliveries/:id'));
    assert.ok(routes.includes('POST /api/v1/deliveries/replay'));
    assert.equal(new Set(routes).size, routes.length, 'no route listed twice');
    assert.equal(routes.length, 26);
  });

  it('maps express params to OpenAPI templates', () => {
    assert.equal(toOpenApiPath('/api/v1/deliveries/:id/replay'), '/api/v1/deliveries/{id}/replay');
  });
});
