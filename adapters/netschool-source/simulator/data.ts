import { addDays, mondayOf, weekdayIndex } from '../dates';
import type { FakeName } from '../../../src/infra/sim/names';
import { fakePersonName, fullName } from '../../../src/infra/sim/people';
import { hex, pick, rngFor, shuffle, type Rng } from '../../../src/infra/sim/rng';
import { ASSIGNMENT_TYPES, BELLS, type SimAssignmentType, COMMENTS, DESCRIPTIONS, HOMEWORK_TEXTS, SUBJECT_DEFS, TYPE } from './catalog';

export { fullName } from '../../../src/infra/sim/people';
export { ASSIGNMENT_TYPES, TYPE } from './catalog';

/**
 * The demo school the simulator serves, generated deterministically from (seed, today).
 * Weeks are generated lazily and cached, so any week asked for exists and stays stable;
 * "live" marks are appended to the cached lessons.
 */

export interface SimPerson extends FakeName { id: number }
export interface SimStudent extends SimPerson { classId: number; birthDate: string }
export interface SimClass { id: number; name: string; grade: number; students: SimStudent[]; timetable: number[][] }
export interface SimSubject { id: number; name: string; hours: number; room: string; teacherId: number; topics: readonly string[] }
export type { SimAssignmentType } from './catalog';

/**
 * A student's entry on a work: a mark, a duty dot, or only a teacher's comment (mark null, no dot).
 * `enteredAt` is when the teacher entered it (school wall clock 'YYYY-MM-DDTHH:MM:SS').
 */
export interface SimMark { mark: number | null; dutyMark: boolean; enteredAt: string; comment?: { id: number; text: string; editTime: string } }
export interface SimAssignment {
  id: number; typeId: number; name: string; weight: number; dueDate: string; classMeetingId: number;
  /** A work every student must hand in (tests, dictations…): listed by pastMandatory when overdue. */
  mandatory: boolean;
  /** Longer text shown in the assignment details (some homework). */
  description?: string;
  /** studentId → mark; students without an entry have no mark. */
  marks: Map<number, SimMark>;
}
export interface SimLesson {
  classmeetingId: number; classId: number; day: string; number: number; startTime: string; endTime: string;
  subjectId: number; room: string; teacherId: number; theme: string;
  assignments: SimAssignment[];
  /** studentId → attendance code (Н, Б, УП, ОП). */
  attendance: Map<number, string>;
}

export interface SimYear { id: number; globalYearId: number; name: string; startDate: string; endDate: string; closed: boolean }

export interface DemoSchoolOptions { seed: number; today: string }

/** Does the entry carry a result (a mark or a dot), not just a comment? */
export const hasResult = (m: SimMark | undefined): m is SimMark => m !== undefined && (m.mark !== null || m.dutyMark);


/** Term («четверть») of a date in the demo calendar: I Sep–Oct, II Nov–Dec, III Jan–Mar, IV Apr–Aug. */
export function termOf(date: string): { n: number; name: string } {
  const month = Number(date.slice(5, 7));
  const n = month >= 9 && month <= 10 ? 1 : month >= 11 ? 2 : month <= 3 ? 3 : 4;
  return { n, name: `${n} четверть` };
}

export interface SimTerm { id: number; n: number; name: string; start: string; end: string }

export class DemoSchool {
  readonly seed: number;
  readonly today: string;
  readonly school = { id: 1207, name: 'Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7»', shortName: 'МБОУ СОШ № 7', inn: '7453012345', ogrn: '1027402912345', addressString: 'г. Демоград, ул. Школьная, д. 7', cityId: 77, provinceId: 74 };
  /** Other schools on the same server, so the school search has something to tell apart. */
  readonly otherSchools = [
    { id: 1271, name: 'Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 71»', shortName: 'МБОУ СОШ № 71', inn: '7453054321', ogrn: '1027402954321', addressString: 'г. Демоград, пр. Ленина, д. 71', cityId: 77, provinceId: 74 },
    { id: 1302, name: 'МАОУ «Лицей № 3»', shortName: 'МАОУ Лицей № 3', inn: '7453067890', ogrn: '1027402967890', addressString: 'г. Демоград, ул. Мира, д. 3', cityId: 77, provinceId: 74 },
  ];
  readonly years: SimYear[];
  readonly currentYear: SimYear;
  readonly subjects: SimSubject[];
  readonly teachers: SimPerson[];
  readonly classes: SimClass[];
  readonly students = new Map<number, SimStudent>();
  private readonly weeks = new Map<string, SimLesson[]>();
  private liveSeq = 0;

  constructor(opts: DemoSchoolOptions) {
    this.seed = opts.seed;
    this.today = opts.today;
    const startYear = Number(opts.today.slice(0, 4)) - (Number(opts.today.slice(5, 7)) >= 8 ? 0 : 1);
    this.years = [startYear - 1, startYear].map((y) => ({
      id: 400 + (y - 2000), globalYearId: y - 2000, name: `${y}/${y + 1}`,
      startDate: `${y}-09-01`, endDate: `${y + 1}-08-31`, closed: y !== startYear,
    }));
    this.currentYear = this.years[1] as SimYear;

    const rng = rngFor(this.seed, 'staff');
    this.teachers = SUBJECT_DEFS.map((_, i) => ({ id: 3001 + i, ...fakePersonName(rng, rng() < 0.8 ? 'f' : 'm') }));
    // Russian and literature share a teacher, as they usually do.
    this.subjects = SUBJECT_DEFS.map((d, i) => ({
      id: 101 + i, name: d.name, hours: d.hours, room: d.room, topics: d.topics,
      teacherId: (this.teachers[i === 1 ? 0 : i] as SimPerson).id,
    }));

    this.classes = [['5а', 501], ['5б', 502]].map(([name, id]) => {
      const crng = rngFor(this.seed, 'class', id as number);
      const students: SimStudent[] = [];
      for (let k = 0; k < 26; k++) {
        const gender = crng() < 0.5 ? 'm' : 'f';
        const birthYear = startYear - 11;
        const birthDate = `${birthYear}-${String(1 + Math.floor(crng() * 12)).padStart(2, '0')}-${String(1 + Math.floor(crng() * 28)).padStart(2, '0')}`;
        students.push({ id: (id as number) * 100 + 1 + k, classId: id as number, birthDate, ...fakePersonName(crng, gender) });
      }
      students.sort((a, b) => fullName(a).localeCompare(fullName(b), 'ru'));
      const slots = shuffle(crng, this.subjects.flatMap((s) => Array.from({ length: s.hours }, () => s.id)));
      const timetable = [0, 1, 2, 3, 4].map((d) => slots.slice(d * 5, d * 5 + 5));
      return { id: id as number, name: name as string, grade: 5, students, timetable };
    });
    for (const c of this.classes) for (const s of c.students) this.students.set(s.id, s);
  }

  /**
   * Quarters of the current year. IV runs to the end of August so that a demo started in
   * summer still has a term for every generated lesson.
   */
  terms(): SimTerm[] {
    const y = Number(this.currentYear.startDate.slice(0, 4));
    const bounds: [string, string][] = [[`${y}-09-01`, `${y}-10-31`], [`${y}-11-01`, `${y}-12-31`], [`${y + 1}-01-01`, `${y + 1}-03-31`], [`${y + 1}-04-01`, `${y + 1}-08-31`]];
    return bounds.map(([start, end], i) => ({ id: this.currentYear.id * 10 + i + 1, n: i + 1, name: `${i + 1} четверть`, start, end }));
  }

  /** Credentials of the demo account (the password has Cyrillic on purpose: cp1251 hashing). */
  credentials(): { login: string; password: string; mobileToken: string } {
    return { login: 'demo.roditel', password: 'Дневник-2025!', mobileToken: `sim-${hex(rngFor(this.seed, 'mobile'), 40)}` };
  }

  subject(id: number): SimSubject {
    const s = this.subjects.find((x) => x.id === id);
    if (!s) throw new Error(`no subject ${id}`);
    return s;
  }

  teacher(id: number): SimPerson | undefined {
    return this.teachers.find((t) => t.id === id);
  }

  classOf(id: number): SimClass | undefined {
    return this.classes.find((c) => c.id === id);
  }

  /** Lessons of a class in the Mon–Fri week starting `monday` (generated once, then cached). */
  week(classId: number, monday: string): SimLesson[] {
    const key = `${classId}|${monday}`;
    let lessons = this.weeks.get(key);
    if (!lessons) {
      lessons = this.generateWeek(classId, monday);
      this.weeks.set(key, lessons);
    }
    return lessons;
  }

  /** Lessons of a class on days in [from, to]. */
  lessons(classId: number, from: string, to: string): SimLesson[] {
    const out: SimLesson[] = [];
    for (let m = mondayOf(from); m <= to; m = addDays(m, 7)) {
      for (const l of this.week(classId, m)) if (l.day >= from && l.day <= to) out.push(l);
    }
    return out;
  }

  /** The lesson with this classmeetingId (its day is encoded in the id), generating its week if needed. */
  findLesson(classmeetingId: number): SimLesson | undefined {
    const day = new Date(Math.floor(classmeetingId / 100) * 86_400_000).toISOString().slice(0, 10);
    for (const c of this.classes) {
      const l = this.lessons(c.id, day, day).find((x) => x.classmeetingId === classmeetingId);
      if (l) return l;
    }
    return undefined;
  }

  /**
   * A student's overdue works due in [from, to]: mandatory works (or works with the student's
   * duty dot) whose due date has passed while the student has no mark.
   */
  overdue(studentId: number, from: string, to: string): { lesson: SimLesson; assignment: SimAssignment }[] {
    const student = this.students.get(studentId);
    if (!student) return [];
    return this.lessons(student.classId, addDays(from, -14), to).flatMap((lesson) => lesson.assignments
      .filter((a) => a.dueDate >= from && a.dueDate <= to && a.dueDate < this.today)
      .filter((a) => { const m = a.marks.get(studentId); return (a.mandatory || m?.dutyMark === true) && (m?.mark ?? null) === null; })
      .map((assignment) => ({ lesson, assignment })));
  }

  /** Sets a student's mark on a work now (a teacher grading an overdue work); false if unknown. */
  setMark(assignmentId: number, studentId: number, mark: number, at: string): boolean {
    const found = this.findAssignment(assignmentId);
    if (!found || !this.students.has(studentId)) return false;
    const prev = found.assignment.marks.get(studentId);
    found.assignment.marks.set(studentId, { mark, dutyMark: false, enteredAt: at, ...(prev?.comment ? { comment: prev.comment } : {}) });
    return true;
  }

  findAssignment(id: number): { lesson: SimLesson; assignment: SimAssignment } | undefined {
    for (const lessons of this.weeks.values()) {
      for (const lesson of lessons) {
        const a = lesson.assignments.find((x) => x.id === id);
        if (a) return { lesson, assignment: a };
      }
    }
    return undefined;
  }

  private generateWeek(classId: number, monday: string): SimLesson[] {
    const cls = this.classOf(classId);
    if (!cls) return [];
    const out: SimLesson[] = [];
    for (let d = 0; d < 5; d++) {
      const day = addDays(monday, d);
      const dayCodes = this.dayAbsences(cls, day);
      (cls.timetable[d] ?? []).forEach((subjectId, i) => {
        const number = i + 1;
        const bell = BELLS[i] ?? BELLS[0]!;
        const subject = this.subject(subjectId);
        const rng = rngFor(this.seed, 'lesson', classId, day, number);
        const daysSinceEpoch = Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
        const classmeetingId = daysSinceEpoch * 100 + (classId % 10) * 10 + number;
        const lesson: SimLesson = {
          classmeetingId, classId, day, number, startTime: bell[0], endTime: bell[1], subjectId, room: subject.room,
          teacherId: subject.teacherId, theme: pick(rng, subject.topics), assignments: [], attendance: new Map(),
        };
        const past = day <= this.today;
        if (past) {
          for (const [sid, code] of dayCodes) lesson.attendance.set(sid, code);
          for (const s of cls.students) if (!lesson.attendance.has(s.id) && rng() < 0.01) lesson.attendance.set(s.id, 'ОП');
        }
        this.addAssignments(lesson, cls, rng, past);
        out.push(lesson);
      });
    }
    return out;
  }

  /** Whole-day absences: illness (Б), unexcused (Н) and excused (УП); only days up to today. */
  private dayAbsences(cls: SimClass, day: string): Map<number, string> {
    const codes = new Map<number, string>();
    if (day > this.today) return codes;
    for (const s of cls.students) {
      // An illness lasts Mon–Wed of a week for about one student in twenty-five per week.
      const week = mondayOf(day);
      const ill = rngFor(this.seed, 'ill', s.id, week)() < 0.04 && weekdayIndex(day) <= 2;
      const r = rngFor(this.seed, 'abs', s.id, day)();
      if (ill) codes.set(s.id, 'Б');
      else if (r < 0.015) codes.set(s.id, 'Н');
      else if (r < 0.025) codes.set(s.id, 'УП');
    }
    return codes;
  }

  private addAssignments(lesson: SimLesson, cls: SimClass, rng: Rng, past: boolean): void {
    const subject = this.subject(lesson.subjectId);
    let k = 0;
    const make = (typeId: number, name: string, dueDate: string, mandatory = false): SimAssignment => {
      const type = ASSIGNMENT_TYPES.find((t) => t.id === typeId) as SimAssignmentType;
      const id = lesson.classmeetingId * 10 + k++;
      const drng = rngFor(this.seed, 'description', id);
      const description = typeId === TYPE.homework && drng() < 0.3 ? pick(drng, DESCRIPTIONS) : undefined;
      const a: SimAssignment = {
        id, typeId, name, weight: type.weight, dueDate, classMeetingId: lesson.classmeetingId, mandatory, marks: new Map(),
        ...(description ? { description } : {}),
      };
      lesson.assignments.push(a);
      return a;
    };
    const present = cls.students.filter((s) => { const c = lesson.attendance.get(s.id); return c === undefined || c === 'ОП'; });
    const absent = cls.students.filter((s) => !present.includes(s));

    if (past) {
      const r = rng();
      if (r < 0.14) {
        const typeId = subject.name === 'Русский язык' && rng() < 0.5 ? TYPE.dictation
          : subject.name === 'Биология' && rng() < 0.5 ? TYPE.lab : pick(rng, [TYPE.control, TYPE.independent, TYPE.test]);
        const typeName = ASSIGNMENT_TYPES.find((t) => t.id === typeId)?.name ?? '';
        const a = make(typeId, `${typeName}: ${lesson.theme}`, lesson.day, true);
        for (const s of present) a.marks.set(s.id, this.markFor(rng, lesson, a, s.id));
        for (const s of absent) if (rng() < 0.5) a.marks.set(s.id, { mark: null, dutyMark: true, enteredAt: this.enteredAt(lesson, a, s.id) });
      } else if ((r < 0.85 && subject.name !== 'Физическая культура') || r < 0.5) {
        const a = make(TYPE.answer, lesson.theme, lesson.day);
        for (const s of shuffle(rng, present).slice(0, 2 + Math.floor(rng() * 4))) a.marks.set(s.id, this.markFor(rng, lesson, a, s.id));
      }
    } else if (rng() < 0.05) {
      make(TYPE.control, `Контрольная работа: ${lesson.theme}`, lesson.day, true);
    }
    if (subject.name !== 'Физическая культура' && rng() < 0.65) {
      const text = pick(rng, HOMEWORK_TEXTS)
        .replace('{n}', String(100 + Math.floor(rng() * 500)))
        .replace('{m}', String(1 + Math.floor(rng() * 30)))
        .replace('{p}', String(10 + Math.floor(rng() * 200)))
        .replace('{t}', lesson.theme);
      // Set at this lesson, due on the next school day.
      const due = weekdayIndex(lesson.day) === 4 ? addDays(lesson.day, 3) : addDays(lesson.day, 1);
      const hw = make(TYPE.homework, text, due);
      if (past && rng() < 0.15) {
        for (const s of shuffle(rng, present).slice(0, 2)) hw.marks.set(s.id, this.markFor(rng, lesson, hw, s.id));
        const debtor = pick(rng, cls.students);
        if (!hw.marks.has(debtor.id) && rng() < 0.5) hw.marks.set(debtor.id, { mark: null, dutyMark: true, enteredAt: this.enteredAt(lesson, hw, debtor.id) });
      }
      if (past) {
        // Now and then a teacher only comments on a student's homework (no mark): a recommendation.
        for (const s of present) {
          const crng = rngFor(this.seed, 'hw-comment', hw.id, s.id);
          if (hw.marks.has(s.id) || crng() >= 0.01) continue;
          const enteredAt = this.enteredAt(lesson, hw, s.id);
          hw.marks.set(s.id, { mark: null, dutyMark: false, enteredAt, comment: { id: hw.id * 100 + (s.id % 100), text: 'Домашнее задание выполнено не полностью', editTime: enteredAt } });
        }
      }
    }
  }

  private markFor(rng: Rng, lesson: SimLesson, a: SimAssignment, studentId: number): SimMark {
    // Every student has a stable "ability" so averages look plausible.
    const ability = rngFor(this.seed, 'ability', studentId)();
    const r = rng() * 0.6 + ability * 0.55;
    const mark = r > 0.85 ? 5 : r > 0.6 ? 4 : r > 0.35 ? 3 : 2;
    const m: SimMark = { mark, dutyMark: false, enteredAt: this.enteredAt(lesson, a, studentId) };
    if (rng() < 0.08) {
      m.comment = { id: a.id * 100 + (studentId % 100), text: pick(rng, COMMENTS), editTime: m.enteredAt };
    }
    return m;
  }

  /**
   * When a teacher entered a student's entry: mostly within three hours after the lesson, a
   * third of the time one to three days later in the evening; never after today.
   */
  private enteredAt(lesson: SimLesson, a: SimAssignment, studentId: number): string {
    const rng = rngFor(this.seed, 'entered', a.id, studentId);
    const [h, m] = lesson.endTime.split(':').map(Number) as [number, number];
    let day = lesson.day;
    let minutes = h * 60 + m + 5 + Math.floor(rng() * 180);
    if (rng() < 0.33) { day = addDays(lesson.day, 1 + Math.floor(rng() * 3)); minutes = 15 * 60 + Math.floor(rng() * 300); }
    if (day > this.today) { day = lesson.day; minutes = h * 60 + m + 5; }
    const hh = String(Math.min(23, Math.floor(minutes / 60))).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return `${day}T${hh}:${mm}:${String(Math.floor(rng() * 60)).padStart(2, '0')}`;
  }

  /**
   * Adds one new mark («Ответ на уроке») on the latest lesson up to today, as a teacher would
   * during the day. Returns the assignment id.
   */
  addLiveMark(): number | undefined {
    this.liveSeq++;
    const rng = rngFor(this.seed, 'live', this.liveSeq);
    const cls = pick(rng, this.classes);
    const lessons = this.lessons(cls.id, addDays(this.today, -7), this.today);
    const lesson = lessons[lessons.length - 1];
    if (!lesson) return undefined;
    const student = pick(rng, cls.students);
    const a: SimAssignment = {
      id: 900_000_000 + this.liveSeq, typeId: TYPE.answer, name: lesson.theme, weight: 1, dueDate: lesson.day,
      classMeetingId: lesson.classmeetingId, mandatory: false, marks: new Map(),
    };
    a.marks.set(student.id, this.markFor(rng, lesson, a, student.id));
    lesson.assignments.push(a);
    return a.id;
  }
}
