import type { DemoSchool, SimGroup, SimLesson, SimLogEntry, SimMark, SimPerson, SimWork } from './data';
import { SUBJECTS, WORK_TYPES, BELLS } from './data';

/**
 * JSON as Дневник.ру writes it: numeric ids as raw JSON numbers past 2^53 next to their `_str`
 * twins. `num(id)` marks a string to be written as a bare number by `toJson`.
 */
const NUM = '\u0000n:';
export const num = (id: string): string => `${NUM}${id}`;

export function toJson(body: unknown, o: { dropStrIds?: boolean } = {}): string {
  const text = JSON.stringify(body, (k, v: unknown) => (o.dropStrIds && k.endsWith('_str') ? undefined : v));
  return text.replace(/"\\u0000n:(-?\d+)"/g, '$1');
}

const pair = (key: string, id: string): Record<string, string> => ({ [key]: num(id), [`${key}_str`]: id });

export function context(s: DemoSchool): unknown {
  return {
    ...pair('personId', s.adminPersonId), ...pair('userId', s.adminPersonId),
    schools: [{ ...pair('id', s.schoolId), name: s.schoolName, type: 'School' }],
    eduGroups: s.groups.map((g) => ({ ...pair('id', g.id), name: g.name, type: 'Group', parentIds: [], parentIds_str: [], studyyear: s.year })),
  };
}

export function student(p: SimPerson): unknown {
  return { ...pair('id', p.id), ...pair('userId', p.userId), shortName: `${p.lastName} ${p.firstName}`, firstName: p.firstName, middleName: p.middleName, lastName: p.lastName, sex: p.sex, birthday: p.birthday };
}

export function subjects(s: DemoSchool): unknown {
  return SUBJECTS.map((name, i) => ({ ...pair('id', s.subjectId(i)), name, knowledgeArea: name, fgosSubjectId: null, espSubjectName: name }));
}

/** PascalCase as `schools/{s}/teachers` answers (§2.3); `camel` after the teachers-casing drift. */
export function teachers(s: DemoSchool, camel: boolean): unknown {
  return s.teachers.map((t, i) => {
    const o: Record<string, unknown> = {
      Id: num(t.id), Id_str: t.id, ShortName: `${t.lastName} ${t.firstName.charAt(0)}. ${t.middleName.charAt(0)}.`,
      FirstName: t.firstName, MiddleName: t.middleName, LastName: t.lastName,
      Subjects: [{ Id: num(s.subjectId(i)), Id_str: s.subjectId(i), Name: SUBJECTS[i] }],
      Email: null, NameTeacherPosition: 'Учитель',
    };
    if (!camel) return o;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), Array.isArray(v) ? v.map((x: Record<string, unknown>) => Object.fromEntries(Object.entries(x).map(([a, b]) => [a.charAt(0).toLowerCase() + a.slice(1), b]))) : v]));
  });
}

export function timetable(g: SimGroup): unknown {
  return {
    Name: `Расписание звонков ${g.name}`, Start: '2025-09-01T00:00:00', FirstLessonNumber: 1,
    Items: BELLS.map(([start, finish], i) => ({ Id: i + 1, Start: `${start}:00`, Finish: `${finish}:00`, Name: `${i + 1} урок`, Type: 'Lesson', DaysOfWeek: [1, 2, 3, 4, 5], LessonNumber: i + 1 })),
  };
}

export function workTypes(s: DemoSchool, nameKey: boolean): unknown {
  return WORK_TYPES.map((w) => ({ ...pair('id', s.workTypeId(w.n)), schoolId: num(s.schoolId), kindId: w.n, kind: w.kind, [nameKey ? 'name' : 'title']: w.title, abbr: w.abbr, weight: w.weight }));
}

function work(w: SimWork, g: SimGroup, subjectId: string): unknown {
  return {
    ...pair('id', w.id), type: w.type, workType: num(w.workTypeId), markType: 'Mark5', markCount: 1, ...pair('lesson', w.lessonId),
    displayInJournal: true, status: 'Sent', ...pair('eduGroup', g.id), tasks: [], text: w.text, periodNumber: 0, periodType: 'Quarter',
    subjectId: num(subjectId), isImportant: w.type === 'LessonTestWork', targetDate: w.targetDate, sentDate: w.sentDate, createdBy: num(w.createdBy),
  };
}

export function lesson(s: DemoSchool, l: SimLesson, g: SimGroup): unknown {
  const subjectId = s.subjectId(l.subjectIndex);
  return {
    ...pair('id', l.id), title: l.title, date: `${l.date}T00:00:00`, number: l.number,
    subject: { ...pair('id', subjectId), name: SUBJECTS[l.subjectIndex] }, ...pair('group', g.id),
    works: l.works.map((w) => work(w, g, subjectId)), teachers: [num(l.teacherId)], status: l.status, place: `${201 + l.subjectIndex}`,
  };
}

export function mark(m: SimMark, numericValue: boolean): unknown {
  return {
    ...pair('id', m.id), type: 'Mark5', value: numericValue ? Number(m.value) : m.value, textValue: m.value,
    ...pair('person', m.personId), ...pair('work', m.workId), ...pair('lesson', m.lessonId),
    number: 0, date: m.date, workType: num(m.workTypeId), mood: m.value >= '4' ? 'Good' : m.value === '3' ? 'Average' : 'Bad', use_avg_calc: true,
  };
}

export function logEntry(e: SimLogEntry): unknown {
  return { ...pair('person', e.personId), ...pair('lesson', e.lessonId), comment: e.comment, status: e.status, createdDate: e.createdDate };
}

/**
 * One day of `persons/{p}/groups/{g}/schedules` as sirop reads it (§2.4): works at day level
 * (lessons list only their ids), the person's own marks and log entries, type objects by `name`.
 */
export function scheduleDay(s: DemoSchool, g: SimGroup, personId: string, date: string, next: string): unknown {
  const lessons = s.lessons(g, date, date);
  return {
    date: `${date}T00:00:00+03:00`,
    lessons: lessons.map((l) => ({ ...(lesson(s, l, g) as Record<string, unknown>), subjectId: num(s.subjectId(l.subjectIndex)), works: l.works.map((w) => num(w.id)), works_str: l.works.map((w) => w.id) })),
    works: lessons.flatMap((l) => l.works.map((w) => work(w, g, s.subjectId(l.subjectIndex)))),
    marks: s.marks(g, date, date).filter((m) => m.personId === personId).map((m) => mark(m, false)),
    lessonLogEntries: s.logEntries(g, date, date).filter((e) => e.personId === personId).map(logEntry),
    homeworks: [], files: [],
    subjects: SUBJECTS.map((name, i) => ({ ...pair('id', s.subjectId(i)), name })),
    workTypes: workTypes(s, true),
    teachers: s.teachers.map((t) => ({ person: { ...pair('id', t.id), shortName: `${t.lastName} ${t.firstName}` }, role: 'Teacher' })),
    nextDate: `${next}T00:00:00+03:00`,
  };
}
