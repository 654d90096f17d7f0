import { addDays } from '../dates';
import type { DemoSchool, SimStudent } from './data';
import type { FaultState } from './faults';

/** Vendor JSON of the simulated МЭШ family API, shaped per sources §4.3–4.4. */

const wrap = (faults: FaultState, list: unknown[]): unknown => (faults.shapes.has('payload') ? list : { payload: list });
const ruDate = (d: string): string => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;

export function profileJson(school: DemoSchool): Record<string, unknown> {
  return {
    profile: { id: school.profileId, type: 'parent', last_name: 'Демонстрационный', first_name: 'Родитель', middle_name: null, phone: null, email: null, snils: null },
    children: school.classes.flatMap((c) => c.students.map((s) => ({
      id: s.id, contract_id: s.contractId, contingent_guid: s.guid, last_name: s.familyName, first_name: s.givenName, middle_name: s.middleName,
      birth_date: s.birthDate, sex: s.gender === 'm' ? 'male' : 'female',
      school: { id: school.school.id, name: school.school.name, short_name: school.school.shortName },
      class_name: c.name, class_level_id: c.level, class_unit_id: c.id, groups: [],
    }))),
    hash: 'sim',
  };
}

export function subjectsJson(school: DemoSchool, faults: FaultState): unknown {
  return wrap(faults, school.subjects.map((s) => ({ subject_id: s.id, subject_name: s.name })));
}

export function marksJson(school: DemoSchool, s: SimStudent, from: string, to: string, faults: FaultState): unknown {
  const out: Record<string, unknown>[] = [];
  for (const l of school.lessons(s.classUnitId, from, to)) {
    const subject = school.subject(l.subjectId);
    for (const m of l.marks) {
      if (m.studentId !== s.id) continue;
      let value: unknown = String(m.value);
      if (faults.shapes.has('value')) value = m.value;
      if (faults.takeMalformed()) value = 'пять';
      out.push({
        id: m.id, value, values: [{ name: 'five', grade_system_id: 1, grade_system_type: 'five', nmax: 5, grade: { five: m.value, hundred: m.value * 20, origin: String(m.value) } }],
        comment: m.comment ?? null, comment_exists: m.comment !== undefined,
        weight: faults.shapes.has('weight') ? String(m.weight) : m.weight, control_form_name: m.form, is_exam: m.isExam,
        is_point: m.isPoint, point_date: m.pointDate ?? null, date: l.day, subject_id: subject.id, subject_name: subject.name,
        original_grade_system_type: 'five', criteria: [], created_at: m.createdAt, updated_at: m.updatedAt,
      });
    }
  }
  return wrap(faults, out);
}

export function homeworksJson(school: DemoSchool, s: SimStudent, from: string, to: string, faults: FaultState): unknown {
  // Lessons of the week before may set homework due in range.
  const out = school.lessons(s.classUnitId, addDays(from, -7), to).flatMap((l) => {
    if (!l.homework || l.homework.due < from || l.homework.due > to) return [];
    const subject = school.subject(l.subjectId);
    return [{
      description: l.homework.text, subject_id: subject.id, subject_name: subject.name, date: l.homework.due, date_assigned_on: l.homework.assignedOn,
      homework_entry_student_id: l.homework.studentEntryBase + (s.id % 100), materials_count: [], has_written_answer: false, is_done: false,
      type: 'homework', has_teacher_answer: false,
    }];
  }).sort((a, b) => a.date.localeCompare(b.date));
  return wrap(faults, out);
}

export function eventsJson(school: DemoSchool, s: SimStudent, from: string, to: string, faults: FaultState): unknown {
  const response = school.lessons(s.classUnitId, from, to).map((l) => {
    const subject = school.subject(l.subjectId);
    const reason = l.missed.get(s.id);
    const missed = l.missed.has(s.id);
    return {
      id: l.id, title: subject.name, start_at: `${l.day}T${l.startTime}:00`, finish_at: `${l.day}T${l.endTime}:00`,
      subject_id: subject.id, subject_name: subject.name, room_name: `Кабинет ${l.room}`, room_number: l.room,
      lesson_theme: l.theme, lesson_type: 'NORMAL', group_id: l.classUnitId * 10, group_name: `${subject.name} ${l.classUnitId}`,
      class_unit_ids: [l.classUnitId], cancelled: l.cancelled, replaced: l.replacedTeacherId !== undefined,
      replaced_teacher_id: l.replacedTeacherId ?? null, is_missed_lesson: missed, absence_reason_id: missed ? reason ?? null : null,
      nonattendance_reason_id: null, health_status: null,
      marks: l.marks.filter((m) => m.studentId === s.id).map((m) => ({ id: m.id, value: String(m.value), weight: m.weight, control_form_name: m.form })),
      homework: l.homework ? { descriptions: [l.homework.text], entries: [{ homework_entry_id: l.homework.studentEntryBase, description: l.homework.text }] } : null,
      source: 'PLAN', comments: [],
    };
  });
  return faults.shapes.has('events') ? response : { total_count: response.length, response, errors: null };
}

export function subjectMarksJson(school: DemoSchool, s: SimStudent, faults: FaultState): unknown {
  const periods = school.periods().filter((p) => p.start <= school.today);
  return wrap(faults, school.subjects.map((subject) => ({
    subject_id: subject.id, subject_name: subject.name, average: '4.00', average_by_all: '3.90', dynamic: 'NONE',
    year_mark: periods.length === 3 && (periods[2]?.end ?? '') < school.today ? String(school.periodMark(s.id, subject.id, 'year')) : null,
    periods: periods.map((p) => {
      const closed = p.end < school.today;
      return {
        title: p.title, start: ruDate(p.start), end: ruDate(p.end), start_iso: p.start, end_iso: p.end,
        value: String(school.periodMark(s.id, subject.id, p.title)), fixed_value: closed ? String(school.periodMark(s.id, subject.id, p.title)) : null,
        count: 10, dynamic: 'NONE', marks: [], target: null,
      };
    }),
  })));
}

export function periodsSchedulesJson(school: DemoSchool, from: string, to: string, faults: FaultState): unknown {
  const days: Record<string, unknown>[] = [];
  for (const h of school.holidays()) {
    for (let d = h.start; d <= h.end; d = addDays(d, 1)) {
      if (d >= from && d <= to) days.push({ date: d, type: h.type, title: h.title, description: null, events: [] });
    }
  }
  return wrap(faults, days.sort((a, b) => String(a.date).localeCompare(String(b.date))));
}
