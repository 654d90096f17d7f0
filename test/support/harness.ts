/**
 * Test harness: real SQLite ledger files in a temp folder, the real canonical validator,
 * real HTTP client, and a fake clock whose sleeps return at once but are recorded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunContext, SourceAdapter } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../../src/core/ids';
import type { Ledger, SinkRoute } from '../../src/core/ledger';
import { nullLogger, type Logger } from '../../src/core/logger';
import { createHttpClient } from '../../src/infra/http-client';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { openLedger } from '../../src/ledger';
import { runSource, type SourceRunResult } from '../../src/pipeline/ingest';

export function tmpDir(prefix = 'dgw-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function tmpLedger(dir = tmpDir()): Promise<{ ledger: Ledger; file: string; dir: string }> {
  const file = path.join(dir, 'ledger.sqlite');
  const ledger = openLedger({ driver: 'sqlite', path: file });
  await ledger.migrate();
  return { ledger, file, dir };
}

export interface FakeClock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Every sleep asked for, in ms. */
  sleeps: number[];
  advance(ms: number): void;
}

export function fakeClock(start = new Date()): FakeClock {
  let t = start.getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(t),
    sleep: async (ms) => { sleeps.push(ms); t += ms; },
    sleeps,
    advance: (ms) => { t += ms; },
  };
}

export function makeContext<C>(config: C, opts: { schoolId?: string; clock?: FakeClock; log?: Logger; system?: string; side?: 'source' | 'sink'; since?: string } = {}): RunContext<C> {
  const clock = opts.clock ?? fakeClock();
  const log = opts.log ?? nullLogger;
  const schoolId = opts.schoolId ?? 'test-school';
  return {
    config, schoolId, log, signal: new AbortController().signal,
    http: createHttpClient({ log, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), side: opts.side ?? 'source', timeoutMs: 5000 }),
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, opts.system ?? 'test', schoolId),
    now: () => clock.now(), sleep: (ms) => clock.sleep(ms),
    ...(opts.since ? { since: opts.since } : {}),
  };
}

/** Runs the real pipeline for one source into a ledger. */
export async function ingestAll<C>(ledger: Ledger, adapter: SourceAdapter<C>, ctx: RunContext<C>, opts: {
  streams?: string[]; routes?: SinkRoute[]; sourceInstance?: string; runId?: string; clock?: FakeClock;
} = {}): Promise<SourceRunResult> {
  return runSource({ ledger, validator: getCanonicalValidator(), log: nullLogger, now: opts.clock?.now ?? (() => new Date()) }, {
    runId: opts.runId ?? `run-${Math.random().toString(36).slice(2)}`,
    schoolId: ctx.schoolId, sourceInstance: opts.sourceInstance ?? 'src', adapter, ctx,
    streams: opts.streams ?? adapter.streams.map((s) => s.name),
    routes: opts.routes ?? [], idNamespace: DEFAULT_ID_NAMESPACE,
  });
}

/** Collects everything an adapter yields for one stream. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The GatewayError `fn` throws synchronously, asserted to carry `code`. */
export function thrownGatewayError(fn: () => unknown, code = 'GW_CONFIG_INVALID'): GatewayError {
  try {
    fn();
  } catch (e: unknown) {
    assert.ok(e instanceof GatewayError && e.code === code, String(e));
    return e;
  }
  assert.fail(`expected ${code}`);
}
