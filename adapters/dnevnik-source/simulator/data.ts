import { addDays, mondayOf } from '../dates';
import { KIND, simId } from './ids';
import { hex, pick, rngFor } from '../../../src/infra/sim/rng';

const FAMILY_M = ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов', 'Новиков', 'Фёдоров', 'Морозов', 'Волков', 'Алексеев'];
const GIVEN_M = ['Александр', 'Максим', 'Иван', 'Артём', 'Дмитрий', 'Никита', 'Михаил', 'Даниил', 'Егор', 'Андрей'];
const GIVEN_F = ['Анастасия', 'Мария', 'Дарья', 'Анна', 'Елизавета', 'Полина', 'Виктория', 'Екатерина', 'Софья', 'Алиса'];
const MIDDLE_M = ['Александрович', 'Сергеевич', 'Дмитриевич', 'Андреевич', 'Алексеевич', 'Игоревич'];
const MIDDLE_F = ['Александровна', 'Сергеевна', 'Дмитриевна', 'Андреевна', 'Алексеевна', 'Игоревна'];

export const SUBJECTS = ['Русский язык', 'Математика', 'Литература', 'Английский язык', 'История', 'Биология'] as const;
export const BELLS = [['08:30', '09:15'], ['09:25', '10:10'], ['10:30', '11:15'], ['11:35', '12:20'], ['12:30', '13:15'], ['13:25', '14:10']] as const;
export const WORK_TYPES = [
  { n: 1, title: 'Работа на уроке', abbr: 'РУ', weight: 1, kind: 'LessonWork' },
  { n: 2, title: 'Контрольная работа', abbr: 'КР', weight: 3, kind: 'TestWork' },
  { n: 3, title: 'Домашнее задание', abbr: 'ДЗ', weight: 1, kind: 'Homework' },
  { n: 4, title: 'Самостоятельная работа', abbr: 'СР', weight: 2, kind: 'LessonWork' },
] as const;
const HOMEWORK_TEXTS = ['Упр. 112, 114', '№ 345, 347 (стр. 61)', 'Прочитать §12, ответить на вопросы 1–3', 'Выучить слова к уроку 7', 'Подготовить пересказ текста', 'Заполнить таблицу в тетради'];
const STATUSES: readonly [string, number][] = [['Absent', 0.03], ['Ill', 0.03], ['Late', 0.02], ['Pass', 0.01], ['Attend', 0.04]];

export interface SimPerson { id: string; userId: string; firstName: string; middleName: string; lastName: string; sex: 'Male' | 'Female'; birthday: string }
export interface SimGroup { id: string; name: string; index: number; students: SimPerson[] }
export interface SimPeriod { id: string; number: number; name: string; start: string; finish: string; year: number }
export interface SimWork { id: string; type: string; workTypeId: string; lessonId: string; text: string; targetDate: string; sentDate: string; createdBy: string }
export interface SimLesson { id: string; groupId: string; date: string; number: number; subjectIndex: number; title: string; teacherId: string; status: string; works: SimWork[] }
export interface SimMark { id: string; value: string; personId: string; workId: string; lessonId: string; date: string; workTypeId: string }
export interface SimLogEntry { personId: string; lessonId: string; status: string; comment: string; createdDate: string }

const dayIndex = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);

/**
 * The demo school: «МБОУ Гимназия № 3», classes 5А and 5Б of 25 students, 6 subjects with one
 * teacher each, 6 lessons a day Mon–Fri inside the school year, works, marks, absences and
 * homework up to "today", quarter final marks for quarters already over. Everything derives
 * from (seed, date), so two sims with the same seed and day answer the same.
 */
export class DemoSchool {
  readonly schoolId: string;
  readonly schoolName = 'МБОУ «Гимназия № 3»';
  readonly groups: SimGroup[];
  readonly teachers: SimPerson[];
  readonly periods: SimPeriod[];
  readonly year: number;
  readonly token: string;
  readonly adminPersonId: string;
  readonly today: string;
  /** Marks added while running (live mode and tests). */
  readonly extraMarks: SimMark[] = [];

  constructor(private readonly o: { seed: number; today: string }) {
    this.today = o.today;
    this.schoolId = simId(KIND.school, 7001);
    this.token = hex(rngFor(o.seed, 'token'), 32);
    this.adminPersonId = simId(KIND.person, 1);
    const y = Number(o.today.slice(0, 4));
    this.year = Number(o.today.slice(5, 7)) >= 8 ? y : y - 1;
    this.teachers = SUBJECTS.map((_, i) => this.person(100 + i, 'teacher'));
    this.groups = ['5А', '5Б'].map((name, gi) => ({
      id: simId(KIND.group, 501 + gi), name, index: gi,
      students: Array.from({ length: 25 }, (_, si) => this.person(1000 + gi * 100 + si, 'student')),
    }));
    const Y = this.year;
    const q: [string, string][] = [[`${Y}-09-01`, `${Y}-10-26`], [`${Y}-11-05`, `${Y}-12-28`], [`${Y + 1}-01-09`, `${Y + 1}-03-22`], [`${Y + 1}-04-01`, `${Y + 1}-05-31`]];
    this.periods = q.map(([start, finish], i) => ({ id: simId(KIND.period, Y * 10 + i + 1), number: i + 1, name: `${i + 1} четверть`, start, finish, year: Y }));
  }

  private person(n: number, role: 'student' | 'teacher'): SimPerson {
    const r = rngFor(this.o.seed, 'person', n);
    const female = r() < 0.5;
    const fam = pick(r, FAMILY_M);
    return {
      id: simId(KIND.person, n), userId: simId(KIND.user, n),
      lastName: female ? `${fam}а` : fam,
      firstName: pick(r, female ? GIVEN_F : GIVEN_M),
      middleName: pick(r, female ? MIDDLE_F : MIDDLE_M),
      sex: female ? 'Female' : 'Male',
      birthday: role === 'student' ? `${this.yearOr() - 11}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}T00:00:00` : `${1970 + Math.floor(r() * 25)}-05-10T00:00:00`,
    };
  }

  private yearOr(): number {
    return Number(this.o.today.slice(0, 4));
  }

  group(id: string): SimGroup | undefined {
    return this.groups.find((g) => g.id === id);
  }

  subjectId(i: number): string { return simId(KIND.subject, 301 + i); }
  workTypeId(n: number): string { return simId(KIND.workType, n); }

  inYear(date: string): boolean {
    return date >= `${this.year}-09-01` && date <= `${this.year + 1}-05-31`;
  }

  /** Lessons of a group on school days in [from, to] (dates). */
  lessons(g: SimGroup, from: string, to: string): SimLesson[] {
    const out: SimLesson[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) {
      const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
      if (dow === 0 || dow === 6 || !this.inYear(d)) continue;
      for (let number = 1; number <= BELLS.length; number++) out.push(this.lesson(g, d, number, dow));
    }
    return out;
  }

  private lesson(g: SimGroup, date: string, number: number, dow: number): SimLesson {
    const seq = BigInt(g.index) * 10_000_000n + BigInt(dayIndex(date)) * 10n + BigInt(number);
    const id = simId(KIND.lesson, seq);
    const subjectIndex = (dow * 7 + number * 3 + g.index) % SUBJECTS.length;
    const r = rngFor(this.o.seed, 'lesson', id);
    const teacherId = (this.teachers[subjectIndex] as SimPerson).id;
    const works: SimWork[] = [];
    const control = r() < 0.12;
    const wt = control ? 2 : r() < 0.2 ? 4 : 1;
    const workAt = `${date}T${BELLS[number - 1]?.[0]}:00`;
    works.push({ id: simId(KIND.work, seq * 10n + 1n), type: control ? 'LessonTestWork' : 'DefaultNewLessonWork', workTypeId: this.workTypeId(wt), lessonId: id, text: control ? `Контрольная работа по теме «${SUBJECTS[subjectIndex]}»` : '', targetDate: `${date}T00:00:00`, sentDate: workAt, createdBy: teacherId });
    if (r() < 0.7) {
      works.push({ id: simId(KIND.work, seq * 10n + 2n), type: 'Homework', workTypeId: this.workTypeId(3), lessonId: id, text: pick(r, HOMEWORK_TEXTS), targetDate: `${addDays(date, dow === 5 ? 3 : 1)}T00:00:00`, sentDate: `${date}T15:${String(10 + Math.floor(r() * 40))}:00`, createdBy: teacherId });
    }
    return { id, groupId: g.id, date, number, subjectIndex, title: `Тема урока ${number}: ${SUBJECTS[subjectIndex]}`, teacherId, status: 'Planned', works };
  }

  /** Marks of a group for lessons dated in [from, to], given only up to today. */
  marks(g: SimGroup, from: string, to: string): SimMark[] {
    const out: SimMark[] = [];
    for (const l of this.lessons(g, from, to <= this.today ? to : this.today)) {
      for (const w of l.works) {
        const r = rngFor(this.o.seed, 'marks', w.id);
        const share = w.type === 'Homework' ? 0.06 : w.type === 'LessonTestWork' ? 0.9 : 0.25;
        g.students.forEach((s, si) => {
          if (r() >= share) return;
          const v = r();
          const value = v < 0.35 ? '5' : v < 0.75 ? '4' : v < 0.95 ? '3' : '2';
          // Most marks are entered right after the lesson; some days later (edits, late entry).
          const lag = r() < 0.15 ? 1 + Math.floor(r() * 3) : 0;
          const end = BELLS[l.number - 1]?.[1] ?? '15:00';
          out.push({ id: simId(KIND.mark, BigInt(w.id.slice(-14)) * 100n + BigInt(si)), value, personId: s.id, workId: w.id, lessonId: l.id, workTypeId: w.workTypeId, date: `${addDays(l.date, lag)}T${end}:${String(10 + Math.floor(r() * 49)).padStart(2, '0')}.${String(Math.floor(r() * 1000)).padStart(3, '0')}` });
        });
      }
    }
    return [...out, ...this.extraMarks.filter((m) => {
      const l = this.lessonById(m.lessonId);
      return l !== undefined && l.groupId === g.id && l.date >= from && l.date <= to;
    })];
  }

  lessonById(id: string): SimLesson | undefined {
    for (const g of this.groups) {
      const seq = BigInt(id) - BigInt(simId(KIND.lesson, 0));
      if (seq / 10_000_000n !== BigInt(g.index)) continue;
      const day = Number((seq % 10_000_000n) / 10n);
      const number = Number(seq % 10n);
      const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
      return this.lessons(g, date, date).find((l) => l.number === number);
    }
    return undefined;
  }

  logEntries(g: SimGroup, from: string, to: string): SimLogEntry[] {
    const out: SimLogEntry[] = [];
    for (const l of this.lessons(g, from, to <= this.today ? to : this.today)) {
      const r = rngFor(this.o.seed, 'attendance', l.id);
      for (const s of g.students) {
        let x = r();
        for (const [status, p] of STATUSES) {
          if (x < p) {
            const start = BELLS[l.number - 1]?.[0] ?? '08:30';
            out.push({ personId: s.id, lessonId: l.id, status, comment: status === 'Ill' ? 'Справка' : '', createdDate: `${l.date}T${start}:${String(5 + Math.floor(r() * 30)).padStart(2, '0')}` });
            break;
          }
          x -= p;
        }
      }
    }
    return out;
  }

  /** Quarter marks for quarters over by today. */
  finalMarks(g: SimGroup): { person: string; period: SimPeriod; subjectIndex: number; value: string; id: string; date: string }[] {
    const out: { person: string; period: SimPeriod; subjectIndex: number; value: string; id: string; date: string }[] = [];
    for (const p of this.periods.filter((x) => x.finish < this.today)) {
      g.students.forEach((s, si) => {
        SUBJECTS.forEach((_, sj) => {
          const r = rngFor(this.o.seed, 'final', p.id, s.id, sj);
          const v = r();
          out.push({ person: s.id, period: p, subjectIndex: sj, value: v < 0.3 ? '5' : v < 0.8 ? '4' : '3', id: simId(KIND.finalMark, BigInt(p.number) * 1_000_000n + BigInt(g.index * 10_000 + si * 10 + sj)), date: `${p.finish}T16:00:00` });
        });
      });
    }
    return out;
  }

  /** Adds a mark for today's first lesson of 5А (live mode, tests of incremental reads). */
  addLiveMark(): SimMark | undefined {
    const g = this.groups[0] as SimGroup;
    const l = this.lessons(g, mondayOf(this.today), this.today).at(-1);
    const w = l?.works[0];
    if (!l || !w) return undefined;
    const si = this.extraMarks.length % g.students.length;
    const m: SimMark = { id: simId(KIND.mark, 9_000_000_000_000n + BigInt(this.extraMarks.length)), value: '5', personId: (g.students[si] as SimPerson).id, workId: w.id, lessonId: l.id, workTypeId: w.workTypeId, date: `${this.today}T14:30:00` };
    this.extraMarks.push(m);
    return m;
  }
}
