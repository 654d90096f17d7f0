import { addDays, mondayOf, weekdayIndex } from '../dates';
import type { FakeName } from '../../../src/infra/sim/names';
import { fakePersonName } from '../../../src/infra/sim/people';
import { hex, pick, rngFor, shuffle, type Rng } from '../../../src/infra/sim/rng';

/**
 * The demo school the МЭШ simulator serves, generated deterministically from (seed, today).
 * Weeks are generated lazily and cached, so every week asked for exists and stays stable.
 */
export interface SimStudent extends FakeName { id: number; guid: string; classUnitId: number; birthDate: string; contractId: number }
export interface SimClass { id: number; name: string; level: number; students: SimStudent[]; timetable: number[][] }
export interface SimSubject { id: number; name: string; hours: number; room: string; teacherId: number; topics: readonly string[] }
export interface SimMark {
  id: number; studentId: number; value: number; weight: number; form: string; isExam: boolean; isPoint: boolean; pointDate?: string;
  comment?: string; createdAt: string; updatedAt: string;
}
export interface SimHomework { studentEntryBase: number; text: string; assignedOn: string; due: string }
export interface SimLesson {
  id: number; classUnitId: number; day: string; number: number; startTime: string; endTime: string; subjectId: number;
  room: string; theme: string; cancelled: boolean; replacedTeacherId?: number;
  /** studentId → absence_reason_id (null = not given yet). */
  missed: Map<number, number | null>;
  marks: SimMark[];
  homework?: SimHomework;
}
export interface SimPeriod { title: string; start: string; end: string }
export interface SimHoliday { title: string; type: string; start: string; end: string }

const BELLS: readonly (readonly [string, string])[] = [
  ['08:30', '09:15'], ['09:25', '10:10'], ['10:30', '11:15'], ['11:35', '12:20'], ['12:30', '13:15'], ['13:25', '14:10'],
];
const SUBJECT_DEFS = [
  { name: 'Русский язык', hours: 5, room: '204', topics: ['Причастный оборот', 'Деепричастие', 'Наречие как часть речи'] },
  { name: 'Литература', hours: 2, room: '204', topics: ['«Тарас Бульба»', '«Станционный смотритель»', 'Лирика Лермонтова'] },
  { name: 'Алгебра', hours: 3, room: '311', topics: ['Линейная функция', 'Степень с натуральным показателем', 'Одночлены'] },
  { name: 'Геометрия', hours: 2, room: '311', topics: ['Признаки равенства треугольников', 'Параллельные прямые'] },
  { name: 'Английский язык', hours: 3, room: '115', topics: ['Past Simple', 'Travelling', 'Modal verbs'] },
  { name: 'История', hours: 2, room: '212', topics: ['Смутное время', 'Россия при первых Романовых'] },
  { name: 'Физика', hours: 2, room: '320', topics: ['Плотность вещества', 'Сила тяжести', 'Давление'] },
  { name: 'Биология', hours: 1, room: '318', topics: ['Простейшие', 'Кишечнополостные'] },
  { name: 'Физическая культура', hours: 3, room: 'Спортзал', topics: ['Волейбол', 'Лёгкая атлетика'] },
] as const;
/** Forms of control with weights as МЭШ shows them (control_form_name, weight). */
export const FORMS: readonly (readonly [string, number])[] = [
  ['Ответ на уроке', 1], ['Работа на уроке', 1], ['Домашняя работа', 1], ['Самостоятельная работа', 2],
  ['Проверочная работа', 2], ['Контрольная работа', 3], ['Диктант', 3], ['Тест', 2], ['Лабораторная работа', 2],
];
const HOMEWORK_TEXTS = ['Упр. {n}, стр. {p}', '№ {n}, {m} (стр. {p})', 'Параграф {m}, вопросы 1–5', 'Выучить правило, стр. {p}', 'Повторить тему «{t}»'];
const COMMENTS = ['Отличная работа!', 'Невнимательно, повтори правило', 'Есть ошибки в вычислениях', 'Хороший ответ, но неполный'];

export const REASON = { valid: 1, illness: 2, invalid: 3 } as const;

export class DemoSchool {
  readonly school = { id: 1535, name: 'ГБОУ «Школа № 1535»', shortName: 'Школа № 1535' };
  readonly profileId = 7_700_123;
  readonly teachers: number[];
  readonly subjects: SimSubject[];
  readonly classes: SimClass[];
  readonly students = new Map<number, SimStudent>();
  readonly yearStart: number;
  private readonly weeks = new Map<string, SimLesson[]>();

  constructor(readonly seed: number, readonly today: string) {
    this.yearStart = Number(today.slice(0, 4)) - (Number(today.slice(5, 7)) >= 9 ? 0 : 1);
    this.teachers = SUBJECT_DEFS.map((_, i) => 5_100_001 + i);
    this.subjects = SUBJECT_DEFS.map((d, i) => ({ id: 33_623_500 + i, name: d.name, hours: d.hours, room: d.room, topics: d.topics, teacherId: this.teachers[i === 1 ? 0 : i] as number }));
    this.classes = [['7-А', 2_101_001], ['7-Б', 2_101_002]].map(([name, id], ci) => {
      const rng = rngFor(seed, 'class', id as number);
      const students: SimStudent[] = [];
      for (let k = 0; k < 25; k++) {
        const g = rng() < 0.5 ? 'm' : 'f';
        const sid = 31_000_000 + ci * 1000 + k + 1;
        const birthDate = `${this.yearStart - 13}-${String(1 + Math.floor(rng() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rng() * 28)).padStart(2, '0')}`;
        const h = hex(rng, 32);
        students.push({ id: sid, guid: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`, classUnitId: id as number, birthDate, contractId: 900_000 + sid % 100_000, ...fakePersonName(rng, g) });
      }
      const slots = shuffle(rng, this.subjects.flatMap((s) => Array.from({ length: s.hours }, () => s.id)));
      // 23 lessons a week: 5, 5, 5, 4, 4 a day.
      const bounds = [0, 5, 10, 15, 19, 23];
      const timetable = [0, 1, 2, 3, 4].map((d) => slots.slice(bounds[d], bounds[d + 1]));
      return { id: id as number, name: name as string, level: 7, students, timetable };
    });
    for (const c of this.classes) for (const s of c.students) this.students.set(s.id, s);
  }

  token(): string { return `sim-mesh-${hex(rngFor(this.seed, 'token'), 48)}`; }

  /** Trimesters, as many Moscow schools have them. */
  periods(): SimPeriod[] {
    const y = this.yearStart;
    return [
      { title: '1 триместр', start: `${y}-09-01`, end: `${y}-11-30` },
      { title: '2 триместр', start: `${y}-12-01`, end: `${y + 1}-02-28` },
      { title: '3 триместр', start: `${y + 1}-03-01`, end: `${y + 1}-05-31` },
    ];
  }

  holidays(): SimHoliday[] {
    const y = this.yearStart;
    return [
      { title: 'Осенние каникулы', type: 'vacation', start: `${y}-10-25`, end: `${y}-11-02` },
      { title: 'Зимние каникулы', type: 'vacation', start: `${y}-12-27`, end: `${y + 1}-01-11` },
      { title: 'Весенние каникулы', type: 'vacation', start: `${y + 1}-03-21`, end: `${y + 1}-03-29` },
      { title: 'День защитника Отечества', type: 'holiday', start: `${y + 1}-02-23`, end: `${y + 1}-02-23` },
    ];
  }

  isHoliday(day: string): boolean {
    return this.holidays().some((h) => h.start <= day && day <= h.end);
  }

  subject(id: number): SimSubject { return this.subjects.find((s) => s.id === id) as SimSubject; }

  /** Lessons of a class on days in [from, to]. */
  lessons(classUnitId: number, from: string, to: string): SimLesson[] {
    const out: SimLesson[] = [];
    for (let m = mondayOf(from); m <= to; m = addDays(m, 7)) {
      const key = `${classUnitId}|${m}`;
      let week = this.weeks.get(key);
      if (!week) { week = this.generateWeek(classUnitId, m); this.weeks.set(key, week); }
      for (const l of week) if (l.day >= from && l.day <= to) out.push(l);
    }
    return out;
  }

  /** A student's period value from their "ability" (stable), 2–5. */
  periodMark(studentId: number, subjectId: number, title: string): number {
    const a = rngFor(this.seed, 'ability', studentId)() * 0.6 + rngFor(this.seed, 'pm', studentId, subjectId, title)() * 0.5;
    return a > 0.85 ? 5 : a > 0.55 ? 4 : a > 0.3 ? 3 : 2;
  }

  private generateWeek(classUnitId: number, monday: string): SimLesson[] {
    const cls = this.classes.find((c) => c.id === classUnitId);
    if (!cls) return [];
    const out: SimLesson[] = [];
    for (let d = 0; d < 5; d++) {
      const day = addDays(monday, d);
      if (this.isHoliday(day)) continue;
      const past = day <= this.today;
      const ill = new Set(cls.students.filter((s) => weekdayIndex(day) <= 2 && rngFor(this.seed, 'ill', s.id, monday)() < 0.05).map((s) => s.id));
      (cls.timetable[d] ?? []).forEach((subjectId, i) => {
        const rng = rngFor(this.seed, 'lesson', classUnitId, day, i);
        const subject = this.subject(subjectId);
        const bell = BELLS[i] ?? BELLS[0]!;
        const epochDay = Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
        const lesson: SimLesson = {
          id: 400_000_000 + epochDay * 100 + (classUnitId % 10) * 10 + i + 1, classUnitId, day, number: i + 1,
          startTime: bell[0], endTime: bell[1], subjectId, room: subject.room, theme: pick(rng, subject.topics),
          cancelled: rng() < 0.01, missed: new Map(), marks: [],
        };
        if (!lesson.cancelled && rng() < 0.04) lesson.replacedTeacherId = subject.teacherId;
        if (past && !lesson.cancelled) {
          for (const s of cls.students) {
            if (ill.has(s.id)) lesson.missed.set(s.id, REASON.illness);
            else {
              const r = rngFor(this.seed, 'abs', s.id, day, i)();
              if (r < 0.01) lesson.missed.set(s.id, REASON.invalid);
              else if (r < 0.02) lesson.missed.set(s.id, REASON.valid);
              else if (r < 0.025) lesson.missed.set(s.id, null);
            }
          }
          this.addMarks(lesson, cls, rng);
        }
        if (!lesson.cancelled && subject.name !== 'Физическая культура' && rng() < 0.6) {
          const text = pick(rng, HOMEWORK_TEXTS).replace('{n}', String(100 + Math.floor(rng() * 400))).replace('{m}', String(1 + Math.floor(rng() * 20)))
            .replace('{p}', String(10 + Math.floor(rng() * 150))).replace('{t}', lesson.theme);
          lesson.homework = { studentEntryBase: lesson.id * 100, text, assignedOn: day, due: weekdayIndex(day) === 4 ? addDays(day, 3) : addDays(day, 1) };
        }
        out.push(lesson);
      });
    }
    return out;
  }

  private addMarks(lesson: SimLesson, cls: SimClass, rng: Rng): void {
    const r = rng();
    const [form, weight] = r < 0.12 ? pick(rng, FORMS.slice(3)) : r < 0.8 ? pick(rng, FORMS.slice(0, 3)) : [undefined, 0];
    if (!form) return;
    const present = cls.students.filter((s) => !lesson.missed.has(s.id));
    const who = weight >= 2 ? present : shuffle(rng, present).slice(0, 2 + Math.floor(rng() * 3));
    for (const s of who) {
      const a = rngFor(this.seed, 'ability', s.id)() * 0.55 + rng() * 0.6;
      const value = a > 0.85 ? 5 : a > 0.6 ? 4 : a > 0.35 ? 3 : 2;
      const minute = 5 + Math.floor(rng() * 40);
      const createdAt = `${lesson.day}T${lesson.endTime.slice(0, 2)}:${String(minute).padStart(2, '0')}:00`;
      const edited = rng() < 0.1;
      const isPoint = value === 2 && rng() < 0.3;
      lesson.marks.push({
        id: lesson.id * 100 + (s.id % 100), studentId: s.id, value, weight, form, isExam: false, isPoint,
        ...(isPoint ? { pointDate: addDays(lesson.day, 7) } : {}),
        ...(rng() < 0.08 ? { comment: pick(rng, COMMENTS) } : {}),
        createdAt, updatedAt: edited ? `${addDays(lesson.day, 1)}T16:20:00` : createdAt,
      });
    }
  }
}
