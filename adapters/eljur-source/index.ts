import type { CheckResult, RunContext, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { EljurClient, newTokenState, type EljurTokenState } from './client';
import { readFinals, readPeriods, readRoster, readWeekly, type ReadEnv } from './readers';
import { ELJUR_SPEC, resolveConfig, type EljurConfig } from './spec';

export { eljurSimulator } from './simulator';
export { ELJUR_CONFIG_SCHEMA, ELJUR_SPEC, type EljurConfig } from './spec';

export const ELJUR_STREAMS: readonly StreamSpec[] = [
  { name: 'periods', entities: ['academic_year', 'reporting_period'], description: 'getperiods: the school year (derived) and its periods. Full refresh.' },
  {
    name: 'roster', entities: ['class_group', 'person', 'membership'], deletesMissing: ['class_group', 'membership'],
    description: 'getrules: classes, homeroom teachers, students, memberships. Full refresh; classes and memberships it no longer returns are marked deleted.',
  },
  {
    name: 'diary', entities: ['lesson', 'subject', 'person', 'homework', 'holiday_period'], cursorField: 'date',
    description: 'getdiary (rings=true) per student and week: schedule, homework, holidays; cursor = last week read, re-read lookbackWeeks back.',
  },
  {
    name: 'marks', entities: ['mark', 'attendance_event'], cursorField: 'date',
    description: 'getmarks per student and week up to today: marks, and absence pseudo-marks as attendance events.',
  },
  { name: 'final_assessments', entities: ['mark'], description: 'getfinalassessments per student: period, annual and final marks. Full refresh.' },
];

/**
 * Builds an ЭлЖур source. Tokens live in the instance, keyed by school, host, vendor and
 * login, so `check` and all streams of a run share one `auth` (tokens last months).
 */
export function createEljurSource(): SourceAdapter<EljurConfig> {
  const tokens = new Map<string, EljurTokenState>();
  const keyOf = (ctx: RunContext<EljurConfig>): string => `${ctx.schoolId}|${ctx.config.baseUrl}|${ctx.config.vendor}|${ctx.config.login ?? 'token'}`;

  function clientFor(ctx: RunContext<EljurConfig>): EljurClient {
    const key = keyOf(ctx);
    let state = tokens.get(key);
    if (!state) { state = newTokenState(); tokens.set(key, state); }
    const cfg = resolveConfig(ctx.config);
    return new EljurClient(cfg, { http: ctx.http, log: ctx.log, now: ctx.now }, state);
  }

  return {
    spec: ELJUR_SPEC,
    streams: ELJUR_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const client = clientFor(ctx);
        // A fresh auth proves login and password even when a token is cached.
        if (ctx.config.login && ctx.config.password) await client.authenticate();
        const rules = await client.call<unknown>('getrules');
        const vendor = typeof rules === 'object' && rules !== null ? (rules as Record<string, unknown>).vendor : undefined;
        return { ok: true, ...(typeof vendor === 'string' ? { details: { eljurVendor: vendor } } : {}) };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      const env: ReadEnv = { ctx, cfg: resolveConfig(ctx.config), client: clientFor(ctx), stream };
      switch (stream) {
        case 'periods': return readPeriods(env, from);
        case 'roster': return readRoster(env, from);
        case 'diary': return readWeekly(env, from, 'diary');
        case 'marks': return readWeekly(env, from, 'marks');
        case 'final_assessments': return readFinals(env, from);
        default: return failing(new GatewayError('GW_CONFIG_INVALID', `eljur-source has no stream ${stream}`));
      }
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered ЭлЖур source. */
export const eljurSource: SourceAdapter<EljurConfig> = createEljurSource();
