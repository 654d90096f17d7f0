/**
 * The compliance report: per school, obligation, class and period (calendar month of the due
 * date), how many records were met on time, late (and whose delay: the journal's or the
 * gateway's), missing (past due, not met), still waiting, or not judgeable; the median and worst
 * lateness of the late ones; and the list of late and missing records. In Russian, as a
 * ReportDoc (src/infra/report) rendered to CSV, HTML or PDF, or as JSON data.
 *
 * Records are identified by class, subject, date and a short reference (the first 8 characters
 * of the canonical id) — never by a child's name.
 */
import type { SlaLateValue, SlaObligationRow, SlaReportCell } from '../core/sla-store';
import { toCsv, toHtml, toPdf, type ReportDoc, type ReportTable } from '../infra/report';
import { formatMoment } from '../infra/report/model';
import { endOfLocalDay } from './local-time';

export interface SlaReportMeta {
  school: { id: string; name: string; timeZone: string };
  /** Local dates, inclusive: rows whose due date (else event date) falls in the window. */
  from: string;
  to: string;
  generatedAt: string;
  /** The school's obligations (key, Russian title, regulation title), in display order. */
  obligations: ReadonlyArray<{ key: string; title: string; profileTitle: string }>;
  /**
   * Service-level requirements of the school's profiles that are not per-record deadlines
   * (moscow-2017: access around the clock). Listed in the report; not measured per record.
   */
  availability?: ReadonlyArray<{ key: string; title: string; schedule: '24x7' | 'working_hours'; profileTitle: string }>;
}

export interface SlaGroupStats {
  obligation: string;
  total: number;
  onTime: number;
  late: number;
  /** Late rows where the journal entered the record after its deadline. */
  lateSource: number;
  /** Late rows where the gateway delivered or served after its deadline. */
  lateGateway: number;
  /** Past due and not met. */
  missing: number;
  /** Not due yet (pending or at risk). */
  waiting: number;
  unresolved: number;
  /** Of the late rows; absent when none was late. */
  medianLateMs?: number;
  worstLateMs?: number;
}

export interface SlaLateItem {
  classLabel: string;
  subjectLabel: string;
  eventDate?: string;
  obligation: string;
  dueAt?: string;
  /** Local last day of the term (a due time at its end is shown as «до 24:00»). */
  dueDate?: string;
  metAt?: string;
  lateMs: number;
  /** 'journal' | 'gateway' | 'both' | 'missing'. */
  cause: 'journal' | 'gateway' | 'both' | 'missing';
  /** The journal's time is the gateway's first sight (the journal gave none): its delay may be overstated. */
  approximate: boolean;
  recordRef: string;
}

export interface SlaReportData {
  meta: SlaReportMeta;
  summary: SlaGroupStats[];
  byClass: Array<SlaGroupStats & { classLabel: string }>;
  byPeriod: Array<SlaGroupStats & { period: string }>;
  /** Late and missing records, by due time (at most the first `lateTotal` shown). */
  late: SlaLateItem[];
  /** All late and missing records in the window. */
  lateTotal: number;
}

export const NO_CLASS = 'без класса';
const MONTHS = ['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];

/**
 * What a report is computed from: counts per (obligation, class, month, state) and the lateness
 * of each late row (aggregated by the store, so a school year of a big school is not loaded row
 * by row), and the late and missing rows to list — possibly only the first `maxListed`.
 */
export interface SlaReportInput {
  cells: readonly SlaReportCell[];
  lateValues: readonly SlaLateValue[];
  lateRows: readonly SlaObligationRow[];
  /** All late and missing rows in the window (lateRows may hold fewer). */
  lateTotal: number;
}

/** The input of a report from plain rows (tests, small windows). */
export function reportInputFromRows(rows: readonly SlaObligationRow[]): SlaReportInput {
  const cells = new Map<string, SlaReportCell>();
  for (const r of rows) {
    const month = r.periodDate.slice(0, 7);
    const key = [r.obligation, r.classLabel ?? '', month, r.state].join('\u0000');
    const c = cells.get(key) ?? { obligation: r.obligation, ...(r.classLabel !== undefined ? { classLabel: r.classLabel } : {}), month, state: r.state, count: 0, lateSource: 0, lateGateway: 0 };
    c.count++;
    if (r.sourceLateMs > 0) c.lateSource++;
    if (r.gatewayLateMs > 0) c.lateGateway++;
    cells.set(key, c);
  }
  const lateRows = rows.filter((r) => r.state === 'late' || r.state === 'breached');
  const lateValues = rows.filter((r) => r.state === 'late')
    .map((r) => ({ obligation: r.obligation, ...(r.classLabel !== undefined ? { classLabel: r.classLabel } : {}), month: r.periodDate.slice(0, 7), lateMs: r.lateMs }));
  return { cells: [...cells.values()], lateValues, lateRows, lateTotal: lateRows.length };
}

type Grouped = { key: string; obligation: string; cells: SlaReportCell[]; values: number[] };

/** Aggregates one school's window (rows, or the store's aggregates). Pure. */
export function computeSlaReport(source: SlaReportInput | readonly SlaObligationRow[], meta: SlaReportMeta): SlaReportData {
  const input = isInput(source) ? source : reportInputFromRows(source);
  const order = new Map(meta.obligations.map((o, i) => [o.key, i]));
  const byObligation = (a: { obligation: string }, b: { obligation: string }): number =>
    (order.get(a.obligation) ?? 999) - (order.get(b.obligation) ?? 999) || a.obligation.localeCompare(b.obligation);
  const group = (keyOf: (c: { classLabel?: string; month: string }) => string): Grouped[] => {
    const m = new Map<string, Grouped>();
    const at = (obligation: string, key: string): Grouped => {
      const id = `${key}\u0000${obligation}`;
      let g = m.get(id);
      if (g === undefined) { g = { key, obligation, cells: [], values: [] }; m.set(id, g); }
      return g;
    };
    for (const c of input.cells) at(c.obligation, keyOf(c)).cells.push(c);
    for (const v of input.lateValues) at(v.obligation, keyOf(v)).values.push(v.lateMs);
    return [...m.values()];
  };
  const summary = group(() => '').map((g) => stats(g)).sort(byObligation);
  const byClass = group((c) => c.classLabel ?? NO_CLASS).map((g) => ({ classLabel: g.key, ...stats(g) }))
    .sort((a, b) => compareClass(a.classLabel, b.classLabel) || byObligation(a, b));
  const byPeriod = group((c) => c.month).map((g) => ({ period: g.key, ...stats(g) }))
    .sort((a, b) => a.period.localeCompare(b.period) || byObligation(a, b));
  const late = input.lateRows.map((r): SlaLateItem => ({
    classLabel: r.classLabel ?? NO_CLASS, subjectLabel: r.subjectLabel ?? '—', ...(r.eventDate !== undefined ? { eventDate: r.eventDate } : {}),
    obligation: r.obligation, ...(r.dueAt !== undefined ? { dueAt: r.dueAt } : {}), ...(r.dueDate !== undefined ? { dueDate: r.dueDate } : {}), ...(r.metAt !== undefined ? { metAt: r.metAt } : {}),
    lateMs: r.state === 'late' ? r.lateMs : 0,
    cause: r.state === 'breached' ? 'missing' : r.sourceLateMs > 0 && r.gatewayLateMs > 0 ? 'both' : r.sourceLateMs > 0 ? 'journal' : 'gateway',
    approximate: r.sourceApproximate && r.sourceLateMs > 0,
    recordRef: r.recordRef ?? r.recordId.slice(0, 8),
  })).sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? '') || compareClass(a.classLabel, b.classLabel) || a.recordRef.localeCompare(b.recordRef));
  return { meta, summary, byClass, byPeriod, late, lateTotal: input.lateTotal };
}

function isInput(s: SlaReportInput | readonly SlaObligationRow[]): s is SlaReportInput {
  return !Array.isArray(s);
}

function stats(g: Grouped): SlaGroupStats {
  const sum = (f: (c: SlaReportCell) => number, states?: readonly string[]): number =>
    g.cells.filter((c) => states === undefined || states.includes(c.state)).reduce((n, c) => n + f(c), 0);
  const lateMs = [...g.values].sort((a, b) => a - b);
  return {
    obligation: g.obligation, total: sum((c) => c.count), onTime: sum((c) => c.count, ['on_time']), late: sum((c) => c.count, ['late']),
    lateSource: sum((c) => c.lateSource, ['late']), lateGateway: sum((c) => c.lateGateway, ['late']),
    missing: sum((c) => c.count, ['breached']), waiting: sum((c) => c.count, ['pending', 'at_risk']), unresolved: sum((c) => c.count, ['unresolved']),
    ...(lateMs.length > 0 ? { medianLateMs: median(lateMs), worstLateMs: lateMs[lateMs.length - 1] as number } : {}),
  };
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** '5А' before '10Б': by the grade number, then the letter. */
function compareClass(a: string, b: string): number {
  if (a === NO_CLASS || b === NO_CLASS) return (a === NO_CLASS ? 1 : 0) - (b === NO_CLASS ? 1 : 0);
  const na = /^\d+/.exec(a)?.[0];
  const nb = /^\d+/.exec(b)?.[0];
  if (na !== undefined && nb !== undefined && na !== nb) return Number(na) - Number(nb);
  return a.localeCompare(b, 'ru');
}

/** '2 д 3 ч 15 мин', '45 мин', '0 мин' (rounded to the minute). */
export function formatLateness(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const total = Math.round(Math.max(0, ms) / 60_000);
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  const parts = [d > 0 ? `${d} д` : '', h > 0 ? `${h} ч` : '', m > 0 || (d === 0 && h === 0) ? `${m} мин` : ''];
  return parts.filter((p) => p !== '').join(' ');
}

/** '2025-11' → 'ноябрь 2025'. */
export function monthLabel(yyyyMm: string): string {
  const [y, m] = yyyyMm.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${y}`;
}

const ruDate = (d: string | undefined): string => (d === undefined ? '—' : `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`);
const CAUSE: Record<SlaLateItem['cause'], string> = { journal: 'журнал', gateway: 'шлюз', both: 'журнал и шлюз', missing: 'не выполнено' };

const STAT_COLUMNS = [
  { key: 'total', title: 'Всего', align: 'right' as const, width: 0.7 },
  { key: 'onTime', title: 'В срок', align: 'right' as const, width: 0.8 },
  { key: 'late', title: 'С опозданием', align: 'right' as const, width: 1.45 },
  { key: 'lateSource', title: 'из них журнал', align: 'right' as const, width: 0.9 },
  { key: 'lateGateway', title: 'из них шлюз', align: 'right' as const, width: 0.9 },
  { key: 'missing', title: 'Не выполнено', align: 'right' as const, width: 1.25 },
  { key: 'waiting', title: 'Ожидают срока', align: 'right' as const, width: 1.1 },
  { key: 'unresolved', title: 'Нет данных', align: 'right' as const, width: 0.9 },
  { key: 'median', title: 'Медиана опоздания', width: 1.4 },
  { key: 'worst', title: 'Наибольшее опоздание', width: 1.5 },
];

const statCells = (s: SlaGroupStats): Record<string, string | number> => ({
  total: s.total, onTime: s.onTime, late: s.late, lateSource: s.lateSource, lateGateway: s.lateGateway, missing: s.missing,
  waiting: s.waiting, unresolved: s.unresolved, median: formatLateness(s.medianLateMs), worst: formatLateness(s.worstLateMs),
});

function lateTable(data: SlaReportData): ReportTable {
  const tz = data.meta.school.timeZone;
  const moment = (iso: string | undefined): string => (iso === undefined ? '—' : formatMoment(iso, tz).replace(/ \(.*\)$/, ''));
  // A term ending at midnight is shown on its last day: «18.09.2025 до 24:00», not «19.09.2025 00:00».
  const due = (l: SlaLateItem): string => (l.dueAt !== undefined && l.dueDate !== undefined && endOfLocalDay(l.dueDate, tz).toISOString() === new Date(l.dueAt).toISOString()
    ? `${ruDate(l.dueDate)} до 24:00` : moment(l.dueAt));
  return {
    columns: [
      { key: 'class', title: 'Класс', width: 0.7 }, { key: 'subject', title: 'Предмет', width: 1.3 }, { key: 'date', title: 'Дата', width: 0.9 },
      { key: 'obligation', title: 'Обязательство', width: 2 }, { key: 'due', title: 'Срок', width: 1.1 }, { key: 'met', title: 'Выполнено', width: 1.1 },
      { key: 'late', title: 'Опоздание', width: 1 }, { key: 'cause', title: 'Чья задержка', width: 0.9 }, { key: 'ref', title: 'Запись', width: 0.8 },
    ],
    rows: data.late.map((l) => ({
      class: l.classLabel, subject: l.subjectLabel, date: ruDate(l.eventDate), obligation: l.obligation, due: due(l),
      met: l.cause === 'missing' ? 'не выполнено' : moment(l.metAt), late: l.cause === 'missing' ? '—' : `${l.approximate ? '≈ ' : ''}${formatLateness(l.lateMs)}`, cause: CAUSE[l.cause], ref: l.recordRef,
    })),
    empty: 'Записей с опозданием нет',
  };
}

const SCHEDULE: Record<'24x7' | 'working_hours', string> = { '24x7': 'круглосуточно, без выходных', working_hours: 'в рабочее время' };

/** The profiles' availability requirements (not per-record deadlines), when there are any. */
function availabilitySection(meta: SlaReportMeta): ReportDoc['sections'] {
  const list = meta.availability ?? [];
  if (list.length === 0) return [];
  return [{
    heading: 'Требования к доступности',
    paragraphs: ['Эти требования регламентов не относятся к отдельным записям и в таблицах ниже не учитываются: '
      + 'шлюз доставляет записи и отвечает на запросы в любое время суток, а доступность портала или дневника для семей контролирует его оператор.'],
    table: {
      columns: [{ key: 'key', title: 'Код', width: 1.6 }, { key: 'title', title: 'Требование', width: 3 }, { key: 'schedule', title: 'Режим', width: 1 }, { key: 'profile', title: 'Регламент', width: 2 }],
      rows: list.map((a) => ({ key: a.key, title: a.title, schedule: SCHEDULE[a.schedule], profile: a.profileTitle })),
    },
  }];
}

/** The report as a document, in Russian. */
export function buildSlaReport(data: SlaReportData): ReportDoc {
  const { meta } = data;
  const obligationCol = { key: 'obligation', title: 'Обязательство', width: 2.2 };
  const totals = data.summary.reduce((t, s) => ({ total: t.total + s.total, late: t.late + s.late, missing: t.missing + s.missing }), { total: 0, late: 0, missing: 0 });
  return {
    title: 'Соблюдение сроков ведения электронного дневника',
    subtitle: `${meta.school.name} (${meta.school.id}) · период по сроку исполнения: ${ruDate(meta.from)} — ${ruDate(meta.to)}`,
    generatedAt: meta.generatedAt,
    timeZone: meta.school.timeZone,
    sections: [
      {
        heading: 'Обязательства школы',
        paragraphs: [`Всего записей с установленным сроком: ${totals.total}; с опозданием: ${totals.late}; не выполнено в срок: ${totals.missing}.`],
        table: {
          columns: [{ key: 'key', title: 'Код', width: 1.6 }, { key: 'title', title: 'Требование', width: 4 }, { key: 'profile', title: 'Регламент', width: 2 }],
          rows: meta.obligations.map((o) => ({ key: o.key, title: o.title, profile: o.profileTitle })),
        },
      },
      ...availabilitySection(meta),
      { heading: 'По обязательствам', table: { columns: [obligationCol, ...STAT_COLUMNS], rows: data.summary.map((s) => ({ obligation: s.obligation, ...statCells(s) })), empty: 'Нет записей за период' } },
      {
        heading: 'По классам',
        table: { columns: [{ key: 'class', title: 'Класс', width: 0.8 }, obligationCol, ...STAT_COLUMNS], rows: data.byClass.map((s) => ({ class: s.classLabel, obligation: s.obligation, ...statCells(s) })), empty: 'Нет записей за период' },
      },
      {
        heading: 'По месяцам (месяц срока исполнения)',
        table: { columns: [{ key: 'period', title: 'Месяц', width: 1 }, obligationCol, ...STAT_COLUMNS], rows: data.byPeriod.map((s) => ({ period: monthLabel(s.period), obligation: s.obligation, ...statCells(s) })), empty: 'Нет записей за период' },
      },
      {
        heading: 'Записи с опозданием и невыполненные', pageBreakBefore: true, table: lateTable(data),
        ...(data.late.length < data.lateTotal ? { paragraphs: [`Показаны первые ${data.late.length} из ${data.lateTotal} (по сроку); чтобы увидеть остальные, сузьте период отчёта.`] } : {}),
      },
    ],
    footer: 'В срок, с опозданием, не выполнено — по двум часам: «журнал» — отметка или пропуск внесены в журнал позже срока (от даты урока до первого появления в журнале); '
      + '«шлюз» — запись получена, но доставлена или выдана позже срока. Опоздание — сумма обеих задержек; медиана и наибольшее — по записям с опозданием. '
      + '«Ожидают срока» — срок ещё не наступил. «Нет данных» — не хватает сведений для расчёта срока (например, даты урока). '
      + '«≈» — журнал не сообщил, когда внёс запись; взято время, когда её впервые получил шлюз, поэтому опоздание может быть завышено. '
      + 'Сроки считаются по производственному календарю РФ. Записи обозначены кратким номером, без персональных данных.',
  };
}

/** One CSV for Excel: the statistics (school, class, month) as one flat table, a blank line, the late records. */
export function slaReportCsv(data: SlaReportData): string {
  const rows = [
    ...data.summary.map((s) => ({ section: 'Школа', class: '', period: '', obligation: s.obligation, ...statCells(s) })),
    ...data.byClass.map((s) => ({ section: 'Класс', class: s.classLabel, period: '', obligation: s.obligation, ...statCells(s) })),
    ...data.byPeriod.map((s) => ({ section: 'Месяц', class: '', period: s.period, obligation: s.obligation, ...statCells(s) })),
  ];
  const stats = toCsv({
    columns: [{ key: 'section', title: 'Разрез' }, { key: 'class', title: 'Класс' }, { key: 'period', title: 'Месяц' }, { key: 'obligation', title: 'Обязательство' }, ...STAT_COLUMNS],
    rows,
  });
  return `${stats}\r\n${toCsv(lateTable(data)).replace(/^\uFEFF/, '')}`;
}

export type SlaReportFormat = 'json' | 'csv' | 'html' | 'pdf';

/** The rendered report and its media type. */
export async function renderSlaReport(data: SlaReportData, format: SlaReportFormat): Promise<{ body: Buffer; contentType: string; extension: string }> {
  switch (format) {
    case 'json': return { body: Buffer.from(`${JSON.stringify(data, null, 2)}\n`), contentType: 'application/json; charset=utf-8', extension: 'json' };
    case 'csv': return { body: Buffer.from(slaReportCsv(data), 'utf8'), contentType: 'text/csv; charset=utf-8', extension: 'csv' };
    case 'html': return { body: Buffer.from(toHtml(buildSlaReport(data)), 'utf8'), contentType: 'text/html; charset=utf-8', extension: 'html' };
    case 'pdf': return { body: await toPdf(buildSlaReport(data), { landscape: true }), contentType: 'application/pdf', extension: 'pdf' };
  }
}
