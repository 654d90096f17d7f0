export type ReportCell = string | number | null | undefined;

export interface ReportColumn {
  key: string;
  /** Column heading, in Russian. */
  title: string;
  align?: 'left' | 'right' | 'center';
  /** Relative width in the PDF (default 1). */
  width?: number;
}

export interface ReportTable {
  columns: readonly ReportColumn[];
  rows: ReadonlyArray<Readonly<Record<string, ReportCell>>>;
  /** Shown when there are no rows (e.g. «Нет данных»). */
  empty?: string;
}

export interface ReportSection {
  heading?: string;
  paragraphs?: readonly string[];
  table?: ReportTable;
  /** Start this section on a new page in the PDF (one extract per family in a class bundle). */
  pageBreakBefore?: boolean;
}

export interface ReportDoc {
  title: string;
  subtitle?: string;
  /** ISO time; printed as the generation time in `timeZone`. */
  generatedAt: string;
  /** IANA zone of the readers (the school's); default Europe/Moscow. */
  timeZone?: string;
  sections: readonly ReportSection[];
  /** Small print at the end (e.g. «Прогноз не является официальной отметкой»). */
  footer?: string;
}

export function cellText(v: ReportCell): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? String(v).replace('.', ',') : v;
}

/** `2025-11-03T09:15:00Z` in Europe/Moscow → `03.11.2025 12:15 (Europe/Moscow)`. */
export function formatMoment(iso: string, timeZone = 'Europe/Moscow'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const f = new Intl.DateTimeFormat('ru-RU', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
  return `${f.format(d).replace(',', '')} (${timeZone})`;
}
