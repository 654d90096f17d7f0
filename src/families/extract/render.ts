/**
 * Laying a family's weekly extract out as report-kit sections (Russian texts), one PDF per
 * family and one per class for printing: a cover list for the class teacher (who got which
 * extract, with a column for the parent's signature), then each family from a new page. Every
 * family's part is self-contained (school, week, names, the forecast disclaimer), because the
 * pages are handed out separately.
 */
import type { ReportDoc, ReportSection } from '../../infra/report';
import { dateRu, dayRu } from '../../reports/labels';
import { FORECAST_DISCLAIMER, forecastText } from '../forecast';
import type { FamilyExtractData } from './assemble';
import { addDays } from '../../infra/adapter-kit/dates';
import { localDateOf } from '../../sla/local-time';

export const EXTRACT_TITLE = 'Еженедельная выписка из электронного дневника';
const SOURCE_NOTE = 'Выписка сформирована автоматически по данным электронного журнала школы. '
  + 'Если сведения расходятся с журналом, обратитесь к классному руководителю.';

const weekText = (d: FamilyExtractData): string => `с ${dateRu(d.week.start)} по ${dateRu(d.week.end)}`;
/** The due instant is the end of a day (24:00): the last day to hand over is the day before it. */
const dueDay = (d: FamilyExtractData): string => dateRu(addDays(localDateOf(new Date(d.dueAt), d.timeZone), -1));

/** The sections of one family's extract; the first starts a new page when `newPage`. */
export function familySections(d: FamilyExtractData, newPage = false): ReportSection[] {
  const hwUntil = d.homework.reduce((m, h) => (h.due > m ? h.due : m), d.week.end);
  return [
    {
      heading: `${d.student.name}, ${d.classGroup.title}`,
      pageBreakBefore: newPage,
      paragraphs: [
        `${d.schoolName}. ${EXTRACT_TITLE} за неделю ${weekText(d)}.`,
        `Родителям (законным представителям): ${d.guardians.length > 0 ? d.guardians.join(', ') : 'не указаны в журнале'}.`,
        `Срок вручения: не позднее ${dueDay(d)}.`,
      ],
    },
    {
      heading: 'Отметки за неделю',
      table: {
        columns: [{ key: 'date', title: 'Дата', width: 0.9 }, { key: 'subject', title: 'Предмет', width: 1.5 }, { key: 'work', title: 'Вид работы', width: 2.3 },
          { key: 'mark', title: 'Отметка', align: 'center', width: 1 }, { key: 'weight', title: 'Вес', align: 'center', width: 0.5 }, { key: 'comment', title: 'Комментарий учителя', width: 2.2 }],
        rows: d.marks.map((m) => ({ date: dayRu(m.date), subject: m.subject, work: m.work, mark: m.mark, weight: m.weight, comment: m.comment })),
        empty: 'Отметок за неделю нет',
      },
    },
    {
      heading: 'Пропуски и опоздания',
      table: {
        columns: [{ key: 'date', title: 'Дата', width: 0.9 }, { key: 'subject', title: 'Предмет', width: 1.8 }, { key: 'lesson', title: 'Урок', align: 'center', width: 0.5 },
          { key: 'code', title: 'Отметка', align: 'center', width: 0.7 }, { key: 'category', title: 'Причина', width: 2.2 }],
        rows: d.absences.map((a) => ({ date: dayRu(a.date), subject: a.subject, lesson: a.lesson, code: a.code, category: a.minutes ? `${a.category}, ${a.minutes} мин` : a.category })),
        empty: 'Пропусков и опозданий нет',
      },
    },
    {
      heading: `Домашние задания (срок с ${dateRu(d.week.start)} по ${dateRu(hwUntil)})`,
      table: {
        columns: [{ key: 'due', title: 'Срок', width: 0.9 }, { key: 'subject', title: 'Предмет', width: 1.6 }, { key: 'text', title: 'Задание', width: 5 }],
        rows: d.homework.map((h) => ({ due: dayRu(h.due), subject: h.subject, text: h.text })),
        empty: 'Домашних заданий нет',
      },
    },
    {
      heading: 'Замечания и рекомендации учителей',
      table: {
        columns: [{ key: 'date', title: 'Дата', width: 0.9 }, { key: 'author', title: 'Учитель', width: 1.6 }, { key: 'text', title: 'Текст', width: 5 }],
        rows: d.remarks.map((r) => ({ date: dayRu(r.date), author: r.author, text: r.text })),
        empty: 'Замечаний нет',
      },
    },
    {
      heading: 'Ближайшие контрольные и проверочные работы',
      table: {
        columns: [{ key: 'date', title: 'Дата', width: 0.9 }, { key: 'subject', title: 'Предмет', width: 1.6 }, { key: 'kind', title: 'Вид', width: 1.4 }, { key: 'title', title: 'Тема', width: 3.6 }],
        rows: d.upcoming.map((u) => ({ date: dayRu(u.date), subject: u.subject, kind: u.kind, title: u.title })),
        empty: 'Контрольных работ в ближайшие две недели не запланировано',
      },
    },
    {
      heading: d.period ? `Прогноз отметок за ${d.period.title} (не является официальной отметкой)` : 'Прогноз отметок (не является официальной отметкой)',
      paragraphs: [FORECAST_DISCLAIMER],
      table: {
        columns: [{ key: 'subject', title: 'Предмет', width: 1.8 }, { key: 'counted', title: 'Отметок учтено', align: 'center', width: 0.9 },
          { key: 'forecast', title: 'Прогноз (средний балл)', width: 2.6 }, { key: 'official', title: 'Выставлено учителем', align: 'center', width: 1.1 }],
        rows: d.forecasts.map((f) => ({ subject: f.subject, counted: f.forecast.counted, forecast: `Прогноз: ${forecastText(f.forecast)}`, official: f.official ?? '—' })),
        empty: d.period ? 'Текущих отметок за период пока нет' : 'Учебный период на эту неделю не найден',
      },
    },
    { paragraphs: [SOURCE_NOTE] },
  ];
}

export function familyExtractDoc(d: FamilyExtractData, generatedAt: string): ReportDoc {
  return {
    title: EXTRACT_TITLE,
    subtitle: `${d.schoolName} · ${d.classGroup.title} · неделя ${weekText(d)}`,
    generatedAt,
    timeZone: d.timeZone,
    sections: familySections(d),
  };
}

/** One PDF per class: a cover list for the class teacher, then each family from a new page. */
export function classBundleDoc(list: readonly FamilyExtractData[], meta: { schoolName: string; classTitle: string; weekId: string; generatedAt: string; timeZone: string }): ReportDoc {
  const first = list[0];
  const span = first ? ` (${weekText(first)})` : '';
  return {
    title: `Еженедельные выписки для печати: ${meta.classTitle}, неделя ${Number(meta.weekId.slice(6))}${span}`,
    subtitle: `${meta.schoolName} · семьи, получающие сведения на бумаге: ${list.length}`,
    generatedAt: meta.generatedAt,
    timeZone: meta.timeZone,
    sections: [
      {
        heading: 'Лист выдачи (для классного руководителя)',
        paragraphs: first ? [`Срок вручения: не позднее ${dueDay(first)}.`] : [],
        table: {
          columns: [{ key: 'n', title: '№', align: 'right', width: 0.4 }, { key: 'student', title: 'Обучающийся', width: 2.2 }, { key: 'guardians', title: 'Родители (законные представители)', width: 2.6 },
            { key: 'sign', title: 'Получил(а), подпись', width: 1.6 }, { key: 'date', title: 'Дата', width: 0.9 }],
          rows: list.map((d, i) => ({ n: i + 1, student: d.student.name, guardians: d.guardians.join(', '), sign: '', date: '' })),
          empty: 'В этом классе нет семей, получающих выписки на бумаге',
        },
      },
      ...list.flatMap((d) => familySections(d, true)),
    ],
  };
}
