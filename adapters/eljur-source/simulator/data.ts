import { addDays, compactDate, mondayOf, weekdayIndex } from '../dates';
import type { FakeName } from '../../../src/infra/sim/names';
import { fakePersonName, fullName } from '../../../src/infra/sim/people';
import { hex, pick, rngFor, shuffle, type Rng } from '../../../src/infra/sim/rng';

export { fullName } from '../../../src/infra/sim/people';

/**
 * The demo school of the ЭлЖур simulator, deterministic from (seed, today). Weeks are generated
 * lazily and cached so any week asked for exists and stays stable; live marks are appended.
 */

export interface SimPerson extends FakeName { id: string }
export interface SimStudent extends SimPerson { className: string }
export interface SimClass { name: string; parallel: number; students: SimStudent[]; timetable: number[][]; homeTeacherId: string }
export interface SimSubject { id: number; name: string; hours: number; room: string; teacherId: string; topics: readonly string[] }
export interface SimWorkType { id: number; short: string; type: string; weight: number }

/** A mark or absence pseudo-mark for one student at one lesson. */
export interface SimMark { value: string; typeId: number; comment?: string; absence: boolean }

export interface SimHomework { id: number; text: string; individualFor?: string }

export interface SimLesson {
  className: string; day: string; num: number; start: string; end: string; subjectId: number; room: string;
  teacherId: string; topic: string; isControl: boolean; controlTypeId?: number;
  homework: SimHomework[];
  /** studentId → marks (absence pseudo-marks included). */
  marks: Map<string, SimMark[]>;
}

export interface SimPeriod { name: string; fullname: string; start: string; end: string }

export const WORK_TYPES: readonly SimWorkType[] = [
  { id: 1, short: 'ОУ', type: 'Ответ на уроке', weight: 1 },
  { id: 2, short: 'КР', type: 'Контрольная работа', weight: 3 },
  { id: 3, short: 'ДЗ', type: 'Домашняя работа', weight: 1 },
  { id: 4, short: 'СР', type: 'Самостоятельная работа', weight: 2 },
  { id: 5, short: 'Т', type: 'Тест', weight: 1.5 },
  { id: 6, short: 'ЛР', type: 'Лабораторная работа', weight: 2 },
  { id: 7, short: 'Д', type: 'Диктант', weight: 2 },
];

const BELLS: readonly (readonly [string, string])[] = [
  ['08:30:00', '09:15:00'], ['09:25:00', '10:10:00'], ['10:30:00', '11:15:00'], ['11:35:00', '12:20:00'], ['12:30:00', '13:15:00'],
];

const SUBJECT_DEFS = [
  { name: 'Русский язык', hours: 5, room: '201', topics: ['Имя существительное', 'Правописание приставок', 'Прямая речь'] },
  { name: 'Литература', hours: 3, room: '201', topics: ['И. С. Тургенев «Муму»', 'Н. А. Некрасов «Крестьянские дети»'] },
  { name: 'Математика', hours: 5, room: '305', topics: ['Обыкновенные дроби', 'Десятичные дроби', 'Площадь прямоугольника'] },
  { name: 'Английский язык', hours: 3, room: '112', topics: ['Present Simple', 'My family'] },
  { name: 'История', hours: 2, room: '210', topics: ['Древний Египет', 'Древняя Греция'] },
  { name: 'Биология', hours: 3, room: '318', topics: ['Строение клетки', 'Царства живой природы'] },
  { name: 'География', hours: 2, room: '316', topics: ['План местности', 'Литосфера'] },
  { name: 'Физическая культура', hours: 2, room: 'Спортзал', topics: ['Лёгкая атлетика', 'Баскетбол'] },
] as const;

const HOMEWORK_TEXTS = ['Упр. {n}, стр. {p}', 'Выучить правило на стр. {p}', '№ {n} (стр. {p})', 'Читать параграф {m}', 'Повторить тему «{t}»'] as const;
const COMMENTS = ['Молодец!', 'Невнимательно, повтори правило', 'Есть ошибки в вычислениях', 'Хороший ответ, но неполный'] as const;

export class DemoSchool {
  readonly vendor = 'demo7';
  readonly vendorId = 7007;
  readonly seed: number;
  readonly today: string;
  readonly yearStart: number;
  readonly subjects: SimSubject[];
  readonly teachers: SimPerson[];
  readonly classes: SimClass[];
  readonly students = new Map<string, SimStudent>();
  private readonly weeks = new Map<string, SimLesson[]>();
  private liveSeq = 0;

  constructor(opts: { seed: number; today: string }) {
    this.seed = opts.seed;
    this.today = opts.today;
    this.yearStart = Number(opts.today.slice(0, 4)) - (Number(opts.today.slice(5, 7)) >= 8 ? 0 : 1);
    const rng = rngFor(this.seed, 'staff');
    this.teachers = SUBJECT_DEFS.map((_, i) => ({ id: String(3001 + i), ...fakePersonName(rng, rng() < 0.8 ? 'f' : 'm') }));
    this.subjects = SUBJECT_DEFS.map((d, i) => ({
      id: 101 + i, name: d.name, hours: d.hours, room: d.room, topics: d.topics, teacherId: (this.teachers[i === 1 ? 0 : i] as SimPerson).id,
    }));
    this.classes = ['5А', '5Б'].map((name, ci) => {
      const crng = rngFor(this.seed, 'class', name);
      const students: SimStudent[] = [];
      for (let k = 0; k < 25; k++) students.push({ id: String(50_100 + ci * 100 + k), className: name, ...fakePersonName(crng, crng() < 0.5 ? 'm' : 'f') });
      students.sort((a, b) => fullName(a).localeCompare(fullName(b), 'ru'));
      const slots = shuffle(crng, this.subjects.flatMap((s) => Array.from({ length: s.hours }, () => s.id)));
      const timetable = [0, 1, 2, 3, 4].map((d) => slots.slice(d * 5, d * 5 + 5));
      return { name, parallel: 5, students, timetable, homeTeacherId: (this.teachers[ci + 2] as SimPerson).id };
    });
    for (const c of this.classes) for (const s of c.students) this.students.set(s.id, s);
  }

  /** Quarters of the current year (IV runs to 31 August so summer demos have a period). */
  periods(): SimPeriod[] {
    const y = this.yearStart;
    const b: [string, string][] = [[`${y}-09-01`, `${y}-10-26`], [`${y}-11-05`, `${y}-12-28`], [`${y + 1}-01-09`, `${y + 1}-03-22`], [`${y + 1}-03-31`, `${y + 1}-08-31`]];
    return b.map(([start, end], i) => ({ name: `${['I', 'II', 'III', 'IV'][i]}`, fullname: `${i + 1} четверть`, start, end }));
  }

  credentials(): { login: string; password: string; devkey: string } {
    return { login: 'demo.zavuch', password: 'Журнал-2025!', devkey: hex(rngFor(this.seed, 'devkey'), 32) };
  }

  subject(id: number): SimSubject {
    const s = this.subjects.find((x) => x.id === id);
    if (!s) throw new Error(`no subject ${id}`);
    return s;
  }

  teacher(id: string): SimPerson | undefined {
    return this.teachers.find((t) => t.id === id);
  }

  classOf(name: string): SimClass | undefined {
    return this.classes.find((c) => c.name === name);
  }

  /** Holiday days: the autumn break between I and II quarter (no lessons). */
  holidayName(day: string): string | undefined {
    const p = this.periods();
    const gap = p[0] && p[1] ? [addDays(p[0].end, 1), addDays(p[1].start, -1)] : undefined;
    return gap && day >= (gap[0] as string) && day <= (gap[1] as string) ? 'Осенние каникулы' : undefined;
  }

  week(className: string, monday: string): SimLesson[] {
    const key = `${className}|${monday}`;
    let lessons = this.weeks.get(key);
    if (!lessons) { lessons = this.generateWeek(className, monday); this.weeks.set(key, lessons); }
    return lessons;
  }

  lessons(className: string, from: string, to: string): SimLesson[] {
    const out: SimLesson[] = [];
    for (let m = mondayOf(from); m <= to; m = addDays(m, 7)) for (const l of this.week(className, m)) if (l.day >= from && l.day <= to) out.push(l);
    return out;
  }

  private generateWeek(className: string, monday: string): SimLesson[] {
    const cls = this.classOf(className);
    if (!cls) return [];
    const out: SimLesson[] = [];
    for (let d = 0; d < 5; d++) {
      const day = addDays(monday, d);
      if (this.holidayName(day)) continue;
      (cls.timetable[d] ?? []).forEach((subjectId, i) => {
        const num = i + 1;
        const bell = BELLS[i] ?? BELLS[0]!;
        const subject = this.subject(subjectId);
        const rng = rngFor(this.seed, 'lesson', className, day, num);
        const past = day <= this.today;
        const control = rng() < 0.1;
        const lesson: SimLesson = {
          className, day, num, start: bell[0], end: bell[1], subjectId, room: subject.room, teacherId: subject.teacherId,
          topic: pick(rng, subject.topics), isControl: control, ...(control ? { controlTypeId: pick(rng, [2, 4, 5]) } : {}),
          homework: [], marks: new Map(),
        };
        if (past) this.addMarks(lesson, cls, rng);
        if (subject.name !== 'Физическая культура' && rng() < 0.6) {
          const text = pick(rng, HOMEWORK_TEXTS).replace('{n}', String(100 + Math.floor(rng() * 500))).replace('{m}', String(1 + Math.floor(rng() * 30)))
            .replace('{p}', String(10 + Math.floor(rng() * 200))).replace('{t}', lesson.topic);
          const hwId = Number(`${compactDate(day).slice(2)}${className === '5А' ? 1 : 2}${num}`);
          lesson.homework.push({ id: hwId, text });
          if (rng() < 0.1) lesson.homework.push({ id: hwId * 10 + 1, text: 'Индивидуальное задание: карточка № ' + (1 + Math.floor(rng() * 20)), individualFor: pick(rng, cls.students).id });
        }
        out.push(lesson);
      });
    }
    return out;
  }

  private addMarks(lesson: SimLesson, cls: SimClass, rng: Rng): void {
    const push = (sid: string, m: SimMark): void => { lesson.marks.set(sid, [...(lesson.marks.get(sid) ?? []), m]); };
    const absent = new Set<string>();
    for (const s of cls.students) {
      const ill = rngFor(this.seed, 'ill', s.id, mondayOf(lesson.day))() < 0.04 && weekdayIndex(lesson.day) <= 2;
      const r = rngFor(this.seed, 'abs', s.id, lesson.day)();
      if (ill || r < 0.015) { absent.add(s.id); push(s.id, { value: rng() < 0.5 ? 'н' : 'Н', typeId: 1, absence: true }); } else if (rng() < 0.01) push(s.id, { value: rng() < 0.5 ? 'оп' : 'ОП', typeId: 1, absence: true });
    }
    const present = cls.students.filter((s) => !absent.has(s.id));
    const typeId = lesson.isControl ? lesson.controlTypeId ?? 2 : 1;
    const graded = lesson.isControl ? present : shuffle(rng, present).slice(0, 1 + Math.floor(rng() * 4));
    for (const s of graded) push(s.id, this.markFor(rng, s.id, typeId));
    if (rng() < 0.2) { const s = pick(rng, present); push(s.id, this.markFor(rng, s.id, 3)); }
  }

  private markFor(rng: Rng, studentId: string, typeId: number): SimMark {
    const ability = rngFor(this.seed, 'ability', studentId)();
    const r = rng() * 0.6 + ability * 0.55;
    const base = r > 0.85 ? 5 : r > 0.6 ? 4 : r > 0.35 ? 3 : 2;
    const mod = rng();
    const value = mod < 0.06 && base > 2 ? `${base}-` : mod > 0.96 && base < 5 ? `${base}+` : String(base);
    return { value, typeId, absence: false, ...(rng() < 0.08 ? { comment: pick(rng, COMMENTS) } : {}) };
  }

  /** Final mark of a student in a subject for a period: the rounded mean of their current marks. */
  finalMark(studentId: string, subjectId: number, from: string, to: string): string | undefined {
    const s = this.students.get(studentId);
    if (!s) return undefined;
    const vals = this.lessons(s.className, from, to).filter((l) => l.subjectId === subjectId)
      .flatMap((l) => (l.marks.get(studentId) ?? []).filter((m) => !m.absence).map((m) => Number(m.value[0])));
    if (vals.length === 0) return rngFor(this.seed, 'na', studentId, subjectId)() < 0.5 ? 'н/а' : undefined;
    return String(Math.round(vals.reduce((a, b) => a + b, 0) / vals.length));
  }

  /** Adds one «Ответ на уроке» mark on the latest lesson up to today; returns the student id. */
  addLiveMark(): string | undefined {
    this.liveSeq++;
    const rng = rngFor(this.seed, 'live', this.liveSeq);
    const cls = pick(rng, this.classes);
    const lessons = this.lessons(cls.name, addDays(this.today, -7), this.today);
    const lesson = lessons[lessons.length - 1];
    if (!lesson) return undefined;
    const s = pick(rng, cls.students);
    lesson.marks.set(s.id, [...(lesson.marks.get(s.id) ?? []), this.markFor(rng, s.id, 1)]);
    return s.id;
  }
}
