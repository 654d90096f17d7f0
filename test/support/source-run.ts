/**
 * Helpers shared by the source adapters' end-to-end and client tests: a run context on a fake
 * clock that can record every HTTP call, message filters, and nock isolation.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { RunContext, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpRequest } from '../../src/core/http';
import type { MappedRecord } from '../../src/core/records';
import { fakeClock, makeContext, type FakeClock } from './harness';

/** An HttpClient that pushes `toCall(req)` for every request before passing it on. */
export function recordingHttp<R>(inner: HttpClient, calls: R[], toCall: (req: HttpRequest) => R): HttpClient {
  return {
    request(req) {
      calls.push(toCall(req));
      return inner.request(req);
    },
  };
}

export interface SimContextOptions<R> { clock?: FakeClock; calls?: R[]; since?: string }

/**
 * A run context for `system` on a fake clock at `now` (or `o.clock`); with `o.calls`, every HTTP
 * call is recorded there as `toCall(req)`.
 */
export function simContext<C, R>(cfg: C, system: string, now: Date, toCall: (req: HttpRequest) => R, o: SimContextOptions<R> = {}): RunContext<C> {
  const clock = o.clock ?? fakeClock(now);
  const ctx = makeContext(cfg, { clock, system, ...(o.since ? { since: o.since } : {}) });
  return o.calls ? { ...ctx, http: recordingHttp(ctx.http, o.calls, toCall) } : ctx;
}

export const records = (ms: SourceMessage[]): MappedRecord[] => ms.flatMap((m) => (m.kind === 'record' ? [m.record] : []));
export const checkpoints = (ms: SourceMessage[]): Cursor[] => ms.flatMap((m) => (m.kind === 'checkpoint' ? [m.cursor] : []));

/** Blocks real connections for the suite and fails a test that left nock interceptors unused. */
export function nockOnly(pendingMessage?: string): void {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    assert.deepEqual(pending, [], pendingMessage);
  });
}

/** The GatewayError `p` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejectsGateway(
  p: Promise<unknown>,
  o: { notGateway?: (e: unknown) => string; noThrow?: string } = {},
): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatewayError, (o.notGateway ?? ((x) => `not a GatewayError: ${String(x)}`))(e));
    return e;
  }
  assert.fail(o.noThrow ?? 'did not throw');
}
