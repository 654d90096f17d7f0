/**
 * `gateway.families`: the JSON Schema fragment for config/gateway.schema.json and its reader
 * with defaults (a unit test validates the fragment with ajv and compares the defaults).
 */
import type { GatewayConfig } from '../../infra/config';

export const FAMILIES_GATEWAY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Consent registry, withdrawal purge and family notices (see README "Families").',
  properties: {
    consentGate: {
      enum: ['enforce', 'off'], default: 'enforce',
      description: "'enforce': no record of a child without a valid consent reaches an electronic channel. 'off' only for demos and tests with made-up children: the gateway warns at every start.",
    },
    purgeAfterDays: { type: 'integer', minimum: 0, maximum: 30, default: 30, description: 'Days from a consent withdrawal to the destruction of the family\'s data (152-ФЗ ст. 21 ч. 5: at most 30).' },
    purgeIntervalMinutes: { type: 'integer', minimum: 5, maximum: 1440, default: 60, description: 'How often the purge runs; it destroys what falls due before its next run.' },
    evidenceRetentionDays: { type: 'integer', minimum: 30, maximum: 3650, default: 1095, description: 'How long the consent document\'s items are kept after the consent ended, as proof (152-ФЗ ст. 9 ч. 3).' },
    notifyIntervalSeconds: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'How often the e-mail notifier looks for new notices, digests due and retries.' },
  },
} as const;

export interface FamiliesSettings {
  consentGate: 'enforce' | 'off';
  purgeAfterDays: number;
  purgeIntervalMinutes: number;
  evidenceRetentionDays: number;
  notifyIntervalSeconds: number;
}

/** The `default` of each property of an object schema. */
export const defaultsOf = (schema: { properties: Record<string, unknown> }): Record<string, unknown> =>
  Object.fromEntries(Object.entries(schema.properties).flatMap(([k, v]) => ('default' in (v as object) ? [[k, (v as { default: unknown }).default]] : [])));

export function withDefaults<T>(schema: { properties: Record<string, unknown> }, given: unknown): T {
  return { ...defaultsOf(schema), ...(typeof given === 'object' && given !== null ? given : {}) } as T;
}

/** `gateway.families` with defaults (works on configs written before the fragment existed). */
export function familiesSettings(config: GatewayConfig): FamiliesSettings {
  return withDefaults<FamiliesSettings>(FAMILIES_GATEWAY_SCHEMA, (config.gateway as unknown as Record<string, unknown>)['families']);
}

