/** Shared bits of the smev3-sink tests: canonical-looking delivery items, a run context with a fake clock, configs. */
import { createHash } from 'node:crypto';
import type { DeliveryItem, RunContext } from '../../../src/core/adapter';
import type { HttpClient } from '../../../src/core/http';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../../../src/core/ids';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import type { SupportedEntity } from '../diary-xml';
import type { Smev3SimulatorHandle } from '../simulator';
import type { Smev3SinkConfig } from '../spec';

export const NOW = new Date('2026-03-02T09:00:00.000Z');
export const FETCHED_AT = '2026-03-02T08:55:00Z';

export interface TestClock { now(): Date; sleep(ms: number): Promise<void>; sleeps: number[]; advance(ms: number): void }

export function testClock(at = NOW): TestClock {
  let t = at.getTime();
  const sleeps: number[] = [];
  return { now: () => new Date(t), sleep: async (ms) => { sleeps.push(ms); }, sleeps, advance: (ms) => { t += ms; } };
}

export function makeCtx(config: Smev3SinkConfig, opts: { http?: HttpClient; clock?: TestClock; signal?: AbortSignal } = {}): RunContext<Smev3SinkConfig> {
  const clock = opts.clock ?? testClock();
  const http = opts.http ?? createHttpClient({ log: nullLogger, sleep: clock.sleep, now: clock.now, maxAttempts: 4 });
  return {
    config, schoolId: '*', log: nullLogger, http, signal: opts.signal ?? new AbortController().signal,
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, 'test', 'school-1'), now: clock.now, sleep: clock.sleep,
  };
}

export function simConfig(sim: Smev3SimulatorHandle, over: Partial<Smev3SinkConfig> = {}): Smev3SinkConfig {
  return { endpoint: sim.endpoint, signer: { kind: 'test' }, timeoutMs: 5000, ...over };
}

const uuid = (prefix: string, n: number): string => `${prefix}-0000-5000-8000-${String(n).padStart(12, '0')}`;
const hash = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** Entity fields of a canonical record of each supported type (the envelope is added by makeItem). */
export function entityFields(entity: SupportedEntity, n: number): Record<string, unknown> {
  switch (entity) {
    case 'mark':
      return {
        kind: 'current', studentId: uuid('11111111', n), subjectId: uuid('22222222', 1), assessmentId: uuid('33333333', n),
        value: { scale: 'five_point', raw: String(2 + (n % 4)), numeric: 2 + (n % 4) }, markStatus: 'graded',
        teacherComment: 'Хорошая работа', date: '2026-03-02', markedAt: '2026-03-02T08:30:00Z',
      };
    case 'attendance_event':
      return { studentId: uuid('11111111', n), lessonId: uuid('44444444', n), date: '2026-03-02', code: 'Б', category: 'absent_illness', minutesMissed: 45 };
    case 'lesson':
      return {
        classGroupId: uuid('55555555', 1), subjectId: uuid('22222222', 1), date: '2026-03-02', startTime: '08:30', endTime: '09:15',
        number: 1, topic: 'Дроби', room: '204', teacherIds: [uuid('66666666', 1)], state: 'held',
      };
    case 'homework':
      return {
        classGroupId: uuid('55555555', 1), subjectId: uuid('22222222', 1), dueDate: '2026-03-04', text: `Упражнение ${n}`,
        attachments: [{ name: 'task.pdf', mimeType: 'application/pdf', size: 1024 }], isIndividual: false,
      };
    case 'assessment_schedule_entry':
      return { kind: 'control_work', title: 'Контрольная работа', plannedDate: '2026-03-10', subjectId: uuid('22222222', 1), classGroupId: uuid('55555555', 1) };
    case 'subject':
      return { title: 'Математика', shortTitle: 'Мат.' };
  }
}

let nextDeliveryId = 1;

/** A delivery item the way the ledger hands it out: key `entity:recordId:revision`, a full canonical payload. */
export function makeItem(n: number, over: Partial<DeliveryItem> & { fields?: Record<string, unknown>; fetchedAt?: string } = {}): DeliveryItem {
  const { fields, fetchedAt, ...rest } = over;
  const entityType = (over.entityType ?? 'mark') as SupportedEntity;
  const recordId = over.recordId ?? uuid('00000000', n);
  const revision = over.revision ?? 1;
  const contentHash = over.contentHash ?? hash(`${recordId}:${revision}`);
  const payload = {
    id: recordId, entityType, schemaVersion: 1, schoolId: 'school-1', sourceSystem: 'netschool', sourceId: `src-${n}`,
    externalIds: [], status: 'active', dateLastModified: '2026-03-02T08:40:00Z', contentHash, revision,
    provenance: { sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1.0.0', fetchedAt: fetchedAt ?? FETCHED_AT },
    ...entityFields(entityType, n), ...fields,
  };
  return {
    deliveryId: nextDeliveryId++, key: `${entityType}:${recordId}:${revision}`, recordId, entityType, schoolId: 'school-1',
    revision, contentHash, status: 'active', payload, attempt: 1, ...rest,
  };
}

export function makeItems(n: number, from = 1, over: Partial<DeliveryItem> & { fetchedAt?: string } = {}): DeliveryItem[] {
  return Array.from({ length: n }, (_, i) => makeItem(from + i, over));
}

/** One HTTP exchange seen by a recording client. */
export interface Exchange {
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: Buffer;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: Buffer;
}

/** Wraps an HttpClient and records every exchange that got an answer (tests look at the wire). */
export function recordingHttp(inner: HttpClient, log: Exchange[]): HttpClient {
  return {
    async request<T>(req: Parameters<HttpClient['request']>[0]) {
      const res = await inner.request<T>(req);
      const body = req.body;
      log.push({
        url: req.url, requestHeaders: { ...req.headers }, status: res.status, responseHeaders: res.headers,
        requestBody: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? ''), 'utf8'),
        responseBody: Buffer.isBuffer(res.data) ? res.data : Buffer.from(String(res.data), 'utf8'),
      });
      return res;
    },
  };
}

/** A context whose HTTP exchanges are recorded into `log`. */
export function recordingCtx(config: Smev3SinkConfig, log: Exchange[], clock: TestClock): RunContext<Smev3SinkConfig> {
  const inner = createHttpClient({ log: nullLogger, sleep: clock.sleep, now: clock.now });
  return makeCtx(config, { clock, http: recordingHttp(inner, log) });
}
