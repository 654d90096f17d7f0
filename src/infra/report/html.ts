import { cellText, formatMoment, type ReportDoc, type ReportTable } from './model';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;margin:24px;color:#111}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}.sub{color:#555;margin:0 0 12px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid #999;padding:3px 6px;vertical-align:top}
th{background:#eee;text-align:left}td.r{text-align:right}td.c{text-align:center}.empty{color:#777;font-style:italic}
footer{margin-top:20px;color:#555;font-size:11px}.pb{page-break-before:always}@media print{body{margin:0}}`;

/** A standalone, printable HTML page; every text is escaped. */
export function toHtml(doc: ReportDoc): string {
  const parts: string[] = [
    '<!DOCTYPE html>', '<html lang="ru">', '<head><meta charset="utf-8">', `<title>${esc(doc.title)}</title>`,
    `<style>${STYLE}</style></head>`, '<body>', `<h1>${esc(doc.title)}</h1>`,
  ];
  if (doc.subtitle) parts.push(`<p class="sub">${esc(doc.subtitle)}</p>`);
  parts.push(`<p class="sub">Сформировано: ${esc(formatMoment(doc.generatedAt, doc.timeZone))}</p>`);
  for (const s of doc.sections) {
    parts.push(`<section${s.pageBreakBefore ? ' class="pb"' : ''}>`);
    if (s.heading) parts.push(`<h2>${esc(s.heading)}</h2>`);
    for (const p of s.paragraphs ?? []) parts.push(`<p>${esc(p)}</p>`);
    if (s.table) parts.push(tableHtml(s.table));
    parts.push('</section>');
  }
  if (doc.footer) parts.push(`<footer>${esc(doc.footer)}</footer>`);
  parts.push('</body>', '</html>');
  return `${parts.join('\n')}\n`;
}

function tableHtml(t: ReportTable): string {
  const head = `<tr>${t.columns.map((c) => `<th>${esc(c.title)}</th>`).join('')}</tr>`;
  if (t.rows.length === 0) {
    return `<table><thead>${head}</thead><tbody><tr><td class="empty" colspan="${t.columns.length}">${esc(t.empty ?? 'Нет данных')}</td></tr></tbody></table>`;
  }
  const cls = (a?: string): string => (a === 'right' ? ' class="r"' : a === 'center' ? ' class="c"' : '');
  const body = t.rows.map((r) => `<tr>${t.columns.map((c) => `<td${cls(c.align)}>${esc(cellText(r[c.key]))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}
