import type { Issue } from '../../../src/core/errors';
import { vendorDate, vendorDateTimeToUtc, vendorTime } from '../dates';
import type { Casing } from '../spec';
import { field, idListOf, idOf, intOf, invalid, isObject, numOf, record, textOf, type Mapped, type MapContext } from './common';
import { attendanceCategory, HOMEWORK_WORK_TYPES, markValue, workTypeCode } from './vocabulary';

export interface Bell { start: string; end: string }
export interface WorkTypeInfo { title: string; weight?: number }

export interface JournalContext extends MapContext {
  /** The class group the week was read for (lessons may omit `group`). */
  groupId: string;
  /** School-local date of the run: lessons up to it are `held`, later ones `scheduled`. */
  today: string;
  /** Lesson number → bell times, from `edu-groups/{g}/timetables`. */
  bells: ReadonlyMap<number, Bell>;
  /** Work type id → title and weight, from `work-types/{school}`. */
  workTypes: ReadonlyMap<string, WorkTypeInfo>;
  emitPresent: boolean;
}

export interface JournalWeek {
  lessons: readonly unknown[];
  marks: readonly unknown[];
  logEntries: readonly unknown[];
}

interface LessonInfo { date: string; subjectId: string }

/**
 * `timetables` (PascalCase: `Items[{LessonNumber, Start, Finish, Type}]`, §2.3) → bells.
 * The answer may be one timetable or a list of them; camelCase keys are read too.
 */
export function bellsOf(body: unknown, casing: Casing = 'auto'): Map<number, Bell> {
  const bells = new Map<number, Bell>();
  const tables = Array.isArray(body) ? body : [body];
  for (const t of tables) {
    const items = isObject(t) ? field(t, 'items', casing) : undefined;
    for (const it of Array.isArray(items) ? items : []) {
      if (!isObject(it)) continue;
      const type = textOf(field(it, 'type', casing));
      if (type !== undefined && type !== 'Lesson') continue;
      const n = intOf(field(it, 'lessonNumber', casing));
      const start = vendorTime(field(it, 'start', casing));
      const end = vendorTime(field(it, 'finish', casing));
      if (n !== undefined && start && end && !bells.has(n)) bells.set(n, { start, end });
    }
  }
  return bells;
}

/** `work-types/{school}` → id → {title, weight}; the title is `title` there and `name` in schedules (§2.4 conflict). */
export function workTypesOf(list: readonly unknown[], titleField: 'auto' | 'title' | 'name'): Map<string, WorkTypeInfo> {
  const out = new Map<string, WorkTypeInfo>();
  for (const w of list) {
    if (!isObject(w)) continue;
    const id = idOf(w, 'id');
    const title = textOf(titleField === 'name' ? field(w, 'name') : titleField === 'title' ? field(w, 'title') : field(w, 'title') ?? field(w, 'name'), 200);
    const weight = numOf(field(w, 'weight'));
    if (id && title) out.set(id, { title, ...(weight !== undefined && weight > 0 && weight <= 100 ? { weight } : {}) });
  }
  return out;
}

const isHomework = (w: Record<string, unknown>): boolean => (HOMEWORK_WORK_TYPES as readonly unknown[]).includes(field(w, 'type'));

/**
 * One group-week of the journal → lessons, assessments, homework, marks and attendance.
 * Pure. Works of type `Homework` are homework (plus an assessment when a mark points at them);
 * other works are assessments. Marks and log entries take their date and subject from their
 * lesson, so one pointing at a lesson outside the week is `invalid` (the window reads whole weeks).
 */
export function mapJournalWeek(week: JournalWeek, ctx: JournalContext): Mapped[] {
  const out: Mapped[] = [];
  const lessons = new Map<string, LessonInfo>();
  const markedWorks = new Set(week.marks.flatMap((m) => { const w = isObject(m) ? idOf(m, 'work') : undefined; return w ? [w] : []; }));
  for (const l of week.lessons) out.push(...mapLesson(l, ctx, lessons, markedWorks));
  for (const m of week.marks) out.push(mapMark(m, ctx, lessons));
  for (const e of week.logEntries) {
    const r = mapLogEntry(e, ctx, lessons);
    if (r) out.push(r);
  }
  return out;
}

function mapLesson(l: unknown, ctx: JournalContext, lessons: Map<string, LessonInfo>, markedWorks: ReadonlySet<string>): Mapped[] {
  const o = isObject(l) ? l : {};
  const id = idOf(o, 'id');
  const date = vendorDate(field(o, 'date'));
  const subject = field(o, 'subject');
  const subjectSrc = isObject(subject) ? idOf(subject, 'id') : idOf(o, 'subjectId');
  const number = intOf(field(o, 'number'));
  const bell = number !== undefined ? ctx.bells.get(number) : undefined;
  const groupId = idOf(o, 'group') ?? ctx.groupId;
  const sourceId = id ?? `${String(field(o, 'date'))}#${String(number)}`;
  const issues: Issue[] = [];
  if (!id) issues.push({ path: '/id_str', message: 'lesson without an id' });
  if (!date) issues.push({ path: '/date', message: 'not a date' });
  if (!subjectSrc) issues.push({ path: '/subject/id_str', message: 'lesson without a subject' });
  if (!bell) issues.push({ path: '/number', message: 'no bell times for this lesson number' });
  if (issues.length > 0) return [invalid('lesson', sourceId, issues, l)];

  const subjectId = ctx.ids.ref('subject', subjectSrc as string);
  const classGroupId = ctx.ids.ref('class_group', groupId);
  const lessonId = ctx.ids.ref('lesson', id as string);
  lessons.set(id as string, { date: date as string, subjectId: subjectSrc as string });
  const status = textOf(field(o, 'status'), 40);
  const topic = textOf(field(o, 'title'), 1000);
  const room = textOf(field(o, 'place'), 100);
  const out: Mapped[] = [record('lesson', id as string, {
    classGroupId, subjectId, date, startTime: bell?.start, endTime: bell?.end,
    ...(number !== undefined && number >= 0 && number <= 20 ? { number } : {}),
    ...(topic ? { topic } : {}),
    ...(room ? { room } : {}),
    teacherIds: [...new Set(idListOf(o, 'teachers'))].map((t) => ctx.ids.ref('person', t)),
    state: status && /^cancel+ed$/i.test(status) ? 'cancelled' : (date as string) <= ctx.today ? 'held' : 'scheduled',
  })];

  const works = field(o, 'works');
  for (const w of Array.isArray(works) ? works : []) {
    if (!isObject(w)) continue;
    const workId = idOf(w, 'id');
    if (!workId) { out.push(invalid('assessment', `${id as string}#work?`, [{ path: '/works/id_str', message: 'work without an id' }], w)); continue; }
    const typeId = idOf(w, 'workType');
    const wt = typeId ? ctx.workTypes.get(typeId) : undefined;
    const homework = isHomework(w);
    const sentAt = vendorDateTimeToUtc(field(w, 'sentDate'), ctx.utcOffset);
    const teacher = idOf(w, 'createdBy');
    if (homework) {
      const text = textOf(field(w, 'text'), 20000);
      const due = vendorDate(field(w, 'targetDate'));
      if (text) {
        out.push(record('homework', workId, {
          classGroupId, subjectId, assignedLessonId: lessonId, dueDate: due ?? date, text, isIndividual: false,
        }, sentAt ? { sourceCreatedAt: sentAt } : {}));
      }
      if (!markedWorks.has(workId)) continue;
    }
    const title = textOf(field(w, 'text'), 500);
    out.push(record('assessment', workId, {
      classGroupId, subjectId, lessonId,
      ...(teacher ? { teacherId: ctx.ids.ref('person', teacher) } : {}),
      workType: { code: workTypeCode(wt?.title, typeId, homework ? 'Homework' : undefined), title: wt?.title ?? (homework ? 'Домашнее задание' : `Тип ${typeId ?? '?'}`) },
      ...(title ? { title } : {}),
      weight: wt?.weight ?? 1,
      date,
      ...(vendorDate(field(w, 'targetDate')) ? { dueDate: vendorDate(field(w, 'targetDate')) } : {}),
    }, sentAt ? { sourceCreatedAt: sentAt } : {}));
  }
  return out;
}

function mapMark(m: unknown, ctx: JournalContext, lessons: ReadonlyMap<string, LessonInfo>): Mapped {
  const o = isObject(m) ? m : {};
  const id = idOf(o, 'id');
  const person = idOf(o, 'person');
  const work = idOf(o, 'work');
  const lessonSrc = idOf(o, 'lesson');
  const lesson = lessonSrc ? lessons.get(lessonSrc) : undefined;
  const markedAt = vendorDateTimeToUtc(field(o, 'date'), ctx.utcOffset);
  const value = markValue(field(o, 'value'), field(o, 'type'));
  const sourceId = id ?? `${work ?? '?'}:${person ?? '?'}`;
  const issues: Issue[] = [];
  if (!id) issues.push({ path: '/id_str', message: 'mark without an id' });
  if (!person) issues.push({ path: '/person_str', message: 'mark without a student' });
  if (!lesson) issues.push({ path: '/lesson_str', message: 'mark for a lesson not in the week read' });
  if (!markedAt) issues.push({ path: '/date', message: 'not a datetime' });
  if (!value.ok) issues.push({ path: '/value', message: value.message });
  if (issues.length > 0 || !value.ok) return invalid('mark', sourceId, issues, m);
  return record('mark', id as string, {
    kind: 'current',
    studentId: ctx.ids.ref('person', person as string),
    subjectId: ctx.ids.ref('subject', (lesson as LessonInfo).subjectId),
    ...(work ? { assessmentId: ctx.ids.ref('assessment', work) } : {}),
    lessonId: ctx.ids.ref('lesson', lessonSrc as string),
    value: value.value,
    markStatus: value.markStatus,
    date: (lesson as LessonInfo).date,
    markedAt,
  }, { sourceModifiedAt: markedAt as string });
}

function mapLogEntry(e: unknown, ctx: JournalContext, lessons: ReadonlyMap<string, LessonInfo>): Mapped | undefined {
  const o = isObject(e) ? e : {};
  const person = idOf(o, 'person');
  const lessonSrc = idOf(o, 'lesson');
  const status = textOf(field(o, 'status'), 16);
  const sourceId = `${lessonSrc ?? '?'}:${person ?? '?'}`;
  const lesson = lessonSrc ? lessons.get(lessonSrc) : undefined;
  const issues: Issue[] = [];
  if (!person) issues.push({ path: '/person_str', message: 'entry without a student' });
  if (!lesson) issues.push({ path: '/lesson_str', message: 'entry for a lesson not in the week read' });
  if (!status) issues.push({ path: '/status', message: 'no status' });
  if (issues.length > 0) return invalid('attendance_event', sourceId, issues, e);
  const category = attendanceCategory(status as string);
  if (category === 'present' && !ctx.emitPresent) return undefined;
  const reason = textOf(field(o, 'comment'), 500);
  const createdAt = vendorDateTimeToUtc(field(o, 'createdDate'), ctx.utcOffset);
  return record('attendance_event', sourceId, {
    studentId: ctx.ids.ref('person', person as string),
    lessonId: ctx.ids.ref('lesson', lessonSrc as string),
    date: (lesson as LessonInfo).date,
    code: status, category,
    ...(reason ? { reason } : {}),
  }, createdAt ? { sourceCreatedAt: createdAt } : {});
}
