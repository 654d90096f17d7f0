/**
 * A synthetic source for benchmarks: N current marks with realistic field shapes, a
 * checkpoint every `pageSize` records, deterministic for a given N.
 */
import type { SourceAdapter, SourceMessage } from '../src/core/adapter';
import { DEFAULT_ID_NAMESPACE, canonicalId } from '../src/core/ids';
import type { MappedRecord } from '../src/core/records';

const SYSTEM = 'bench';
const SCHOOL = 'bench-school';
const ref = (entity: 'person' | 'subject' | 'assessment' | 'lesson', id: string): string =>
  canonicalId(DEFAULT_ID_NAMESPACE, SYSTEM, SCHOOL, entity, id);

export const BENCH_SCHOOL = SCHOOL;

export function syntheticMark(i: number, variant = 0): MappedRecord {
  const student = i % 1000;
  const day = 1 + (i % 28);
  const value = 2 + ((i + variant) % 4);
  return {
    entityType: 'mark',
    sourceId: `assign:${Math.floor(i / 1000)}:student:${student}:${i}`,
    sourceModifiedAt: `2026-10-${String(day).padStart(2, '0')}T09:${String(i % 60).padStart(2, '0')}:00Z`,
    fields: {
      kind: 'current',
      studentId: ref('person', `s${student}`),
      subjectId: ref('subject', `sub${i % 12}`),
      assessmentId: ref('assessment', `a${Math.floor(i / 25)}`),
      lessonId: ref('lesson', `l${Math.floor(i / 25)}`),
      value: { scale: 'five_point', raw: String(value), numeric: value },
      weight: 1 + (i % 3),
      markStatus: 'graded',
      date: `2026-10-${String(day).padStart(2, '0')}`,
      markedAt: `2026-10-${String(day).padStart(2, '0')}T10:15:00Z`,
    },
  };
}

export function syntheticSource(n: number, pageSize = 1000, variant = 0): SourceAdapter<Record<string, never>> {
  return {
    spec: { id: 'bench-source', system: SYSTEM, version: '1.0.0', kind: 'source', title: 'Benchmark source', configSchema: { type: 'object' } },
    streams: [{ name: 'marks', entities: ['mark'], cursorField: 'i' }],
    async check() { return { ok: true }; },
    async *read(_ctx, stream): AsyncIterable<SourceMessage> {
      for (let i = 0; i < n; i++) {
        yield { kind: 'record', stream, record: syntheticMark(i, variant) };
        if ((i + 1) % pageSize === 0 || i === n - 1) yield { kind: 'checkpoint', stream, cursor: { v: 1, position: String(i + 1) } };
      }
    },
  };
}
