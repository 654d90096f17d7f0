import { cellText, type ReportTable } from './model';

/**
 * CSV as Excel in a Russian locale opens it: UTF-8 with a BOM, `;` between fields, CRLF line
 * ends, decimal commas, every field quoted when it holds `;`, a quote or a line break (RFC 4180).
 */
export function toCsv(table: ReportTable): string {
  const line = (cells: readonly string[]): string => cells.map(quote).join(';');
  const out = [line(table.columns.map((c) => c.title))];
  for (const row of table.rows) out.push(line(table.columns.map((c) => cellText(row[c.key]))));
  return `\uFEFF${out.join('\r\n')}\r\n`;
}

function quote(s: string): string {
  // A leading =, +, - or @ would make a spreadsheet run the cell as a formula.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+([.,]\d+)?$/.test(s) ? `'${s}` : s;
  return /[;"\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
