/** Russian wording and formats shared by the reports and the paper extracts. */
import type { Mark } from '../core/canonical-types';

export const ru = new Intl.Collator('ru', { sensitivity: 'base', numeric: true });

/** '2025-11-03' → '03.11.2025'. */
export function dateRu(date: string | undefined): string {
  if (!date) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : date;
}

/** '2025-11-03' → '03.11'. */
export function dayMonthRu(date: string | undefined): string {
  return dateRu(date).slice(0, 5);
}

const WEEKDAYS = ['пн', 'вт', 'ср', 'чт', 'пт', 'сб', 'вс'];
/** '2025-11-03' → 'пн 03.11'. */
export function dayRu(date: string): string {
  const wd = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return `${WEEKDAYS[wd]} ${dayMonthRu(date)}`;
}

export interface NameParts { familyName?: string; givenName?: string; middleName?: string }

/** «Иванов Иван Иванович». */
export function fullNameRu(p: NameParts | undefined): string {
  if (!p) return '—';
  return [p.familyName, p.givenName, p.middleName].filter((x) => x).join(' ');
}

/** «Иванов И. И.». */
export function shortNameRu(p: NameParts | undefined): string {
  if (!p) return '—';
  const ini = [p.givenName, p.middleName].filter((x): x is string => !!x).map((x) => `${x.charAt(0)}.`).join(' ');
  return [p.familyName, ini].filter((x) => x).join(' ');
}

export const ATTENDANCE_RU: Readonly<Record<string, string>> = {
  present: 'присутствовал', absent_illness: 'по болезни', absent_valid: 'по уважительной причине',
  absent_invalid: 'без уважительной причины', late: 'опоздание', early_departure: 'ушёл с урока', unknown: 'причина не указана',
};

export const WORK_TYPE_RU: Readonly<Record<string, string>> = {
  oral_answer: 'Ответ на уроке', classwork: 'Работа на уроке', homework: 'Домашнее задание', independent_work: 'Самостоятельная работа',
  control_work: 'Контрольная работа', test: 'Тест', dictation: 'Диктант', essay: 'Сочинение', practical_work: 'Практическая работа',
  lab_work: 'Лабораторная работа', project: 'Проект', credit_test: 'Зачёт', exam: 'Экзамен',
};

export const SCHEDULE_KIND_RU: Readonly<Record<string, string>> = {
  control_work: 'Контрольная работа', test: 'Тест', exam: 'Экзамен', vpr: 'ВПР', oge: 'ОГЭ', ege: 'ЕГЭ',
};

/** Work types counted as control works in the lesson statistics. */
export const CONTROL_WORK_TYPES: ReadonlySet<string> = new Set(['control_work', 'test', 'exam', 'credit_test', 'dictation']);

/** How a mark is written in a sheet: the value as in the journal, or the status word. */
export function markCell(m: Pick<Mark, 'markStatus' | 'value'> | undefined): string {
  if (!m) return '';
  switch (m.markStatus) {
    case 'graded': return m.value?.raw ?? '';
    case 'not_attested': return 'н/а';
    case 'exempt': return 'осв';
    case 'deferred': return 'отср.';
    case 'debt': return m.value?.raw ? `${m.value.raw} (долг)` : 'долг';
    default: return m.value?.raw ?? '';
  }
}

/** A share as a percent with one decimal, or undefined when there is nothing to divide. */
export function percent(part: number, whole: number): number | undefined {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : undefined;
}

export function average(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100;
}
