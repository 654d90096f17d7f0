import { GatewayError } from '../../../src/core/errors';
import { field, idOf, isObject } from './common';
import type { JournalWeek } from './journal';

/**
 * `persons/{p}/groups/{g}/schedules?startDate&endDate` → the same group-week input the group
 * endpoints give, for one person. Clients disagree on the shape (§2.4 conflict): sirop reads
 * `{days:[…]}`, dn-partners a bare list of days; `shape` picks one or (`auto`) accepts both.
 * Each day holds `lessons[]`, `works[]` (joined to their lesson by `lesson_str`), `marks[]` and
 * `lessonLogEntries[]`; only the person's own marks and entries are in it.
 */
export function scheduleToWeek(body: unknown, shape: 'auto' | 'days' | 'list'): JournalWeek {
  const days = shape === 'list' ? (Array.isArray(body) ? body : undefined)
    : shape === 'days' ? (isObject(body) && Array.isArray(field(body, 'days')) ? field(body, 'days') as unknown[] : undefined)
      : Array.isArray(body) ? body : isObject(body) && Array.isArray(field(body, 'days')) ? field(body, 'days') as unknown[] : undefined;
  if (!days) throw new GatewayError('GW_SRC_PROTOCOL', `Дневник.ру schedules: answer is not ${shape === 'list' ? 'a list of days' : shape === 'days' ? '{days:[…]}' : 'a day list'}`);
  const week: { lessons: unknown[]; marks: unknown[]; logEntries: unknown[] } = { lessons: [], marks: [], logEntries: [] };
  const arr = (o: Record<string, unknown>, k: string): unknown[] => { const v = field(o, k); return Array.isArray(v) ? v : []; };
  for (const d of days) {
    if (!isObject(d)) continue;
    const works = arr(d, 'works').filter(isObject);
    for (const l of arr(d, 'lessons')) {
      if (!isObject(l)) { week.lessons.push(l); continue; }
      const id = idOf(l, 'id');
      const embedded = arr(l, 'works').filter(isObject);
      week.lessons.push({ ...l, works: embedded.length > 0 ? embedded : works.filter((w) => id !== undefined && idOf(w, 'lesson') === id) });
    }
    week.marks.push(...arr(d, 'marks'));
    week.logEntries.push(...arr(d, 'lessonLogEntries'));
  }
  return week;
}
