/**
 * Mapping helpers shared by the source adapters: the result of mapping one vendor record and
 * the lenient readers of drifting vendor fields (numbers sent as strings and the like).
 */
import type { SourceMessage } from '../../core/adapter';
import { GatewayError, type Issue } from '../../core/errors';
import type { IdResolver } from '../../core/ids';
import type { EntityType, MappedRecord } from '../../core/records';

/**
 * Result of mapping one vendor record: a canonical record, or the reasons it could not be
 * mapped (the reader turns those into `invalid` messages with GW_RECORD_UNMAPPABLE).
 */
export type Mapped =
  | { kind: 'record'; record: MappedRecord }
  | { kind: 'invalid'; entityType: EntityType; sourceId: string; issues: Issue[]; raw: unknown };

export interface MapContext {
  ids: IdResolver;
  /** School UTC offset, e.g. '+03:00', for payload date-times that carry none. */
  utcOffset: string;
}

export function record(entityType: EntityType, sourceId: string, fields: Record<string, unknown>, extra: Partial<MappedRecord> = {}): Mapped {
  return { kind: 'record', record: { entityType, sourceId, fields, ...extra } };
}

export function invalid(entityType: EntityType, sourceId: string, issues: Issue[], raw: unknown): Mapped {
  return { kind: 'invalid', entityType, sourceId, issues, raw };
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An integer id, also when a server sends it as a numeric string. */
export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A finite number, also from a numeric string with a dot or a comma (`weight: "2"`, `"4,5"`). */
export function numOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(?:[.,]\d+)?$/.test(v.trim())) return Number(v.trim().replace(',', '.'));
  return undefined;
}

/** Text with whitespace collapsed, cut to `max`; undefined when empty or not a string. */
export function textOf(v: unknown, max = 1000): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.slice(0, max);
}

/** Grade (параллель) from a class name: '5а' → 5, '10 Б' → 10, '7-А' → 7; undefined when there is none. */
export function gradeLevelOf(className: string): number | undefined {
  const m = /^\s*(\d{1,2})/.exec(className);
  if (!m) return undefined;
  const g = Number(m[1]);
  return g >= 0 && g <= 12 ? g : undefined;
}

export interface Fio { familyName: string; givenName: string; middleName?: string }

/** A vendor name for lookups: lower case, ё → е, whitespace collapsed ('Классная  Работа' → 'классная работа'). */
export function normName(s: string): string {
  return s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();
}

/** A vocabulary table (vendor name → code) as a map keyed by `normName` of the name. */
export function nameTable<C>(entries: readonly (readonly [string, C])[]): Map<string, C> {
  return new Map(entries.map(([name, code]) => [normName(name), code]));
}

/**
 * Mapped results → source messages; an unmappable record becomes `invalid` with
 * GW_RECORD_UNMAPPABLE naming `vendor`. `seen` (entity:sourceId) drops repeats within one read.
 */
export function* emitMapped(vendor: string, stream: string, mapped: readonly Mapped[], seen?: Set<string>): Generator<SourceMessage> {
  for (const m of mapped) {
    const entity = m.kind === 'record' ? m.record.entityType : m.entityType;
    const sourceId = m.kind === 'record' ? m.record.sourceId : m.sourceId;
    if (seen) {
      const key = `${entity}:${sourceId}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (m.kind === 'record') yield { kind: 'record', stream, record: m.record };
    else {
      yield {
        kind: 'invalid', stream, sourceId, entityType: entity, raw: m.raw,
        error: new GatewayError('GW_RECORD_UNMAPPABLE', `${vendor} ${entity} ${sourceId} could not be mapped`, { issues: m.issues }),
      };
    }
  }
}
