/**
 * The demo school as canonical-layout rows (column path → text, or a list for list fields),
 * deterministic from (seed, today): 2 classes, 50 students, 6 teachers, 6 subjects, four weeks of
 * lessons with homework, marks and absences, the school year and its quarters.
 */
import { addDays, mondayOf } from '../../../src/infra/adapter-kit/dates';
import { fakePersonName } from '../../../src/infra/sim/people';
import { pick, rngFor } from '../../../src/infra/sim/rng';

export type Cell = string | string[];
export type Row = Record<string, Cell>;
/** Rows of one entity, keyed by its stream name (`marks`), with the columns in order. */
export interface Table { entity: string; stream: string; columns: string[]; rows: Row[] }

const SUBJECTS = [
  ['math', 'Математика', 'Обыкновенные дроби'], ['rus', 'Русский язык', 'Правописание приставок'],
  ['lit', 'Литература', 'И. С. Тургенев «Муму»'], ['eng', 'Английский язык', 'Present Simple'],
  ['hist', 'История', 'Древний Египет'], ['bio', 'Биология', 'Строение клетки'],
] as const;
const BELLS = [['08:30', '09:15'], ['09:25', '10:10'], ['10:30', '11:15'], ['11:35', '12:20'], ['12:30', '13:15']] as const;
const MARKS = [['5', 5], ['4', 4], ['3', 3], ['5-', 4.75], ['4+', 4.25], ['2', 2]] as const;

function table(entity: string, stream: string, rows: Row[]): Table {
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { entity, stream, columns, rows };
}

/** The school year that holds `today` (1 Sep – 31 Aug). */
function yearOf(today: string): { start: number; title: string } {
  const y = Number(today.slice(0, 4));
  const start = today.slice(5) >= '09-01' ? y : y - 1;
  return { start, title: `${start}/${start + 1}` };
}

/** DD.MM.YYYY, as Russian journals write dates. */
export function ruDate(iso: string): string {
  return `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;
}

export function demoTables(seed: number, today: string): Table[] {
  const { start, title } = yearOf(today);
  const rng = rngFor('file-demo', seed);
  const teachers = SUBJECTS.map(([code], i) => ({ id: `t-${i + 1}`, code, name: fakePersonName(rng, i % 2 ? 'f' : 'm') }));
  const classes = [{ id: 'c-5a', title: '5А' }, { id: 'c-5b', title: '5Б' }];
  const students = Array.from({ length: 50 }, (_, i) => ({
    id: `st-${String(i + 1).padStart(3, '0')}`, classId: (classes[i < 25 ? 0 : 1] as { id: string }).id,
    name: fakePersonName(rng, i % 2 ? 'f' : 'm'), birth: `${start - 11}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
  }));
  const years: Row[] = [{ sourceId: `y-${start}`, title, startDate: `${start}-09-01`, endDate: `${start + 1}-08-31`, isCurrent: 'true' }];
  const quarters = [['1', `${start}-09-01`, `${start}-10-26`], ['2', `${start}-11-05`, `${start}-12-28`], ['3', `${start + 1}-01-09`, `${start + 1}-03-22`], ['4', `${start + 1}-04-01`, `${start + 1}-05-26`]] as const;
  const periods: Row[] = quarters.map(([n, s, e]) => ({ sourceId: `q-${start}-${n}`, academicYearId: `y-${start}`, kind: 'quarter', sequence: n, title: `${n} четверть`, startDate: s, endDate: e }));
  const subjects: Row[] = SUBJECTS.map(([code, name]) => ({ sourceId: `s-${code}`, title: name }));
  const persons: Row[] = [
    ...teachers.map((t) => ({ sourceId: t.id, roles: ['teacher'], familyName: t.name.familyName, givenName: t.name.givenName, middleName: t.name.middleName })),
    ...students.map((s) => ({ sourceId: s.id, roles: ['student'], familyName: s.name.familyName, givenName: s.name.givenName, middleName: s.name.middleName, birthDate: ruDate(s.birth) })),
  ];
  const classGroups: Row[] = classes.map((c, i) => ({ sourceId: c.id, kind: 'class', title: c.title, gradeLevel: '5', academicYearId: `y-${start}`, homeroomTeacherId: (teachers[i] as { id: string }).id }));
  const memberships: Row[] = students.map((s) => ({ sourceId: `m-${s.id}`, personId: s.id, classGroupId: s.classId, role: 'student', primary: 'да', beginDate: ruDate(`${start}-09-01`) }));

  const lessons: Row[] = [];
  const homework: Row[] = [];
  const marks: Row[] = [];
  const absences: Row[] = [];
  const firstMonday = addDays(mondayOf(today), -21);
  for (let w = 0; w < 4; w++) {
    for (let d = 0; d < 5; d++) {
      const day = addDays(firstMonday, w * 7 + d);
      for (const c of classes) {
        for (let n = 0; n < BELLS.length; n++) {
          const sIdx = (d * 2 + n + (c.id === 'c-5b' ? 1 : 0)) % SUBJECTS.length;
          const [code, , topic] = SUBJECTS[sIdx] as (typeof SUBJECTS)[number];
          const teacher = teachers[sIdx] as { id: string };
          const lessonId = `l-${c.id}-${day}-${n + 1}`;
          const [st, en] = BELLS[n] as readonly [string, string];
          const held = day <= today;
          lessons.push({
            sourceId: lessonId, classGroupId: c.id, subjectId: `s-${code}`, date: day, startTime: st, endTime: en,
            number: String(n + 1), topic, teacherIds: [teacher.id], state: held ? 'held' : 'scheduled',
          });
          if (n % 2 === 0) homework.push({ sourceId: `hw-${lessonId}`, classGroupId: c.id, subjectId: `s-${code}`, assignedLessonId: lessonId, dueDate: addDays(day, 7), text: `Упр. ${10 + n * 3 + d}, стр. ${40 + w * 5 + d}`, isIndividual: 'нет' });
          if (!held) continue;
          for (const s of students.filter((x) => x.classId === c.id)) {
            const r = rng();
            if (r < 0.03) {
              absences.push({ sourceId: `a-${lessonId}-${s.id}`, studentId: s.id, lessonId, date: ruDate(day), code: 'Н', category: pick(rng, ['absent_illness', 'absent_invalid', 'unknown'] as const) });
            } else if (r < 0.15) {
              const [raw, num] = pick(rng, MARKS);
              marks.push({
                sourceId: `mk-${lessonId}-${s.id}`, kind: 'current', studentId: s.id, subjectId: `s-${code}`, lessonId, teacherId: teacher.id,
                'value.scale': 'five_point_modifiers', 'value.raw': raw, 'value.numeric': String(num).replace('.', ','), markStatus: 'graded',
                date: ruDate(day), markedAt: `${ruDate(day)} ${en}`,
                ...(num <= 3 ? { teacherComment: 'Повтори правило, есть ошибки' } : {}),
              });
            }
          }
        }
      }
    }
  }
  return [
    table('school', 'schools', [{ sourceId: 'school', name: 'МБОУ «Средняя школа № 7»', shortName: 'Школа № 7', timeZone: 'Europe/Moscow' }]),
    table('academic_year', 'academic_years', years),
    table('reporting_period', 'reporting_periods', periods),
    table('subject', 'subjects', subjects),
    table('person', 'persons', persons),
    table('class_group', 'class_groups', classGroups),
    table('membership', 'memberships', memberships),
    table('lesson', 'lessons', lessons),
    table('homework', 'homework', homework),
    table('mark', 'marks', marks),
    table('attendance_event', 'attendance_events', absences),
  ];
}

/** The number of records in the tables. */
export function countRows(tables: readonly Table[]): number {
  return tables.reduce((n, t) => n + t.rows.length, 0);
}
