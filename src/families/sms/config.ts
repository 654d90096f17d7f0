/**
 * Configuration of the SMS channel: the JSON Schema fragments the lead adds to
 * config/gateway.schema.json (`gateway.sms`, and per school `schools[].families.sms`), their
 * TypeScript shapes, and the merge into one `SmsPolicy`.
 */
import { GatewayError } from '../../core/errors';
import type { SmsGatewayConfig } from './client';
import type { FallbackChannel, SmsPolicy, TranslitMode } from './policy';
import { DEFAULT_QUIET_HOURS, type QuietHoursPolicy, type SendWindow, type UrgentRule } from './quiet-hours';
import { DEFAULT_SMS_LIMITS, type SmsLimits } from './segments';

const time = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' };
const windowSchema = {
  type: 'object', additionalProperties: false, required: ['start', 'end'],
  properties: { start: time, end: time },
};
const partLimits = {
  type: 'object', additionalProperties: false, required: ['single', 'multi'],
  properties: { single: { type: 'integer', minimum: 1, maximum: 1000 }, multi: { type: 'integer', minimum: 1, maximum: 1000 } },
};
const policyProperties = {
  transliterate: {
    enum: ['never', 'when_fewer_segments', 'always'],
    description: 'Transliterate Cyrillic (ICAO Doc 9303) to fit GSM-7: never, only when it saves parts, or always.',
  },
  maxSegments: { type: 'integer', minimum: 1, maximum: 10, description: 'Longer notices go by the fallback channel instead.' },
  quietHours: {
    type: 'object', additionalProperties: false,
    description: "Send windows in the recipient's time zone; working day vs day off per the production calendar.",
    properties: {
      workingDay: windowSchema,
      dayOff: windowSchema,
      urgent: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { enum: ['bypass', 'respect'] } } },
          { type: 'object', additionalProperties: false, required: ['mode', 'window'], properties: { mode: { const: 'window' }, window: windowSchema } },
        ],
      },
    },
  },
  fallbackOrder: { type: 'array', uniqueItems: true, items: { enum: ['email', 'paper'] } },
} as const;

/** `gateway.sms`: the gateway-wide SMS channel. `token` is a secret (`${ENV}` only). */
export const SMS_GATEWAY_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'SMS channel: the HTTP SMS gateway and the default sending policy.',
  properties: {
    enabled: { type: 'boolean', default: false },
    dialect: { enum: ['generic-json'], default: 'generic-json', description: 'Wire format of the SMS gateway (src/families/sms/client.ts).' },
    baseUrl: {
      type: 'string',
      // A literal http(s) URL, or a whole ${ENV} reference (the loader skips value checks on references only for adapter
      // configs, not for this gateway-level block); the resolved value is checked by smsGatewayConfigOf.
      anyOf: [{ format: 'uri', pattern: '^https?://' }, { pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$' }],
    },
    token: { type: 'string', minLength: 1, 'x-secret': true },
    sender: { type: 'string', minLength: 1, maxLength: 11, description: 'Alphanumeric sender name registered with the operators.' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
    limits: { type: 'object', additionalProperties: false, properties: { gsm7: partLimits, ucs2: partLimits } },
    ...policyProperties,
  },
  if: { properties: { enabled: { const: true } }, required: ['enabled'] },
  then: { properties: { baseUrl: true, token: true }, required: ['baseUrl', 'token'] },
} as const;

const instantKinds = { type: 'array', uniqueItems: true, items: { enum: ['absence', 'final_mark'] } } as const;

/** `schools[].families.sms`: whether the school sends instant notices by SMS, and its overrides of the sending policy. */
export const SMS_SCHOOL_CONFIG_SCHEMA = {
  type: 'object', additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', default: false, description: 'Send instant notices by SMS (needs gateway.sms).' },
    instant: { ...instantKinds, default: ['absence', 'final_mark'], description: 'Notices sent by SMS.' },
    urgent: { ...instantKinds, default: ['absence'], description: 'Notices that follow the quietHours.urgent rule.' },
    instantMaxAgeDays: { type: 'integer', minimum: 0, maximum: 30, default: 3, description: 'An older absence or final mark (a late journal entry) is not sent.' },
    schoolTitle: { type: 'string', minLength: 1, maxLength: 60, description: 'Name at the start of each SMS (defaults to schools[].name).' },
    ...policyProperties,
  },
} as const;

export type SmsInstantKind = 'absence' | 'final_mark';

/** What a school sends by SMS (`schools[].families.sms` without the policy overrides), with defaults. */
export interface SchoolSmsSettings {
  enabled: boolean;
  instant: SmsInstantKind[];
  urgent: SmsInstantKind[];
  instantMaxAgeDays: number;
  schoolTitle?: string;
}

export function schoolSmsSettings(given: unknown): SchoolSmsSettings {
  const g = (typeof given === 'object' && given !== null ? given : {}) as Partial<SchoolSmsSettings>;
  return {
    enabled: g.enabled ?? false, instant: g.instant ?? ['absence', 'final_mark'], urgent: g.urgent ?? ['absence'],
    instantMaxAgeDays: g.instantMaxAgeDays ?? 3, ...(g.schoolTitle ? { schoolTitle: g.schoolTitle } : {}),
  };
}

export interface SmsPolicyOverrides {
  transliterate?: TranslitMode;
  maxSegments?: number;
  quietHours?: { workingDay?: SendWindow; dayOff?: SendWindow; urgent?: UrgentRule };
  fallbackOrder?: FallbackChannel[];
}

export interface SmsChannelConfig extends SmsPolicyOverrides {
  enabled: boolean;
  dialect: 'generic-json';
  baseUrl?: string;
  token?: string;
  sender?: string;
  timeoutMs: number;
  maxAttempts: number;
  limits?: Partial<SmsLimits>;
}

export const DEFAULT_MAX_SEGMENTS = 4;

/** The policy for one school: defaults ← gateway.sms ← schools[].families.sms. */
export function resolveSmsPolicy(gateway: Partial<SmsChannelConfig> = {}, school: SmsPolicyOverrides = {}): SmsPolicy {
  const qh = (k: keyof QuietHoursPolicy) => school.quietHours?.[k] ?? gateway.quietHours?.[k] ?? DEFAULT_QUIET_HOURS[k];
  return {
    limits: { gsm7: gateway.limits?.gsm7 ?? DEFAULT_SMS_LIMITS.gsm7, ucs2: gateway.limits?.ucs2 ?? DEFAULT_SMS_LIMITS.ucs2 },
    maxSegments: school.maxSegments ?? gateway.maxSegments ?? DEFAULT_MAX_SEGMENTS,
    transliterate: school.transliterate ?? gateway.transliterate ?? 'never',
    quietHours: { workingDay: qh('workingDay') as SendWindow, dayOff: qh('dayOff') as SendWindow, urgent: qh('urgent') as UrgentRule },
    fallbackOrder: school.fallbackOrder ?? gateway.fallbackOrder ?? ['email', 'paper'],
  };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The client's part of the config (secrets already resolved by the config loader). */
export function smsGatewayConfigOf(c: SmsChannelConfig): SmsGatewayConfig | undefined {
  if (!c.enabled || !c.baseUrl || !c.token) return undefined;
  if (!isHttpUrl(c.baseUrl)) {
    // The value may come from the environment: the message names the path, never the value.
    throw new GatewayError('GW_CONFIG_INVALID', 'gateway.sms.baseUrl is not an http(s) URL after resolving environment references', {
      issues: [{ path: '/gateway/sms/baseUrl', message: 'must be an http or https URL' }],
    });
  }
  return { baseUrl: c.baseUrl, token: c.token, timeoutMs: c.timeoutMs, maxAttempts: c.maxAttempts, ...(c.sender ? { sender: c.sender } : {}) };
}
