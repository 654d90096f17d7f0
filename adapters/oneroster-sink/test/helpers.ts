/** Shared bits of the oneroster-sink tests: configs, run contexts, canonical records and delivery items, a filled ledger. */
import type { DeliveryItem, RunContext, SinkAdapter } from '../../../src/core/adapter';
import { DEFAULT_ID_NAMESPACE, uuidv5 } from '../../../src/core/ids';
import type { Ledger, SinkRoute } from '../../../src/core/ledger';
import type { EntityType } from '../../../src/core/records';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { fakeClock, ingestAll, makeContext, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { createOneRosterSource, oneRosterSimulator, type OneRosterConfig } from '../../oneroster-source';
import type { OneRosterConsumerHandle } from '../simulator';
import type { OneRosterSinkConfig } from '../spec';

export type Obj = Record<string, unknown>;

/** Wednesday 2025-11-12, 12:00 in Moscow: the oneroster-source demo district's first quarter has ended. */
export const NOW = new Date('2025-11-12T09:00:00Z');
export const SCHOOL = 'school-1';

export function configOf(sim: OneRosterConsumerHandle, over: Partial<OneRosterSinkConfig> = {}): OneRosterSinkConfig {
  return { baseUrl: sim.url, authUrl: sim.tokenUrl, clientId: sim.clientId, clientSecret: sim.clientSecret, timeoutMs: 5000, ...over };
}

export function sinkCtx<C>(cfg: C, clock: FakeClock = fakeClock(NOW), schoolId = SCHOOL): RunContext<C> {
  return makeContext(cfg, { clock, side: 'sink', system: 'oneroster-consumer', schoolId });
}

export const uuid = (...parts: (string | number)[]): string => uuidv5(parts.join('|'), DEFAULT_ID_NAMESPACE);

function envelope(entityType: EntityType, key: string, over: Obj): Obj {
  return {
    id: uuid(entityType, key), entityType, schemaVersion: 1, schoolId: SCHOOL, sourceSystem: 'test', sourceId: key,
    externalIds: [], status: 'active', dateLastModified: '2025-11-10T08:00:00Z', contentHash: `sha256:${'0'.repeat(63)}${key.length % 10}`,
    provenance: { sourceSystem: 'test', adapter: 'test', adapterVersion: '1', fetchedAt: '2025-11-10T08:00:00Z' }, revision: 1, ...over,
  };
}

export const CLASS_5A = uuid('class_group', '5a');
export const MATH = uuid('subject', 'math');

export function assessmentRecord(n: number, over: Obj = {}): Obj {
  return envelope('assessment', `a${n}`, {
    classGroupId: CLASS_5A, subjectId: MATH, workType: { code: 'control_work', title: 'Контрольная работа' }, weight: 2,
    date: '2025-11-10', title: `Контрольная работа № ${n}`, revision: n, ...over,
  });
}

export function markRecord(n: number, over: Obj = {}): Obj {
  return envelope('mark', `m${n}`, {
    kind: 'current', studentId: uuid('person', `s${n}`), subjectId: MATH, assessmentId: uuid('assessment', 'a1'),
    value: { scale: 'five_point', raw: '5', numeric: 5 }, markStatus: 'graded', markedAt: '2025-11-10T08:00:00Z', date: '2025-11-10', revision: 100 + n, ...over,
  });
}

let nextDelivery = 1;

export function itemOf(rec: Obj, over: Partial<DeliveryItem> = {}): DeliveryItem {
  const revision = typeof rec.revision === 'number' ? rec.revision : 1;
  return {
    deliveryId: nextDelivery++, key: `${String(rec.entityType)}:${String(rec.id)}:${revision}`, recordId: String(rec.id),
    entityType: rec.entityType as EntityType, schoolId: String(rec.schoolId), revision, contentHash: String(rec.contentHash),
    status: rec.status === 'tobedeleted' ? 'tobedeleted' : 'active', payload: rec, attempt: 1, ...over,
  };
}

/** The OneRoster source's demo district (REST) read into a fresh SQLite ledger, deliveries queued to `routes`. */
export async function filledLedger(clock: FakeClock, routes: SinkRoute[] = []): Promise<{ ledger: Ledger; file: string; source: SimulatorHandle; sourceConfig: OneRosterConfig; sync(): Promise<void>; close(): Promise<void> }> {
  const { ledger, file } = await tmpLedger();
  const source = await oneRosterSimulator.start({ seed: 7, now: clock.now });
  const sourceConfig: OneRosterConfig = {
    baseUrl: source.env.DIARY_SIM_ONEROSTER_URL as string, authUrl: source.env.DIARY_SIM_ONEROSTER_AUTH_URL as string,
    clientId: source.env.DIARY_SIM_ONEROSTER_CLIENT_ID as string, clientSecret: source.env.DIARY_SIM_ONEROSTER_CLIENT_SECRET as string,
  };
  const adapter = createOneRosterSource();
  const ctx = makeContext(sourceConfig, { clock, system: 'oneroster', schoolId: SCHOOL });
  const sync = async (): Promise<void> => {
    const r = await ingestAll(ledger, adapter, ctx, { clock, routes, sourceInstance: 'or-src' });
    if (r.status !== 'ok') throw new Error(`ingest ${r.status}: ${JSON.stringify(r.streams)}`);
  };
  await sync();
  return { ledger, file, source, sourceConfig, sync, close: async () => { await source.close(); await ledger.close(); } };
}

/** Changes one object at the source simulator now (`/_sim/touch`). */
export async function touch(source: SimulatorHandle, collection: string, sourcedId: string, patch: Obj): Promise<void> {
  const res = await fetch(`${source.url}/_sim/touch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collection, sourcedId, patch }) });
  if (!res.ok) throw new Error(`touch ${collection}/${sourcedId}: HTTP ${res.status}`);
}

/** The route the gateway builds for a sink (accepts from the adapter). */
export function routeOf(sinkId: string, adapter: SinkAdapter<OneRosterSinkConfig>, maxAttempts = 5): SinkRoute {
  return { sinkId, maxAttempts, ...(adapter.accepts ? { accepts: adapter.accepts } : {}) };
}
