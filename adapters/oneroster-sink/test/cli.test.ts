/**
 * `diary-gateway export oneroster` as registered by src/cli/export.ts, run in-process on a
 * program with the global options main.ts defines, against a config naming a real ledger file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import nock from 'nock';
import { registerExportCommands } from '../../../src/cli/export';
import { fakeClock, tmpDir } from '../../../test/support/harness';
import { filledLedger, NOW, SCHOOL } from './helpers';

interface Run { code: number | undefined; out: string; err: string }

async function run(args: string[]): Promise<Run> {
  const program = new Command().option('-c, --config <file>').option('--json').exitOverride();
  registerExportCommands(program);
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  const prev = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'diary-gateway', ...args]);
    return { code: typeof process.exitCode === 'number' ? process.exitCode : undefined, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = prev;
  }
}

describe('diary-gateway export oneroster (CLI)', function () {
  this.timeout(60_000);
  let env: Awaited<ReturnType<typeof filledLedger>>;
  let dir: string;
  let config: string;
  before(() => nock.enableNetConnect());
  beforeEach(async () => {
    env = await filledLedger(fakeClock(NOW));
    dir = tmpDir('dgw-or-cli-');
    config = path.join(dir, 'gateway.json');
    fs.writeFileSync(config, JSON.stringify({
      gateway: { ledger: { driver: 'sqlite', path: env.file }, admin: { enabled: false, host: '127.0.0.1', port: 0, tokensEnv: 'DIARY_GATEWAY_ADMIN_TOKENS' } },
      sinks: [],
      schools: [{
        id: SCHOOL, name: 'МБОУ СОШ № 7', timezone: 'Europe/Moscow', sinks: [],
        sources: [{ id: 'or', adapter: 'oneroster-source', schedule: '*/15 7-20 * * 1-6', config: { mode: 'csv', csvPath: '${OR_CSV}' } }],
      }],
    }));
  });
  afterEach(async () => { await env.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('writes a bulk package and stores the watermark of its destination; a bare --delta after it continues from there and is empty', async () => {
    const first = await run(['-c', config, 'export', 'oneroster', '--school', SCHOOL, '--out', path.join(dir, 'p1')]);
    assert.equal(first.code, 0, first.err);
    const m = /watermark of oneroster-csv:(.+) now at revision (\d+); next time run\n {2}diary-gateway export oneroster --school school-1 --out <new folder beside this one> --delta\n/.exec(first.out);
    assert.ok(m, first.out);
    assert.equal(m[1], path.resolve(dir));
    assert.match(first.out, /OneRoster 1\.2 bulk package of school-1: orgs 1, /);
    assert.ok(fs.existsSync(path.join(dir, 'p1', 'manifest.csv')));
    const second = await run(['-c', config, '--json', 'export', 'oneroster', '--school', SCHOOL, '--out', path.join(dir, 'p2'), '--delta']);
    assert.equal(second.code, 0, second.err);
    const res = JSON.parse(second.out) as { ok: boolean; mode: string; since: string; sinceRevision: number; highWater: number; files: Record<string, number> };
    assert.deepEqual([res.ok, res.mode, res.since, res.sinceRevision, res.highWater, res.files], [true, 'delta', 'watermark', Number(m[2]), Number(m[2]), {}]);
    // An explicit start still wins over the watermark, and --destination keeps a separate one.
    const third = await run(['-c', config, '--json', 'export', 'oneroster', '--school', SCHOOL, '--out', path.join(dir, 'p3'), '--delta', '--since-revision', '0', '--destination', 'lms']);
    assert.equal(third.code, 0, third.err);
    const t = JSON.parse(third.out) as { since: string; files: Record<string, number>; watermark: { destination: string } };
    assert.equal(t.since, 'argument');
    assert.ok((t.files.results ?? 0) > 0);
    assert.equal(t.watermark.destination, 'oneroster-csv:lms');
  });

  it('bad usage exits 2 with the reason: a delta with no export recorded there, a revision without --delta, an unknown school', async () => {
    const cases: [string[], RegExp][] = [
      [['--delta'], /No complete export of school school-1 to oneroster-csv:.* is recorded/],
      [['--since-revision', '5'], /goes with --delta/],
      [['--utc-offset', '3'], /utc-offset/],
    ];
    for (const [extra, why] of cases) {
      const r = await run(['-c', config, 'export', 'oneroster', '--school', SCHOOL, '--out', path.join(dir, 'x'), ...extra]);
      assert.equal(r.code, 2, extra.join(' '));
      assert.match(r.err, why);
    }
    const unknown = await run(['-c', config, 'export', 'oneroster', '--school', 'nope', '--out', path.join(dir, 'y')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /GW_SCHOOL_UNKNOWN/);
    assert.ok(!fs.existsSync(path.join(dir, 'x')) && !fs.existsSync(path.join(dir, 'y')), 'nothing written');
  });
});
