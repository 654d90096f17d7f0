import { mondayOf } from '../dates';
import { ASSIGNMENT_TYPES, fullName, hasResult, termOf, type DemoSchool, type SimLesson, type SimStudent, type SimYear } from './data';
import type { FaultState } from './faults';

/** Vendor JSON of the simulated NetSchool, shaped per sources §1.3–1.5 and §1.8. */

export const dt = (date: string): string => `${date}T00:00:00`;

export function schoolYearJson(y: SimYear, schoolId: number): Record<string, unknown> {
  return {
    id: y.id, name: y.closed ? `(*) ${y.name}` : y.name, schoolId,
    startDate: dt(y.startDate), endDate: dt(y.endDate), closed: y.closed ? 'Closed' : 'Open',
    globalYear: { id: y.globalYearId, name: y.name, startDate: dt(y.startDate), endDate: dt(y.endDate) },
  };
}

export function contextJson(school: DemoSchool, at: string, userId: number, login: string): Record<string, unknown> {
  const y = school.currentYear;
  return {
    at, userId, funcType: 'School', schoolId: school.school.id, schoolYearId: y.id, globalYearId: y.globalYearId, emId: null,
    productName: 'Сетевой Город. Образование', version: '5.43.62218.45', versionDate: '2025-08-20T00:00:00',
    organizationName: school.school.shortName, rights: ['arAssignmentsViewComplete', 'arStudentDiaryView'],
    roles: ['Parent'], dateFormat: 'dd.MM.yyyy', timeFormat: 'HH:mm', userLanguage: 'ru',
    schoolyear: schoolYearJson(y, school.school.id),
    user: { id: userId, name: login }, organization: { id: school.school.id, name: school.school.shortName },
  };
}

export function diaryInitJson(school: DemoSchool): Record<string, unknown> {
  const students = school.classes.flatMap((c) => c.students.map((s) => ({
    studentId: s.id, nickName: fullName(s), className: c.name, classId: c.id, iupGrade: 0,
    studentSettings: { showForParent: 0, isDisabled: false },
  })));
  return {
    students, currentStudentId: 0, weekStart: dt(mondayOf(school.today)), yaClass: false, yaClassAuthUrl: null,
    newDiskToken: '', newDiskWasRequest: false, ttsuRl: null, externalUrl: null, weight: true, maxMark: 5, withLaAssigns: true,
  };
}

function assignmentJson(school: DemoSchool, lesson: SimLesson, a: SimLesson['assignments'][number], student: SimStudent, faults: FaultState): Record<string, unknown> {
  const m = a.marks.get(student.id);
  let mark: Record<string, unknown> | null = null;
  if (hasResult(m)) {
    let value: unknown = m.mark;
    if (m.mark !== null && faults.shape === 'mark') value = String(m.mark);
    if (m.mark !== null && faults.takeMalformed()) value = 'пять';
    mark = { assignmentId: a.id, studentId: student.id, mark: value, resultScore: null, dutyMark: m.dutyMark };
  }
  const teacher = school.teacher(lesson.teacherId);
  return {
    id: a.id, typeId: a.typeId, assignmentName: a.name,
    weight: faults.shape === 'weight' ? String(a.weight) : a.weight,
    dueDate: dt(a.dueDate), classMeetingId: a.classMeetingId, mark,
    markComment: m?.comment ? {
      id: m.comment.id, name: m.comment.text, wasRead: false, editTime: m.comment.editTime,
      teacher: teacher ? { id: teacher.id, name: fullName(teacher) } : null,
    } : null,
    textAnswer: null, attachments: [], answerFiles: [],
  };
}

/** `GET /webapi/student/diary` for one student and date range. */
export function diaryJson(school: DemoSchool, student: SimStudent, from: string, to: string, faults: FaultState): Record<string, unknown> {
  const cls = school.classOf(student.classId);
  const lessons = school.lessons(student.classId, from, to);
  const days = new Map<string, SimLesson[]>();
  for (const l of lessons) days.set(l.day, [...(days.get(l.day) ?? []), l]);
  const weekDays = [...days.entries()].map(([date, ls]) => ({
    date: dt(date),
    lessons: ls.map((l) => {
      const base: Record<string, unknown> = {
        classmeetingId: l.classmeetingId, day: dt(l.day), number: l.number, relay: 1, room: l.room,
        startTime: l.startTime, endTime: l.endTime, subjectName: school.subject(l.subjectId).name, isEaLesson: false,
      };
      // Lessons without assignments carry no `assignments` key at all, as many servers send it.
      if (l.assignments.length > 0) base.assignments = l.assignments.map((a) => assignmentJson(school, l, a, student, faults));
      return base;
    }),
  }));
  return {
    weekStart: dt(from), weekEnd: dt(to), weekDays, laAssigns: [],
    termName: termOf(from).name, className: cls?.name ?? null,
  };
}

/**
 * `GET /webapi/student/diary/pastMandatory`: the student's overdue works due in [from, to], in the
 * diary's assignment shape plus `subjectName` (nm17 parses them as diary assignments); the
 * `overdue` shape change sends the short shape another client models (`id, subjectName,
 * assignmentName, dueDate`).
 */
export function pastMandatoryJson(school: DemoSchool, student: SimStudent, from: string, to: string, faults: FaultState): Record<string, unknown>[] {
  return school.overdue(student.id, from, to).map(({ lesson, assignment: a }) => {
    const subjectName = school.subject(lesson.subjectId).name;
    if (faults.shape === 'overdue') return { id: a.id, subjectName, assignmentName: a.name, dueDate: dt(a.dueDate) };
    const dot = a.marks.get(student.id)?.dutyMark === true;
    return {
      id: a.id, typeId: a.typeId, assignmentName: a.name, weight: a.weight, dueDate: dt(a.dueDate), classMeetingId: a.classMeetingId,
      subjectName, mark: dot ? { assignmentId: a.id, studentId: student.id, mark: null, resultScore: null, dutyMark: true } : null,
      markComment: null, textAnswer: null, attachments: [], answerFiles: [],
    };
  });
}

/** `GET /webapi/student/diary/assigns/{id}`. */
export function assignmentDetailsJson(school: DemoSchool, id: number, faults: FaultState): Record<string, unknown> | undefined {
  const found = school.findAssignment(id);
  if (!found) return undefined;
  const { lesson, assignment } = found;
  const subject = school.subject(lesson.subjectId);
  const cls = school.classOf(lesson.classId);
  const t = school.teacher(lesson.teacherId);
  const teacher = t ? { id: t.id, name: fullName(t) } : null;
  const type = ASSIGNMENT_TYPES.find((x) => x.id === assignment.typeId);
  return {
    id: assignment.id, assignmentName: assignment.name, activityName: null, problemName: null,
    // Homework without extra instructions repeats its text here, as servers do.
    description: assignment.description ?? (type?.name === 'Домашнее задание' ? assignment.name : null),
    date: dt(lesson.day), weight: assignment.weight, isDeleted: false,
    subjectGroup: { id: lesson.classId * 100 + (subject.id % 100), name: `${subject.name} ${cls?.name ?? ''}`.trim() },
    ...(faults.shape === 'teachers' ? { teacher } : { teachers: teacher ? [teacher] : [] }),
    attachments: [], productId: null,
  };
}
