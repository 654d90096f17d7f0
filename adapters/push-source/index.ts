/**
 * The push source: journals post canonical records to the gateway instead of being polled.
 *
 * It is registered like any source so that config validation (its configSchema, `x-secret`
 * fields as `${ENV}` references), the registry test and `check` work. It is never read: `read`
 * yields nothing and the runtime does not schedule it. Requests are taken in by
 * `src/http/push-routes.ts` (auth: ./auth.ts, wire format: ./wire.ts) and
 * `src/pipeline/push-intake.ts` (one request = one run).
 */
import type { CheckResult, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { ENTITIES, ENTITY_TYPES } from '../../src/core/records';
import { acceptedSecrets, MIN_PUSH_SECRET_LENGTH, PUSH_SPEC, resolvePushConfig, type PushSourceConfig } from './spec';

export { signPushBody, verifyPushAuth, SIGNATURE_HEADER, TIMESTAMP_HEADER, type PushAuthResult } from './auth';
export { PUSH_CONFIG_SCHEMA, PUSH_DEFAULTS, PUSH_SPEC, resolvePushConfig, type PushSourceConfig, type ResolvedPushConfig } from './spec';
export { mapPushItem, parsePushBody, type MappedPushItem } from './wire';

/**
 * One stream per entity, named like the pull adapters' (`marks`, `lessons`, …): quarantine
 * entries of pushed records carry these names.
 */
export const PUSH_STREAMS: readonly StreamSpec[] = ENTITY_TYPES.map((e) => ({
  name: ENTITIES[e],
  entities: [e],
  description: `Pushed ${e} records (POST /intake/v1/…/records); never polled.`,
}));

export function createPushSource(): SourceAdapter<PushSourceConfig> {
  return {
    spec: PUSH_SPEC,
    streams: PUSH_STREAMS,

    /**
     * Nothing to call: a push source is healthy when a usable secret for its auth mode is
     * configured. Missing or short → permanent GW_CONFIG_INVALID naming the field.
     */
    async check(ctx): Promise<CheckResult> {
      const cfg = resolvePushConfig(ctx.config);
      const field = cfg.auth === 'hmac' ? 'hmacSecret' : cfg.auth === 'bearer' ? 'bearerToken' : undefined;
      if (field === undefined) {
        return { ok: false, error: new GatewayError('GW_CONFIG_INVALID', `school ${ctx.schoolId}, push source: auth must be hmac or bearer`) };
      }
      if (acceptedSecrets(cfg).length === 0 || typeof cfg[field] !== 'string' || cfg[field].length < MIN_PUSH_SECRET_LENGTH) {
        return {
          ok: false,
          error: new GatewayError('GW_CONFIG_INVALID',
            `school ${ctx.schoolId}, push source: auth is ${cfg.auth} but ${field} is missing or shorter than ${MIN_PUSH_SECRET_LENGTH} characters`),
        };
      }
      return { ok: true, details: { auth: cfg.auth, maxItems: cfg.maxItems, maxBytes: cfg.maxBytes, sourceSystem: cfg.sourceSystem } };
    },

    read(): AsyncIterable<SourceMessage> {
      return nothing();
    },
  };
}

async function* nothing(): AsyncGenerator<SourceMessage> {
  // Push sources are not polled: records arrive over HTTP.
}

/** The registered push source. */
export const pushSource: SourceAdapter<PushSourceConfig> = createPushSource();
