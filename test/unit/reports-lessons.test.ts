/**
 * Lesson statistics of class 8б against the curriculum plan, first quarter (01.09–24.10.2025:
 * 40 study days), from a real SQLite ledger seeded with the hand-computed fixture.
 *
 * Timetable: Алгебра Mon/Wed/Fri (24 slots), Русский Mon/Tue/Thu/Fri (32), Английский (subgroup)
 * Tue/Wed/Thu (24), Физ-ра Tue/Thu (16). Changes: Алгебра 12.09 cancelled, 01.10 distance,
 * 03.10 substitute; Русский 16.09 moved to 17.09 (two records: old slot, new slot), 21.10
 * cancelled; Физ-ра 02.09 and 04.09 left `scheduled`. Derived plan = hours × 40 / 5.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../../src/core/errors';
import type { Ledger } from '../../src/core/ledger';
import { buildLessonStats, loadSchoolView, parseCurriculumPlan, renderReport, REPORT_ENTITIES, type LessonStatsRow, type SchoolView } from '../../src/reports';
import { loadCalendarSet } from '../../src/sla';
import { tmpLedger } from '../support/harness';
import { seedFamiliesPrint } from '../fixtures/families-print/seed';

const pick = (r: LessonStatsRow | undefined): unknown[] => (r ? [r.plannedPeriod, r.plannedToDate, r.held, r.inPerson, r.distant, r.substituted, r.movedAway, r.cancelled, r.fulfilment, r.behind, r.controlWorks, r.marks, r.average, r.quality] : []);

describe('reports: lesson statistics against the curriculum plan', () => {
  let ledger: Ledger;
  let dir: string;
  let view: SchoolView;
  before(async () => {
    ({ ledger, dir } = await tmpLedger());
    const seeded = await seedFamiliesPrint(ledger);
    view = await loadSchoolView(ledger, seeded.schoolId, REPORT_ENTITIES);
  });
  after(async () => ledger.close());
  const base = { schoolName: 'МБОУ СОШ № 7', classKey: '8б', periodKey: 'I четверть', generatedAt: '2025-10-27T04:00:00Z', timeZone: 'Asia/Yekaterinburg' };

  it('whole quarter with the plan derived from the teaching load', () => {
    const s = buildLessonStats({ view, ...base, calendar: loadCalendarSet().federal });
    assert.deepEqual([s.planSource, s.studyDaysPeriod, s.studyDaysToDate, s.asOf], ['derived', 40, 40, '2025-10-24']);
    assert.deepEqual(s.rows.map((r) => r.title), ['Алгебра', 'Английский язык (8б англ. 1 гр.)', 'Русский язык', 'Физическая культура']);
    //                                         plan toDate held pers dist subst moved canc  %     behind ctrl marks avg  quality
    assert.deepEqual(pick(s.rows[0]), [24, 24, 23, 22, 1, 1, 0, 1, 95.8, 1, 2, 8, 3.88, 62.5]);
    assert.deepEqual(pick(s.rows[1]), [24, 24, 24, 24, 0, 0, 0, 0, 100, undefined, 0, 0, undefined, undefined]);
    assert.deepEqual(pick(s.rows[2]), [32, 32, 31, 31, 0, 0, 1, 1, 96.9, 1, 1, 0, undefined, undefined]);
    assert.deepEqual(pick(s.rows[3]), [16, 16, 16, 16, 0, 0, 0, 0, 100, undefined, 0, 0, undefined, undefined]);
    assert.deepEqual(pick(s.total), [96, 96, 94, 93, 1, 1, 1, 2, 97.9, 2, 3, 8, 3.88, 62.5]);
  });

  it('up to 30.09: the plan to date is pro rata by study days (22 of 40)', () => {
    const s = buildLessonStats({ view, ...base, asOf: '2025-09-30' });
    assert.equal(s.studyDaysToDate, 22);
    assert.deepEqual(pick(s.rows[0]), [24, 13, 12, 12, 0, 0, 0, 1, 92.3, 1, 1, 4, 4, 75]);
    assert.deepEqual(pick(s.rows[2]).slice(0, 10), [32, 18, 18, 18, 0, 0, 1, 0, 100, undefined]);
  });

  it('with the school plan file: unknown subjects are skipped, unplanned ones shown without a plan', () => {
    const plan = parseCurriculumPlan({
      title: 'Учебный план 8б на 2025/26',
      entries: [{ subject: 'Алгебра', planned: 26, controlWorks: 2 }, { subject: 'Английский язык', group: '8б англ. 1 гр.', planned: 24 },
        { subject: 'Русский язык', planned: 32 }, { subject: 'Информатика', planned: 8 }],
    });
    const s = buildLessonStats({ view, ...base, plan });
    assert.equal(s.planSource, 'file');
    assert.deepEqual(pick(s.rows[0]).slice(0, 10), [26, 26, 23, 22, 1, 1, 0, 1, 88.5, 3]);
    assert.equal(s.rows[3]?.plannedPeriod, undefined, 'Физ-ра is not in the plan');
    assert.deepEqual([s.total.plannedPeriod, s.total.held, s.total.fulfilment, s.total.behind], [82, 94, 95.1, 4]);
    const csv = renderReport(s.doc, 'csv');
    return csv.then((b) => {
      const text = b.toString('utf8');
      assert.match(text, /^Алгебра;26;26;23;88,5;3\r$/m);
      assert.match(text, /^Алгебра;22;1;1;0;1\r$/m);
      assert.match(text, /^Алгебра;2 из 2;8;3,88;62,5\r$/m);
      assert.match(text, /^Итого;82;82;94;95,1;4\r$/m);
      assert.match(text, /^Проведённые уроки по видам\r$/m);
    });
  });

  it('a plan file that does not match the schema is a bad request listing the paths', () => {
    const e = (() => { try { parseCurriculumPlan({ entries: [{ subject: 'Алгебра', planned: -1 }, { planned: 3 }] }); return undefined; } catch (x) { return x; } })();
    assert.ok(e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST', String(e));
    assert.deepEqual(e.issues.map((i) => i.path).sort(), ['/entries/0/planned', '/entries/1']);
  });

  it('HTML and PDF in Russian', async () => {
    const s = buildLessonStats({ view, ...base });
    const html = (await renderReport(s.doc, 'html')).toString('utf8');
    assert.match(html, /<h1>Выполнение учебного плана: 8б<\/h1>/);
    assert.match(html, /Учебных дней в периоде: 40, по 24\.10\.2025: 40\./);
    assert.match(html, /<td>Русский язык<\/td><td class="r">32<\/td><td class="r">32<\/td><td class="r">31<\/td><td class="r">96,9<\/td><td class="r">1<\/td><\/tr>/);
    assert.match(html, /<td>Русский язык<\/td><td class="r">31<\/td><td class="r">0<\/td><td class="r">0<\/td><td class="r">1<\/td><td class="r">1<\/td><\/tr>/);
    const file = join(dir, 'lessons.pdf');
    writeFileSync(file, await renderReport(s.doc, 'pdf'));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const t of ['Выполнение учебного плана: 8б', 'Английский язык (8б англ. 1 гр.)', 'Дистанционно', 'Отменено', 'Результаты', 'Итого', '97,9']) assert.ok(text.includes(t), `${t} in:\n${text}`);
  });
});
