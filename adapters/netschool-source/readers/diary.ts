import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { addDays } from '../dates';
import { mapDiaryWeek } from '../streams/diary';
import type { OverdueItem } from '../streams/enrichment';
import { weekCursor, weekWindow } from '../window';
import { DiaryEnricher } from './diary-enrich';
import { assignmentTypes, currentYear, emit, getDiary, mapContext, mobileClientOf, students, terms, type ReadEnv } from './shared';

/**
 * `diary`: lessons, assessments, marks, homework and mark-less teacher comments, week by week
 * (Mon–Sun) for every student the account sees, with a checkpoint after each week (see
 * window.ts for the cursor). Before the weeks, one `pastMandatory` call per student lists the
 * works overdue in the window (due from its first Monday to today); per student-week the
 * details of new assignments and (with a mobile token) the result times are read.
 */
export async function* readDiary(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { client, stream, ctx, cfg } = env;
  const base = { now: ctx.now(), utcOffset: cfg.utcOffset, weeksBack: cfg.weeksBack, weeksAhead: cfg.weeksAhead, lookbackWeeks: cfg.lookbackWeeks, from, ...(ctx.since ? { since: ctx.since } : {}) };
  if (weekWindow(base).weeks.length === 0) return;
  const cur = await currentYear(client);
  const win = weekWindow({ ...base, ...(cur.startDate ? { floor: cur.startDate } : {}) });
  const mobile = cfg.mobileMarkTimes ? mobileClientOf(env) : undefined;
  const enricher = new DiaryEnricher(client, await assignmentTypes(client), {
    details: cfg.assignmentDetails,
    ...(mobile ? { mobile } : {}),
    utcOffset: cfg.utcOffset, log: ctx.log,
  });
  const { ranges } = await terms(env, cur.id);
  const studs = await students(client);
  const firstWeek = win.weeks[0] as string;
  const overdue = cfg.overdueAssignments === 'debt' && firstWeek <= win.today
    ? await enricher.overdue(studs.map((s) => s.id), cur.id, firstWeek, win.today)
    : undefined;
  const seen = new Set<string>();
  for (const week of win.weeks) {
    if (ctx.signal.aborted) return;
    for (const s of studs) {
      const raw = await getDiary(client, s.id, cur.id, week, addDays(week, 6));
      await enricher.ensureTypes(raw);
      await enricher.loadDetails(raw, s.id);
      const resultTimes = await enricher.resultTimes(raw, s.id);
      const owed: ReadonlyMap<number, OverdueItem> | undefined = overdue?.get(s.id);
      yield* emit(stream, mapDiaryWeek(raw, {
        ...mapContext(env), studentId: s.id, yearId: cur.id, today: win.today, typeNames: enricher.typeNames, terms: ranges,
        ...(s.className ? { className: s.className } : {}),
        ...(cfg.assignmentDetails ? { details: enricher.detailsById } : {}),
        ...(owed ? { overdue: owed } : {}),
        ...(resultTimes ? { resultTimes } : {}),
      }), seen);
    }
    yield { kind: 'checkpoint', stream, cursor: weekCursor(week, win) };
  }
}
