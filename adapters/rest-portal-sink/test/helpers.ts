/** Shared bits of the rest-portal-sink tests: a run context with a fake clock, and delivery items. */
import type { DeliveryItem, RunContext } from '../../../src/core/adapter';
import type { HttpClient } from '../../../src/core/http';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../../../src/core/ids';
import { nullLogger } from '../../../src/core/logger';
import type { EntityType } from '../../../src/core/records';
import { createHttpClient } from '../../../src/infra/http-client';
import type { RestPortalConfig } from '../spec';

export const NOW = new Date('2026-03-02T09:00:00.000Z');

export interface TestClock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  sleeps: number[];
}

export function fixedClock(at = NOW): TestClock {
  const sleeps: number[] = [];
  return { now: () => new Date(at), sleep: async (ms) => { sleeps.push(ms); }, sleeps };
}

/**
 * A run context on the real HTTP client. The client is built as the runtime builds it by
 * default (`side` source, several attempts), so these tests also prove the sink itself
 * asks for a single attempt and maps source-flavoured transport codes.
 */
export function makeCtx(
  config: RestPortalConfig,
  opts: { http?: HttpClient; clock?: TestClock; signal?: AbortSignal } = {},
): RunContext<RestPortalConfig> {
  const clock = opts.clock ?? fixedClock();
  const http = opts.http ?? createHttpClient({ log: nullLogger, sleep: clock.sleep, now: clock.now, maxAttempts: 4 });
  return {
    config,
    schoolId: 'school-1',
    log: nullLogger,
    http,
    signal: opts.signal ?? new AbortController().signal,
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, 'test', 'school-1'),
    now: clock.now,
    sleep: clock.sleep,
  };
}

let nextDeliveryId = 1;

/** A delivery item with a unique key; `n` makes recordId and payload deterministic. */
export function makeItem(n: number, over: Partial<DeliveryItem> = {}): DeliveryItem {
  const entityType: EntityType = over.entityType ?? 'mark';
  const recordId = over.recordId ?? `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`;
  const revision = over.revision ?? n;
  const contentHash = over.contentHash ?? `h${n}r${revision}`;
  return {
    deliveryId: nextDeliveryId++,
    key: `${entityType}:${recordId}:${contentHash}`,
    recordId,
    entityType,
    schoolId: 'school-1',
    revision,
    contentHash,
    status: 'active',
    payload: { id: recordId, entityType, value: 5, revision },
    attempt: 1,
    ...over,
  };
}

export function makeItems(n: number, from = 1, over: Partial<DeliveryItem> = {}): DeliveryItem[] {
  return Array.from({ length: n }, (_, i) => makeItem(from + i, over));
}
