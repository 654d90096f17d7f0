import type { CheckResult, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { DnevnikClient } from './client';
import { readFinalMarks, readJournal, readPeriods, readRoster, scope, type ReadEnv } from './readers';
import { DNEVNIK_SPEC, resolveConfig, type DnevnikConfig } from './spec';

export { dnevnikSimulator } from './simulator';
export { DNEVNIK_CONFIG_SCHEMA, DNEVNIK_SPEC, type DnevnikConfig } from './spec';

export const DNEVNIK_STREAMS: readonly StreamSpec[] = [
  {
    name: 'reporting_periods', entities: ['academic_year', 'reporting_period'],
    description: 'edu-groups/{g}/reporting-periods: school years and terms. Full refresh.',
  },
  {
    name: 'roster', entities: ['class_group', 'person', 'membership', 'subject', 'teaching_assignment'],
    deletesMissing: ['class_group', 'membership', 'teaching_assignment'],
    description: 'Class groups (users/me/context), students, subjects and teachers of each group. Full refresh; groups, memberships and teaching assignments it no longer returns are marked deleted.',
  },
  {
    name: 'journal', entities: ['lesson', 'assessment', 'homework', 'mark', 'attendance_event'], cursorField: 'date',
    description: 'Lessons with works, marks and lesson log entries week by week; cursor = last week read, re-read lookbackWeeks back.',
  },
  {
    name: 'final_marks', entities: ['mark'],
    description: 'edu-groups/{g}/final-marks: period and annual marks. Full refresh.',
  },
];

/** Builds a Дневник.ру source. Stateless: the Access-Token is the whole session. */
export function createDnevnikSource(): SourceAdapter<DnevnikConfig> {
  const envOf = (ctx: ReadEnv['ctx'], stream: string): ReadEnv => {
    const cfg = resolveConfig(ctx.config);
    return { ctx, cfg, stream, client: new DnevnikClient(cfg, { http: ctx.http, log: ctx.log, now: ctx.now }) };
  };
  return {
    spec: DNEVNIK_SPEC,
    streams: DNEVNIK_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const s = await scope(envOf(ctx, 'check'));
        return { ok: true, details: { groups: s.groups.length } };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      const env = envOf(ctx, stream);
      switch (stream) {
        case 'reporting_periods': return readPeriods(env, from);
        case 'roster': return readRoster(env, from);
        case 'journal': return readJournal(env, from);
        case 'final_marks': return readFinalMarks(env, from);
        default: return failing(new GatewayError('GW_CONFIG_INVALID', `dnevnik-source has no stream ${stream}`));
      }
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered Дневник.ру source. */
export const dnevnikSource: SourceAdapter<DnevnikConfig> = createDnevnikSource();
