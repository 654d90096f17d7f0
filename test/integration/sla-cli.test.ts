/**
 * `diary-gateway report sla` and `diary-gateway access-codes` end to end: the compiled CLI as a
 * child process, on a ledger file holding the synthetic school year (test/fixtures/sla), with a
 * configuration that carries `gateway.sla` and `schools[].sla`.
 *
 * Needs the lead's wiring: `registerReportCommands(program)` and `registerAccessCodeCommands(program)`
 * in src/cli/main.ts, and the `sla` fragments in config/gateway.schema.json.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/ledger';
import { runCli } from '../support/cli-process';
import { tmpDir } from '../support/harness';
import { repoRoot } from '../fixtures/sla/builders';
import { dataset, expected, replaySchoolYear } from '../fixtures/sla/school-year/replay';

describe('CLI: report sla and access-codes (child process)', function () {
  this.timeout(120_000);
  const dir = tmpDir('sla-cli-');
  const file = path.join(dir, 'ledger.sqlite');
  const config = path.join(dir, 'config.json');
  const exp = expected();
  const [from, to] = dataset().window;

  before(async () => {
    const ledger = openLedger({ driver: 'sqlite', path: file });
    await ledger.migrate();
    const replay = await replaySchoolYear(ledger);
    await replay.runtime.stop();
    await ledger.close();
    fs.writeFileSync(config, JSON.stringify({
      gateway: { ledger: { path: file }, admin: { enabled: false, port: 0 }, sla: { atRiskMinutes: 240 } },
      sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: 'http://127.0.0.1:9/', token: '${PORTAL_TOKEN}' } }],
      schools: (['kamensk', 'moscow', 'rabitickaya'] as const).map((k) => ({
        id: exp[k].schoolId, name: `Школа (${exp[k].profile})`, timezone: exp[k].timeZone, sinks: ['portal'], sla: { profiles: [exp[k].profile] },
      })),
    }, null, 2));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('report sla --format json: the hand-computed summary of every profile', async () => {
    for (const k of ['kamensk', 'moscow', 'rabitickaya'] as const) {
      const r = await runCli(['-c', config, 'report', 'sla', '--school', exp[k].schoolId, '--from', from, '--to', to, '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const data = JSON.parse(r.stdout) as { summary: Array<{ obligation: string; total: number; onTime: number; late: number; missing: number }> };
      assert.deepEqual(data.summary.map((s) => [s.obligation.split('/')[1], s.total, s.onTime, s.late, s.missing]),
        exp[k].summary.map((s) => [s['obligation'], s['total'], s['onTime'], s['late'], s['missing']]), k);
    }
  });

  it('report sla --format csv -o FILE writes Excel CSV (BOM, ;) and a one-line summary; --strict exits 4', async () => {
    const out = path.join(dir, 'kamensk.csv');
    const r = await runCli(['-c', config, 'report', 'sla', '--school', exp.kamensk.schoolId, '--from', from, '--to', to, '--format', 'csv', '-o', out, '--strict']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /kamensk\.csv: csv, school kamensk-school-19, 2025-09-01\.\.2026-06-30: 25 record\(s\) with a deadline, 9 late, 3 missing/);
    const csv = fs.readFileSync(out, 'utf8');
    assert.ok(csv.startsWith('\uFEFFРазрез;Класс;Месяц;Обязательство;'));
    assert.match(csv, /\r\nШкола;;;kamensk-uralsky-19\/marks-entered;8;5;3;3;0;0;0;0;9 ч;1 д 10 ч\r\n/);
    assert.match(csv, /\r\nКласс;Предмет;Дата;Обязательство;Срок;Выполнено;Опоздание;Чья задержка;Запись\r\n/);
  });

  it('report sla --format pdf -o FILE: a PDF whose text (pdftotext) is the Russian report', async () => {
    const out = path.join(dir, 'moscow.pdf');
    const r = await runCli(['-c', config, 'report', 'sla', '--school', exp.moscow.schoolId, '--from', from, '--to', to, '--format', 'pdf', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(out).subarray(0, 5).toString(), '%PDF-');
    const text = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    assert.match(text, /Соблюдение сроков ведения электронного дневника/);
    assert.match(text, /Записи с опозданием и невыполненные/);
    assert.match(text, /2 д 9 ч 30 мин/);
    assert.match(text, /Требования к доступности/, 'moscow-2017 availability: access around the clock');
    assert.match(text, /Доступ к электронному дневнику круглосуточно/);
  });

  it('usage errors exit 2: a bad window, an unknown school, an unknown format', async () => {
    const bad = await runCli(['-c', config, 'report', 'sla', '--school', exp.kamensk.schoolId, '--from', '2026-13-01', '--to', to]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /GW_API_BAD_REQUEST/);
    const unknown = await runCli(['-c', config, 'report', 'sla', '--school', 'nope', '--from', from, '--to', to, '--format', 'json']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /GW_SCHOOL_UNKNOWN/);
    const format = await runCli(['-c', config, 'report', 'sla', '--school', exp.kamensk.schoolId, '--from', from, '--to', to, '--format', 'xls']);
    assert.equal(format.code, 2);
  });

  it('access-codes register (after hours), list --open, issue: the 5-working-day deadline from the CLI', async () => {
    const reg = await runCli(['-c', config, '--json', 'access-codes', 'register', '--school', exp.kamensk.schoolId, '--family', 'REQ-CLI-1', '--received-at', '2025-12-30T14:30:00Z']);
    assert.equal(reg.code, 0, reg.stderr);
    const v = JSON.parse(reg.stdout) as { id: number; registeredAt: string; dueDate: string; movedToNextWorkingDay: boolean; registeredBy: string };
    assert.deepEqual([v.registeredAt, v.dueDate, v.movedToNextWorkingDay], ['2026-01-12T04:00:00.000Z', '2026-01-19', true]);
    assert.match(v.registeredBy, /^cli:/);
    const list = await runCli(['-c', config, 'access-codes', 'list', '--school', exp.kamensk.schoolId, '--open']);
    assert.equal(list.code, 4, 'an overdue open request needs attention');
    assert.match(list.stdout, new RegExp(`^${v.id}\\s+kamensk-school-19\\s+REQ-CLI-1\\s.*overdue`, 'm'));
    const issue = await runCli(['-c', config, 'access-codes', 'issue', String(v.id), '--issued-at', '2026-01-19T10:00:00Z']);
    assert.equal(issue.code, 0, issue.stderr);
    assert.match(issue.stdout, /due 2026-01-19T19:00:00.000Z \(2026-01-19\), issued, issued 2026-01-19T10:00:00.000Z by cli:/);
    const twice = await runCli(['-c', config, '--json', 'access-codes', 'issue', String(v.id), '--issued-at', '2026-01-19T11:00:00Z']);
    assert.equal(twice.code, 3, 'a conflict is a failure, not a usage error');
    const err = (JSON.parse(twice.stdout) as { error: { code: string; class: string; issues: Array<{ path: string }> } }).error;
    assert.deepEqual([err.code, err.class, err.issues[0]?.path], ['GW_ACCESS_CODE_CONFLICT', 'permanent', '/params/id']);
    const open = await runCli(['-c', config, 'access-codes', 'register', '--school', exp.kamensk.schoolId, '--family', 'REQ-CLI-2', '--received-at', '2026-02-02T05:00:00Z']);
    assert.equal(open.code, 0, open.stderr);
    const again = await runCli(['-c', config, 'access-codes', 'register', '--school', exp.kamensk.schoolId, '--family', 'REQ-CLI-2', '--received-at', '2026-02-03T05:00:00Z']);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /error GW_ACCESS_CODE_CONFLICT \(permanent\): School kamensk-school-19 already has open access-code request \d+/);
    assert.match(again.stderr, /access-codes list --school/, 'the remedy says how to find the open request');
    const name = await runCli(['-c', config, 'access-codes', 'register', '--school', exp.kamensk.schoolId, '--family', 'Иванова']);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /--family|familyRef/);
  });

  it('a school\'s own profile (config/regulations/README.md «Writing your own») from gateway.sla.regulationDirs: the report judges by it; without the folder it is a config error', async () => {
    // A copy of the ledger, so that judging the Moscow school by another profile leaves the other tests' rows alone.
    const own = path.join(dir, 'own.sqlite');
    for (const ext of ['', '-wal', '-shm']) if (fs.existsSync(file + ext)) fs.copyFileSync(file + ext, own + ext);
    const block = (regulationDirs: string[]): string => {
      const f = path.join(dir, `own-${regulationDirs.length}.json`);
      fs.writeFileSync(f, JSON.stringify({
        gateway: { ledger: { path: own }, admin: { enabled: false, port: 0 }, sla: { regulationDirs } },
        sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: 'http://127.0.0.1:9/', token: '${PORTAL_TOKEN}' } }],
        schools: [{ id: exp.moscow.schoolId, name: 'МАОУ «Гимназия № 5»', timezone: exp.moscow.timeZone, sinks: ['portal'], sla: { profiles: ['gymnasium-5-2025'] } }],
      }));
      return f;
    };
    const withDir = block([path.join(repoRoot(), 'test', 'fixtures', 'sla', 'regulations', 'custom')]);
    const r = await runCli(['-c', withDir, 'report', 'sla', '--school', exp.moscow.schoolId, '--from', from, '--to', to, '--format', 'csv']);
    assert.equal(r.code, 0, r.stderr);
    // Hand-checked against dataset.json: 1 working day after the lesson, the working Saturday 01.11.2025 and the New Year holidays counted;
    // absences must be visible by 12:00 the day after the lesson (none of them was delivered).
    assert.match(r.stdout, /\r\nШкола;;;gymnasium-5-2025\/marks-next-working-day;8;2;6;6;0;0;0;0;/);
    assert.match(r.stdout, /\r\nШкола;;;gymnasium-5-2025\/absences-by-noon;4;0;0;0;0;4;0;0;/);
    assert.match(r.stdout, /\r\n5А;Русский язык;31\.10\.2025;gymnasium-5-2025\/marks-next-working-day;01\.11\.2025 до 24:00;05\.11\.2025 15:00;3 д 15 ч;журнал;/);
    assert.match(r.stdout, /\r\n7Б;Русский язык;30\.12\.2025;gymnasium-5-2025\/marks-next-working-day;12\.01\.2026 до 24:00;13\.01\.2026 08:00;8 ч;журнал;/);
    assert.match(r.stdout, /\r\n5А;Русский язык;31\.10\.2025;gymnasium-5-2025\/absences-by-noon;01\.11\.2025 12:00;не выполнено;/);
    // Without the folder the profile is unknown: a configuration error, not a report without it.
    const without = await runCli(['-c', block([]), 'report', 'sla', '--school', exp.moscow.schoolId, '--from', from, '--to', to, '--format', 'json']);
    assert.equal(without.code, 2, without.stdout);
    assert.match(without.stderr, /GW_CONFIG_INVALID[\s\S]*unknown regulation profile gymnasium-5-2025/);
    // validate-config checks the profiles, calendars and SLA settings too, without a ledger.
    const bad = await runCli(['-c', block([]), 'validate-config']);
    assert.equal(bad.code, 2, bad.stdout);
    assert.match(bad.stderr, /GW_CONFIG_INVALID[\s\S]*unknown regulation profile gymnasium-5-2025/);
    const good = await runCli(['-c', withDir, 'validate-config', '--json']);
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual((JSON.parse(good.stdout) as { sla?: { profiles: string[] } }).sla?.profiles, ['gymnasium-5-2025']);
  });
});
