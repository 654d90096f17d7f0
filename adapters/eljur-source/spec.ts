import type { AdapterSpec } from '../../src/core/adapter';

export const ATTENDANCE_CATEGORIES = ['absent_illness', 'absent_valid', 'absent_invalid', 'late', 'early_departure', 'unknown'] as const;
export type AttendanceCategory = (typeof ATTENDANCE_CATEGORIES)[number];

/** How `auth` is sent: the reference shows both (sources §3.2) and no client sends both. */
export type EljurAuthMethod = 'post-json' | 'get-query';

/** Config of one ЭлЖур source instance (validated against `ELJUR_CONFIG_SCHEMA`). */
export interface EljurConfig {
  /** API root including the version prefix: `https://api.eljur.ru/apiv3` or `https://<vendor>.eljur.ru/apiv3`. */
  baseUrl: string;
  /** The school's subdomain (`vendor` query parameter), e.g. `school7`. */
  vendor: string;
  /** Developer key issued by ЭлЖур (`devkey` on every call). Secret. */
  devkey: string;
  /** Journal login; absent when a ready `authToken` is configured (ESIA-only hosts). */
  login?: string;
  /** Journal password. Secret. */
  password?: string;
  /** A token obtained elsewhere (getusersvendors on ESIA-only hosts); not renewable. Secret. */
  authToken?: string;
  /** `post-json` (apiv3 on school hosts) or `get-query` (older clients); default `post-json`. */
  authMethod?: EljurAuthMethod;
  /** Weeks before the current one read on a first run (default 4). */
  weeksBack?: number;
  /** Weeks after the current one read each run (default 1). */
  weeksAhead?: number;
  /** Weeks re-read before the cursor each run: marks are entered and edited late (default 2). */
  lookbackWeeks?: number;
  /** UTC offset of the school, e.g. `+05:00` (payloads carry none; default `+03:00`). */
  utcOffset?: string;
  /** Renew the token this many minutes before its `expires` (default 60). */
  renewBeforeMinutes?: number;
  /**
   * Absence pseudo-mark values (case-insensitive) → attendance category. Default
   * `{н: unknown, оп: late}` (sources §3.4: н/оп/Н/ОП with count:false; н carries no reason).
   */
  absenceCodes?: Record<string, AttendanceCategory>;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
}

export const ELJUR_DEFAULTS = {
  authMethod: 'post-json' as EljurAuthMethod,
  weeksBack: 4,
  weeksAhead: 1,
  lookbackWeeks: 2,
  utcOffset: '+03:00',
  renewBeforeMinutes: 60,
  absenceCodes: { 'н': 'unknown', 'оп': 'late' } as Record<string, AttendanceCategory>,
};

/** JSON Schema (draft 2020-12) of `EljurConfig`. Secrets carry `x-secret`. */
export const ELJUR_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/eljur-source.config.schema.json',
  title: 'ЭлЖур (eljur.ru apiv3) source',
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'vendor', 'devkey'],
  anyOf: [
    { required: ['login', 'password'], properties: { login: true, password: true } },
    { required: ['authToken'], properties: { authToken: true } },
  ],
  properties: {
    baseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'API root with version, e.g. https://school7.eljur.ru/apiv3' },
    vendor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'School subdomain (vendor).' },
    devkey: { type: 'string', minLength: 1, 'x-secret': true, description: 'ЭлЖур developer key.' },
    login: { type: 'string', minLength: 1 },
    password: { type: 'string', minLength: 1, 'x-secret': true },
    authToken: { type: 'string', minLength: 1, 'x-secret': true, description: 'Ready auth_token (ESIA-only hosts); not renewable.' },
    authMethod: { enum: ['post-json', 'get-query'], default: ELJUR_DEFAULTS.authMethod },
    weeksBack: { type: 'integer', minimum: 0, maximum: 52, default: ELJUR_DEFAULTS.weeksBack },
    weeksAhead: { type: 'integer', minimum: 0, maximum: 8, default: ELJUR_DEFAULTS.weeksAhead },
    lookbackWeeks: { type: 'integer', minimum: 0, maximum: 52, default: ELJUR_DEFAULTS.lookbackWeeks },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: ELJUR_DEFAULTS.utcOffset },
    renewBeforeMinutes: { type: 'integer', minimum: 0, maximum: 10080, default: ELJUR_DEFAULTS.renewBeforeMinutes },
    absenceCodes: {
      type: 'object', minProperties: 1, description: 'Absence pseudo-mark value → attendance category.',
      additionalProperties: { enum: ATTENDANCE_CATEGORIES },
    },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000 },
  },
};

export const ELJUR_SPEC: AdapterSpec = {
  id: 'eljur-source',
  system: 'eljur',
  version: '1.0.0',
  kind: 'source',
  title: 'ЭлЖур (eljur.ru)',
  configSchema: ELJUR_CONFIG_SCHEMA,
};

export type ResolvedEljurConfig = EljurConfig & {
  authMethod: EljurAuthMethod; weeksBack: number; weeksAhead: number; lookbackWeeks: number;
  utcOffset: string; renewBeforeMinutes: number; absenceCodes: Record<string, AttendanceCategory>;
};

export function resolveConfig(c: Readonly<EljurConfig>): ResolvedEljurConfig {
  return {
    ...c,
    authMethod: c.authMethod ?? ELJUR_DEFAULTS.authMethod,
    weeksBack: c.weeksBack ?? ELJUR_DEFAULTS.weeksBack,
    weeksAhead: c.weeksAhead ?? ELJUR_DEFAULTS.weeksAhead,
    lookbackWeeks: c.lookbackWeeks ?? ELJUR_DEFAULTS.lookbackWeeks,
    utcOffset: c.utcOffset ?? ELJUR_DEFAULTS.utcOffset,
    renewBeforeMinutes: c.renewBeforeMinutes ?? ELJUR_DEFAULTS.renewBeforeMinutes,
    absenceCodes: c.absenceCodes ?? ELJUR_DEFAULTS.absenceCodes,
  };
}
