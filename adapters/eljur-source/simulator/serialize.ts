import { addDays, compactDate } from '../dates';
import { WORK_TYPES, fullName, type DemoSchool, type SimLesson, type SimMark, type SimStudent } from './data';
import type { FaultState } from './faults';

/** Vendor JSON of the simulated ЭлЖур apiv3, shaped per sources §3.3–3.4. */

const idv = (id: string | number, f: FaultState): string | number => (f.shape('ids') ? String(id) : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id);
/** A map keyed by number/id, or (shape `lists`) a plain array. */
const coll = <T>(entries: [string, T][], f: FaultState): Record<string, T> | T[] => (f.shape('lists') ? entries.map(([, v]) => v) : Object.fromEntries(entries));

export function rulesJson(school: DemoSchool, login: string): Record<string, unknown> {
  const students = Object.fromEntries(school.classes.flatMap((c) => c.students.map((s) => [s.id, {
    name: s.id, title: fullName(s), lastname: s.familyName, firstname: s.givenName, gender: s.gender === 'm' ? 'male' : 'female',
    class: c.name, parallel: String(c.parallel), city: 'Демоград', school: 'МБОУ СОШ № 7', rel: 'student', rules: ['diary', 'marks'],
  }])));
  const groups = Object.fromEntries(school.classes.map((c) => {
    const t = school.teacher(c.homeTeacherId);
    return [c.name, { name: c.name, parallel: String(c.parallel), hometeacher_id: c.homeTeacherId, hometeacher_name: t ? fullName(t) : '', hometeacher_lastname: t?.familyName ?? '' }];
  }));
  return {
    name: '77001', id: 77001, title: 'Завуч Демо', roles: ['administrator'], login,
    relations: { students, groups, schools: [{ title: 'МБОУ СОШ № 7', title_full: 'Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7»', number: 7, inn: '7453012345', kpp: '745301001' }] },
    vendor: school.vendor, vendor_id: school.vendorId, vuid: `${school.vendorId}-77001`, allowedSections: ['diary', 'marks', 'messages'], region: 'Демонстрационная область', city: 'Демоград',
  };
}

export function periodsJson(school: DemoSchool, student: SimStudent | undefined, f: FaultState): Record<string, unknown> {
  const list = student ? [student] : school.classes.flatMap((c) => c.students).slice(0, 1);
  return {
    students: list.map((s) => ({
      name: idv(s.id, f), title: fullName(s),
      periods: school.periods().map((p) => ({ name: p.name, fullname: p.fullname, start: compactDate(p.start), end: compactDate(p.end), disabled: false, ambigious: false })),
    })),
  };
}

function markJson(m: SimMark, l: SimLesson, f: FaultState, inDiary: boolean): Record<string, unknown> {
  const t = WORK_TYPES.find((x) => x.id === m.typeId) ?? WORK_TYPES[0]!;
  const n = Number(m.value[0]);
  const base: Record<string, unknown> = {
    value: !inDiary && f.takeMalformed() ? 'пять' : m.value,
    comment: m.comment ?? '', lesson_comment: l.topic,
    date: l.day, nm: f.shape('ids') ? String(l.num) : l.num,
    count: m.absence ? (f.shape('count') ? 0 : false) : (f.shape('count') ? 1 : true),
    countas: m.absence ? 0 : n, convert: m.absence ? 0 : n,
    weight: m.absence ? 0 : f.shape('weight') ? String(t.weight) : t.weight,
    weight_float: m.absence ? 0 : f.shape('weight') ? String(t.weight) : t.weight,
    color_hex: m.absence ? '#999999' : '#000000',
    lesson_id: idv(l.subjectId, f),
  };
  if (inDiary) { base.control_type = t.type; base.control_type_short = t.short; } else base.mtype = { id: t.id, short: t.short, type: t.type };
  return base;
}

function lessonJson(school: DemoSchool, l: SimLesson, student: SimStudent, f: FaultState): Record<string, unknown> {
  const subject = school.subject(l.subjectId);
  const t = school.teacher(l.teacherId);
  const hw = l.homework.filter((h) => !h.individualFor || h.individualFor === student.id)
    .map((h) => [String(h.id), { id: idv(h.id, f), value: h.text, individual: Boolean(h.individualFor) }] as [string, unknown]);
  return {
    name: subject.name, num: f.shape('ids') ? String(l.num) : l.num, room: l.room, teacher: t ? fullName(t) : '', sort: l.num * 100,
    lesson_id: idv(l.subjectId, f), topic: l.topic, grp: '', grp_short: '', is_control: l.isControl,
    ...(l.isControl ? { control_type: WORK_TYPES.find((x) => x.id === l.controlTypeId)?.type ?? '' } : {}),
    homework: coll(hw, f), files: [], resources: [],
    assessments: (l.marks.get(student.id) ?? []).map((m) => markJson(m, l, f, true)),
    starttime: l.start, endtime: l.end,
  };
}

const WEEKDAYS = ['Понедельник', 'Вторник', 'Среда', 'Четверг', 'Пятница', 'Суббота', 'Воскресенье'];

export function diaryJson(school: DemoSchool, student: SimStudent, from: string, to: string, f: FaultState, rings: boolean): Record<string, unknown> {
  const days: [string, unknown][] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const holiday = school.holidayName(d);
    const lessons = school.lessons(student.className, d, d);
    if (lessons.length === 0 && !holiday) continue;
    const items = lessons.map((l) => {
      const j = lessonJson(school, l, student, f);
      if (!rings) { delete j.starttime; delete j.endtime; }
      return [String(l.num), j] as [string, unknown];
    });
    days.push([compactDate(d), {
      name: compactDate(d), title: WEEKDAYS[(new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7],
      ...(holiday ? { holiday_name: holiday, alert: 'holiday' } : {}), items: coll(items, f), items_extday: [],
    }]);
  }
  return { students: { [student.id]: { name: idv(student.id, f), title: fullName(student), parent_signed: false, days: Object.fromEntries(days) } } };
}

export function marksJson(school: DemoSchool, student: SimStudent, from: string, to: string, f: FaultState): Record<string, unknown> {
  const lessons = school.lessons(student.className, from, to);
  const bySubject = school.subjects.map((s) => {
    const marks = lessons.filter((l) => l.subjectId === s.id).flatMap((l) => (l.marks.get(student.id) ?? []).map((m) => markJson(m, l, f, false)));
    const nums = marks.filter((m) => m.count === true || m.count === 1).map((m) => Number(m.countas));
    const avg = nums.length > 0 ? (nums.reduce((a, b) => a + b, 0) / nums.length).toFixed(2) : '';
    return { name: s.name, average: avg, averageConvert: avg === '' ? 0 : Math.round(Number(avg)), lesson_id: idv(s.id, f), marks };
  }).filter((x) => x.marks.length > 0);
  return { students: { [student.id]: { name: idv(student.id, f), title: fullName(student), lessons: bySubject } } };
}

export function finalsJson(school: DemoSchool, student: SimStudent, f: FaultState): Record<string, unknown> {
  const due = school.periods().filter((p) => addDays(p.end, -14) <= school.today);
  const items = school.subjects.map((s) => ({
    name: s.name,
    assessments: due.flatMap((p) => {
      const v = school.finalMark(student.id, s.id, p.start, p.end);
      return v ? [{ value: v, comment: '', convert: Number(v) || 0, color_hex: '#000000', period: p.fullname }] : [];
    }),
  })).filter((i) => i.assessments.length > 0);
  return { students: { [student.id]: { name: idv(student.id, f), title: fullName(student), items } } };
}
