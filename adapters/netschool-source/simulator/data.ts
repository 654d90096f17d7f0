import { addDays, mondayOf, weekdayIndex } from '../dates';
import type { FakeName } from '../../../src/infra/sim/names';
import { fakePersonName, fullName } from '../../../src/infra/sim/people';
import { hex, pick, rngFor, shuffle, type Rng } from '../../../src/infra/sim/rng';

export { fullName } from '../../../src/infra/sim/people';

/**
 * The demo school the simulator serves, generated deterministically from (seed, today).
 * Weeks are generated lazily and cached, so any week asked for exists and stays stable;
 * "live" marks are appended to the cached lessons.
 */

export interface SimPerson extends FakeName { id: number }
export interface SimStudent extends SimPerson { classId: number; birthDate: string }
export interface SimClass { id: number; name: string; grade: number; students: SimStudent[]; timetable: number[][] }
export interface SimSubject { id: number; name: string; hours: number; room: string; teacherId: number; topics: readonly string[] }
export interface SimAssignmentType { id: number; name: string; abbr: string; order: number; weight: number }

export interface SimMark { mark: number | null; dutyMark: boolean; comment?: { id: number; text: string; editTime: string } }
export interface SimAssignment {
  id: number; typeId: number; name: string; weight: number; dueDate: string; classMeetingId: number;
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

export const ASSIGNMENT_TYPES: readonly SimAssignmentType[] = [
  { id: 1, name: 'Ответ на уроке', abbr: 'О', order: 1, weight: 1 },
  { id: 2, name: 'Контрольная работа', abbr: 'К', order: 2, weight: 3 },
  { id: 3, name: 'Домашнее задание', abbr: 'ДЗ', order: 3, weight: 1 },
  { id: 4, name: 'Самостоятельная работа', abbr: 'С', order: 4, weight: 2 },
  { id: 5, name: 'Тестирование', abbr: 'Т', order: 5, weight: 2 },
  { id: 6, name: 'Лабораторная работа', abbr: 'Л', order: 6, weight: 2 },
  { id: 7, name: 'Проект', abbr: 'П', order: 7, weight: 2 },
  { id: 8, name: 'Диктант', abbr: 'Д', order: 8, weight: 2 },
  { id: 9, name: 'Реферат', abbr: 'Р', order: 9, weight: 1 },
  { id: 10, name: 'Сочинение', abbr: 'Ч', order: 10, weight: 2 },
  { id: 11, name: 'Изложение', abbr: 'И', order: 11, weight: 2 },
  { id: 12, name: 'Зачёт', abbr: 'З', order: 12, weight: 2 },
];
export const TYPE = { answer: 1, control: 2, homework: 3, independent: 4, test: 5, lab: 6, dictation: 8, essay: 10 } as const;

const BELLS: readonly (readonly [string, string])[] = [
  ['08:30', '09:15'], ['09:25', '10:10'], ['10:30', '11:15'], ['11:35', '12:20'], ['12:30', '13:15'], ['13:25', '14:10'],
];

const SUBJECT_DEFS = [
  { name: 'Русский язык', hours: 5, room: '201', topics: ['Имя существительное', 'Правописание приставок', 'Однородные члены предложения', 'Прямая речь'] },
  { name: 'Литература', hours: 3, room: '201', topics: ['А. С. Пушкин «Сказка о мёртвой царевне»', 'И. С. Тургенев «Муму»', 'Н. А. Некрасов «Крестьянские дети»'] },
  { name: 'Математика', hours: 5, room: '305', topics: ['Обыкновенные дроби', 'Сложение дробей', 'Десятичные дроби', 'Площадь прямоугольника'] },
  { name: 'Английский язык', hours: 3, room: '112', topics: ['Present Simple', 'My family', 'Numbers and dates'] },
  { name: 'История', hours: 2, room: '210', topics: ['Древний Египет', 'Древняя Греция', 'Первобытные люди'] },
  { name: 'Биология', hours: 2, room: '318', topics: ['Строение клетки', 'Царства живой природы', 'Методы изучения природы'] },
  { name: 'География', hours: 2, room: '316', topics: ['План местности', 'Градусная сеть', 'Литосфера'] },
  { name: 'Физическая культура', hours: 3, room: 'Спортзал', topics: ['Лёгкая атлетика', 'Баскетбол', 'Гимнастика'] },
] as const;

const HOMEWORK_TEXTS = [
  'Упр. {n}, стр. {p}', 'Выучить правило на стр. {p}', '№ {n}, {m} (стр. {p})', 'Читать параграф {m}, ответить на вопросы',
  'Подготовить пересказ, стр. {p}', 'Рабочая тетрадь, стр. {p}', 'Повторить тему «{t}»',
] as const;

const COMMENTS = [
  'Молодец, отличная работа!', 'Невнимательно, повтори правило', 'Работа не сдана вовремя', 'Есть ошибки в вычислениях',
  'Хороший ответ, но неполный', 'Аккуратнее с оформлением', 'Не готов к уроку',
] as const;

export interface SimYear { id: number; globalYearId: number; name: string; startDate: string; endDate: string; closed: boolean }

export interface DemoSchoolOptions { seed: number; today: string }

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
    const make = (typeId: number, name: string, dueDate: string): SimAssignment => {
      const type = ASSIGNMENT_TYPES.find((t) => t.id === typeId) as SimAssignmentType;
      const a: SimAssignment = { id: lesson.classmeetingId * 10 + k++, typeId, name, weight: type.weight, dueDate, classMeetingId: lesson.classmeetingId, marks: new Map() };
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
        const a = make(typeId, `${typeName}: ${lesson.theme}`, lesson.day);
        for (const s of present) a.marks.set(s.id, this.markFor(rng, lesson, a, s.id));
        for (const s of absent) if (rng() < 0.5) a.marks.set(s.id, { mark: null, dutyMark: true });
      } else if ((r < 0.85 && subject.name !== 'Физическая культура') || r < 0.5) {
        const a = make(TYPE.answer, lesson.theme, lesson.day);
        for (const s of shuffle(rng, present).slice(0, 2 + Math.floor(rng() * 4))) a.marks.set(s.id, this.markFor(rng, lesson, a, s.id));
      }
    } else if (rng() < 0.05) {
      make(TYPE.control, `Контрольная работа: ${lesson.theme}`, lesson.day);
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
        if (!hw.marks.has(debtor.id) && rng() < 0.5) hw.marks.set(debtor.id, { mark: null, dutyMark: true });
      }
    }
  }

  private markFor(rng: Rng, lesson: SimLesson, a: SimAssignment, studentId: number): SimMark {
    // Every student has a stable "ability" so averages look plausible.
    const ability = rngFor(this.seed, 'ability', studentId)();
    const r = rng() * 0.6 + ability * 0.55;
    const mark = r > 0.85 ? 5 : r > 0.6 ? 4 : r > 0.35 ? 3 : 2;
    const m: SimMark = { mark, dutyMark: false };
    if (rng() < 0.08) {
      m.comment = { id: a.id * 100 + (studentId % 100), text: pick(rng, COMMENTS), editTime: `${lesson.day}T${lesson.endTime}:00` };
    }
    return m;
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
      classMeetingId: lesson.classmeetingId, marks: new Map(),
    };
    a.marks.set(student.id, this.markFor(rng, lesson, a, student.id));
    lesson.assignments.push(a);
    return a.id;
  }
}
