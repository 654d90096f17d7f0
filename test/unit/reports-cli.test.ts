/**
 * The families-print CLI commands, registered on a fresh commander program as main.ts will do,
 * against a real SQLite ledger file seeded with the fixture: report summary / lessons to files,
 * extracts for every student of a class into a folder, and usage errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { GatewayConfig } from '../../src/infra/config';
import { openLedger } from '../../src/ledger';
import { registerFamiliesPrint, type FamiliesPrintDeps } from '../../src/cli/families-print';
import { extractsLockName } from '../../src/families/extract/schedule';
import { tmpLedger } from '../support/harness';
import { seedFamiliesPrint, type Seeded } from '../fixtures/families-print/seed';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { consentOf, type World } from '../fixtures/families/world';

describe('cli: report and extracts commands', () => {
  let file: string;
  let dir: string;
  let deps: FamiliesPrintDeps;
  let seeded: Seeded;
  before(async () => {
    const t = await tmpLedger();
    ({ file, dir } = t);
    seeded = await seedFamiliesPrint(t.ledger);
    await t.ledger.close();
    const config = {
      gateway: { ledger: { driver: 'sqlite', path: file } },
      schools: [{ id: 'school-7', name: 'МБОУ СОШ № 7', timezone: 'Asia/Yekaterinburg', sources: [], sinks: [] }],
    } as unknown as GatewayConfig;
    deps = {
      globals: () => ({ config: 'test-config.json' }),
      openLedger: async () => { const ledger = openLedger({ driver: 'sqlite', path: file }); await ledger.migrate(); return { ledger, config }; },
      now: () => new Date('2025-11-17T02:00:00Z'),
    };
  });
  afterEach(() => { process.exitCode = undefined; });

  async function cli(...args: string[]): Promise<number> {
    const program = new Command().exitOverride();
    registerFamiliesPrint(program, deps);
    await program.parseAsync(['node', 'diary-gateway', ...args]);
    return Number(process.exitCode ?? 0);
  }

  it('report summary --format csv and report lessons --format pdf write their files', async () => {
    const csv = join(dir, 'svodnaya.csv');
    assert.equal(await cli('report', 'summary', '--school', 'school-7', '--class', '8б', '--period', 'I четверть', '--format', 'csv', '--out', csv), 0);
    assert.match(readFileSync(csv, 'utf8'), /^4;Сидоров П\. А\.;2;н\/а;3;4;3;2\r$/m);
    const pdf = join(dir, 'lessons.pdf');
    assert.equal(await cli('report', 'lessons', '--school', 'school-7', '--class', '8б', '--period', 'I четверть', '--as-of', '2025-09-30', '--out', pdf), 0);
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
  });

  it('extracts --all-students for a class writes one PDF per family and one per class, and lists them', async () => {
    const out = join(dir, 'extracts');
    assert.equal(await cli('extracts', '--school', 'school-7', '--week', '2025-W46', '--class', '8б', '--all-students', '--out', out), 0);
    const weekDir = join(out, 'school-7', '2025-W46');
    assert.ok(existsSync(join(weekDir, '8б.pdf')));
    assert.equal(readdirSync(join(weekDir, '8б')).filter((f) => f.endsWith('.pdf')).length, 4, 'four students in 8б');
    assert.ok(!existsSync(join(dir, 'paper-extracts.sqlite')), 'no register file of its own: the register is in the ledger');
    const ledger = openLedger({ driver: 'sqlite', path: file });
    try {
      const rows = (ledger as SqliteLedger).database().prepare("SELECT COUNT(*) FROM paper_extracts WHERE school_id = 'school-7' AND week = '2025-W46'").pluck().get();
      assert.equal(rows, 4, 'the register rows are in the ledger file');
    } finally { await ledger.close(); }
  });

  it('extracts without --all-students asks the consent registry: a valid portal consent gets none, a refusal and an unregistered family get paper', async () => {
    const ledger = openLedger({ driver: 'sqlite', path: file });
    const s = (src: string): string => seeded.id('person', src);
    try {
      await ledger.migrate();
      const store = new SqliteConsentStore(ledger);
      const w = { schoolId: 'school-7', id: (_e: string, src: string) => s(src) } as unknown as World;
      await store.register(consentOf(w, 's1', 'g1', { channels: ['portal'] }), 'test', '2025-11-01T00:00:00Z');
      await store.register(consentOf(w, 's3', 'g3', { decision: 'refusal' }), 'test', '2025-11-01T00:00:00Z');
    } finally { await ledger.close(); }
    const out = join(dir, 'extracts-registry');
    let printed = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => { printed += String(chunk); return true; }) as typeof process.stdout.write;
    try {
      deps.globals = () => ({ config: 'test-config.json', json: true });
      assert.equal(await cli('extracts', '--school', 'school-7', '--week', '2025-W46', '--out', out), 0);
      assert.equal(await cli('extracts', 'list', '--school', 'school-7', '--week', '2025-W46'), 0);
    } finally { process.stdout.write = write; deps.globals = () => ({ config: 'test-config.json' }); }
    const [summary] = printed.trim().split(/\n(?=[[{])/).map((t) => JSON.parse(t) as { families?: number });
    assert.equal(summary?.families, 3, 's2 (nothing registered), s3 (refusal), s4 (nothing registered); not s1 (portal consent)');
    const bundle = execFileSync('pdftotext', ['-raw', join(out, 'school-7', '2025-W46', '8б.pdf'), '-'], { encoding: 'utf8' });
    const handOver = bundle.split('\f')[0] ?? '';
    for (const n of ['Петрова Анна', 'Сидоров Пётр', 'Андреева Мария']) assert.ok(handOver.includes(n), `${n} on the hand-over list`);
    assert.ok(!bundle.includes('Иванов Иван'), 'the family with a valid portal consent gets no paper extract');
  });

  it('extracts generate takes the scheduled run\'s lock extracts:<school>: refused (3) while another process holds it, released after its own run', async () => {
    const out = join(dir, 'extracts-locked');
    const ledger = openLedger({ driver: 'sqlite', path: file });
    try {
      await ledger.migrate();
      assert.ok(await ledger.tryLock(extractsLockName('school-7'), 'gateway-1', '2025-11-17T03:00:00Z', '2025-11-17T02:00:00Z'));
      assert.equal(await cli('extracts', '--school', 'school-7', '--week', '2025-W46', '--class', '8б', '--all-students', '--out', out), 3);
      assert.ok(!existsSync(join(out, 'school-7')), 'nothing written while the gateway holds the lock');
      await ledger.unlock(extractsLockName('school-7'), 'gateway-1');
      assert.equal(await cli('extracts', '--school', 'school-7', '--week', '2025-W46', '--class', '8б', '--all-students', '--out', out), 0);
      assert.ok(existsSync(join(out, 'school-7', '2025-W46', '8б.pdf')));
      assert.ok(await ledger.tryLock(extractsLockName('school-7'), 'gateway-1', '2025-11-17T03:00:00Z', '2025-11-17T02:00:00Z'), 'the CLI released its lock');
      await ledger.unlock(extractsLockName('school-7'), 'gateway-1');
    } finally { await ledger.close(); }
  });

  it('usage errors: an unknown school (2), a bad week (2)', async () => {
    assert.equal(await cli('report', 'summary', '--school', 'nope', '--class', '8б', '--period', 'I четверть', '--out', join(dir, 'x.csv'), '--format', 'csv'), 2);
    assert.equal(await cli('extracts', '--school', 'school-7', '--week', '2025-W60', '--all-students'), 2);
  });
});
