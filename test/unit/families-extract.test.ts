/**
 * Weekly paper extracts from a real SQLite ledger seeded with canonical records (the fixture's
 * class 8б, week 2025-W46 = 10–16.11.2025, Asia/Yekaterinburg): what one family's extract
 * holds, the PDF read back with pdftotext (Russian texts, the forecast labelled as a forecast,
 * nothing of another family or not meant for parents), the class bundle with one family per
 * page, the register's versions and deadline (in the ledger's own tables), and a page rendered to PNG.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import {
  createExtractRegister, extractDueAt, isoWeekOf, lastFinishedWeek, parseIsoWeek, runWeeklyExtracts,
  type PaperRecipient, type PaperRecipients, type SqliteExtractRegister,
} from '../../src/families/extract';
import { GatewayError } from '../../src/core/errors';
import { ledgerForecastProvider } from '../../src/families/forecast-provider';
import { tmpLedger } from '../support/harness';
import { ingestRaw, seedFamiliesPrint, type Seeded } from '../fixtures/families-print/seed';

/** The consent registry's answer, as data: these students' families get paper. */
class ListedPaperFamilies implements PaperRecipients {
  constructor(private readonly list: PaperRecipient[]) {}
  async paperFamilies(): Promise<readonly PaperRecipient[]> { return this.list; }
}

/** The PDF's text in drawing order (a wrapped table cell stays together), whitespace collapsed; pages split by form feeds. */
function pdfText(file: string): string {
  return execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' }).replace(/[ \t\r\n]+/g, ' ');
}

describe('families/extract: ISO weeks and deadlines', () => {
  it('weeks, parsing and the last finished week in the school zone', () => {
    assert.deepEqual(isoWeekOf('2025-11-12'), { id: '2025-W46', year: 2025, week: 46, start: '2025-11-10', end: '2025-11-16' });
    assert.deepEqual([parseIsoWeek('2026-W01').start, parseIsoWeek('2020-W53').end, isoWeekOf('2027-01-01').id], ['2025-12-29', '2021-01-03', '2026-W53']);
    for (const bad of ['2025-W53', '2025-46', '2025-W00']) assert.throws(() => parseIsoWeek(bad), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST');
    // Monday 17 Nov 00:30 in Yekaterinburg is still Sunday 16 Nov in UTC.
    assert.equal(lastFinishedWeek(new Date('2025-11-16T19:30:00Z'), 'Asia/Yekaterinburg').id, '2025-W46');
    assert.equal(lastFinishedWeek(new Date('2025-11-16T19:30:00Z'), 'Europe/London').id, '2025-W45');
    assert.equal(extractDueAt(parseIsoWeek('2025-W46'), 'Asia/Yekaterinburg').toISOString(), '2025-11-23T19:00:00.000Z');
    assert.equal(extractDueAt(parseIsoWeek('2025-W46'), 'Asia/Vladivostok', 0).toISOString(), '2025-11-16T14:00:00.000Z');
  });
});

describe('families/extract: weekly paper extracts from the ledger', () => {
  let ledger: Ledger;
  let dir: string;
  let seeded: Seeded;
  let register: SqliteExtractRegister;
  const now = new Date('2025-11-17T02:00:00Z'); // Monday 07:00 in Yekaterinburg
  const recipients = (): ListedPaperFamilies => new ListedPaperFamilies([{ studentId: seeded.id('person', 's1'), reason: 'refused_electronic' }, { studentId: seeded.id('person', 's3'), reason: 'no_access' }]);
  const run = (at = now) => runWeeklyExtracts({ ledger, register, recipients: recipients(), now: () => at, log: nullLogger },
    { schoolId: seeded.schoolId, schoolName: 'МБОУ СОШ № 7', timeZone: seeded.timeZone, outDir: join(dir, 'out') });

  before(async () => {
    ({ ledger, dir } = await tmpLedger());
    seeded = await seedFamiliesPrint(ledger);
    register = createExtractRegister(ledger);
  });
  after(async () => { await ledger.close(); });

  it('assembles the week of one family as computed by hand', async () => {
    const res = await run();
    assert.deepEqual([res.week.id, res.dueAt, res.families.length, res.skipped], ['2025-W46', '2025-11-23T19:00:00.000Z', 2, []]);
    const ivanov = res.families.find((f) => f.studentId === seeded.id('person', 's1'))!;
    const d = ivanov.data;
    assert.deepEqual([d.student.name, d.classGroup.title, d.guardians, d.period?.title], ['Иванов Иван Петрович', '8б', ['Иванова Елена Викторовна'], 'II четверть']);
    assert.deepEqual(d.marks.map((m) => [m.date, m.subject, m.work, m.mark, m.weight, m.comment]), [
      ['2025-11-10', 'Алгебра', 'Контрольная работа № 2 «Дроби»', '5', 2, 'Аккуратное решение, молодец'],
      ['2025-11-13', 'Английский язык', 'Ответ на уроке', '4', 1, undefined],
      ['2025-11-13', 'Русский язык', 'Диктант', '3', 1, undefined],
    ]);
    assert.deepEqual(d.absences.map((a) => [a.date, a.subject, a.lesson, a.code, a.category, a.minutes]), [
      ['2025-11-11', 'Русский язык', 1, 'Б', 'по болезни', undefined], ['2025-11-14', 'Алгебра', 1, 'ОП', 'опоздание', 10],
    ]);
    assert.deepEqual(d.homework.map((h) => [h.due, h.subject, h.text]), [['2025-11-14', 'Русский язык', 'Упр. 112, выучить правило § 14'], ['2025-11-17', 'Алгебра', '№ 245, 247 (стр. 61)']]);
    assert.deepEqual(d.remarks.map((r) => [r.date, r.author]), [['2025-11-13', 'Смирнова О. И.']]);
    assert.deepEqual(d.upcoming.map((u) => [u.date, u.subject, u.kind]), [['2025-11-20', 'Алгебра', 'Контрольная работа']]);
    // Алгебра in II четверть: 4 (w1) + 3 (w1) + 5 (контрольная, w2) = 17/4 = 4.25 → 4; one mark elsewhere is not enough.
    assert.deepEqual(d.forecasts.map((f) => [f.subject, f.forecast.status, f.forecast.mark, f.forecast.average, f.forecast.counted]), [
      ['Алгебра', 'forecast', 4, 4.25, 3], ['Английский язык', 'insufficient_marks', undefined, 4, 1], ['Русский язык', 'insufficient_marks', undefined, 3, 1],
    ]);
    assert.equal(d.refs.length, 9, 'marks 3 + absences 2 + homework 2 + remark 1 + planned test 1');
    assert.deepEqual([ivanov.created, ivanov.extract.version, ivanov.extract.state, ivanov.extract.dueAt], [true, 1, 'generated', '2025-11-23T19:00:00.000Z']);
  });

  it('the family PDF, read back: Russian texts, the forecast labelled, nothing not meant for parents', async () => {
    const { families } = await run();
    const file = join(dir, 'ivanov.pdf');
    writeFileSync(file, families.find((f) => f.studentId === seeded.id('person', 's1'))!.pdf);
    const text = pdfText(file);
    for (const t of [
      'Еженедельная выписка из электронного дневника', 'Иванов Иван Петрович, 8б', 'с 10.11.2025 по 16.11.2025', 'пн 10.11 Алгебра Контрольная работа № 2 «Дроби» 5 2 Аккуратное решение, молодец', 'Иванова Елена Викторовна',
      'Срок вручения: не позднее 23.11.2025', 'Контрольная работа № 2 «Дроби»', 'Аккуратное решение, молодец', 'по болезни', 'опоздание, 10 мин',
      'Упр. 112', '№ 245, 247 (стр. 61)', 'Прошу обратить внимание на ведение тетради', 'Квадратные корни',
      'Прогноз отметок за II четверть (не является официальной отметкой)', 'Прогноз: 4 (ср. 4,25)', 'недостаточно отметок (1 из 3)',
      'не является официальной отметкой за период',
    ]) assert.ok(text.includes(t), `«${t}» in:\n${text}`);
    for (const t of ['Заметка только для ученика', 'Индивидуальное задание для Петровой', 'Упр. 98', 'ВПР', 'Прошедшая контрольная', 'Сидоров']) {
      assert.ok(!text.includes(t), `«${t}» must not be on Иванов's extract`);
    }
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(dir, 'ivanov-page')]);
    assert.ok(readdirSync(dir).some((f) => /^ivanov-page-0*1\.png$/.test(f)), 'page 1 rendered to PNG');
  });

  it('one PDF per class: a hand-over list, then each family from its own page', async () => {
    const { classes } = await run();
    assert.deepEqual(classes.map((c) => [c.title, c.families]), [['8б', 2]]);
    assert.ok(classes[0]!.file && existsSync(classes[0]!.file));
    const pages = pdfText(classes[0]!.file!).split('\f').filter((p) => p.trim());
    assert.match(pages[0]!, /Лист выдачи \(для классного руководителя\)/);
    assert.match(pages[0]!, /Иванов Иван Петрович/);
    assert.match(pages[0]!, /Сидоров Пётр Алексеевич/);
    const ivanov = pages.filter((p) => p.includes('Иванов Иван Петрович, 8б'));
    const sidorov = pages.filter((p) => p.includes('Сидоров Пётр Алексеевич, 8б'));
    assert.ok(ivanov.length === 1 && sidorov.length === 1, `pages: ${pages.length}`);
    assert.ok(!sidorov[0]!.includes('Аккуратное решение') && !sidorov[0]!.includes('Иванова Елена'), 'no other family on Сидоров\'s page');
    for (const t of ['Сидоров Алексей Юрьевич', 'Отметок за неделю нет', 'Пропусков и опозданий нет', 'Замечаний нет', 'Текущих отметок за период пока нет']) {
      assert.ok(sidorov[0]!.includes(t), `«${t}» on Сидоров's page:\n${sidorov[0]}`);
    }
  });

  it('re-running an unchanged week makes no new version; a late mark makes version 2 and supersedes version 1', async () => {
    const again = await run();
    assert.deepEqual(again.families.map((f) => [f.created, f.extract.version]), [[false, 1], [false, 1]]);
    await ingestRaw(ledger, seeded.schoolId, [{ entityType: 'mark', sourceId: 'k-s1-1114-late', fields: {
      kind: 'current', studentId: seeded.id('person', 's1'), subjectId: seeded.id('subject', 'alg'), markStatus: 'graded',
      value: { scale: 'five_point', raw: '4', numeric: 4 }, date: '2025-11-14', markedAt: '2025-11-17T03:00:00Z',
    } }], '2025-11-17T03:30:00Z', 'late');
    const later = await run(new Date('2025-11-17T04:00:00Z'));
    const iv = later.families.find((f) => f.studentId === seeded.id('person', 's1'))!;
    const si = later.families.find((f) => f.studentId === seeded.id('person', 's3'))!;
    assert.deepEqual([iv.created, iv.extract.version, si.created, si.extract.version], [true, 2, false, 1]);
    assert.equal(iv.data.forecasts[0]?.forecast.average, 4.2, '(4 + 3 + 10 + 4) / 5 = 4.20');
    const versions = await register.list({ schoolId: seeded.schoolId, week: '2025-W46', studentId: seeded.id('person', 's1') });
    assert.deepEqual(versions.map((v) => [v.version, v.state, v.supersededBy]), [[1, 'superseded', iv.extract.id], [2, 'generated', undefined]]);
    assert.ok(iv.file && existsSync(iv.file), 'the new version was written');
    assert.equal((await register.latest(seeded.schoolId, '2025-W46', seeded.id('person', 's1')))?.pdfPath, iv.file, 'the register knows where the PDF is');
  });

  it('hand-over, overdue and when a record was served on paper', async () => {
    const iv = await register.latest(seeded.schoolId, '2025-W46', seeded.id('person', 's1'));
    const si = await register.latest(seeded.schoolId, '2025-W46', seeded.id('person', 's3'));
    const markId = seeded.id('mark', 'k-s1-1110');
    assert.equal(await register.servedAt(markId), undefined);
    assert.equal(await register.markPrinted([iv!.id, si!.id], '2025-11-17T05:00:00Z'), 2);
    const done = await register.markHandedOver(iv!.id, 'teacher:smirnova', '2025-11-18T04:00:00Z');
    assert.deepEqual([done.state, done.handedOverBy, done.printedAt], ['handed_over', 'teacher:smirnova', '2025-11-17T05:00:00Z']);
    assert.equal(await register.servedAt(markId), '2025-11-18T04:00:00Z');
    assert.deepEqual((await register.overdue('2025-11-23T18:59:59Z')).map((x) => x.id), [], 'not overdue before the deadline');
    assert.deepEqual((await register.overdue('2025-11-23T19:00:01Z')).map((x) => x.studentId), [seeded.id('person', 's3')]);
    const old = (await register.list({ studentId: seeded.id('person', 's1'), state: 'superseded' }))[0]!;
    await assert.rejects(register.markHandedOver(old.id, 'x', '2025-11-18T05:00:00Z'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST');
    await assert.rejects(register.markHandedOver('nope', 'x', '2025-11-18T05:00:00Z'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_NOT_FOUND');
  });

  it('the e-mail digest\'s forecast section from the same ledger, worded as on the extract (late mark included)', async () => {
    const provider = ledgerForecastProvider(ledger, [{ id: seeded.schoolId, timezone: seeded.timeZone }]);
    const lines = await provider(seeded.schoolId, seeded.id('person', 's1'), new Date('2025-11-17T13:00:00Z'));
    assert.deepEqual(lines, [
      { subject: 'Алгебра', forecast: '4 (ср. 4,20)' },
      { subject: 'Английский язык', forecast: 'недостаточно отметок (1 из 3), ср. 4,00' },
      { subject: 'Русский язык', forecast: 'недостаточно отметок (1 из 3), ср. 3,00' },
    ]);
    assert.deepEqual(await provider('other-school', seeded.id('person', 's1'), new Date('2025-11-17T13:00:00Z')), []);
  });

  it('a class filter, and a recipient not enrolled that week is skipped', async () => {
    const res = await runWeeklyExtracts({ ledger, register, recipients: new ListedPaperFamilies([{ studentId: seeded.id('person', 's2') }, { studentId: seeded.id('person', 'g1') }]), now: () => now, log: nullLogger },
      { schoolId: seeded.schoolId, schoolName: 'МБОУ СОШ № 7', timeZone: seeded.timeZone, classKey: '8б' });
    assert.deepEqual([res.families.map((f) => f.data.student.name), res.skipped], [['Петрова Анна Сергеевна'], [seeded.id('person', 'g1')]]);
    assert.deepEqual(res.families[0]!.data.homework.map((h) => h.text), ['Упр. 112, выучить правило § 14', 'Индивидуальное задание для Петровой', '№ 245, 247 (стр. 61)']);
  });
});
