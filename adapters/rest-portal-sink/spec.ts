/**
 * Config spec of the generic REST portal sink.
 *
 * The JSON Schema is the source of truth for validation (the config loader compiles it
 * with ajv strict + useDefaults); `resolveRestPortalConfig` repeats the defaults so the
 * adapter behaves the same when handed a config that skipped the loader (tests, scripts).
 */
import type { AdapterSpec } from '../../src/core/adapter';
import { DEFAULT_BATCH_PATH } from './protocol';

/** Instance config of `rest-portal-sink` (secrets already resolved from `${ENV}`). */
export interface RestPortalConfig {
  /** Portal origin, optionally with a path prefix, e.g. `https://portal.example.ru`. No trailing slash needed. */
  baseUrl: string;
  /** Path of the batch endpoint, appended to baseUrl. */
  batchPath?: string;
  /** Bearer token. Secret: never logged or echoed. */
  token: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Largest batch sent in one request; bigger batches are split. */
  maxBatchSize?: number;
}

export type ResolvedRestPortalConfig = Required<RestPortalConfig>;

/** 30 s: a portal applying 100 records in one transaction answers well within it. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** 100 items keep a request body around a few hundred kB for typical diary records. */
export const DEFAULT_MAX_BATCH_SIZE = 100;

export const restPortalConfigSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/rest-portal-sink.config.schema.json',
  title: 'REST portal sink config',
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'token'],
  properties: {
    baseUrl: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Portal base URL, e.g. https://portal.example.ru',
    },
    batchPath: {
      type: 'string',
      pattern: '^/',
      default: DEFAULT_BATCH_PATH,
      description: 'Path of the batch endpoint, appended to baseUrl.',
    },
    token: {
      type: 'string',
      minLength: 1,
      'x-secret': true,
      description: 'Bearer token issued by the portal operator; give it as ${ENV_NAME}.',
    },
    timeoutMs: {
      type: 'integer',
      minimum: 100,
      maximum: 600_000,
      default: DEFAULT_TIMEOUT_MS,
      description: 'Per-request timeout in milliseconds.',
    },
    maxBatchSize: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: DEFAULT_MAX_BATCH_SIZE,
      description: 'Largest number of items sent in one request; larger batches are split.',
    },
  },
};

export const restPortalSpec: AdapterSpec = {
  id: 'rest-portal-sink',
  system: 'rest-portal',
  version: '1.0.0',
  kind: 'sink',
  title: 'Generic REST portal (JSON batches with idempotency keys)',
  configSchema: restPortalConfigSchema,
};

/** Applies defaults and strips a trailing slash from baseUrl. */
export function resolveRestPortalConfig(c: Readonly<RestPortalConfig>): ResolvedRestPortalConfig {
  return {
    baseUrl: c.baseUrl.replace(/\/+$/, ''),
    batchPath: c.batchPath ?? DEFAULT_BATCH_PATH,
    token: c.token,
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBatchSize: c.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
  };
}
