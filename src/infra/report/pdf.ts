import PDFDocument from 'pdfkit';
import { cellText, formatMoment, type ReportDoc, type ReportTable } from './model';

export interface PdfOptions {
  /** Landscape suits wide tables (summary sheets). Default portrait. */
  landscape?: boolean;
}

const FONT = 'DejaVu';
const FONT_BOLD = 'DejaVu-Bold';
const MARGIN = 40;
const CELL_PAD = 3;
const BODY_SIZE = 9;

/** DejaVu ships as an npm package, so the PDF embeds a Cyrillic font on any machine. */
function fontPath(file: string): string {
  return require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
}

/**
 * Renders the document to a PDF (A4) with the DejaVu fonts embedded. Tables repeat their
 * heading row on each page; long cells wrap. The creation date in the PDF metadata is the
 * document's `generatedAt`, so the same input gives the same bytes.
 */
export function toPdf(doc: ReportDoc, opts: PdfOptions = {}): Promise<Buffer> {
  const created = new Date(doc.generatedAt);
  const pdf = new PDFDocument({
    size: 'A4', layout: opts.landscape ? 'landscape' : 'portrait', margin: MARGIN, bufferPages: true,
    info: { Title: doc.title, Creator: 'diary-gateway', Producer: 'diary-gateway', CreationDate: created, ModDate: created },
  });
  pdf.registerFont(FONT, fontPath('DejaVuSans.ttf'));
  pdf.registerFont(FONT_BOLD, fontPath('DejaVuSans-Bold.ttf'));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  pdf.font(FONT_BOLD).fontSize(15).text(doc.title);
  if (doc.subtitle) pdf.font(FONT).fontSize(10).fillColor('#444').text(doc.subtitle);
  pdf.font(FONT).fontSize(8).fillColor('#666').text(`Сформировано: ${formatMoment(doc.generatedAt, doc.timeZone)}`).fillColor('black');
  pdf.moveDown(0.5);
  doc.sections.forEach((s, i) => {
    if (s.pageBreakBefore && i > 0) pdf.addPage();
    if (s.heading) pdf.moveDown(0.4).font(FONT_BOLD).fontSize(11).text(s.heading, MARGIN);
    for (const p of s.paragraphs ?? []) pdf.font(FONT).fontSize(BODY_SIZE + 1).text(p, MARGIN).moveDown(0.2);
    if (s.table) drawTable(pdf, s.table);
  });
  if (doc.footer) pdf.moveDown(1).font(FONT).fontSize(8).fillColor('#555').text(doc.footer, MARGIN).fillColor('black');

  // Page numbers, once every page exists.
  const range = pdf.bufferedPageRange();
  for (let p = range.start; p < range.start + range.count; p++) {
    pdf.switchToPage(p);
    // Writing below the bottom margin would make pdfkit open a new page.
    pdf.page.margins.bottom = 0;
    const bottom = pdf.page.height - MARGIN / 2 - 8;
    pdf.font(FONT).fontSize(7).fillColor('#777')
      .text(`Стр. ${p + 1} из ${range.count}`, MARGIN, bottom, { width: pdf.page.width - 2 * MARGIN, align: 'right', lineBreak: false });
  }
  pdf.end();
  return done;
}

function drawTable(pdf: PDFKit.PDFDocument, t: ReportTable): void {
  const left = MARGIN;
  const width = pdf.page.width - 2 * MARGIN;
  const total = t.columns.reduce((n, c) => n + (c.width ?? 1), 0);
  const widths = t.columns.map((c) => (width * (c.width ?? 1)) / total);
  const bottom = (): number => pdf.page.height - MARGIN - 12;

  const rowHeight = (cells: string[], font: string): number => {
    pdf.font(font).fontSize(BODY_SIZE);
    return Math.max(...cells.map((text, i) => pdf.heightOfString(text || ' ', { width: (widths[i] ?? 10) - 2 * CELL_PAD }))) + 2 * CELL_PAD;
  };
  const drawRow = (cells: string[], font: string, shade: boolean): void => {
    const h = rowHeight(cells, font);
    const y = pdf.y;
    let x = left;
    cells.forEach((text, i) => {
      const w = widths[i] ?? 10;
      if (shade) pdf.rect(x, y, w, h).fillColor('#eeeeee').fill();
      pdf.rect(x, y, w, h).lineWidth(0.5).strokeColor('#999999').stroke();
      const align = t.columns[i]?.align ?? 'left';
      pdf.fillColor('black').font(font).fontSize(BODY_SIZE).text(text, x + CELL_PAD, y + CELL_PAD, { width: w - 2 * CELL_PAD, align });
      x += w;
    });
    pdf.x = left;
    pdf.y = y + h;
  };

  const header = t.columns.map((c) => c.title);
  const headerHeight = rowHeight(header, FONT_BOLD);
  if (pdf.y + headerHeight * 2 > bottom()) pdf.addPage();
  drawRow(header, FONT_BOLD, true);
  if (t.rows.length === 0) {
    pdf.font(FONT).fontSize(BODY_SIZE).fillColor('#666').text(t.empty ?? 'Нет данных', left + CELL_PAD, pdf.y + CELL_PAD).fillColor('black');
    pdf.moveDown(0.5);
    return;
  }
  for (const row of t.rows) {
    const cells = t.columns.map((c) => cellText(row[c.key]));
    if (pdf.y + rowHeight(cells, FONT) > bottom()) {
      pdf.addPage();
      drawRow(header, FONT_BOLD, true);
    }
    drawRow(cells, FONT, false);
  }
  pdf.moveDown(0.5);
}
