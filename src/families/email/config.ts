/**
 * `gateway.email` (the SMTP transport) and `schools[].families.email` (what a school sends):
 * JSON Schema fragments for config/gateway.schema.json and readers with their defaults.
 */
import type { GatewayConfig, SchoolConfig } from '../../infra/config';
import { withDefaults } from '../consent/settings';

/** `${NAME}` only: a literal password is refused (config.ts skips the pattern for references). */
const ENV_REFERENCE = '^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$';

export const EMAIL_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'from'],
  description: 'SMTP server for notices to families (nodemailer). Absent: no e-mail is sent.',
  properties: {
    enabled: { type: 'boolean', default: true },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 587 },
    secure: { type: 'boolean', default: false, description: 'true: TLS from the first byte (port 465); false: STARTTLS when the server offers it.' },
    requireTLS: { type: 'boolean', default: true, description: 'Refuse to send when STARTTLS is not available (personal data must not travel in clear).' },
    rejectUnauthorized: { type: 'boolean', default: true, description: 'Check the server certificate.' },
    auth: {
      type: 'object', additionalProperties: false, required: ['user', 'password'],
      properties: {
        user: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1, pattern: ENV_REFERENCE, 'x-secret': true, description: 'An ${ENV} reference, never the password itself.' },
      },
    },
    from: { type: 'string', minLength: 3, maxLength: 300, description: 'Sender, e.g. "Электронный дневник <diary@school5.ru>".' },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000, default: 30000 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 50, default: 8, description: 'Attempts per notice before it is dead.' },
    backoffBaseMs: { type: 'integer', minimum: 0, default: 60000 },
    backoffCapMs: { type: 'integer', minimum: 0, default: 3600000 },
  },
} as const;

/** `schools[].families`; the e-mail part (`email`) is this module's, other channels add theirs beside it. */
export const SCHOOL_FAMILIES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    email: {
      type: 'object', additionalProperties: false, default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        instant: { type: 'array', uniqueItems: true, items: { enum: ['absence', 'final_mark'] }, default: ['absence', 'final_mark'] },
        digest: { type: 'boolean', default: true },
        digestTime: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '18:00', description: 'School-local time of the daily digest.' },
        schoolTitle: { type: 'string', minLength: 1, maxLength: 300, description: 'Name shown in the letters (defaults to schools[].name).' },
        upcomingTestsDays: { type: 'integer', minimum: 1, maximum: 30, default: 7 },
        instantMaxAgeDays: { type: 'integer', minimum: 0, maximum: 30, default: 3, description: 'An absence or final mark older than this is not sent as an instant notice (a late journal entry).' },
      },
    },
  },
} as const;

export interface EmailTransportConfig {
  enabled: boolean;
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  auth?: { user: string; password: string };
  from: string;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export type InstantKind = 'absence' | 'final_mark';

export interface SchoolEmailSettings {
  enabled: boolean;
  instant: InstantKind[];
  digest: boolean;
  digestTime: string;
  schoolTitle?: string;
  upcomingTestsDays: number;
  instantMaxAgeDays: number;
}

/** A school as the notifier sees it. */
export interface NotifierSchool {
  id: string;
  name: string;
  timezone: string;
  email: SchoolEmailSettings;
}

/** `gateway.email` with defaults, or undefined when e-mail is not configured or disabled. */
export function emailTransportConfig(config: GatewayConfig): EmailTransportConfig | undefined {
  const raw = (config.gateway as unknown as Record<string, unknown>)['email'];
  if (raw === undefined) return undefined;
  const cfg = withDefaults<EmailTransportConfig>(EMAIL_CONFIG_SCHEMA, raw);
  return cfg.enabled ? cfg : undefined;
}

export function schoolEmailSettings(school: SchoolConfig): SchoolEmailSettings {
  const fam = (school as unknown as Record<string, unknown>)['families'] as Record<string, unknown> | undefined;
  return withDefaults<SchoolEmailSettings>(SCHOOL_FAMILIES_SCHEMA.properties.email, fam?.['email']);
}

export function notifierSchools(config: GatewayConfig): NotifierSchool[] {
  return config.schools.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone, email: schoolEmailSettings(s) }));
}
