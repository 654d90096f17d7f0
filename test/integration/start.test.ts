/**
 * The `npm start` path: `diary-gateway run` with (a temp copy of) config/demo.json, which starts
 * the embedded NetSchool and portal simulators and the admin API. Waits for the first summary
 * that shows deliveries, uses the admin API as an operator would, stops with Ctrl-C (SIGINT),
 * and checks that no secret reached the logs.
 *
 * Changes to the copy: the ledger goes to a temp folder, the admin port is 0 (any free port),
 * and logs are JSON at debug level, so that the secret check reads as many log lines as exist.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { netschoolSimulator } from '../../adapters/netschool-source';
import { openLedger } from '../../src/ledger';
import { tmpDir } from '../support/harness';
import { exitOf, repoRoot, spawnCli, waitForOutput } from '../support/cli-process';

interface DemoConfig {
  $schema?: string;
  gateway: { ledger: { path: string }; admin: { enabled: boolean; port: number; tokensEnv: string }; logLevel: string; logFormat: string };
  simulators?: Array<{ system: string; seed?: number }>;
}

const SUMMARY = /^\[diary-gateway\] records in ledger (\d+) .*· delivered (\d+) ·/m;

describe('npm start: diary-gateway run with the demo config', function () {
  this.timeout(150_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let out: { stdout: string; stderr: string };
  let ledgerFile: string;
  let secrets: Record<string, string>;

  before(async () => {
    dir = tmpDir('dgw-start-');
    const demo = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'config', 'demo.json'), 'utf8')) as DemoConfig;
    delete demo.$schema;
    assert.ok(demo.gateway.admin.enabled, 'the demo serves the admin API');
    ledgerFile = path.join(dir, 'data', 'demo-ledger.sqlite');
    demo.gateway.ledger.path = ledgerFile;
    demo.gateway.admin.port = 0;
    demo.gateway.logLevel = 'debug';
    demo.gateway.logFormat = 'json';
    const configFile = path.join(dir, 'demo.json');
    fs.writeFileSync(configFile, JSON.stringify(demo, null, 2));

    // The embedded NetSchool simulator's demo credentials depend only on its seed: start one
    // here with the same options to learn them. The portal's token is random unless
    // DIARY_SIM_PORTAL_TOKEN is set, so the child gets one we know.
    const nsSeed = demo.simulators?.find((s) => s.system === 'netschool')?.seed;
    const ns = await netschoolSimulator.start({ port: 0, ...(nsSeed !== undefined ? { seed: nsSeed } : {}) });
    await ns.close();
    const portalToken = randomBytes(18).toString('base64url');
    secrets = {
      'netschool password': ns.credentials.password!,
      'netschool password (URL-encoded)': encodeURIComponent(ns.credentials.password!),
      'netschool mobile token': ns.credentials.mobileToken!,
      'portal token': portalToken,
    };
    ({ child, out } = spawnCli(['run', '-c', configFile], { cwd: dir, env: { DIARY_SIM_PORTAL_TOKEN: portalToken } }));
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the admin API once the first summary shows deliveries, and stops on SIGINT with exit 0', async () => {
    assert.ok(child);
    await waitForOutput(child, out, (s) => {
      const m = SUMMARY.exec(s);
      return !!m && Number(m[2]) > 0;
    }, 60_000, 'summary line with "delivered N", N > 0');
    const [, records, delivered] = SUMMARY.exec(out.stdout)!;
    assert.ok(Number(records) > 100, `records in ledger ${records}`);
    assert.match(out.stdout, /^\[diary-gateway\] simulator netschool at http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(out.stdout, /^\[diary-gateway\] demo-school\/netschool: ok — read \d+/m);

    const url = /^\[diary-gateway\] admin API (http:\/\/127\.0\.0\.1:\d+) /m.exec(out.stdout)?.[1];
    assert.ok(url, `admin URL on stdout:\n${out.stdout}`);
    assert.match(out.stdout, /admin API token: in data\/admin-token \(set DIARY_GATEWAY_ADMIN_TOKENS/);
    const tokenFile = path.join(path.dirname(ledgerFile), 'admin-token');
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    assert.ok(token.length >= 32, 'a generated token');
    assert.equal(fs.statSync(tokenFile).mode & 0o077, 0, 'the token file is private (0600)');
    secrets['admin token'] = token;

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(`${url}/api/v1/schools`)).status, 401);
    assert.equal((await fetch(`${url}/api/v1/schools`, { headers: { authorization: 'Bearer not-the-token-0123456789abcdef' } })).status, 401);
    const schools = await fetch(`${url}/api/v1/schools`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(schools.status, 200);
    assert.match(await schools.text(), /demo-school/);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^diary_gateway_\w+/m);

    child.kill('SIGINT');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null }, out.stderr.slice(-2000));
    assert.match(out.stdout, /^\[diary-gateway\] SIGINT: stopping intake/m);
    assert.match(out.stdout, /^\[diary-gateway\] stopped; ledger closed$/m);

    // The ledger outlives the process and holds what the summary said.
    assert.ok(fs.existsSync(ledgerFile), 'ledger file exists');
    const ledger = openLedger({ driver: 'sqlite', path: ledgerFile });
    try {
      const stats = await ledger.stats();
      assert.ok(stats.deliveries.delivered >= Number(delivered), `delivered ${stats.deliveries.delivered} >= ${delivered}`);
      assert.deepEqual(await ledger.verify(), []);
    } finally { await ledger.close(); }
  });

  it('writes JSON log lines to stderr without any password or token', () => {
    assert.ok(child && child.exitCode !== null, 'runs after the gateway stopped');
    const lines = out.stderr.split('\n').filter((l) => l.trim().length > 0);
    const jsonLines = lines.filter((l) => l.startsWith('{'));
    assert.ok(jsonLines.length > 10, `JSON log lines on stderr (${jsonLines.length})`);
    for (const l of jsonLines) {
      const entry = JSON.parse(l) as { ts?: unknown; level?: unknown; msg?: unknown };
      assert.ok(typeof entry.level === 'string' && typeof entry.msg === 'string', l);
    }
    assert.ok(jsonLines.some((l) => /"msg":"run finished"/.test(l)), 'the sync was logged');
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value.length >= 8, `${name} is long enough to search for`);
      assert.ok(!out.stderr.includes(value), `${name} appears on stderr`);
      assert.ok(!out.stdout.includes(value), `${name} appears on stdout`);
    }
  });
});

describe('diary-gateway run: Ctrl-C during start-up', function () {
  this.timeout(60_000);

  it('stops gracefully (exit 0, ledger closed) when SIGINT comes right after the first line', async () => {
    const dir = tmpDir('dgw-start-early-');
    const demo = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'config', 'demo.json'), 'utf8')) as DemoConfig;
    delete demo.$schema;
    demo.gateway.ledger.path = path.join(dir, 'ledger.sqlite');
    demo.gateway.admin.port = 0;
    const configFile = path.join(dir, 'demo.json');
    fs.writeFileSync(configFile, JSON.stringify(demo, null, 2));
    const { child: p, out: o } = spawnCli(['run', '-c', configFile], { cwd: dir });
    try {
      await waitForOutput(p, o, (s) => s.includes('\n'), 30_000, 'the first line');
    } finally {
      p.kill('SIGINT');
    }
    assert.deepEqual(await exitOf(p), { code: 0, signal: null }, `${o.stdout}\n${o.stderr}`);
    assert.match(o.stdout, /^\[diary-gateway\] SIGINT: stopping intake/m);
    assert.match(o.stdout, /^\[diary-gateway\] stopped; ledger closed$/m);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
