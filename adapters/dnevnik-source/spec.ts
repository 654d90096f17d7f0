import type { AdapterSpec } from '../../src/core/adapter';

/** Key casing of an answer: the partners API mixes camelCase and PascalCase (sources §2.3). */
export type Casing = 'auto' | 'camel' | 'pascal';

/** Config of one Дневник.ру source instance (validated against `DNEVNIK_CONFIG_SCHEMA`). */
export interface DnevnikConfig {
  /** API origin, default `https://api.dnevnik.ru` (the adapter appends `/v2`). */
  baseUrl: string;
  /** OAuth2 token of the partner application, sent as the `Access-Token` header. Secret. */
  accessToken: string;
  /** School id (decimal string: ids exceed 2^53). Default: the first school of `users/me/context`. */
  schoolId?: string;
  /** Class groups to read (decimal strings). Default: every `Group` of `users/me/context`. */
  eduGroupIds?: string[];
  /** Weeks before the current one read on a first run (default 4). */
  weeksBack?: number;
  /** Weeks after the current one read each run (default 1). */
  weeksAhead?: number;
  /** Weeks re-read before the cursor on each run, because marks are edited later (default 2). */
  lookbackWeeks?: number;
  /** UTC offset of the school's wall clock; payload datetimes carry none (default `+03:00`). */
  utcOffset?: string;
  /** Emit `Attend` log entries as `present` events (default true); false keeps only deviations. */
  emitPresent?: boolean;
  /** Casing of `edu-groups/{g}/teachers` and `timetables` answers; `auto` accepts both (default). */
  pascalCaseEndpoints?: Casing;
  /** Key that holds a work type's name: `title` (work-types/{school}), `name` (schedules) or `auto`. */
  workTypeTitleField?: 'auto' | 'title' | 'name';
  /**
   * Where `journal` reads from: `group` (edu-groups/{g}/lessons, marks, lesson-log-entries: a
   * school-wide token) or `person-schedules` (persons/{p}/groups/{g}/schedules: a student or parent
   * token that only sees its own person). Default `group`.
   */
  journalSource?: 'group' | 'person-schedules';
  /** Persons read in `person-schedules` mode (decimal strings). Default: the context's `personId`. */
  personIds?: string[];
  /** Shape of the schedules answer: `{days:[…]}` (sirop) or a bare day list (dn-partners); `auto` accepts both. */
  scheduleShape?: 'auto' | 'days' | 'list';
  /** Per-request timeout in ms. */
  timeoutMs?: number;
}

export const DNEVNIK_DEFAULTS = {
  weeksBack: 4,
  weeksAhead: 1,
  lookbackWeeks: 2,
  utcOffset: '+03:00',
  emitPresent: true,
  pascalCaseEndpoints: 'auto',
  workTypeTitleField: 'auto',
  journalSource: 'group',
  scheduleShape: 'auto',
} as const;

const ID = { type: 'string', pattern: '^[0-9]{1,20}$' } as const;

/** JSON Schema (draft 2020-12) of `DnevnikConfig`. Secrets carry `x-secret`. */
export const DNEVNIK_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/dnevnik-source.config.schema.json',
  title: 'Дневник.ру partners API v2 source',
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'accessToken'],
  properties: {
    baseUrl: { type: 'string', format: 'uri', pattern: '^https?://', default: 'https://api.dnevnik.ru', description: 'API origin; /v2 is appended.' },
    accessToken: { type: 'string', minLength: 1, 'x-secret': true, description: 'OAuth2 access token (Access-Token header).' },
    schoolId: { ...ID, description: 'School id as a decimal string.' },
    eduGroupIds: { type: 'array', items: ID, uniqueItems: true, minItems: 1 },
    weeksBack: { type: 'integer', minimum: 0, maximum: 52, default: DNEVNIK_DEFAULTS.weeksBack },
    weeksAhead: { type: 'integer', minimum: 0, maximum: 8, default: DNEVNIK_DEFAULTS.weeksAhead },
    lookbackWeeks: { type: 'integer', minimum: 0, maximum: 52, default: DNEVNIK_DEFAULTS.lookbackWeeks },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: DNEVNIK_DEFAULTS.utcOffset },
    emitPresent: { type: 'boolean', default: DNEVNIK_DEFAULTS.emitPresent },
    pascalCaseEndpoints: { enum: ['auto', 'camel', 'pascal'], default: DNEVNIK_DEFAULTS.pascalCaseEndpoints },
    workTypeTitleField: { enum: ['auto', 'title', 'name'], default: DNEVNIK_DEFAULTS.workTypeTitleField },
    journalSource: { enum: ['group', 'person-schedules'], default: DNEVNIK_DEFAULTS.journalSource },
    personIds: { type: 'array', items: ID, uniqueItems: true, minItems: 1 },
    scheduleShape: { enum: ['auto', 'days', 'list'], default: DNEVNIK_DEFAULTS.scheduleShape },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000 },
  },
};

export const DNEVNIK_SPEC: AdapterSpec = {
  id: 'dnevnik-source',
  system: 'dnevnik-ru',
  version: '1.0.0',
  kind: 'source',
  title: 'Дневник.ру (partners API v2)',
  configSchema: DNEVNIK_CONFIG_SCHEMA,
  docsUrl: 'https://api.dnevnik.ru/partners/swagger/ui/index',
};

export type ResolvedDnevnikConfig = DnevnikConfig & {
  weeksBack: number; weeksAhead: number; lookbackWeeks: number; utcOffset: string; emitPresent: boolean;
  pascalCaseEndpoints: Casing; workTypeTitleField: 'auto' | 'title' | 'name';
  journalSource: 'group' | 'person-schedules'; scheduleShape: 'auto' | 'days' | 'list';
};

/** Config with defaults applied (ajv `useDefaults` does it at load; direct callers may not). */
export function resolveConfig(c: Readonly<DnevnikConfig>): ResolvedDnevnikConfig {
  return {
    ...c,
    weeksBack: c.weeksBack ?? DNEVNIK_DEFAULTS.weeksBack,
    weeksAhead: c.weeksAhead ?? DNEVNIK_DEFAULTS.weeksAhead,
    lookbackWeeks: c.lookbackWeeks ?? DNEVNIK_DEFAULTS.lookbackWeeks,
    utcOffset: c.utcOffset ?? DNEVNIK_DEFAULTS.utcOffset,
    emitPresent: c.emitPresent ?? DNEVNIK_DEFAULTS.emitPresent,
    pascalCaseEndpoints: c.pascalCaseEndpoints ?? DNEVNIK_DEFAULTS.pascalCaseEndpoints,
    workTypeTitleField: c.workTypeTitleField ?? DNEVNIK_DEFAULTS.workTypeTitleField,
    journalSource: c.journalSource ?? DNEVNIK_DEFAULTS.journalSource,
    scheduleShape: c.scheduleShape ?? DNEVNIK_DEFAULTS.scheduleShape,
  };
}
