import type { AdapterSpec } from '../../src/core/adapter';
import { COLLECTION_NAMES, DEFAULT_PATHS, SCOPES, type Collection } from './collections';

/** Where the OneRoster data comes from: the REST binding, or CSV packages in a local folder. */
export type OneRosterMode = 'rest' | 'csv';

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1 allows both). */
export type ClientAuth = 'basic' | 'body';

/** Which side's `agents[]` make guardian links (README, "Guardians"). */
export type AgentLinks = 'guardian-side' | 'student-side';

/** Canonical class-group kind of a OneRoster `scheduled` class. */
export type ScheduledClassKind = 'subgroup' | 'class' | 'stream';

/** Config of one OneRoster source instance (validated against `ONEROSTER_CONFIG_SCHEMA`). */
export interface OneRosterConfig {
  /** `rest` (default) or `csv`. */
  mode?: OneRosterMode;
  /** REST: the provider's origin (plus any prefix) before the service paths, e.g. `https://or.example.org`. */
  baseUrl?: string;
  rosteringPath?: string;
  gradebookPath?: string;
  /** REST: the OAuth 2 token endpoint (client credentials grant). */
  authUrl?: string;
  clientId?: string;
  /** Secret. */
  clientSecret?: string;
  /** `basic` (HTTP Basic, the IMS Security Framework's way; default) or `body` (client_id/client_secret in the form). */
  clientAuth?: ClientAuth;
  /** Scopes asked for (default: roster-core, gradebook-core, plus demographics when enabled). */
  scopes?: string[];
  /** `limit` per page (default 100, the binding's default). */
  pageSize?: number;
  /** Send `sort=sourcedId&orderBy=asc` (stable order while offsets move; default true). */
  sortBySourcedId?: boolean;
  /** Extra filter per collection, joined to the delta filter with ` AND ` (e.g. users: `role='student'`). */
  extraFilters?: Partial<Record<Collection, string>>;
  /** Minutes re-read before the cursor on every run (clock skew, late commits; default 10). */
  lookbackMinutes?: number;
  /** CSV: a package folder (with manifest.csv), or a folder of package folders taken in name order. */
  csvPath?: string;
  /** Keep only this org's data where a record names its school (default: everything the client sees). */
  schoolSourcedId?: string;
  /** IANA zone of the school (canonical school.timeZone; default Europe/Moscow). */
  timeZone?: string;
  /** UTC offset used to turn OneRoster UTC date-times into school dates (default +03:00). */
  utcOffset?: string;
  /** Read demographics (birth dates) into persons; needs the roster-demographics scope (default false). */
  demographics?: boolean;
  agentLinks?: AgentLinks;
  scheduledClassKind?: ScheduledClassKind;
  /**
   * Category title (case-insensitive) or sourcedId → a workType code (`control_work`, `ext:…`)
   * or a mark kind (`mark:period`, `mark:annual`, `mark:final`, `mark:exam`). Wins over the built-in table.
   */
  categoryMap?: Record<string, string>;
  /** Assessment weight when the category has none (default 1). */
  defaultWeight?: number;
  timeoutMs?: number;
}

export const ONEROSTER_DEFAULTS = {
  mode: 'rest' as OneRosterMode,
  clientAuth: 'basic' as ClientAuth,
  pageSize: 100,
  sortBySourcedId: true,
  lookbackMinutes: 10,
  timeZone: 'Europe/Moscow',
  utcOffset: '+03:00',
  demographics: false,
  agentLinks: 'guardian-side' as AgentLinks,
  scheduledClassKind: 'subgroup' as ScheduledClassKind,
  defaultWeight: 1,
};

const WORK_TYPE_OR_KIND = '^(oral_answer|classwork|homework|independent_work|control_work|test|dictation|essay|practical_work|lab_work|project|credit_test|exam|ext:[A-Za-z0-9_.:-]{1,64}|mark:(period|annual|final|exam))$';

/** JSON Schema (draft 2020-12) of `OneRosterConfig`. Secrets carry `x-secret`. */
export const ONEROSTER_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/oneroster-source.config.schema.json',
  title: 'OneRoster 1.2 source (REST or CSV)',
  type: 'object',
  additionalProperties: false,
  if: { properties: { mode: { const: 'csv' } }, required: ['mode'] },
  then: { required: ['csvPath'], properties: { csvPath: true } },
  else: {
    required: ['baseUrl', 'authUrl', 'clientId', 'clientSecret'],
    properties: { baseUrl: true, authUrl: true, clientId: true, clientSecret: true },
  },
  properties: {
    mode: { enum: ['rest', 'csv'], default: ONEROSTER_DEFAULTS.mode },
    baseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'Provider origin before /ims/oneroster/…' },
    rosteringPath: { type: 'string', pattern: '^/', default: DEFAULT_PATHS.rostering },
    gradebookPath: { type: 'string', pattern: '^/', default: DEFAULT_PATHS.gradebook },
    authUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'OAuth 2 token endpoint (client credentials).' },
    clientId: { type: 'string', minLength: 1 },
    clientSecret: { type: 'string', minLength: 1, 'x-secret': true },
    clientAuth: { enum: ['basic', 'body'], default: ONEROSTER_DEFAULTS.clientAuth },
    scopes: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^\\S+$' }, uniqueItems: true },
    pageSize: { type: 'integer', minimum: 1, maximum: 10000, default: ONEROSTER_DEFAULTS.pageSize },
    sortBySourcedId: { type: 'boolean', default: ONEROSTER_DEFAULTS.sortBySourcedId },
    extraFilters: {
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries(COLLECTION_NAMES.map((c) => [c, { type: 'string', minLength: 3, maxLength: 500 }])),
    },
    lookbackMinutes: { type: 'integer', minimum: 0, maximum: 10080, default: ONEROSTER_DEFAULTS.lookbackMinutes },
    csvPath: { type: 'string', minLength: 1, description: 'Package folder or folder of package folders.' },
    schoolSourcedId: { type: 'string', minLength: 1, maxLength: 256 },
    timeZone: { type: 'string', pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)+$', default: ONEROSTER_DEFAULTS.timeZone },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: ONEROSTER_DEFAULTS.utcOffset },
    demographics: { type: 'boolean', default: ONEROSTER_DEFAULTS.demographics },
    agentLinks: { enum: ['guardian-side', 'student-side'], default: ONEROSTER_DEFAULTS.agentLinks },
    scheduledClassKind: { enum: ['subgroup', 'class', 'stream'], default: ONEROSTER_DEFAULTS.scheduledClassKind },
    categoryMap: { type: 'object', additionalProperties: { type: 'string', pattern: WORK_TYPE_OR_KIND } },
    defaultWeight: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: ONEROSTER_DEFAULTS.defaultWeight },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000 },
  },
};

export const ONEROSTER_SPEC: AdapterSpec = {
  id: 'oneroster-source',
  system: 'oneroster',
  version: '1.0.0',
  kind: 'source',
  title: '1EdTech OneRoster 1.2 (REST or CSV)',
  configSchema: ONEROSTER_CONFIG_SCHEMA,
  docsUrl: 'https://www.imsglobal.org/spec/oneroster/v1p2',
};

export type ResolvedOneRosterConfig = OneRosterConfig & {
  mode: OneRosterMode; rosteringPath: string; gradebookPath: string; clientAuth: ClientAuth; scopes: string[];
  pageSize: number; sortBySourcedId: boolean; extraFilters: Partial<Record<Collection, string>>; lookbackMinutes: number;
  timeZone: string; utcOffset: string; demographics: boolean; agentLinks: AgentLinks; scheduledClassKind: ScheduledClassKind;
  categoryMap: Record<string, string>; defaultWeight: number;
};

export function defaultScopes(demographics: boolean): string[] {
  return [SCOPES.rosterCore, SCOPES.gradebookCore, ...(demographics ? [SCOPES.demographics] : [])];
}

export function resolveConfig(c: Readonly<OneRosterConfig>): ResolvedOneRosterConfig {
  const demographics = c.demographics ?? ONEROSTER_DEFAULTS.demographics;
  return {
    ...c,
    mode: c.mode ?? ONEROSTER_DEFAULTS.mode,
    rosteringPath: c.rosteringPath ?? DEFAULT_PATHS.rostering,
    gradebookPath: c.gradebookPath ?? DEFAULT_PATHS.gradebook,
    clientAuth: c.clientAuth ?? ONEROSTER_DEFAULTS.clientAuth,
    scopes: c.scopes ?? defaultScopes(demographics),
    pageSize: c.pageSize ?? ONEROSTER_DEFAULTS.pageSize,
    sortBySourcedId: c.sortBySourcedId ?? ONEROSTER_DEFAULTS.sortBySourcedId,
    extraFilters: c.extraFilters ?? {},
    lookbackMinutes: c.lookbackMinutes ?? ONEROSTER_DEFAULTS.lookbackMinutes,
    timeZone: c.timeZone ?? ONEROSTER_DEFAULTS.timeZone,
    utcOffset: c.utcOffset ?? ONEROSTER_DEFAULTS.utcOffset,
    demographics,
    agentLinks: c.agentLinks ?? ONEROSTER_DEFAULTS.agentLinks,
    scheduledClassKind: c.scheduledClassKind ?? ONEROSTER_DEFAULTS.scheduledClassKind,
    categoryMap: c.categoryMap ?? {},
    defaultWeight: c.defaultWeight ?? ONEROSTER_DEFAULTS.defaultWeight,
  };
}
