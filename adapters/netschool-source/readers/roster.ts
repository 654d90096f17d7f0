import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { GatewayError } from '../../../src/core/errors';
import { addDays, localDate, mondayOf } from '../dates';
import { intOf, isObject, textOf } from '../streams/common';
import { mapClassGroup, mapStudent, mapSubject, mapTeacher, mapTeachingAssignment, teachersOfDetails, type RosterContext } from '../streams/roster';
import { isFutureCursor } from '../window';
import { currentYear, emit, getDiary, mapContext, students, type ReadEnv } from './shared';

interface WeekSummary { className?: string; subjects: Map<string, number | undefined>; studentId?: number }

/** Class name, subjects and one assignment id per subject from a diary answer. */
function summarize(raw: unknown, into: WeekSummary): void {
  if (!isObject(raw)) return;
  into.className ??= textOf(raw.className, 100);
  for (const day of Array.isArray(raw.weekDays) ? raw.weekDays : []) {
    for (const l of isObject(day) && Array.isArray(day.lessons) ? day.lessons : []) {
      const subject = isObject(l) ? textOf(l.subjectName, 200) : undefined;
      if (!subject || !isObject(l)) continue;
      const firstAssignment = Array.isArray(l.assignments) ? l.assignments.map((a) => (isObject(a) ? intOf(a.id) : undefined)).find((x) => x !== undefined) : undefined;
      if (into.subjects.get(subject) === undefined) into.subjects.set(subject, firstAssignment);
    }
  }
}

/**
 * `roster`: class groups (from class names), students (persons) and their memberships,
 * subjects (from the current and previous week's lessons of one student per class) and,
 * when `includeTeachers`, teachers with their teaching assignments from one assignment's
 * details per class and subject. Full refresh; one checkpoint at the end.
 */
export async function* readRoster(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const { client, stream, ctx, cfg } = env;
  const signpost = ctx.now().toISOString();
  const today = localDate(ctx.now(), cfg.utcOffset);
  const week = mondayOf(today);
  const cur = await currentYear(client);
  const rctx: RosterContext = { ...mapContext(env), yearId: cur.id, yearStart: cur.startDate ?? today };
  const seen = new Set<string>();
  const byClass = new Map<string, WeekSummary>();

  for (const s of await students(client)) {
    let className = s.className;
    if (!className) {
      // Older servers leave className out of diary/init; the diary root names it.
      const probe: WeekSummary = { subjects: new Map() };
      summarize(await getDiary(client, s.id, cur.id, week, addDays(week, 6)), probe);
      className = probe.className;
    }
    if (className) yield* emit(stream, [mapClassGroup(className, rctx)], seen);
    yield* emit(stream, mapStudent(s.raw, className, rctx), seen);
    if (className && !byClass.has(className)) {
      // One student per class shows the class's subjects (two weeks, in case one is a holiday).
      const sum: WeekSummary = { subjects: new Map(), studentId: s.id };
      for (const w of [addDays(week, -7), week]) summarize(await getDiary(client, s.id, cur.id, w, addDays(w, 6)), sum);
      byClass.set(className, sum);
    }
  }

  for (const [className, sum] of byClass) {
    for (const [subject, assignmentId] of sum.subjects) {
      yield* emit(stream, [mapSubject(subject)], seen);
      if (!cfg.includeTeachers || assignmentId === undefined) continue;
      let details: unknown;
      try {
        details = await client.get<unknown>(`student/diary/assigns/${assignmentId}`, sum.studentId !== undefined ? { studentId: sum.studentId } : undefined,
          { op: 'assignment-details', pathTemplate: '/webapi/student/diary/assigns/{id}' });
      } catch (e) {
        if (e instanceof GatewayError && e.code === 'GW_SRC_NOT_FOUND') continue;
        throw e;
      }
      for (const t of teachersOfDetails(details)) {
        yield* emit(stream, [mapTeacher(t), mapTeachingAssignment(t.id, subject, className, rctx)], seen);
      }
    }
  }
  yield { kind: 'checkpoint', stream, cursor: { v: 1, position: signpost, signpost } };
}
