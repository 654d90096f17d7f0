/**
 * Weekly paper extracts in the assembled gateway (Gateway.create over a real SQLite file, fake
 * clock, triggered runs): the consent registry decides who gets paper, the scheduler takes the
 * ledger lock `extracts:<school>` and keeps one school's failure from the others, the register
 * rows land in the ledger with their weekly deadline, and the withdrawal purge destroys the
 * family's extracts (rows and PDF files, the class bundle carrying its pages) with an audit row,
 * and prints that class bundle again at once for the families left in it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContactDetails } from '../../src/core/consent';
import { nullLogger } from '../../src/core/logger';
import {
  consentPaperRecipients, EXTRACT_PURGE_FILES, EXTRACT_PURGE_ROWS, extractsLockName, parseIsoWeek, runWeeklyExtracts, type SchoolRunOutcome,
} from '../../src/families/extract';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { loadSchoolView } from '../../src/reports/ledger-view';
import { Gateway } from '../../src/runtime/gateway';
import { consentOf, type World } from '../fixtures/families/world';
import { seedFamiliesPrint, type Seeded } from '../fixtures/families-print/seed';
import { fakeClock, tmpDir } from '../support/harness';

const NOW = new Date('2025-11-17T02:00:00Z'); // Monday 07:00 in Yekaterinburg: week 2025-W46 has ended
const DUE = '2025-11-23T19:00:00.000Z'; // end of Sunday 23.11 school time

function rawConfig(dir: string): unknown {
  return {
    gateway: { ledger: { path: path.join(dir, 'ledger.sqlite') }, admin: { enabled: false, port: 0 }, families: { purgeAfterDays: 0 } },
    sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: 'http://127.0.0.1:9/', token: '${PORTAL_TOKEN}' } }],
    schools: [
      { id: 'school-7', name: 'МБОУ СОШ № 7', timezone: 'Asia/Yekaterinburg', sinks: ['portal'], families: { extracts: { outDir: path.join(dir, 'extracts') } } },
      // Its output folder is a file: every run of this school fails.
      { id: 'school-broken', name: 'Школа без папки', timezone: 'Europe/Moscow', sinks: ['portal'], families: { extracts: { outDir: path.join(dir, 'not-a-folder'), schedule: '0 8 * * 1' } } },
      { id: 'school-off', name: 'Школа без выписок', timezone: 'Europe/Moscow', sinks: ['portal'], families: { extracts: { enabled: false } } },
    ],
  };
}

const text = (file: string): string => execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });

describe('families: weekly paper extracts in the gateway', function () {
  this.timeout(60_000);
  let dir: string;
  let gw: Gateway;
  let seeded: Seeded;
  let db: ReturnType<SqliteLedger['database']>;
  const s = (src: string): string => seeded.id('person', src);
  const iso = NOW.toISOString();
  const contacts = (c: Partial<ContactDetails>): ContactDetails => ({ emails: [], phones: [], channels: [], form: 'paper', evidenceRef: 'CONTACTS-1', givenAt: '2025-09-02', ...c });

  before(async () => {
    dir = tmpDir('extracts-gw-');
    writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    gw = await Gateway.create({ rawConfig: rawConfig(dir), log: nullLogger, clock: fakeClock(NOW), simulators: false, env: { PORTAL_TOKEN: 'portal-token-0123456789' } });
    seeded = await seedFamiliesPrint(gw.ledger);
    db = (gw.ledger as SqliteLedger).database();
    const w = { schoolId: seeded.schoolId, id: (_e: string, src: string) => s(src) } as unknown as World;
    const store = gw.families.store;
    // s1: a valid portal and e-mail consent with an address → no paper.
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal', 'email'], contacts: contacts({ emails: ['elena@family.test'], channels: ['email'] }) }), 'test', iso);
    // s2: consent covers e-mail only, but the family gave only a phone for SMS → reached nowhere → paper (no access).
    await store.register(consentOf(w, 's2', 'g2', { channels: ['email'], contacts: contacts({ phones: ['+79001112233'], channels: ['sms'] }) }), 'test', iso);
    // s3: a refusal → paper.
    await store.register(consentOf(w, 's3', 'g3', { decision: 'refusal' }), 'test', iso);
    // s4: a valid portal consent, but the parent chose paper → paper.
    await store.register(consentOf(w, 's4', 'g4', { channels: ['portal'], contacts: contacts({ channels: ['paper'] }) }), 'test', iso);
  });
  after(async () => { await gw.stop(); });

  it('schedules each enabled school on its cron in its own zone (default Monday 07:00)', () => {
    gw.start();
    const next = gw.families.extractScheduler.nextRunAt('school-7');
    assert.ok(next, 'school-7 is scheduled');
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Yekaterinburg', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(next));
    assert.equal(local, 'Mon 07:00');
    const broken = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(gw.families.extractScheduler.nextRunAt('school-broken')!));
    assert.equal(broken, 'Mon 08:00');
    assert.equal(gw.families.extractScheduler.nextRunAt('school-off'), undefined, 'extracts.enabled false: not scheduled');
  });

  it('a run is skipped while another process holds the school\'s lock', async () => {
    const until = new Date(NOW.getTime() + 60_000).toISOString();
    assert.ok(await gw.ledger.tryLock(extractsLockName('school-7'), 'another-gateway', until, iso));
    const out = await gw.families.extractScheduler.runSchool('school-7');
    assert.equal(out.status, 'locked');
    assert.equal(db.prepare('SELECT COUNT(*) FROM paper_extracts').pluck().get(), 0);
    await gw.ledger.unlock(extractsLockName('school-7'), 'another-gateway');
  });

  it('a triggered run makes the week\'s extracts for the paper families only, with register rows and the deadline; a failing school does not stop the others', async () => {
    const outcomes = await gw.families.extractScheduler.runAll();
    const by = new Map(outcomes.map((o) => [o.schoolId, o]));
    assert.deepEqual([...by.keys()].sort(), ['school-7', 'school-broken'], 'disabled school not run');
    assert.equal(by.get('school-broken')?.status, 'failed');
    const done = by.get('school-7') as Extract<SchoolRunOutcome, { status: 'done' }>;
    assert.equal(done.status, 'done');
    assert.deepEqual([done.result.week.id, done.result.dueAt], ['2025-W46', DUE]);
    assert.deepEqual(done.result.families.map((f) => f.studentId).sort(), [s('s2'), s('s3'), s('s4')].sort(), 'not s1: its valid electronic consent reaches the family');
    const rows = db.prepare("SELECT student_id, week, week_start, week_end, state, due_at, version, pdf_path FROM paper_extracts WHERE school_id = 'school-7' ORDER BY student_id").all() as Array<Record<string, string | number>>;
    assert.equal(rows.length, 3);
    for (const r of rows) {
      assert.deepEqual([r['week'], r['week_start'], r['week_end'], r['state'], r['due_at'], r['version']], ['2025-W46', '2025-11-10', '2025-11-16', 'generated', DUE, 1]);
      assert.ok(existsSync(String(r['pdf_path'])), 'the family PDF is on disk where the register says');
    }
    const carried = db.prepare('SELECT COUNT(*) FROM paper_extract_records x JOIN paper_extracts e ON e.id = x.extract_id WHERE e.student_id = ?').pluck().get(s('s3'));
    assert.ok(Number(carried) > 0, 'the records each extract carried are registered');
    const bundle = done.result.classes[0]!.file!;
    const t = text(bundle);
    for (const n of ['Петрова Анна', 'Сидоров Пётр', 'Андреева Мария']) assert.ok(t.includes(n), n);
    assert.ok(!t.includes('Иванов Иван'));
    assert.equal(await gw.ledger.lockHolder(extractsLockName('school-7')).then((h) => h === undefined || h.until <= iso || h.owner !== gw.owner), true, 'lock released');
  });

  it('a withdrawal routes the family to paper until the purge; the purge destroys its extracts and files and leaves the audit row', async () => {
    const store = gw.families.store;
    const [s1consent] = await store.list({ schoolId: seeded.schoolId, childId: s('s1') });
    await store.withdraw(s1consent!.id, { evidenceRef: 'WITHDRAWAL-1' }, 'test', iso);
    const run1 = await gw.families.extractScheduler.runSchool('school-7') as Extract<SchoolRunOutcome, { status: 'done' }>;
    const ivanov = run1.result.families.find((f) => f.studentId === s('s1'));
    assert.ok(ivanov?.file && existsSync(ivanov.file), 'a withdrawn family gets paper until its data is destroyed');
    assert.deepEqual(run1.result.families.filter((f) => f.studentId !== s('s1')).map((f) => f.created), [false, false, false], 'unchanged weeks: no new versions');
    const bundle = run1.result.classes[0]!.file!;
    assert.ok(text(bundle).includes('Иванов Иван'));
    // A manual run of the same week into another folder (CLI `extracts --out`): a second copy of the bundle with Иван's pages.
    const copy = await runWeeklyExtracts({ ledger: gw.ledger, register: gw.families.extracts, recipients: consentPaperRecipients(gw.families.store, () => NOW), now: () => NOW, log: nullLogger },
      { schoolId: 'school-7', schoolName: 'МБОУ СОШ № 7', timeZone: 'Asia/Yekaterinburg', week: parseIsoWeek('2025-W46'), outDir: path.join(dir, 'printed-by-hand') });
    const bundleCopy = copy.classes[0]!.file!;
    assert.ok(bundleCopy !== bundle && text(bundleCopy).includes('Иванов Иван'));

    const viewBefore = await loadSchoolView(gw.ledger, seeded.schoolId, ['person', 'mark', 'guardian_link', 'membership']);
    const report = await store.purgeWithdrawn(iso);
    const entry = report.entries.find((e) => e.childId === s('s1'));
    assert.ok(entry, 'purged');
    assert.deepEqual([entry.destroyed.other?.[EXTRACT_PURGE_ROWS], entry.destroyed.other?.[EXTRACT_PURGE_FILES]], [1, 3], 'one register row; the family PDF and both copies of the class bundle with its pages');
    assert.ok(!existsSync(ivanov.file), 'the family PDF is destroyed');
    // The class bundle that carried its pages was destroyed and, once the purge committed, printed again for the families left in it.
    assert.ok(existsSync(bundle), 'the class bundle is on disk again right after the purge');
    const reprinted = text(bundle);
    assert.ok(!reprinted.includes('Иванов Иван') && !reprinted.includes('Иванова Елена'), 'nothing of the purged family in the reprinted bundle');
    for (const n of ['Петрова Анна', 'Сидоров Пётр', 'Андреева Мария']) assert.ok(reprinted.includes(n), `${n} still in the bundle`);
    const copyAfter = text(bundleCopy);
    assert.ok(!copyAfter.includes('Иванов Иван') && copyAfter.includes('Петрова Анна'), 'the copy in the other folder was found, destroyed and reprinted too');
    assert.equal(db.prepare("SELECT COUNT(*) FROM paper_extracts WHERE school_id = 'school-7' AND week = '2025-W46'").pluck().get(), 3, 'the others keep their extracts: no new versions');
    assert.equal(await gw.ledger.lockHolder(extractsLockName('school-7')).then((h) => h === undefined || h.until <= iso), true, 'the reprint released the lock');
    assert.equal(db.prepare('SELECT COUNT(*) FROM paper_extracts WHERE student_id = ?').pluck().get(s('s1')), 0);
    assert.equal(db.prepare('SELECT COUNT(*) FROM paper_extract_records WHERE extract_id = ?').pluck().get(ivanov.extract.id), 0);
    // Reports, extracts and forecasts never see a purged stub: the child's and its parent's records are simply gone from the view.
    const viewAfter = await loadSchoolView(gw.ledger, seeded.schoolId, ['person', 'mark', 'guardian_link', 'membership']);
    assert.equal(viewBefore.all('person').length - viewAfter.all('person').length, 2, 'Иван and his mother');
    assert.ok(viewBefore.all<{ studentId?: string }>('mark').some((m) => m.studentId === s('s1')));
    for (const t of ['person', 'mark', 'guardian_link', 'membership'] as const) {
      assert.ok(viewAfter.all<Record<string, unknown>>(t).every((r) => r['purged'] === undefined), `no purged ${t} in the view`);
    }
    assert.equal(viewAfter.get(s('s1')), undefined);
    const audit = await store.purgeLog({ schoolId: seeded.schoolId, childId: s('s1') });
    assert.equal(audit[0]?.destroyed.other?.[EXTRACT_PURGE_ROWS], 1, 'the audit row says what was destroyed');

    // The next run: the purged family is not printed (nothing left to print), the bundle stays without its pages.
    const run2 = await gw.families.extractScheduler.runSchool('school-7') as Extract<SchoolRunOutcome, { status: 'done' }>;
    assert.equal(run2.status, 'done');
    assert.deepEqual(run2.result.families.map((f) => f.studentId).sort(), [s('s2'), s('s3'), s('s4')].sort());
    assert.ok(existsSync(bundle));
    const again = text(bundle);
    assert.ok(!again.includes('Иванов Иван') && !again.includes('Иванова Елена'), 'nothing of the purged family in the reprinted bundle');
  });
});
