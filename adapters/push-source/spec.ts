import type { AdapterSpec } from '../../src/core/adapter';

/** How a journal proves who it is when it posts a batch (see README "Authentication"). */
export type PushAuthMode = 'hmac' | 'bearer';

/** Config of one push source instance (validated against `PUSH_CONFIG_SCHEMA`). */
export interface PushSourceConfig {
  /** `hmac`: signed body (X-Diary-Timestamp + X-Diary-Signature); `bearer`: `Authorization: Bearer <token>`. */
  auth: PushAuthMode;
  /** Shared HMAC-SHA256 key of this school's journal (auth `hmac`). Secret. */
  hmacSecret?: string;
  /** The previous key, accepted too while a journal switches over (key rotation). Secret. */
  hmacSecretPrevious?: string;
  /** Token the journal sends (auth `bearer`). Secret. */
  bearerToken?: string;
  /** The previous token, accepted too during rotation. Secret. */
  bearerTokenPrevious?: string;
  /** Records per request (default 1000); more → 413 and nothing is written. */
  maxItems?: number;
  /** Body bytes per request (default 5 MiB); more → 413. */
  maxBytes?: number;
  /** Allowed distance of X-Diary-Timestamp from the gateway clock, seconds (default 300). */
  clockSkewSeconds?: number;
  /**
   * `sourceSystem` written into records and their canonical ids (default `push`). Set it to the
   * journal's system code (e.g. `eljur`) so ids equal those a pull adapter of that system makes.
   */
  sourceSystem?: string;
}

export const PUSH_DEFAULTS = {
  maxItems: 1000,
  maxBytes: 5 * 1024 * 1024,
  clockSkewSeconds: 300,
  sourceSystem: 'push',
} as const;

/** Upper bounds of the per-instance limits (the router's pre-auth body cap should be at least `maxBytes`). */
export const PUSH_LIMITS = { maxItems: 10_000, maxBytes: 50 * 1024 * 1024, clockSkewSeconds: 3600 } as const;

/**
 * Shortest secret accepted: 16 characters. A shared HMAC key or token is the only thing
 * between the internet and a school's records; `openssl rand -hex 32` gives 64.
 */
export const MIN_PUSH_SECRET_LENGTH = 16;

const secret = (description: string): Record<string, unknown> => ({
  type: 'string', minLength: MIN_PUSH_SECRET_LENGTH, maxLength: 1024, 'x-secret': true, description,
});

/** JSON Schema (draft 2020-12) of `PushSourceConfig`. Secrets carry `x-secret` (so they must be `${ENV}` references). */
export const PUSH_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/push-source.config.schema.json',
  title: 'Push intake (journal posts canonical records)',
  type: 'object',
  additionalProperties: false,
  required: ['auth'],
  allOf: [
    { if: { properties: { auth: { const: 'hmac' } }, required: ['auth'] }, then: { properties: { hmacSecret: true }, required: ['hmacSecret'] } },
    { if: { properties: { auth: { const: 'bearer' } }, required: ['auth'] }, then: { properties: { bearerToken: true }, required: ['bearerToken'] } },
  ],
  properties: {
    auth: { enum: ['hmac', 'bearer'], description: 'hmac: signed body; bearer: Authorization header.' },
    hmacSecret: secret('HMAC-SHA256 key shared with the journal (auth hmac).'),
    hmacSecretPrevious: secret('Previous HMAC key, still accepted during rotation.'),
    bearerToken: secret('Token the journal sends as "Authorization: Bearer <token>" (auth bearer).'),
    bearerTokenPrevious: secret('Previous token, still accepted during rotation.'),
    maxItems: { type: 'integer', minimum: 1, maximum: PUSH_LIMITS.maxItems, default: PUSH_DEFAULTS.maxItems },
    maxBytes: { type: 'integer', minimum: 1024, maximum: PUSH_LIMITS.maxBytes, default: PUSH_DEFAULTS.maxBytes },
    clockSkewSeconds: { type: 'integer', minimum: 1, maximum: PUSH_LIMITS.clockSkewSeconds, default: PUSH_DEFAULTS.clockSkewSeconds },
    sourceSystem: {
      type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', default: PUSH_DEFAULTS.sourceSystem,
      description: 'sourceSystem of the records and their ids; the journal system code (e.g. eljur) or push.',
    },
  },
};

export const PUSH_SPEC: AdapterSpec = {
  id: 'push-source',
  system: PUSH_DEFAULTS.sourceSystem,
  version: '1.0.0',
  kind: 'source',
  title: 'Push intake (journal posts batches)',
  configSchema: PUSH_CONFIG_SCHEMA,
};

export type ResolvedPushConfig = PushSourceConfig & {
  maxItems: number; maxBytes: number; clockSkewSeconds: number; sourceSystem: string;
};

/** Fills in defaults (the config loader does too, with `useDefaults`; this keeps tests and direct callers honest). */
export function resolvePushConfig(c: Readonly<PushSourceConfig>): ResolvedPushConfig {
  return {
    ...c,
    maxItems: c.maxItems ?? PUSH_DEFAULTS.maxItems,
    maxBytes: c.maxBytes ?? PUSH_DEFAULTS.maxBytes,
    clockSkewSeconds: c.clockSkewSeconds ?? PUSH_DEFAULTS.clockSkewSeconds,
    sourceSystem: c.sourceSystem ?? PUSH_DEFAULTS.sourceSystem,
  };
}

/** The secrets that authenticate a request in the configured mode (empty and too-short values dropped). */
export function acceptedSecrets(c: Readonly<PushSourceConfig>): string[] {
  const list = c.auth === 'hmac' ? [c.hmacSecret, c.hmacSecretPrevious] : [c.bearerToken, c.bearerTokenPrevious];
  return list.filter((s): s is string => typeof s === 'string' && s.length >= MIN_PUSH_SECRET_LENGTH);
}
