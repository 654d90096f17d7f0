import type { AdapterSpec } from '../../src/core/adapter';

/** Which МЭШ node the config points at; picks default hosts (sources §4.1). */
export type MeshRegion = 'moscow' | 'mosreg';

/** Config of one МЭШ / «Моя школа» source instance (validated against `MESH_CONFIG_SCHEMA`). */
export interface MeshConfig {
  /** `moscow` (school.mos.ru) or `mosreg` (api.myschool.mosreg.ru); default moscow. */
  region?: MeshRegion;
  /** Base of the family mobile API, before `/family/mobile/v1` (default per region). */
  apiBaseUrl?: string;
  /** Origin of the event calendar, before `/api/eventcalendar/v1/api/events` (default per region). */
  eventsBaseUrl?: string;
  /** The MESH token (mesh_access_token / aupd_token), obtained outside the gateway. Secret. */
  token: string;
  /** `profile-id` header: the family profile id. */
  profileId: number;
  /** Read only these student ids (default: every child of the profile). */
  studentIds?: number[];
  /** Also send the token as cookie `aupd_token` (octodiary does; default true). */
  sendCookie?: boolean;
  /** Mark number from `value` (string) or from `values[0].grade.five` (default value; see README). */
  markValueFrom?: 'value' | 'grade_five';
  daysBack?: number;
  daysAhead?: number;
  lookbackDays?: number;
  /** Offset of naive date-times in payloads (default +03:00, Moscow). */
  utcOffset?: string;
  timeoutMs?: number;
}

export const MESH_DEFAULTS = {
  region: 'moscow' as MeshRegion,
  sendCookie: true,
  markValueFrom: 'value' as const,
  daysBack: 28,
  daysAhead: 7,
  lookbackDays: 14,
  utcOffset: '+03:00',
};

/** Default hosts per region (octodiary `urls.py`, sources §4.1). */
export const MESH_HOSTS: Record<MeshRegion, { api: string; events: string }> = {
  moscow: { api: 'https://school.mos.ru/api', events: 'https://school.mos.ru' },
  mosreg: { api: 'https://api.myschool.mosreg.ru', events: 'https://authedu.mosreg.ru' },
};

export const MESH_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/mesh-source.config.schema.json',
  title: 'МЭШ / «Моя школа» family mobile API source',
  type: 'object',
  additionalProperties: false,
  required: ['token', 'profileId'],
  properties: {
    region: { enum: ['moscow', 'mosreg'], default: MESH_DEFAULTS.region, description: 'Picks default hosts.' },
    apiBaseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'e.g. https://school.mos.ru/api or https://api.myschool.mosreg.ru' },
    eventsBaseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'e.g. https://school.mos.ru or https://authedu.mosreg.ru' },
    token: { type: 'string', minLength: 1, 'x-secret': true, description: 'MESH token (Authorization: Bearer, Auth-Token, aupd_token).' },
    profileId: { type: 'integer', minimum: 1 },
    studentIds: { type: 'array', items: { type: 'integer', minimum: 1 }, uniqueItems: true },
    sendCookie: { type: 'boolean', default: MESH_DEFAULTS.sendCookie },
    markValueFrom: { enum: ['value', 'grade_five'], default: MESH_DEFAULTS.markValueFrom },
    daysBack: { type: 'integer', minimum: 0, maximum: 366, default: MESH_DEFAULTS.daysBack },
    daysAhead: { type: 'integer', minimum: 0, maximum: 60, default: MESH_DEFAULTS.daysAhead },
    lookbackDays: { type: 'integer', minimum: 0, maximum: 366, default: MESH_DEFAULTS.lookbackDays },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: MESH_DEFAULTS.utcOffset },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000 },
  },
};

export const MESH_SPEC: AdapterSpec = {
  id: 'mesh-source',
  system: 'mesh',
  version: '1.0.0',
  kind: 'source',
  title: 'МЭШ / «Моя школа» (family mobile API)',
  configSchema: MESH_CONFIG_SCHEMA,
};

export type ResolvedMeshConfig = MeshConfig & {
  region: MeshRegion; apiBaseUrl: string; eventsBaseUrl: string; sendCookie: boolean; markValueFrom: 'value' | 'grade_five';
  daysBack: number; daysAhead: number; lookbackDays: number; utcOffset: string;
};

export function resolveConfig(c: Readonly<MeshConfig>): ResolvedMeshConfig {
  const region = c.region ?? MESH_DEFAULTS.region;
  return {
    ...c,
    region,
    apiBaseUrl: (c.apiBaseUrl ?? MESH_HOSTS[region].api).replace(/\/+$/, ''),
    eventsBaseUrl: (c.eventsBaseUrl ?? MESH_HOSTS[region].events).replace(/\/+$/, ''),
    sendCookie: c.sendCookie ?? MESH_DEFAULTS.sendCookie,
    markValueFrom: c.markValueFrom ?? MESH_DEFAULTS.markValueFrom,
    daysBack: c.daysBack ?? MESH_DEFAULTS.daysBack,
    daysAhead: c.daysAhead ?? MESH_DEFAULTS.daysAhead,
    lookbackDays: c.lookbackDays ?? MESH_DEFAULTS.lookbackDays,
    utcOffset: c.utcOffset ?? MESH_DEFAULTS.utcOffset,
  };
}
