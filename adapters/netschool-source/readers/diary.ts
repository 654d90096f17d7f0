import type { SourceMessage } from '../../../src/core/adapter';
import { addDays } from '../dates';
import { mapDiaryWeek } from '../streams/diary';
import { weekCursor, weekWindow } from '../window';
import type { Cursor } from '../../../src/core/cursor';
import { assignmentTypes, currentYear, emit, getDiary, mapContext, students, terms, type ReadEnv } from './shared';

/**
 * `diary`: lessons, assessments, marks and homework, week by week (Mon–Sun) for every
 * student the account sees, with a checkpoint after each week (see window.ts for the cursor).
 */
export async function* readDiary(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { client, stream, ctx, cfg } = env;
  const base = { now: ctx.now(), utcOffset: cfg.utcOffset, weeksBack: cfg.weeksBack, weeksAhead: cfg.weeksAhead, lookbackWeeks: cfg.lookbackWeeks, from, ...(ctx.since ? { since: ctx.since } : {}) };
  if (weekWindow(base).weeks.length === 0) return;
  const cur = await currentYear(client);
  const win = weekWindow({ ...base, ...(cur.startDate ? { floor: cur.startDate } : {}) });
  const typeNames = await assignmentTypes(client);
  const { ranges } = await terms(env, cur.id);
  const studs = await students(client);
  const seen = new Set<string>();
  for (const week of win.weeks) {
    if (ctx.signal.aborted) return;
    for (const s of studs) {
      const raw = await getDiary(client, s.id, cur.id, week, addDays(week, 6));
      yield* emit(stream, mapDiaryWeek(raw, {
        ...mapContext(env), studentId: s.id, yearId: cur.id, today: win.today, typeNames, terms: ranges,
        ...(s.className ? { className: s.className } : {}),
      }), seen);
    }
    yield { kind: 'checkpoint', stream, cursor: weekCursor(week, win) };
  }
}
