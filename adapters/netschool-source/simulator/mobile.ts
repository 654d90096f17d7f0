/**
 * Vendor JSON of the simulated NetSchool mobile API (`/api/mobile`, sources §1.8), as the ИРТех
 * parent app's client (xdnevnik) models it.
 */
import { daysBetween } from '../dates';
import { rngFor } from '../../../src/infra/sim/rng';
import { ASSIGNMENT_TYPES, fullName, hasResult, type DemoSchool, type SimStudent, type SimSubject, type SimTerm } from './data';
import type { FaultState } from './faults';
import { dt } from './serialize';

/** `GET /students`. */
export function mobileStudentsJson(school: DemoSchool): Record<string, unknown>[] {
  return school.classes.flatMap((c) => c.students.map((s) => ({ name: fullName(s), shortName: `${s.familyName} ${s.givenName[0]}.`, studentId: s.id })));
}

/** `GET /education?studentId`: the student's class, school and school year (ids as in the web API). */
export function mobileEducationJson(school: DemoSchool, student: SimStudent): Record<string, unknown>[] {
  const cls = school.classOf(student.classId);
  const y = school.currentYear;
  return [{
    class: { id: student.classId, name: cls?.name ?? '', isFree: false },
    school: { id: school.school.id, name: school.school.shortName },
    schoolyear: { id: y.id, name: y.name, startDate: dt(y.startDate), endDate: dt(y.endDate) },
    isAddSchool: false,
  }];
}

/** `GET /subjects?studentId&schoolYearId` (the key `federalСurriculum` has a Cyrillic С, as the server sends it). */
export function mobileSubjectsJson(school: DemoSchool): Record<string, unknown>[] {
  return school.subjects.map((s, i) => ({ id: s.id, name: s.name, order: i + 1, 'federalСurriculum': true }));
}

/** `GET /classmeetings?studentIds&startDate&endDate` rows for one student. */
export function mobileClassmeetingsJson(school: DemoSchool, student: SimStudent, from: string, to: string): Record<string, unknown>[] {
  return school.lessons(student.classId, from, to).map((l, i) => {
    const subject = school.subject(l.subjectId);
    const t = school.teacher(l.teacherId);
    return {
      classmeetingId: l.classmeetingId, studentId: student.id, assignmentId: l.assignments.map((a) => a.id),
      order: i + 1, scheduleTimeNumber: l.number, scheduleTimeRelay: 1, subjectName: subject.name, subjectId: subject.id,
      subjectGroupId: l.classId * 100 + (subject.id % 100), day: dt(l.day), startTime: l.startTime, endTime: l.endTime,
      teachers: t ? [{ id: t.id, name: fullName(t) }] : [], lessonTheme: l.theme, roomName: l.room,
      attachmentsExists: false, resultsExists: l.assignments.some((a) => hasResult(a.marks.get(student.id))),
      attendance: l.attendance.get(student.id) ?? null, distanceMeetingId: null, addEducation: false, extraActivity: false,
    };
  });
}

/**
 * `GET /assignments?studentId&classmeetingId=…`: the works of those lessons with this student's
 * result, its entry time (`resultDate`) and comment. The `results` shape change sends results
 * as strings and `resultDate` with seven fractional digits.
 */
export function mobileAssignmentsJson(school: DemoSchool, student: SimStudent, classmeetingIds: readonly number[], faults: FaultState): Record<string, unknown>[] {
  const drift = faults.shape === 'results';
  return classmeetingIds.flatMap((id) => {
    const l = school.findLesson(id);
    if (!l || l.classId !== student.classId) return [];
    const subject = school.subject(l.subjectId);
    return l.assignments.map((a) => {
      const m = a.marks.get(student.id);
      const type = ASSIGNMENT_TYPES.find((t) => t.id === a.typeId);
      const result = m?.mark ?? null;
      return {
        classmeetingId: l.classmeetingId, assignmentId: a.id, assignmentName: a.name, description: a.description ?? null,
        result: result !== null && drift ? String(result) : result, classAssignment: true, duty: m?.dutyMark === true,
        comment: m?.comment?.text ?? null, assignmentTypeId: a.typeId, assignmentTypeAbbr: type?.abbr ?? '', assignmentTypeName: type?.name ?? '',
        weight: a.weight, attachmentsExists: false, hasTextAnswer: false, hasFileAnswers: false, subjectId: subject.id, subjectName: subject.name,
        dueDate: dt(a.dueDate), answerFilesCount: 0, extraActivity: false,
        resultDate: hasResult(m) ? (drift ? `${m.enteredAt}.1234567` : m.enteredAt) : null,
        assignmentDate: dt(l.day), canAnswer: false,
      };
    });
  });
}

/** Weighted average of a student's marks per subject over [from, to] (null without marks). */
function averages(school: DemoSchool, student: SimStudent, from: string, to: string): Map<number, { avg: number; count: number }> {
  const acc = new Map<number, { sum: number; weight: number; count: number }>();
  if (to < from) return new Map();
  for (const l of school.lessons(student.classId, from, to)) {
    for (const a of l.assignments) {
      const mark = a.marks.get(student.id)?.mark;
      if (mark === null || mark === undefined) continue;
      const e = acc.get(l.subjectId) ?? { sum: 0, weight: 0, count: 0 };
      e.sum += mark * a.weight; e.weight += a.weight; e.count++;
      acc.set(l.subjectId, e);
    }
  }
  return new Map([...acc].map(([k, e]) => [k, { avg: Math.round((e.sum / e.weight) * 100) / 100, count: e.count }]));
}

/** Has the teacher already set this term mark? Ended terms yes; the last three weeks of the current one, for half the students. */
function termSet(school: DemoSchool, student: SimStudent, subject: SimSubject, t: SimTerm): boolean {
  if (t.end < school.today) return true;
  if (t.start > school.today) return false;
  return daysBetween(school.today, t.end) <= 20 && rngFor(school.seed, 'term-set', student.id, subject.id, t.id)() < 0.5;
}

function termMark(school: DemoSchool, student: SimStudent, subject: SimSubject, a: { avg: number; count: number } | undefined): number | string {
  if (!a || a.count < 2) return 'н/а';
  if (subject.name === 'Физическая культура' && rngFor(school.seed, 'exempt', student.id)() < 0.05) return 'осв';
  return Math.min(5, Math.max(2, Math.round(a.avg)));
}

/** Id of the year period in `yearTotals` (not a TERMID). */
export const yearPeriodId = (school: DemoSchool): number => school.currentYear.id * 10 + 9;

/**
 * `GET /totals?studentId&schoolYearId`: per subject, every term with its mark (null until set),
 * `markCode` and running `avgMark`, and the year mark (set from 25 May). The first subject's
 * year entry comes twice, as real servers sometimes send it (sources §1.8). Shape change
 * `totals`: marks as strings and term names as bare numbers; `malformed` spoils one term mark.
 */
export function mobileTotalsJson(school: DemoSchool, student: SimStudent, faults: FaultState): Record<string, unknown>[] {
  const terms = school.terms();
  const drift = faults.shape === 'totals';
  const perTerm = new Map(terms.map((t) => [t.id, averages(school, student, t.start, t.end < school.today ? t.end : school.today)]));
  const yearEnd = school.currentYear.endDate;
  const annualFrom = `${yearEnd.slice(0, 4)}-05-25`;
  return school.subjects.map((subject, i) => {
    const marks: (number | string | null)[] = [];
    const termTotals = terms.map((t) => {
      const a = perTerm.get(t.id)?.get(subject.id);
      let mark: number | string | null = termSet(school, student, subject, t) ? termMark(school, student, subject, a) : null;
      marks.push(mark);
      if (mark !== null && faults.takeMalformed()) mark = 'пять';
      return {
        term: { id: t.id, name: drift ? String(t.n) : t.name },
        mark: mark !== null && drift ? String(mark) : mark,
        markCode: typeof mark === 'string' && !/^\d$/.test(mark) ? 'NotExamined' : 'PointSystem',
        avgMark: a?.avg ?? null,
      };
    });
    const numeric = marks.filter((m): m is number => typeof m === 'number');
    const annual = school.today >= annualFrom && numeric.length > 0 ? Math.round(numeric.reduce((x, y) => x + y, 0) / numeric.length) : null;
    const year = { period: { id: yearPeriodId(school), periodName: 'Годовая', periodType: 'Year' }, mark: annual !== null && drift ? String(annual) : annual };
    return { subjectId: subject.id, termTotals, yearTotals: i === 0 ? [year, { ...year }] : [year] };
  });
}

