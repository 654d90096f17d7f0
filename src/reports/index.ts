/**
 * School reports in Russian, built from the ledger as `ReportDoc`s and rendered by the report kit
 * (src/infra/report) as CSV, HTML or PDF: the summary sheet (сводная ведомость) of period and
 * final marks per class, and lesson statistics against the curriculum plan.
 */
export { loadSchoolView, SchoolView, PAGE_SIZE } from './ledger-view';
export { buildSummarySheet, type SummarySheet, type SummarySheetInput, type SheetKind, type SubjectStats, type ClassStats } from './summary-sheet';
export { buildLessonStats, type LessonStats, type LessonStatsInput, type LessonStatsRow } from './lesson-stats';
export { parseCurriculumPlan, derivedPlan, studyDays, CURRICULUM_PLAN_SCHEMA, type CurriculumPlan, type CurriculumPlanEntry } from './curriculum';
export { findClass, findPeriod, periodOn, studentsOf, mainClassOf, groupsOfStudent, subgroupsOf } from './roster';
export * from './labels';

import type { EntityType } from '../core/records';
import { toCsv, toHtml, toPdf, type ReportDoc } from '../infra/report';

/** Entity kinds the reports and extracts read. */
export const REPORT_ENTITIES: readonly EntityType[] = [
  'school', 'reporting_period', 'class_group', 'membership', 'person', 'guardian_link', 'subject', 'teaching_assignment',
  'lesson', 'assessment', 'mark', 'attendance_event', 'homework', 'assessment_schedule_entry', 'holiday_period', 'recommendation',
];

export type ReportFormat = 'csv' | 'html' | 'pdf';

/**
 * Renders a report. CSV holds every table of the document one after another (the second and
 * later ones after an empty line and their heading), for a spreadsheet; HTML and PDF the whole
 * document, PDF in landscape by default because the sheets are wide.
 */
export async function renderReport(doc: ReportDoc, format: ReportFormat, opts: { landscape?: boolean } = {}): Promise<Buffer> {
  if (format === 'csv') {
    const parts = doc.sections.filter((s) => s.table).map((s, i) => {
      const csv = toCsv(s.table!).replace(/^\uFEFF/, '');
      return i === 0 ? csv : `\r\n${s.heading ? toCsv({ columns: [{ key: 'h', title: s.heading }], rows: [] }).replace(/^\uFEFF/, '') : ''}${csv}`;
    });
    return Buffer.from(`\uFEFF${parts.join('')}`, 'utf8');
  }
  if (format === 'html') return Buffer.from(toHtml(doc), 'utf8');
  return toPdf(doc, { landscape: opts.landscape ?? true });
}
