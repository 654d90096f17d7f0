/**
 * End-to-end tests of the `diary-gateway` CLI as a user runs it: `node dist/src/cli/main.js …`
 * as a child process, real simulators on 127.0.0.1, a real SQLite ledger in a temp folder per
 * suite (never the repo's data/). Exit codes are part of the contract: 0 ok · 1 internal ·
 * 2 usage or invalid config · 3 a source or sink failed · 4 needs attention.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../support/harness';
import { exitOf, repoRoot, runCli, spawnCli, startSimulateChild, waitForOutput, type SimulateInfo } from '../support/cli-process';
import { SIMULATORS } from '../../src/runtime/registry';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'cli');
const COMMANDS = ['run', 'validate-config', 'check', 'sync', 'status', 'deliveries', 'replay', 'quarantine', 'holds', 'simulate'];

/** The parts of config/demo.json the tests change. */
interface DemoConfig {
  $schema?: string;
  gateway: { ledger: { path: string }; admin: { enabled: boolean; port: number } };
  simulators?: unknown[];
  schools: Array<{ sources: Array<{ config: Record<string, unknown> }> }>;
}

/** A copy of config/demo.json with the ledger in `dir`, the admin API off, and optional changes. */
function demoConfig(dir: string, change: (c: DemoConfig) => void = () => undefined): string {
  const c = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'config', 'demo.json'), 'utf8')) as DemoConfig;
  delete c.$schema;
  c.gateway.ledger.path = path.join(dir, 'ledger.sqlite');
  c.gateway.admin.enabled = false;
  c.gateway.admin.port = 0;
  change(c);
  const file = path.join(dir, `config-${fs.readdirSync(dir).length}.json`);
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

const json = <T = unknown>(s: string): T => {
  try { return JSON.parse(s) as T; } catch { throw new Error(`stdout is not JSON:\n${s}`); }
};

describe('CLI: help and usage errors', function () {
  this.timeout(60_000);

  it('--help lists every command and the exit codes', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), `command ${c} listed`);
    assert.match(r.stdout, /Exit codes: 0 ok · 1 internal error · 2 bad usage or invalid configuration · 3 a source or sink failed/);
    assert.match(r.stdout, /· 4 done, but something needs attention/);
    assert.ok(r.stdout.includes(`Simulators: ${Object.keys(SIMULATORS).join(', ')}`), 'every registered simulator listed');
  });

  it('simulate --help and quarantine --help describe their options and subcommands', async () => {
    const sim = await runCli(['simulate', '--help']);
    assert.equal(sim.code, 0, sim.stderr);
    assert.match(sim.stdout, /Usage: diary-gateway simulate \[options\] <system>/);
    assert.match(sim.stdout, /--port <n>/);
    for (const name of Object.keys(SIMULATORS)) assert.ok(sim.stdout.includes(name), `simulator ${name} named`);
    const q = await runCli(['quarantine', '--help']);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /^  list\b/m);
    assert.match(q.stdout, /^  show <id>/m);
  });

  it('an unknown command exits 2 (usage) with a suggestion and the help', async () => {
    const r = await runCli(['synk', 'demo-school']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: unknown command 'synk'/);
    assert.match(r.stderr, /Did you mean sync\?/);
    assert.match(r.stderr, /Usage: diary-gateway/);
  });

  it('other usage errors exit 2 too: unknown option, missing argument, a non-numeric --limit', async () => {
    const opt = await runCli(['--bogus']);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /unknown option '--bogus'/);
    const arg = await runCli(['sync']);
    assert.equal(arg.code, 2);
    assert.match(arg.stderr, /missing required argument 'school'/);
    // Used to reach SQLite as NaN and exit 1 with "datatype mismatch" and a stack trace.
    const limit = await runCli(['deliveries', '--limit', 'lots', '-c', path.join(FIXTURES, 'valid.json')]);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /option '--limit <n>' argument 'lots' is invalid\. expected a whole number/);
    assert.doesNotMatch(limit.stderr, /SqliteError/);
  });
});

describe('CLI: validate-config', function () {
  this.timeout(60_000);

  it('a good config → exit 0 (the fixture and config/demo.json)', async () => {
    const r = await runCli(['validate-config', '-c', path.join(FIXTURES, 'valid.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid\.json: valid \(1 school\(s\), 1 sink\(s\)\)/);
    const demo = await runCli(['validate-config', '--json', '-c', 'config/demo.json']);
    assert.equal(demo.code, 0, demo.stderr);
    const out = json<{ ok: boolean; schools: Array<{ id: string; sources: string[]; sinks: string[] }>; sinks: string[] }>(demo.stdout);
    assert.equal(out.ok, true);
    assert.deepEqual(out.schools, [{ id: 'demo-school', sources: ['netschool (netschool-source)'], sinks: ['portal'] }]);
    assert.deepEqual(out.sinks, ['portal (rest-portal-sink)']);
  });

  const EXPECTED_PATHS = [
    '/gateway/logLevel',
    '/gateway/delivery/batchSize',
    '/sinks/0/config/baseUrl',
    '/schools/0/timezone',
    '/schools/0/sources/0/schedule',
    '/schools/0/sources/0/config/weeksBack',
    '/schools/0/sources/0/config/password',
    '/schools/0/sinks/1',
  ];

  it('a config with several errors → exit 2, stderr lists every problem with its JSON path', async () => {
    const r = await runCli(['validate-config', '-c', path.join(FIXTURES, 'several-errors.json')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error GW_CONFIG_INVALID/);
    for (const p of EXPECTED_PATHS) assert.match(r.stderr, new RegExp(`^  ${p.replace(/\//g, '\\/')}: \\S`, 'm'), `stderr names ${p}`);
    assert.match(r.stderr, /\/schools\/0\/sources\/0\/config\/password: secrets must be environment references/);
    assert.match(r.stderr, /names sink "smev3"/);
    assert.match(r.stderr, /what to do: /);
    assert.ok(!r.stderr.includes('literal-password-in-config'), 'the literal secret is not echoed');
  });

  it('--json prints the problems as parseable JSON with the same paths', async () => {
    const r = await runCli(['validate-config', '--json', '-c', path.join(FIXTURES, 'several-errors.json')]);
    assert.equal(r.code, 2);
    const out = json<{ ok: boolean; error: { code: string; remedy: string; issues: Array<{ path: string; message: string }> } }>(r.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.error.code, 'GW_CONFIG_INVALID');
    assert.deepEqual([...new Set(out.error.issues.map((i) => i.path))].sort(), [...EXPECTED_PATHS].sort());
    assert.ok(out.error.issues.every((i) => i.message.length > 0));
    assert.ok(!r.stdout.includes('literal-password-in-config'));
  });

  it('a missing file and broken JSON → exit 2 naming the file or the line', async () => {
    const dir = tmpDir('dgw-cli-cfg-');
    const missing = await runCli(['validate-config', '-c', path.join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json/);
    fs.writeFileSync(path.join(dir, 'broken.json'), '{\n  "gateway": {}\n  "schools": []\n}\n');
    const broken = await runCli(['validate-config', '-c', path.join(dir, 'broken.json')]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /line 3/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('CLI: simulate', function () {
  this.timeout(60_000);

  it('simulate netschool --port 0 --json prints URL and credentials; the URL answers; SIGINT → exit 0', async () => {
    const { child, info } = await startSimulateChild('netschool');
    try {
      assert.equal(info.system, 'netschool');
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(info.credentials.login && info.credentials.password, 'demo credentials printed');
      assert.equal(info.env.DIARY_SIM_NETSCHOOL_URL, info.url);
      assert.ok(info.faults.includes('malformed'));
      const res = await fetch(`${info.url}/webapi/logindata`);
      assert.equal(res.status, 200);
      const body = await res.json() as { productName?: string };
      assert.match(body.productName ?? '', /Сетевой Город/);
    } finally {
      child.kill('SIGINT');
    }
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
  });

  it('simulate rest-portal --port 0 --json: the token it prints opens the API; SIGINT → exit 0', async () => {
    const { child, info } = await startSimulateChild('rest-portal');
    try {
      assert.equal(info.system, 'rest-portal');
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const token = info.credentials.token;
      assert.ok(token && token.length >= 16, 'a bearer token printed');
      assert.equal((await fetch(`${info.url}/api/v1/health`)).status, 401);
      const ok = await fetch(`${info.url}/api/v1/health`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
    } finally {
      child.kill('SIGINT');
    }
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
  });

  it('simulate without --json prints address and credentials; Ctrl-C at once after the first line still exits 0', async () => {
    const { child, out } = spawnCli(['simulate', 'netschool', '--port', '0']);
    try {
      await waitForOutput(child, out, (s) => s.includes('\n'), 30_000, 'the first line');
    } finally {
      child.kill('SIGINT');
    }
    assert.deepEqual(await exitOf(child), { code: 0, signal: null }, 'the banner is printed after Ctrl-C is taken over');
    assert.match(out.stdout, /simulator listening at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out.stdout, /login: \S+/);
    assert.match(out.stdout, /export DIARY_SIM_NETSCHOOL_URL='http:\/\/127\.0\.0\.1:\d+'/);
    assert.match(out.stdout, /Ctrl-C stops it\.$/m);
  });

  it('an unknown simulator → exit 2 listing the known ones', async () => {
    const r = await runCli(['simulate', 'no-such-journal']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`unknown simulator no-such-journal; known: ${Object.keys(SIMULATORS).join(', ')}`), r.stderr);
  });
});

describe('CLI: check, sync, status, deliveries, replay with the demo config', function () {
  this.timeout(120_000);
  let dir: string;
  let config: string;
  let syncRun: { runId: string; status: string; counts: Record<string, number> } | undefined;

  before(() => {
    dir = tmpDir('dgw-cli-demo-');
    config = demoConfig(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check demo-school → exit 0 and says ok', async () => {
    const r = await runCli(['check', 'demo-school', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'demo-school/netschool (netschool-source): ok\n');
  });

  it('check with a wrong password (from an env var) → exit 3, names the error and the remedy', async () => {
    const wrong = 'Wrong-Password-42';
    const bad = demoConfig(dir, (c) => { c.schools[0]!.sources[0]!.config.password = '${TEST_NETSCHOOL_PASSWORD}'; });
    const r = await runCli(['check', 'demo-school', '-c', bad], { cwd: dir, env: { TEST_NETSCHOOL_PASSWORD: wrong } });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^demo-school\/netschool \(netschool-source\): FAILED GW_SRC_AUTH_FAILED: /);
    assert.match(r.stdout, /what to do: Check the login, password and school name/);
    assert.ok(!r.stdout.includes(wrong) && !r.stderr.includes(wrong), 'the password is not printed');
    const j = await runCli(['check', 'demo-school', '--json', '-c', bad], { cwd: dir, env: { TEST_NETSCHOOL_PASSWORD: wrong } });
    assert.equal(j.code, 3);
    const out = json<{ results: Array<{ ok: boolean; error?: { code: string; remedy: string } }> }>(j.stdout);
    assert.equal(out.results[0]?.ok, false);
    assert.equal(out.results[0]?.error?.code, 'GW_SRC_AUTH_FAILED');
    // The env var unset: a configuration error (2), naming the variable and the path.
    const unset = await runCli(['check', 'demo-school', '-c', bad], { cwd: dir });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /\/schools\/0\/sources\/0\/config\/password: environment variable TEST_NETSCHOOL_PASSWORD is not set/);
  });

  it('check of an unknown school → exit 2', async () => {
    const r = await runCli(['check', 'no-such-school', '-c', config], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /GW_SCHOOL_UNKNOWN.*no school no-such-school/);
  });

  it('sync demo-school --json → status ok with counts, everything queued is delivered', async () => {
    const r = await runCli(['sync', 'demo-school', '--json', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = json<{ school: string; runs: Array<NonNullable<typeof syncRun> & { streams: Record<string, string> }>; deliveries: Record<string, number> }>(r.stdout);
    assert.equal(out.school, 'demo-school');
    assert.equal(out.runs.length, 1);
    const run = out.runs[0]!;
    assert.equal(run.status, 'ok');
    assert.deepEqual(run.streams, { school_years: 'ok', roster: 'ok', diary: 'ok', attendance: 'ok', final_marks: 'ok' });
    const c = run.counts as Record<'read' | 'inserted' | 'updated' | 'unchanged' | 'quarantined' | 'enqueued', number>;
    assert.ok(c.read > 100 && c.inserted > 100, `read ${c.read}, new ${c.inserted}`);
    assert.equal(c.inserted + c.updated + c.unchanged + c.quarantined, c.read, 'every record read is accounted for');
    assert.equal(c.quarantined, 0);
    assert.equal(out.deliveries.delivered, run.counts.enqueued);
    for (const s of ['pending', 'in_flight', 'retry_wait', 'dead', 'rejected']) assert.equal(out.deliveries[s], 0, s);
    assert.ok(fs.existsSync(path.join(dir, 'ledger.sqlite')), 'the ledger is in the temp folder');
    syncRun = run;
  });

  it('status --json shows the run and the cursors', async () => {
    assert.ok(syncRun, 'needs the sync above');
    const r = await runCli(['status', '--json', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = json<{ stats: { records: number; quarantineOpen: number }; sources: Array<{ school: string; source: string; lastRun: { runId: string; status: string } | null; cursors: Array<{ stream: string; cursor: { v: number; position: string } }> }> }>(r.stdout);
    assert.equal(out.stats.records, syncRun.counts.inserted);
    assert.equal(out.stats.quarantineOpen, 0);
    assert.equal(out.sources.length, 1);
    const src = out.sources[0]!;
    assert.equal(src.school, 'demo-school');
    assert.equal(src.lastRun?.runId, syncRun.runId);
    assert.equal(src.lastRun?.status, 'ok');
    const streams = src.cursors.map((c) => c.stream);
    for (const s of ['diary', 'attendance']) assert.ok(streams.includes(s), `cursor for ${s}: ${streams.join(', ')}`);
    assert.ok(src.cursors.every((c) => c.cursor.v === 1 && c.cursor.position.length > 0));
  });

  it('status --verify says the ledger is consistent', async () => {
    const r = await runCli(['status', '--verify', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ledger consistent$/m);
    assert.match(r.stdout, /demo-school\s+netschool\s+\* \* \* \* \*\s+\S+\s+ok/);
  });

  it('deliveries --json lists delivered rows; --state dead is empty', async () => {
    const r = await runCli(['deliveries', '--json', '--limit', '5', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const rows = json<Array<{ id: number; sinkId: string; schoolId: string; state: string; attempts: number }>>(r.stdout);
    assert.equal(rows.length, 5);
    assert.ok(rows.every((d) => d.sinkId === 'portal' && d.schoolId === 'demo-school' && d.state === 'delivered' && d.attempts === 1));
    const dead = await runCli(['deliveries', '--state', 'dead', '--json', '-c', config], { cwd: dir });
    assert.equal(dead.code, 0);
    assert.deepEqual(json(dead.stdout), []);
  });

  it('quarantine list --json is empty', async () => {
    const r = await runCli(['quarantine', 'list', '--json', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r.stdout), []);
  });

  it('replay 999999 → exit 3, nothing replayed; replay --all-dead --json → {replayed: 0}', async () => {
    const one = await runCli(['replay', '999999', '-c', config], { cwd: dir });
    assert.equal(one.code, 3);
    assert.match(one.stderr, /delivery 999999: nothing replayed/);
    const all = await runCli(['replay', '--all-dead', '--json', '-c', config], { cwd: dir });
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(json(all.stdout), { replayed: 0, superseded: 0 });
    const none = await runCli(['replay', '-c', config], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give a delivery id or --all-dead/);
  });

  it('a second sync (text output) finds what it already has', async () => {
    assert.ok(syncRun, 'needs the first sync');
    const r = await runCli(['sync', 'demo-school', '-c', config], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const m = /^demo-school\/netschool: ok — read (\d+), new (\d+), changed (\d+), unchanged (\d+), quarantined 0, queued (\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    // The demo simulator is live (a new mark every few seconds), so a few records may be new.
    assert.ok(Number(m[4]) > Number(m[1]) * 0.9, `mostly unchanged: ${m[0]}`);
    assert.match(r.stdout, /^deliveries: delivered \d+/m);
  });
});

describe('CLI: quarantine with standalone simulators and a malformed record', function () {
  this.timeout(120_000);
  let dir: string;
  let config: string;
  let ns: { child: ChildProcess; info: SimulateInfo } | undefined;
  let portal: { child: ChildProcess; info: SimulateInfo } | undefined;
  let env: Record<string, string>;

  before(async () => {
    dir = tmpDir('dgw-cli-quarantine-');
    [ns, portal] = await Promise.all([startSimulateChild('netschool'), startSimulateChild('rest-portal')]);
    env = { ...ns.info.env, ...portal.info.env };
    // No `simulators` block: the ${DIARY_SIM_*} references come from the children's banners.
    config = demoConfig(dir, (c) => { delete c.simulators; });
  });

  after(async () => {
    for (const s of [ns, portal]) s?.child.kill('SIGINT');
    const codes = await Promise.all([ns, portal].map(async (s) => (s ? (await exitOf(s.child)).code : 0)));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0], 'simulators stop cleanly on SIGINT');
  });

  it('sync exits 4 when a record is quarantined; list and show name school, record and field', async () => {
    assert.ok(ns);
    const inj = await fetch(`${ns.info.url}/_sim/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'malformed', count: 1 }),
    });
    assert.equal(inj.status, 200);
    // Only the diary stream: the roster stream also reads diary pages (for subjects) and would
    // take the one malformed mark without yielding marks.
    const sync = await runCli(['sync', 'demo-school', '--stream', 'diary', '-c', config], { cwd: dir, env });
    assert.equal(sync.code, 4, `${sync.stdout}\n${sync.stderr}`);
    assert.match(sync.stdout, /^demo-school\/netschool: ok — read \d+, new \d+, changed 0, unchanged 0, quarantined 1, queued \d+$/m);

    const listed = await runCli(['quarantine', 'list', '--json', '-c', config], { cwd: dir });
    assert.equal(listed.code, 0, listed.stderr);
    const rows = json<Array<{ id: number; schoolId: string; sourceInstance: string; stream: string; entityType: string; sourceId: string; errorCode: string; issues: Array<{ path: string }>; raw?: unknown }>>(listed.stdout);
    assert.equal(rows.length, 1);
    const q = rows[0]!;
    assert.equal(q.schoolId, 'demo-school');
    assert.equal(q.sourceInstance, 'netschool');
    assert.equal(q.stream, 'diary');
    assert.equal(q.entityType, 'mark');
    assert.match(q.sourceId, /^\d+:\d+$/);
    assert.equal(q.errorCode, 'GW_RECORD_UNMAPPABLE');
    assert.deepEqual(q.issues.map((i) => i.path), ['/mark/mark']);
    assert.equal(q.raw, undefined, 'the list leaves the raw record out');

    const table = await runCli(['quarantine', 'list', '-c', config], { cwd: dir });
    assert.equal(table.code, 0);
    const line = table.stdout.split('\n').find((l) => l.startsWith(String(q.id)));
    assert.ok(line, table.stdout);
    assert.match(line, /demo-school\s+netschool\s+diary\s+mark \d+:\d+\s+GW_RECORD_UNMAPPABLE\s+\/mark\/mark\s+1/);

    const shown = await runCli(['quarantine', 'show', String(q.id), '-c', config], { cwd: dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^#${q.id} school demo-school, source netschool, stream diary, mark ${q.sourceId}$`, 'm'));
    assert.match(shown.stdout, /^  \/mark\/mark: mark is not an integer 1-5$/m);
    assert.match(shown.stdout, /^what to do: \S/m);
    assert.match(shown.stdout, /record as received:\n\{/);
    const showJson = await runCli(['quarantine', 'show', String(q.id), '--json', '-c', config], { cwd: dir });
    assert.equal(showJson.code, 0);
    assert.ok(json<{ raw: unknown }>(showJson.stdout).raw, 'show --json carries the raw record');

    const missing = await runCli(['quarantine', 'show', '424242', '-c', config], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no quarantine entry 424242/);

    const strict = await runCli(['status', '--strict', '-c', config], { cwd: dir });
    assert.equal(strict.code, 4, strict.stderr);
    assert.match(strict.stdout, /open quarantine 1/);
    const plain = await runCli(['status', '-c', config], { cwd: dir });
    assert.equal(plain.code, 0, 'without --strict open quarantine is not a failure');
  });
});

describe('CLI: safety holds', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  let holdId: number;

  before(async () => {
    dir = tmpDir('dgw-cli-holds-');
    config = demoConfig(dir, (c) => { c.simulators = []; });
    // A ledger with 30 subjects of the demo school, then a sync that deletes 25 of them (held).
    const { openLedger } = await import('../../src/ledger');
    const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') });
    await ledger.migrate();
    const policy = { enabled: true, deletePercent: 10, changePercent: 75, minRecords: 20 };
    const subject = (n: number, status: 'active' | 'tobedeleted'): import('../../src/core/ledger').PreparedRecord => {
      const id = `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`;
      return { id, entityType: 'subject', schoolId: 'demo-school', sourceSystem: 'netschool', sourceId: `s${n}`, status, contentHash: `h${n}${status}`,
        dateLastModified: '2025-09-01T00:00:00Z', body: JSON.stringify({ id, status }) };
    };
    const base = { schoolId: 'demo-school', sourceInstance: 'netschool', stream: 'roster', quarantine: [], routes: [], now: '2025-09-01T00:00:00Z' };
    await ledger.ingest({ ...base, runId: 'seed', records: Array.from({ length: 30 }, (_, i) => subject(i + 1, 'active')) });
    await ledger.ingest({ ...base, runId: 'wipe', records: Array.from({ length: 25 }, (_, i) => subject(i + 1, 'tobedeleted')), hold: policy });
    const { holds } = await ledger.settleRun('wipe', policy, '2025-09-01T00:01:00Z');
    holdId = holds[0]!.id;
    await ledger.close();
  });

  it('status tells the operator; holds list and show explain it; approve applies once; a second decision exits 3', async () => {
    const status = await runCli(['status', '--strict', '-c', config], { cwd: dir });
    assert.equal(status.code, 4, 'a pending hold needs attention');
    assert.match(status.stdout, /1 sync\(s\) held for approval: see `diary-gateway holds list`/);

    const list = await runCli(['holds', 'list', '--json', '-c', config], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    const rows = json<Array<{ id: number; state: string; deletes: number; baseline: number }>>(list.stdout);
    assert.deepEqual(rows.map((h) => [h.id, h.state, h.deletes, h.baseline]), [[holdId, 'pending', 25, 30]]);
    const show = await runCli(['holds', 'show', String(holdId), '-c', config], { cwd: dir });
    assert.match(show.stdout, /this sync would delete 25 of 30 records \(83\.3%\), more than the 10% allowed/);
    assert.match(show.stdout, new RegExp(`diary-gateway holds approve ${holdId}`));

    const approve = await runCli(['holds', 'approve', String(holdId), '-c', config], { cwd: dir });
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, new RegExp(`hold #${holdId} approved: applied 25 change\\(s\\)`));
    const again = await runCli(['holds', 'reject', String(holdId), '-c', config], { cwd: dir });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /GW_HOLD_DECIDED/);
    const after = await runCli(['holds', 'list', '--all', '--json', '-c', config], { cwd: dir });
    assert.equal(json<Array<{ state: string; decidedBy: string }>>(after.stdout)[0]?.state, 'approved');
    const verify = await runCli(['status', '--verify', '--strict', '-c', config], { cwd: dir });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /records 30/);
  });
});
