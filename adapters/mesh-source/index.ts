import type { CheckResult, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { MeshClient } from './client';
import { readCalendar, readHomework, readMarks, readRoster, readSchedule, readSubjectMarks, type ReadEnv } from './readers';
import { MESH_SPEC, resolveConfig, type MeshConfig } from './spec';
import { childrenOf } from './streams/roster';

export { meshSimulator } from './simulator';
export { MESH_CONFIG_SCHEMA, MESH_HOSTS, MESH_SPEC, type MeshConfig } from './spec';

export const MESH_STREAMS: readonly StreamSpec[] = [
  {
    name: 'roster', entities: ['academic_year', 'class_group', 'person', 'membership', 'subject'], deletesMissing: ['class_group', 'membership'],
    description: 'Children of the profile, their classes and subjects. Full refresh; classes and memberships it no longer returns are marked deleted.',
  },
  { name: 'schedule', entities: ['lesson', 'attendance_event'], cursorField: 'date', description: 'Eventcalendar lessons and missed lessons, by day; re-reads lookbackDays.' },
  { name: 'marks', entities: ['assessment', 'mark'], cursorField: 'date', description: 'Current marks by lesson date; re-reads lookbackDays.' },
  { name: 'homework', entities: ['homework'], cursorField: 'date', description: 'homeworks/short by due date; re-reads lookbackDays.' },
  { name: 'subject_marks', entities: ['academic_year', 'reporting_period', 'mark'], description: 'Periods, term (fixed_value) and year marks. Full refresh.' },
  { name: 'calendar', entities: ['academic_year', 'holiday_period'], description: 'Holidays from periods_schedules for the current school year. Full refresh.' },
];

/**
 * Builds a МЭШ / «Моя школа» source. Stateless: the token comes from config on every call
 * (the adapter never logs in; see README "Why no OAuth in the adapter").
 */
export function createMeshSource(): SourceAdapter<MeshConfig> {
  const envOf = (ctx: ReadEnv['ctx'], stream: string): ReadEnv => {
    const cfg = resolveConfig(ctx.config);
    return { ctx, cfg, stream, client: new MeshClient(cfg, { http: ctx.http, log: ctx.log, now: ctx.now }) };
  };
  return {
    spec: MESH_SPEC,
    streams: MESH_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const env = envOf(ctx, 'check');
        const raw = await env.client.family<unknown>('profile', {}, 'profile');
        return { ok: true, details: { meshChildren: childrenOf(raw).length } };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      const env = envOf(ctx, stream);
      switch (stream) {
        case 'roster': return readRoster(env, from);
        case 'schedule': return readSchedule(env, from);
        case 'marks': return readMarks(env, from);
        case 'homework': return readHomework(env, from);
        case 'subject_marks': return readSubjectMarks(env, from);
        case 'calendar': return readCalendar(env, from);
        default: return failing(new GatewayError('GW_CONFIG_INVALID', `mesh-source has no stream ${stream}`));
      }
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered МЭШ source. */
export const meshSource: SourceAdapter<MeshConfig> = createMeshSource();
