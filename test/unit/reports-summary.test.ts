/**
 * The summary sheet (сводная ведомость) of class 8б for the first quarter, built from a real
 * SQLite ledger seeded with the hand-computed fixture, and rendered as CSV, HTML and PDF
 * (read back with pdftotext).
 *
 * Period marks (Алгебра, Англ. яз., Рус. яз., Физ-ра):
 *   Андреева 5 5 5 осв · Иванов 4 4 3 5 · Петрова 5 5 4 5 · Сидоров 2 н/а 3 4
 * By hand: Алгебра n5 2 n4 1 n2 1, avg 4, успеваемость 75 %, качество 75 %; Англ. n5 2 n4 1 н/а 1,
 * avg 14/3 = 4.67, 75 %, 75 %; Рус. n5 1 n4 1 n3 2, avg 3.75, 100 %, 50 %; Физ-ра осв 1, avg 4.67,
 * 100 %, 100 %. Class: 1 on «5» (Андреева), 1 on «4» and «5» (Петрова), 1 with one «3» (Иванов),
 * 1 failing (Сидоров).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../../src/core/errors';
import type { Ledger } from '../../src/core/ledger';
import { buildSummarySheet, loadSchoolView, renderReport, REPORT_ENTITIES, type SchoolView } from '../../src/reports';
import { tmpLedger } from '../support/harness';
import { seedFamiliesPrint, type Seeded } from '../fixtures/families-print/seed';

describe('reports: summary sheet (сводная ведомость)', () => {
  let ledger: Ledger;
  let dir: string;
  let seeded: Seeded;
  let view: SchoolView;
  before(async () => {
    ({ ledger, dir } = await tmpLedger());
    seeded = await seedFamiliesPrint(ledger);
    view = await loadSchoolView(ledger, seeded.schoolId, REPORT_ENTITIES, 50); // small pages: the paging is exercised
  });
  after(async () => ledger.close());

  const build = () => buildSummarySheet({ view, schoolName: 'МБОУ СОШ № 7', classKey: '8б', periodKey: 'I четверть', generatedAt: '2025-10-27T04:00:00Z', timeZone: seeded.timeZone });

  it('rows per student in alphabetical order, columns per subject, marks as written', () => {
    const s = build();
    assert.equal(s.kind, 'period');
    assert.deepEqual(s.students.map((p) => p.familyName), ['Андреева', 'Иванов', 'Петрова', 'Сидоров']);
    assert.deepEqual(s.subjects.map((x) => x.title), ['Алгебра', 'Английский язык', 'Русский язык', 'Физическая культура']);
    const rows = s.doc.sections[0]!.table!.rows;
    const cells = (r: (typeof rows)[number]): unknown[] => s.subjects.map((x) => r[`s:${x.id}`]);
    assert.deepEqual(rows.map(cells), [['5', '5', '5', 'осв'], ['4', '4', '3', '5'], ['5', '5', '4', '5'], ['2', 'н/а', '3', '4']]);
    assert.deepEqual(rows.map((r) => [r.name, r.avg, r.bad]), [['Андреева М. И.', 5, 0], ['Иванов И. П.', 4, 0], ['Петрова А. С.', 4.75, 0], ['Сидоров П. А.', 3, 2]]);
  });

  it('subject and class totals as computed by hand', () => {
    const s = build();
    const by = (title: string) => s.subjectStats[s.subjects.findIndex((x) => x.title === title)]!;
    const pick = (t: string) => { const x = by(t); return [x.n5, x.n4, x.n3, x.n2, x.notAttested, x.exempt, x.base, x.average, x.success, x.quality]; };
    assert.deepEqual(pick('Алгебра'), [2, 1, 0, 1, 0, 0, 4, 4, 75, 75]);
    assert.deepEqual(pick('Английский язык'), [2, 1, 0, 0, 1, 0, 4, 4.67, 75, 75]);
    assert.deepEqual(pick('Русский язык'), [1, 1, 2, 0, 0, 0, 4, 3.75, 100, 50]);
    assert.deepEqual(pick('Физическая культура'), [2, 1, 0, 0, 0, 1, 3, 4.67, 100, 100]);
    assert.deepEqual(s.classStats, { students: 4, excellent: 1, good: 1, oneThree: 1, failing: 1, notAttested: 0 });
  });

  it('CSV for a Russian Excel: BOM, semicolons, decimal commas, both tables', async () => {
    const csv = (await renderReport(build().doc, 'csv')).toString('utf8');
    assert.ok(csv.startsWith('\uFEFF№;Обучающийся;Алгебра;Англ. яз.;Рус. яз.;Физ-ра;Средний балл;«2», н/а\r\n'), csv.slice(0, 120));
    assert.match(csv, /^1;Андреева М\. И\.;5;5;5;осв;5;0\r$/m);
    assert.match(csv, /^3;Петрова А\. С\.;5;5;4;5;4,75;0\r$/m);
    assert.match(csv, /^4;Сидоров П\. А\.;2;н\/а;3;4;3;2\r$/m);
    assert.match(csv, /^Итоги по предметам\r$/m);
    assert.match(csv, /^Успеваемость, %;75;75;100;100\r$/m);
    assert.match(csv, /^Средний балл;4;4,67;3,75;4,67\r$/m);
    assert.equal(csv.indexOf('\uFEFF', 1), -1, 'one BOM only');
  });

  it('HTML and PDF in Russian with the class totals and the definitions', async () => {
    const s = build();
    const html = (await renderReport(s.doc, 'html')).toString('utf8');
    assert.match(html, /<h1>Сводная ведомость отметок за период: 8б<\/h1>/);
    assert.match(html, /МБОУ СОШ № 7 · I четверть \(01\.09\.2025 – 24\.10\.2025\)/);
    assert.match(html, /на «5»: 1; на «4» и «5»: 1; с одной «3»: 1; неуспевающих: 1; не аттестовано: 0\./);
    const pdf = await renderReport(s.doc, 'pdf');
    const file = join(dir, 'summary.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const t of ['Сводная ведомость отметок за период: 8б', 'Андреева М. И.', 'Сидоров П. А.', 'Итоги по предметам', 'Качество, %', 'неуспевающих: 1', 'Стр. 1 из 1']) {
      assert.ok(text.includes(t), `${t} in:\n${text}`);
    }
    assert.match(text, /Сидоров П\. А\.\s+2\s+н\/а\s+3\s+4\s+3\s+2/);
  });

  it('an unknown class or period is a usage error naming it', () => {
    const e = (() => { try { buildSummarySheet({ view, schoolName: 'x', classKey: '9а', periodKey: 'I четверть', generatedAt: '2025-10-27T04:00:00Z', timeZone: 'UTC' }); return undefined; } catch (x) { return x; } })();
    assert.ok(e instanceof GatewayError && e.code === 'GW_API_NOT_FOUND' && /"9а"/.test(e.message), String(e));
  });

  it('the year sheet uses annual marks: none yet, so every cell is empty and the totals are zero', () => {
    const s = buildSummarySheet({ view, schoolName: 'x', classKey: '8б', periodKey: '2025/26 учебный год', generatedAt: '2025-10-27T04:00:00Z', timeZone: 'UTC' });
    assert.equal(s.kind, 'annual');
    assert.equal(s.marks.size, 0);
    assert.deepEqual(s.subjectStats.map((x) => x.base), [0, 0, 0, 0]);
    assert.match(s.doc.title, /годовых отметок/);
  });
});
