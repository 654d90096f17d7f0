/**
 * One small document model for everything people read (SLA reports, summary sheets, weekly
 * paper extracts), rendered three ways: CSV (Excel in a Russian locale: UTF-8 with BOM and `;`),
 * HTML (escaped, `lang="ru"`, printable) and PDF (pdfkit with an embedded DejaVu font, so
 * Cyrillic prints everywhere). Texts are given in Russian by the caller; this module only lays
 * them out.
 */
export { toCsv } from './csv';
export { toHtml } from './html';
export { toPdf, type PdfOptions } from './pdf';
export type { ReportCell, ReportColumn, ReportDoc, ReportSection, ReportTable } from './model';
