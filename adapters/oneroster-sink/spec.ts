/**
 * Config spec of the OneRoster 1.2 sink (REST gradebook writes, optional rostering writes).
 *
 * The JSON Schema is the source of truth for validation (the config loader compiles it with ajv
 * strict + useDefaults); `resolveOneRosterSinkConfig` repeats the defaults so the adapter behaves
 * the same when handed a config that skipped the loader (tests, scripts).
 */
import type { AdapterSpec } from '../../src/core/adapter';

export const GRADEBOOK_PATH = '/ims/oneroster/gradebook/v1p2';
export const ROSTERING_PATH = '/ims/oneroster/rostering/v1p2';
export const SCOPE_BASE = 'https://purl.imsglobal.org/spec/or/v1p2/scope';
export const SCOPES = {
  createPut: `${SCOPE_BASE}/gradebook.createput`,
  delete: `${SCOPE_BASE}/gradebook.delete`,
} as const;

/** How a deleted record (canonical `status: tobedeleted`) reaches the consumer. */
export type TombstoneMode = 'put' | 'delete';
/** Which OneRoster class a line item names: the class × subject section, or the class group itself. */
export type LineItemClassMode = 'section' | 'class-group';
/** What happens to marks the REST gradebook cannot carry (period, annual, final, exam; current without a work). */
export type UnsupportedMarkMode = 'reject' | 'skip';

/** Instance config of `oneroster-sink` (secrets already resolved from `${ENV}`). */
export interface OneRosterSinkConfig {
  /** Consumer origin (plus any prefix) before the service paths, e.g. `https://lms.example.org`. */
  baseUrl: string;
  gradebookPath?: string;
  rosteringPath?: string;
  /** OAuth 2 token endpoint (client credentials grant). */
  authUrl: string;
  clientId: string;
  /** Secret: never logged or echoed. */
  clientSecret: string;
  /** `basic` (HTTP Basic, the IMS Security Framework's way; default) or `body` (client_id/client_secret in the form). */
  clientAuth?: 'basic' | 'body';
  /** Scopes asked for; default `gradebook.createput` (+ `gradebook.delete` when tombstones are DELETEs). */
  scopes?: string[];
  /** `put` (default): PUT the object with `status: tobedeleted`; `delete`: DELETE it. */
  tombstones?: TombstoneMode;
  lineItemClass?: LineItemClassMode;
  unsupportedMarks?: UnsupportedMarkMode;
  /** PUT roster objects (orgs, sessions, courses, classes, users, enrollments): not in the 1.2 standard, off by default. */
  rostering?: boolean;
  /** Gateway school id → the consumer's org sourcedId (default: a UUIDv5 of the school id, the same as the CSV export). */
  orgSourcedIds?: Record<string, string>;
  /** UTC offset of the schools' local dates (a canonical date becomes local midnight in UTC). */
  utcOffset?: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

export interface ResolvedOneRosterSinkConfig extends Required<Omit<OneRosterSinkConfig, 'orgSourcedIds'>> {
  orgSourcedIds: Record<string, string>;
}

/** 30 s: one PUT of one object answers well within it. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_UTC_OFFSET = '+03:00';

export const oneRosterSinkConfigSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/oneroster-sink.config.schema.json',
  title: 'OneRoster 1.2 sink (REST gradebook writes)',
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'authUrl', 'clientId', 'clientSecret'],
  properties: {
    baseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'Consumer origin before /ims/oneroster/…' },
    gradebookPath: { type: 'string', pattern: '^/', default: GRADEBOOK_PATH },
    rosteringPath: { type: 'string', pattern: '^/', default: ROSTERING_PATH },
    authUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'OAuth 2 token endpoint (client credentials).' },
    clientId: { type: 'string', minLength: 1 },
    clientSecret: { type: 'string', minLength: 1, 'x-secret': true, description: 'Give it as ${ENV_NAME}.' },
    clientAuth: { enum: ['basic', 'body'], default: 'basic' },
    scopes: { type: 'array', items: { type: 'string', pattern: '^\\S+$', minLength: 1 }, uniqueItems: true },
    tombstones: { enum: ['put', 'delete'], default: 'put', description: 'put: status tobedeleted; delete: DELETE (needs gradebook.delete).' },
    lineItemClass: { enum: ['section', 'class-group'], default: 'section' },
    unsupportedMarks: { enum: ['reject', 'skip'], default: 'reject' },
    rostering: { type: 'boolean', default: false },
    orgSourcedIds: { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: 256 } },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: DEFAULT_UTC_OFFSET },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: DEFAULT_TIMEOUT_MS },
  },
};

export const oneRosterSinkSpec: AdapterSpec = {
  id: 'oneroster-sink',
  system: 'oneroster-consumer',
  version: '1.0.0',
  kind: 'sink',
  title: '1EdTech OneRoster 1.2 consumer (REST gradebook PUTs with our sourcedIds)',
  configSchema: oneRosterSinkConfigSchema,
  docsUrl: 'https://www.imsglobal.org/spec/oneroster/v1p2',
};

export function defaultScopes(tombstones: TombstoneMode): string[] {
  return [SCOPES.createPut, ...(tombstones === 'delete' ? [SCOPES.delete] : [])];
}

/** Applies defaults and strips trailing slashes. */
export function resolveOneRosterSinkConfig(c: Readonly<OneRosterSinkConfig>): ResolvedOneRosterSinkConfig {
  const tombstones = c.tombstones ?? 'put';
  const trim = (s: string): string => s.replace(/\/+$/, '');
  return {
    baseUrl: trim(c.baseUrl),
    gradebookPath: trim(c.gradebookPath ?? GRADEBOOK_PATH),
    rosteringPath: trim(c.rosteringPath ?? ROSTERING_PATH),
    authUrl: c.authUrl,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    clientAuth: c.clientAuth ?? 'basic',
    scopes: c.scopes ?? defaultScopes(tombstones),
    tombstones,
    lineItemClass: c.lineItemClass ?? 'section',
    unsupportedMarks: c.unsupportedMarks ?? 'reject',
    rostering: c.rostering ?? false,
    orgSourcedIds: c.orgSourcedIds ?? {},
    utcOffset: c.utcOffset ?? DEFAULT_UTC_OFFSET,
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}
