import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { GatewayError } from '../../../src/core/errors';
import { mapSchoolYear } from '../streams/school-years';
import { isFutureCursor } from '../window';
import { currentYear, emit, terms, type ReadEnv } from './shared';

/**
 * `school_years`: academic years (`context/years`, `years/current`) and the current year's
 * terms with dates (report filters). Full refresh; one checkpoint at the end.
 */
export async function* readSchoolYears(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const { client, stream } = env;
  const signpost = env.ctx.now().toISOString();
  const cur = await currentYear(client);
  let years: unknown[] = [cur.raw];
  try {
    const list = await client.get<unknown>('context/years');
    if (Array.isArray(list) && list.length > 0) years = list;
  } catch (e) {
    if (!(e instanceof GatewayError && e.errorClass === 'permanent')) throw e;
    env.ctx.log.warn('netschool context/years unavailable, using the current year only', { code: e.code });
  }
  const seen = new Set<string>();
  yield* emit(stream, years.map((y) => mapSchoolYear(y, cur.id)), seen);
  yield* emit(stream, [mapSchoolYear(cur.raw, cur.id)], seen);
  const t = await terms(env, cur.id);
  yield* emit(stream, t.mapped, seen);
  yield { kind: 'checkpoint', stream, cursor: { v: 1, position: signpost, signpost } };
}
