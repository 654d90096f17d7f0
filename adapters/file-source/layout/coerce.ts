/**
 * Text → typed canonical fields, driven by the entity plan (pure). Both formats are first
 * brought to one loose tree: every field name maps to the list of its occurrences, each a text
 * or a nested tree (CSV `value.numeric` and XML `<value><numeric>` give the same tree).
 *
 * Rules (the layout documents them): values are trimmed; an empty value is an absent field,
 * except `null` for a nullable field and `""` for a required text that may be empty; numbers take
 * a decimal comma; booleans take true/false/1/0/yes/no/да/нет; dates take YYYY-MM-DD or
 * DD.MM.YYYY; date-times without an offset are school time (`utcOffset`) and are stored in UTC;
 * phone numbers lose their spacing and a leading 8 becomes +7; a group of empty nested values is
 * no object; references are source ids. Issues name the field path, never the value.
 */
import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { ExternalId, MappedRecord } from '../../../src/core/records';
import { offsetMinutes } from '../../../src/infra/adapter-kit/dates';
import { ENVELOPE_FIELDS, type EntityPlan, type FieldKind, type StringFormat } from './plan';

export interface LooseTree { [name: string]: LooseNode[] }
export type LooseNode = string | LooseTree;

export interface CoerceEnv {
  ids: IdResolver;
  utcOffset: string;
  /** CSV: a list field may hold several values separated by `|`. */
  splitLists: boolean;
  /** Issuer written on `source-local` external ids. */
  system: string;
}

export type Coerced =
  | { ok: true; record: MappedRecord }
  | { ok: false; sourceId: string | undefined; issues: Issue[] };

const SKIP = Symbol('skip');
type Out = unknown | typeof SKIP;

/** One record's loose tree → a MappedRecord, or the issues that keep it from being one. */
export function coerceRecord(plan: EntityPlan, tree: LooseTree, env: CoerceEnv): Coerced {
  const issues: Issue[] = [];
  const fields: Record<string, unknown> = {};
  const envelope: Record<string, unknown> = {};
  for (const [name, nodes] of Object.entries(tree)) {
    const envKind = ENVELOPE_FIELDS[name];
    const kind = envKind ?? plan.fields[name];
    if (!kind) {
      issues.push({ path: `/${name}`, message: `unknown field for ${plan.entity}` });
      continue;
    }
    const v = coerceField(kind, nodes, `/${name}`, plan.required.includes(name), env, issues, tree);
    if (v !== SKIP) (envKind ? envelope : fields)[name] = v;
  }
  const sourceId = typeof envelope.sourceId === 'string' && envelope.sourceId.length > 0 ? envelope.sourceId : undefined;
  if (!sourceId) issues.push({ path: '/sourceId', message: 'missing: every record needs its id in the exporting journal' });
  else if (sourceId.length > 512) issues.push({ path: '/sourceId', message: 'longer than 512 characters' });
  const status = envelope.status;
  if (status !== undefined && status !== 'active' && status !== 'tobedeleted') issues.push({ path: '/status', message: 'must be active or tobedeleted' });
  if (issues.length > 0 || !sourceId) return { ok: false, sourceId, issues };
  const extra = envelope.externalIds as ExternalId[] | undefined;
  const record: MappedRecord = {
    entityType: plan.entity, sourceId, fields,
    ...(status === 'tobedeleted' ? { status: 'tobedeleted' as const } : {}),
    ...(typeof envelope.sourceModifiedAt === 'string' ? { sourceModifiedAt: envelope.sourceModifiedAt } : {}),
    ...(typeof envelope.sourceCreatedAt === 'string' ? { sourceCreatedAt: envelope.sourceCreatedAt } : {}),
    ...(extra && extra.length > 0 ? { externalIds: [{ type: 'source-local', value: sourceId, issuer: env.system }, ...extra] } : {}),
  };
  return { ok: true, record };
}

function coerceField(kind: FieldKind, nodes: LooseNode[], path: string, required: boolean, env: CoerceEnv, issues: Issue[], siblings: LooseTree): Out {
  if (kind.t === 'array') {
    const items: unknown[] = [];
    let list = nodes;
    if (env.splitLists && kind.items.t !== 'object' && nodes.length === 1 && typeof nodes[0] === 'string') {
      list = nodes[0].split('|');
    }
    list.forEach((n, i) => {
      if (typeof n === 'string' && n.trim() === '') return;
      const v = coerceOne(kind.items, n, `${path}/${i}`, false, env, issues, siblings);
      if (v !== SKIP) items.push(v);
    });
    return items.length > 0 ? items : SKIP;
  }
  const present = nodes.filter((n) => typeof n !== 'string' || n.trim() !== '');
  if (present.length > 1) {
    issues.push({ path, message: 'given more than once' });
    return SKIP;
  }
  const node = present[0];
  if (node === undefined) {
    if (kind.t === 'number' && kind.nullable && nodes.length > 0) return null;
    if (kind.t === 'string' && required && nodes.length > 0) return '';
    return SKIP;
  }
  return coerceOne(kind, node, path, required, env, issues, siblings);
}

function coerceOne(kind: FieldKind, node: LooseNode, path: string, required: boolean, env: CoerceEnv, issues: Issue[], siblings: LooseTree): Out {
  if (kind.t === 'object') {
    if (typeof node === 'string') {
      issues.push({ path, message: 'expected nested fields (dot notation in CSV, child elements in XML)' });
      return SKIP;
    }
    // A group of empty cells (`attachments.1.*` left blank) is no object at all.
    if (isBlank(node)) return SKIP;
    const obj: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(node)) {
      const pk = kind.props[k];
      if (!pk) {
        issues.push({ path: `${path}/${k}`, message: 'unknown field' });
        continue;
      }
      const v = coerceField(pk, sub, `${path}/${k}`, kind.required.includes(k), env, issues, node);
      if (v !== SKIP) obj[k] = v;
    }
    return Object.keys(obj).length > 0 ? obj : SKIP;
  }
  if (typeof node !== 'string') {
    issues.push({ path, message: 'expected a value, found nested fields' });
    return SKIP;
  }
  const s = node.trim();
  const bad = (message: string): typeof SKIP => { issues.push({ path, message }); return SKIP; };
  switch (kind.t) {
    case 'array': return bad('a list inside a list is not supported');
    case 'integer': return /^[+-]?\d{1,15}$/.test(s) ? Number(s) : bad('not an integer');
    case 'number': return /^[+-]?\d{1,15}([.,]\d{1,15})?$/.test(s) ? Number(s.replace(',', '.')) : bad('not a number');
    case 'boolean': {
      const b = BOOLEANS[s.toLowerCase()];
      return b === undefined ? bad('not a boolean (true/false, 1/0, да/нет)') : b;
    }
    case 'ref': return env.ids.ref(kind.entity, s);
    case 'ref-by': {
      const by = siblings[kind.by]?.[0];
      const target = typeof by === 'string' ? kind.targets[by.trim()] : undefined;
      return target ? env.ids.ref(target, s) : bad(`cannot resolve: ${kind.by} must be one of ${Object.keys(kind.targets).join(', ')}`);
    }
    case 'string': {
      if (!kind.format) return s === '' && required ? '' : s;
      const v = FORMATS[kind.format](s, env.utcOffset);
      return v === undefined ? bad(FORMAT_HINTS[kind.format]) : v;
    }
  }
}

function isBlank(node: LooseNode): boolean {
  return typeof node === 'string' ? node.trim() === '' : Object.values(node).every((list) => list.every(isBlank));
}

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true, false: false, '1': true, '0': false, yes: true, no: false, 'да': true, 'нет': false,
};

const FORMAT_HINTS: Readonly<Record<StringFormat, string>> = {
  date: 'not a date (YYYY-MM-DD or DD.MM.YYYY)',
  'datetime-utc': 'not a date-time (ISO 8601, or DD.MM.YYYY HH:MM in school time)',
  datetime: 'not a date-time (ISO 8601, or DD.MM.YYYY HH:MM in school time)',
  'date-or-datetime': 'not a date or date-time',
  time: 'not a time of day (HH:MM)',
  phone: 'not a phone number (+7 900 000-00-00, 8 900 000 00 00)',
};

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` or `D.M.YYYY` → `YYYY-MM-DD` of a real day (arithmetic only: it runs for every date cell). */
export function normDate(s: string): string | undefined {
  const ru = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  const iso = ru ? `${ru[3]}-${ru[2]!.padStart(2, '0')}-${ru[1]!.padStart(2, '0')}` : s;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = mo === 2 && leap ? 29 : MONTH_DAYS[mo - 1];
  return max !== undefined && d >= 1 && d <= max ? iso : undefined;
}

const LOCAL_DT = /^(\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const ZONED_DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date-time → an instant in UTC (`…Z`, no milliseconds when they are zero). */
export function normDateTimeUtc(s: string, utcOffset: string): string | undefined {
  const d = instantOf(s, utcOffset);
  if (!d) return undefined;
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** A date-time with an offset: kept as written when it has one, else given the school's offset. */
export function normDateTimeOffset(s: string, utcOffset: string): string | undefined {
  if (ZONED_DT.test(s)) return instantOf(s, utcOffset) ? s : undefined;
  const m = LOCAL_DT.exec(s);
  if (!m) return undefined;
  const date = normDate(m[1] as string);
  if (!date || !instantOf(s, utcOffset)) return undefined;
  return `${date}T${m[2]!.padStart(2, '0')}:${m[3]}:${m[4] ?? '00'}${utcOffset}`;
}

function instantOf(s: string, utcOffset: string): Date | undefined {
  if (ZONED_DT.test(s)) {
    const d = new Date(s);
    return Number.isNaN(d.getTime()) || !normDate(s.slice(0, 10)) ? undefined : d;
  }
  const m = LOCAL_DT.exec(s);
  if (!m) return undefined;
  const date = normDate(m[1] as string);
  const [h, min, sec, ms] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number((m[5] ?? '0').padEnd(3, '0'))];
  if (!date || h > 23 || min > 59 || sec > 59) return undefined;
  const utc = Date.parse(`${date}T00:00:00Z`) + ((h * 60 + min - offsetMinutes(utcOffset)) * 60 + sec) * 1000 + ms;
  return new Date(utc);
}

const FORMATS: Readonly<Record<StringFormat, (s: string, utcOffset: string) => string | undefined>> = {
  date: (s) => normDate(s),
  'datetime-utc': normDateTimeUtc,
  datetime: normDateTimeOffset,
  'date-or-datetime': (s, o) => normDate(s) ?? normDateTimeOffset(s, o),
  time: (s) => {
    const m = /^(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(s);
    return m && Number(m[1]) < 24 && Number(m[2]) < 60 ? `${m[1]!.padStart(2, '0')}:${m[2]}` : undefined;
  },
  // E.164 as the schema wants it; Russian exports write `+7 (900) 000-00-00` or `8 900 000 00 00`.
  phone: (s) => {
    const digits = s.replace(/[\s()\-.]/g, '');
    const e164 = /^8\d{10}$/.test(digits) ? `+7${digits.slice(1)}` : digits;
    return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : undefined;
  },
};
