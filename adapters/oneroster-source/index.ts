import type { CheckResult, RunContext, SourceAdapter, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { OneRosterClient, requireRest, type TokenState } from './client';
import { checkCsv, readCsv } from './csv/reader';
import { deltaWindow, MaxSeen } from './cursor';
import { ONEROSTER_STREAMS, readStreamObjects, streamDef, type ReadEnv } from './readers';
import { Lookups, restSource } from './source';
import { ONEROSTER_SPEC, resolveConfig, type OneRosterConfig, type ResolvedOneRosterConfig } from './spec';

export { oneRosterSimulator } from './simulator';
export { writeCsvPackage } from './simulator/csv-package';
export { ONEROSTER_CONFIG_SCHEMA, ONEROSTER_SPEC, type OneRosterConfig } from './spec';
export { ONEROSTER_STREAMS } from './readers';

/**
 * Builds a OneRoster 1.2 source. Access tokens live in the instance, keyed by school, token
 * endpoint and client id, so `check` and all streams of a run (and later runs) share one token
 * until it expires.
 */
export function createOneRosterSource(): SourceAdapter<OneRosterConfig> {
  const tokens = new Map<string, TokenState>();

  function clientFor(ctx: RunContext<OneRosterConfig>, cfg: ResolvedOneRosterConfig): OneRosterClient {
    requireRest(cfg);
    const key = `${ctx.schoolId}|${cfg.authUrl}|${cfg.clientId}|${cfg.scopes.join(' ')}`;
    let state = tokens.get(key);
    if (!state) { state = {}; tokens.set(key, state); }
    return new OneRosterClient({
      baseUrl: cfg.baseUrl as string, rosteringPath: cfg.rosteringPath, gradebookPath: cfg.gradebookPath,
      authUrl: cfg.authUrl as string, clientId: cfg.clientId as string, clientSecret: cfg.clientSecret as string,
      clientAuth: cfg.clientAuth, scopes: cfg.scopes, pageSize: cfg.pageSize, sortBySourcedId: cfg.sortBySourcedId,
      ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}),
    }, { http: ctx.http, log: ctx.log, now: ctx.now }, state);
  }

  async function* readRest(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
    const { ctx, cfg } = env;
    const win = deltaWindow(from, ctx.now(), cfg.lookbackMinutes, from ? undefined : ctx.since);
    if (win.skip) return;
    const src = restSource(clientFor(ctx, cfg), cfg.extraFilters);
    const max = new MaxSeen();
    const plan = {
      data: src, history: src, delta: win.since !== undefined, lookups: new Lookups(src, ctx.log),
      ...(win.since ? { since: win.since } : {}), ...(from && win.since ? { after: from.position } : {}),
    };
    yield* readStreamObjects(env, plan, max);
    if (ctx.signal.aborted) return;
    yield { kind: 'checkpoint', stream: env.stream, cursor: max.cursor(from, win.signpost) };
  }

  return {
    spec: ONEROSTER_SPEC,
    streams: ONEROSTER_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const cfg = resolveConfig(ctx.config);
        if (cfg.mode === 'csv') return { ok: true, details: await checkCsv(cfg) };
        const client = clientFor(ctx, cfg);
        // A fresh token proves the client id and secret even when one is cached.
        await client.fetchToken();
        let orgs = 0;
        for await (const p of client.pages('orgs', { limit: 1 })) { orgs = p.total ?? p.items.length; break; }
        return { ok: true, details: { orgs } };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      if (!streamDef(stream)) return failing(new GatewayError('GW_CONFIG_INVALID', `oneroster-source has no stream ${stream}`));
      const cfg = resolveConfig(ctx.config);
      const env: ReadEnv = { ctx, cfg, stream };
      return cfg.mode === 'csv' ? readCsv(env, from) : readRest(env, from);
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered OneRoster source. */
export const oneRosterSource: SourceAdapter<OneRosterConfig> = createOneRosterSource();
