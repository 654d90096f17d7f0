/**
 * The report kit: CSV for a Russian Excel, escaped printable HTML, and a PDF whose Cyrillic text
 * survives (read back with poppler's pdftotext when the machine has it, else from the font
 * embedding).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv, toHtml, toPdf, type ReportDoc } from '../../src/infra/report';

const DOC: ReportDoc = {
  title: 'Соблюдение сроков: МБОУ СОШ № 7',
  subtitle: 'с 01.09.2025 по 31.10.2025',
  generatedAt: '2025-11-03T09:15:00Z',
  timeZone: 'Asia/Yekaterinburg',
  sections: [
    { heading: 'По обязательствам', paragraphs: ['Отметки выставляются в течение 3 дней.'], table: {
      columns: [{ key: 'o', title: 'Обязательство', width: 3 }, { key: 'n', title: 'В срок', align: 'right' }, { key: 'm', title: 'Медиана, ч', align: 'right' }],
      rows: [{ o: 'Отметки', n: 120, m: 2.5 }, { o: 'Пропуски; "болезнь"', n: 3, m: null }],
    } },
    { heading: 'Пусто', table: { columns: [{ key: 'a', title: 'А' }], rows: [], empty: 'Опозданий нет' } },
  ],
  footer: 'Прогноз не является официальной отметкой.',
};

function pdftotext(): boolean {
  try { execFileSync('pdftotext', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
}

describe('report kit', () => {
  it('CSV: BOM, semicolons, CRLF, decimal commas, quoting, and no formula injection', () => {
    const csv = toCsv({ columns: [{ key: 'a', title: 'Имя' }, { key: 'b', title: 'Балл' }], rows: [{ a: 'Пропуски; "болезнь"', b: 4.5 }, { a: '=HYPERLINK("x")', b: -1 }] });
    assert.ok(csv.startsWith('\uFEFFИмя;Балл\r\n'));
    assert.match(csv, /^"Пропуски; ""болезнь""";4,5\r$/m);
    assert.match(csv, /^"'=HYPERLINK\(""x""\)";-1\r$/m, 'a formula is defused, a negative number is not');
    assert.ok(csv.endsWith('\r\n'));
  });

  it('HTML: escapes every text, prints the time in the school zone, marks empty tables', () => {
    const html = toHtml({ ...DOC, title: '<script>alert(1)</script>' });
    assert.ok(!html.includes('<script>'));
    assert.match(html, /&lt;script&gt;/);
    assert.match(html, /<html lang="ru">/);
    assert.match(html, /Сформировано: 03\.11\.2025 14:15 \(Asia\/Yekaterinburg\)/);
    assert.match(html, /Пропуски; &quot;болезнь&quot;/);
    assert.match(html, /<td class="r">2,5<\/td>/);
    assert.match(html, /Опозданий нет/);
  });

  it('PDF: a valid document with the Cyrillic text, page numbers and stable bytes for the same input', async () => {
    const a = await toPdf(DOC);
    const b = await toPdf(DOC);
    assert.equal(a.subarray(0, 5).toString(), '%PDF-');
    assert.ok(a.includes(Buffer.from('DejaVu')), 'the font is embedded');
    assert.equal(a.length, b.length, 'deterministic for the same input');
    if (pdftotext()) {
      const dir = mkdtempSync(join(tmpdir(), 'report-'));
      writeFileSync(join(dir, 'r.pdf'), a);
      const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
      for (const s of ['Соблюдение сроков: МБОУ СОШ № 7', 'Отметки', 'Опозданий нет', 'Стр. 1 из 1', 'Прогноз не является официальной отметкой']) {
        assert.ok(text.includes(s), `${s} in:\n${text}`);
      }
    }
  });

  it('PDF: a long table breaks over pages and repeats its heading row', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => ({ o: `Ученик ${i + 1}`, n: i, m: i / 2 }));
    const pdf = await toPdf({ ...DOC, sections: [{ table: { ...DOC.sections[0]!.table!, rows } }] });
    if (!pdftotext()) return;
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    writeFileSync(join(dir, 'r.pdf'), pdf);
    const text = execFileSync('pdftotext', [join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    const pages = text.split('\f').filter((p) => p.trim().length > 0);
    assert.ok(pages.length >= 3, `pages: ${pages.length}`);
    assert.ok(pages.every((p) => p.includes('Обязательство')), 'every page repeats the heading');
    assert.ok(text.includes('Ученик 150'));
    assert.match(text, new RegExp(`Стр\\. ${pages.length} из ${pages.length}`));
  });
});
