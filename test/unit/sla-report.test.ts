/**
 * The compliance report on hand-made rows: statistics (median of an even count, worst), the
 * late list (whose delay, «≈» for a journal time that is only the gateway's first sight, a due
 * time at midnight shown on its own day), and the three renderings: CSV for Excel, escaped HTML,
 * and a PDF whose text pdftotext reads back in Russian.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlaObligationRow } from '../../src/core/sla-store';
import { computeSlaReport, formatLateness, monthLabel, renderSlaReport, type SlaReportMeta } from '../../src/sla/report';

const H = 3_600_000;
const META: SlaReportMeta = {
  school: { id: 'school-1', name: 'Лицей «Вектор» <№ 1>', timeZone: 'Europe/Moscow' }, from: '2025-10-01', to: '2025-11-30', generatedAt: '2025-12-01T09:00:00Z',
  obligations: [{ key: 'p/marks', title: 'Отметки — за 3 дня', profileTitle: 'Регламент' }, { key: 'p/final', title: 'Итоговые — за 1 день', profileTitle: 'Регламент' }],
};

function row(n: number, obligation: string, state: SlaObligationRow['state'], more: Partial<SlaObligationRow> = {}): SlaObligationRow {
  return {
    recordId: `0000000${n}-aaaa-5bbb-8ccc-000000000000`, obligation, schoolId: 'school-1', entityType: 'mark', periodDate: '2025-10-15', sourceLateMs: 0,
    sourceApproximate: false, gatewayLateMs: 0, lateMs: 0, state, evaluatedAt: '2025-12-01T00:00:00Z', classLabel: '5А', subjectLabel: 'Математика', ...more,
  };
}

const ROWS: SlaObligationRow[] = [
  row(1, 'p/marks', 'on_time'),
  row(2, 'p/marks', 'late', { sourceLateMs: 2 * H, lateMs: 2 * H, dueAt: '2025-10-15T21:00:00.000Z', dueDate: '2025-10-15', eventDate: '2025-10-12', metAt: '2025-10-15T23:00:00.000Z' }),
  row(3, 'p/marks', 'late', { sourceLateMs: 30 * H, sourceApproximate: true, lateMs: 30 * H, classLabel: '10Б', subjectLabel: 'Физика; углублённая', periodDate: '2025-11-02' }),
  row(4, 'p/marks', 'late', { gatewayLateMs: 5 * H, lateMs: 5 * H, classLabel: '10Б' }),
  row(5, 'p/marks', 'late', { sourceLateMs: 1 * H, gatewayLateMs: 10 * 60_000, lateMs: H + 10 * 60_000 }),
  row(6, 'p/final', 'breached', { classLabel: '<script>x</script>', periodDate: '2025-11-20' }),
  row(7, 'p/final', 'at_risk', { classLabel: undefined as unknown as string }),
  row(8, 'p/final', 'unresolved', { detail: 'нет данных: lessonDate' }),
];

describe('sla report: statistics and the late list', () => {
  const data = computeSlaReport(ROWS, META);

  it('counts per obligation, median of an even count of late rows, worst; waiting and no-data columns', () => {
    const [marks, final] = data.summary;
    assert.deepEqual([marks?.total, marks?.onTime, marks?.late, marks?.lateSource, marks?.lateGateway, marks?.medianLateMs, marks?.worstLateMs],
      [5, 1, 4, 3, 2, (2 * H + 5 * H) / 2, 30 * H], 'median of 1 h 10 min, 2 h, 5 h, 30 h');
    assert.deepEqual([final?.total, final?.missing, final?.waiting, final?.unresolved, final?.medianLateMs], [3, 1, 1, 1, undefined]);
    assert.deepEqual(data.byClass.map((c) => [c.classLabel, c.obligation, c.total]), [
      ['<script>x</script>', 'p/final', 1], ['5А', 'p/marks', 3], ['5А', 'p/final', 1], ['10Б', 'p/marks', 2], ['без класса', 'p/final', 1],
    ], 'classes by grade number, rows without a class last');
    assert.deepEqual(data.byPeriod.map((p) => [p.period, p.obligation, p.total]), [['2025-10', 'p/marks', 4], ['2025-10', 'p/final', 2], ['2025-11', 'p/marks', 1], ['2025-11', 'p/final', 1]]);
    assert.deepEqual(data.late.map((l) => [l.recordRef, l.cause, l.approximate]).sort(), [
      ['00000002', 'journal', false], ['00000003', 'journal', true], ['00000004', 'gateway', false], ['00000005', 'both', false], ['00000006', 'missing', false],
    ]);
  });

  it('formats durations in Russian, to the minute', () => {
    assert.deepEqual([formatLateness(0), formatLateness(59_000), formatLateness(90 * 60_000), formatLateness(26 * H), formatLateness(49 * H + 60_000), formatLateness(undefined)],
      ['0 мин', '1 мин', '1 ч 30 мин', '1 д 2 ч', '2 д 1 ч 1 мин', '—']);
    assert.equal(monthLabel('2026-01'), 'январь 2026');
  });

  it('CSV for Excel: BOM, «;», quoted fields, the statistics then the late list', async () => {
    const csv = (await renderSlaReport(data, 'csv')).body.toString('utf8');
    assert.ok(csv.startsWith('\uFEFFРазрез;Класс;Месяц;Обязательство;Всего;'));
    assert.equal(csv.indexOf('\uFEFF', 1), -1, 'one BOM');
    assert.match(csv, /\r\nШкола;;;p\/marks;5;1;4;3;2;0;0;0;3 ч 30 мин;1 д 6 ч\r\n/);
    assert.match(csv, /\r\n10Б;"Физика; углублённая";—;p\/marks;—;—;≈ 1 д 6 ч;журнал;00000003\r\n/);
    assert.match(csv, /\r\n5А;Математика;12\.10\.2025;p\/marks;15\.10\.2025 до 24:00;16\.10\.2025 02:00;2 ч;журнал;00000002\r\n/);
  });

  it('HTML escapes every text; the PDF is the same report in Russian (pdftotext)', async () => {
    const html = (await renderSlaReport(data, 'html')).body.toString('utf8');
    assert.ok(!html.includes('<script>x'), 'escaped');
    assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.match(html, /Лицей «Вектор» &lt;№ 1&gt;/);
    const pdf = await renderSlaReport(data, 'pdf');
    assert.equal(pdf.contentType, 'application/pdf');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sla-pdf-')), 'r.pdf');
    fs.writeFileSync(file, pdf.body);
    // pdftotext may drop the spaces inside narrow cells, so compare without whitespace.
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    for (const s of ['Соблюдение сроков ведения электронного дневника', 'По обязательствам', 'По классам', 'По месяцам', 'Записи с опозданием и невыполненные', '15.10.2025 до', 'не выполнено', '≈ 1 д 6 ч']) {
      assert.ok(text.includes(s.replace(/\s+/g, '')), `PDF text has «${s}»`);
    }
    assert.deepEqual((await renderSlaReport(data, 'pdf')).body, pdf.body, 'the same input gives the same bytes');
  });

  it('lists the profiles\' availability requirements (moscow-2017: around the clock) as not measured per record, only when there are any', async () => {
    const html = (await renderSlaReport(data, 'html')).body.toString('utf8');
    assert.ok(!html.includes('Требования к доступности'), 'no section without requirements');
    const withAccess = computeSlaReport(ROWS, { ...META, availability: [{ key: 'moscow-2017/around-the-clock', title: 'Доступ к электронному дневнику круглосуточно', schedule: '24x7', profileTitle: 'Москва, 2017' }] });
    const html2 = (await renderSlaReport(withAccess, 'html')).body.toString('utf8');
    assert.match(html2, /Требования к доступности/);
    assert.match(html2, /в таблицах ниже не учитываются/);
    assert.match(html2, /moscow-2017\/around-the-clock[\s\S]*Доступ к электронному дневнику круглосуточно[\s\S]*круглосуточно, без выходных[\s\S]*Москва, 2017/);
    assert.ok(html2.indexOf('Требования к доступности') < html2.indexOf('По обязательствам'), 'right after the obligations');
  });
});
