import type { CheckResult, RunContext, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { NetschoolClient, newSessionState, type NetschoolSessionState } from './client';
import { readAttendance } from './readers/attendance';
import { readDiary } from './readers/diary';
import { readFinalMarks } from './readers/final-marks';
import { readRoster } from './readers/roster';
import { readSchoolYears } from './readers/school-years';
import { isPermanent, mobileClientOf, type ReadEnv } from './readers/shared';
import { NETSCHOOL_SPEC, resolveConfig, type NetschoolConfig } from './spec';

export { netschoolSimulator } from './simulator';
export { NETSCHOOL_CONFIG_SCHEMA, NETSCHOOL_SPEC, type NetschoolConfig } from './spec';

export const NETSCHOOL_STREAMS: readonly StreamSpec[] = [
  {
    name: 'school_years', entities: ['academic_year', 'reporting_period'],
    description: 'School years (context/years) and the current year\'s terms with dates (report filters). Full refresh.',
  },
  {
    name: 'roster', entities: ['class_group', 'person', 'membership', 'subject', 'teaching_assignment'],
    description: 'Classes, students and memberships (diary/init), subjects (diary lessons), teachers (assignment details). Full refresh.',
  },
  {
    name: 'diary', entities: ['lesson', 'assessment', 'mark', 'homework', 'recommendation'], cursorField: 'date',
    description: 'Lessons, works (types, weights, details), marks, duty dots and overdue debts, homework and mark-less teacher comments week by week; cursor = last week read, re-read lookbackWeeks back.',
  },
  {
    name: 'attendance', entities: ['attendance_event'], cursorField: 'date',
    description: 'Absences and lateness from the mobile API (needs mobileAccessToken), week by week like diary.',
  },
  {
    name: 'final_marks', entities: ['mark'],
    description: 'Term (period), annual, final and exam marks of the current year from the mobile API /totals (needs mobileAccessToken). Full refresh.',
  },
];

/**
 * Builds a NetSchool source. Sessions live in the instance, keyed by school, server and
 * login, so the streams of one run (and `check` before them) share one login, and `close`
 * logs out.
 */
export function createNetschoolSource(): SourceAdapter<NetschoolConfig> {
  const sessions = new Map<string, NetschoolSessionState>();
  const keyOf = (ctx: RunContext<NetschoolConfig>): string => `${ctx.schoolId}|${ctx.config.baseUrl}|${ctx.config.login}`;

  function clientFor(ctx: RunContext<NetschoolConfig>): NetschoolClient {
    const key = keyOf(ctx);
    let state = sessions.get(key);
    if (!state) {
      state = newSessionState();
      sessions.set(key, state);
    }
    return new NetschoolClient(ctx.config, { http: ctx.http, log: ctx.log, now: ctx.now }, state);
  }

  return {
    spec: NETSCHOOL_SPEC,
    streams: NETSCHOOL_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const client = clientFor(ctx);
        // A fresh login proves the credentials even when a session is cached.
        if (client.loggedIn) await client.logout();
        await client.login();
        await client.get<unknown>('context');
        // A configured mobile token is checked too: a refused one is a config error worth
        // reporting now; a mobile API that is merely down does not fail the web source.
        const mobile = mobileClientOf({ ctx, cfg: resolveConfig(ctx.config), client, stream: 'check' });
        if (mobile) {
          try {
            await mobile.get<unknown>('students', {}, '/api/mobile/students');
          } catch (e) {
            if (isPermanent(e)) throw e;
            ctx.log.warn('netschool mobile API unavailable during check', { code: toGatewayError(e).code });
          }
        }
        return { ok: true, ...(client.state.schoolId !== undefined ? { details: { netschoolSchoolId: client.state.schoolId } } : {}) };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      const env: ReadEnv = { ctx, cfg: resolveConfig(ctx.config), client: clientFor(ctx), stream };
      switch (stream) {
        case 'school_years': return readSchoolYears(env, from);
        case 'roster': return readRoster(env, from);
        case 'diary': return readDiary(env, from);
        case 'attendance': return readAttendance(env, from);
        case 'final_marks': return readFinalMarks(env, from);
        default: return failing(new GatewayError('GW_CONFIG_INVALID', `netschool-source has no stream ${stream}`));
      }
    },

    async close(ctx): Promise<void> {
      const key = keyOf(ctx);
      if (!sessions.has(key)) return;
      await clientFor(ctx).logout();
      sessions.delete(key);
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered NetSchool source («Сетевой город. Образование»). */
export const netschoolSource: SourceAdapter<NetschoolConfig> = createNetschoolSource();

