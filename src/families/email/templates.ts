/**
 * Letters to families, in Russian, as plain text and HTML (pure functions of a view model).
 *
 * Data minimisation (domain.md §4.3): the child is named by first name and the initial of the
 * family name; teachers' comments and absence reasons (which may reveal health data) are not
 * copied into letters. A forecast is labelled as a forecast, never as the official mark
 * (domain.md §2.2). Every letter says why it was sent and how to withdraw the consent.
 */

export interface Letter {
  subject: string;
  text: string;
  html: string;
}

export interface ChildName {
  givenName: string;
  familyName?: string;
}

export interface AbsenceView {
  child: ChildName;
  /** YYYY-MM-DD */
  date: string;
  category: string;
  code: string;
  lesson?: { number?: number; subject?: string };
  schoolTitle: string;
}

export interface FinalMarkView {
  child: ChildName;
  kind: 'period' | 'annual' | 'final' | 'exam';
  subject: string;
  period?: string;
  markStatus: string;
  value?: string;
  deferralDue?: string;
  schoolTitle: string;
}

export interface DigestView {
  child: ChildName;
  /** The school-local date of the digest. */
  date: string;
  marks: Array<{ subject: string; value: string; date?: string }>;
  homework: Array<{ subject: string; text: string; dueDate?: string }>;
  changes: Array<{ date: string; number?: number; subject: string; state: string }>;
  tests: Array<{ date: string; subject: string; title: string }>;
  forecast: Array<{ subject: string; forecast: string }>;
  schoolTitle: string;
}

const CATEGORY: Record<string, string> = {
  absent_illness: 'по болезни', absent_valid: 'по уважительной причине', absent_invalid: 'без уважительной причины', unknown: 'причина не указана',
};
const KIND: Record<FinalMarkView['kind'], string> = { period: 'Отметка за период', annual: 'Годовая отметка', final: 'Итоговая отметка', exam: 'Экзаменационная отметка' };
const CHANGE: Record<string, string> = { cancelled: 'отменён', substituted: 'замена учителя', moved: 'перенесён' };

export function ruDate(d: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : d;
}

/** «Иван П.»: first name and the family name's initial. */
export function shortName(c: ChildName): string {
  const initial = c.familyName ? ` ${c.familyName.slice(0, 1)}.` : '';
  return `${c.givenName}${initial}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const FOOTER_TEXT = 'Вы получаете это письмо, потому что дали школе согласие на получение сведений об успеваемости по электронной почте. '
  + 'Отозвать согласие или изменить способ получения сведений можно письменным заявлением в школу.';

function wrap(title: string, schoolTitle: string, paragraphs: string[], sections: Array<{ heading: string; items: string[] }> = []): { text: string; html: string } {
  const text = [
    title, '', ...paragraphs.flatMap((p) => [p, '']),
    ...sections.flatMap((s) => [`${s.heading}:`, ...s.items.map((i) => `  • ${i}`), '']),
    `— ${schoolTitle}`, '', FOOTER_TEXT, '',
  ].join('\n');
  const html = [
    '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head><body style="font-family:Arial,sans-serif">',
    `<h2>${escapeHtml(title)}</h2>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...sections.map((s) => `<h3>${escapeHtml(s.heading)}</h3><ul>${s.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`),
    `<p>— ${escapeHtml(schoolTitle)}</p>`,
    `<p style="color:#666;font-size:smaller">${escapeHtml(FOOTER_TEXT)}</p>`,
    '</body></html>',
  ].join('\n');
  return { text, html };
}

export function absenceLetter(v: AbsenceView): Letter {
  const who = shortName(v.child);
  const where = v.lesson?.subject
    ? ` на уроке «${v.lesson.subject}»${v.lesson.number !== undefined ? ` (${v.lesson.number}-й урок)` : ''}`
    : ' на занятиях';
  const reason = CATEGORY[v.category] ?? CATEGORY['unknown'];
  const subject = `Отсутствие: ${who}, ${ruDate(v.date)}`;
  return { subject, ...wrap(subject, v.schoolTitle, [
    'Здравствуйте!',
    `${who} отсутствует ${ruDate(v.date)}${where}. Отметка в журнале: «${v.code}» (${reason}).`,
    'Если это ошибка или причина уважительная, сообщите, пожалуйста, классному руководителю.',
  ]) };
}

function finalOutcome(v: FinalMarkView): string {
  switch (v.markStatus) {
    case 'graded': return `«${v.value ?? '—'}»`;
    case 'deferred': return `не аттестован(а) по уважительной причине${v.deferralDue ? `; аттестация назначена до ${ruDate(v.deferralDue)}` : ''}`;
    case 'not_attested': return 'не аттестован(а) («н/а»)';
    case 'exempt': return 'освобождён(а)';
    case 'debt': return 'академическая задолженность: школа сообщит сроки её ликвидации';
    default: return v.value ?? v.markStatus;
  }
}

export function finalMarkLetter(v: FinalMarkView): Letter {
  const who = shortName(v.child);
  const label = KIND[v.kind];
  const period = v.period ? ` (${v.period})` : '';
  const subject = `${label}: ${who}, ${v.subject}${period}`;
  return { subject, ...wrap(subject, v.schoolTitle, [
    'Здравствуйте!',
    `${label} по предмету «${v.subject}»${period}: ${finalOutcome(v)}.`,
  ]) };
}

/** The digest, or undefined when there is nothing to say (no empty letters). */
export function digestLetter(v: DigestView): Letter | undefined {
  const sections: Array<{ heading: string; items: string[] }> = [];
  if (v.marks.length > 0) sections.push({ heading: 'Новые отметки', items: v.marks.map((m) => `${m.subject}: ${m.value}${m.date ? ` (${ruDate(m.date)})` : ''}`) });
  if (v.homework.length > 0) sections.push({ heading: 'Домашние задания', items: v.homework.map((h) => `${h.subject}${h.dueDate ? ` (к ${ruDate(h.dueDate)})` : ''}: ${h.text || 'см. вложения в дневнике'}`) });
  if (v.changes.length > 0) sections.push({ heading: 'Изменения в расписании', items: v.changes.map((c) => `${ruDate(c.date)}${c.number !== undefined ? `, ${c.number}-й урок` : ''}, ${c.subject}: ${CHANGE[c.state] ?? c.state}`) });
  if (v.tests.length > 0) sections.push({ heading: 'Ближайшие контрольные', items: v.tests.map((t) => `${ruDate(t.date)}, ${t.subject}: ${t.title}`) });
  if (sections.length === 0) return undefined;
  if (v.forecast.length > 0) sections.push({ heading: 'Прогноз отметок за текущий период (не является официальной отметкой)', items: v.forecast.map((f) => `${f.subject}: ${f.forecast}`) });
  const subject = `Дневник за ${ruDate(v.date)}: ${shortName(v.child)}`;
  return { subject, ...wrap(subject, v.schoolTitle, ['Здравствуйте! Сводка за день:'], sections) };
}
