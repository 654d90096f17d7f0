/**
 * `diary-gateway consent …` as a child process on a real ledger file named by a config file:
 * import of the CSV register (exit 4 when a row is rejected), list, status, paper, withdraw,
 * template, and the usage exit code for an unknown consent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalId, DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import { repoRoot } from '../support/cli-process';
import { tmpDir } from '../support/harness';
import { consentOf, World } from '../fixtures/families/world';

const ENTRY = path.join(repoRoot(), 'dist', 'test', 'fixtures', 'families', 'consent-cli.js');
const CSV = path.join(repoRoot(), 'test', 'fixtures', 'families', 'register.csv');

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ENTRY, '-c', path.join(cwd, 'gateway.json'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('diary-gateway consent (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  const s1 = canonicalId(DEFAULT_ID_NAMESPACE, 'famjournal', 'school-csv', 'person', 's1');

  before(() => {
    dir = tmpDir('dgw-consent-cli-');
    fs.writeFileSync(path.join(dir, 'gateway.json'), JSON.stringify({
      gateway: { ledger: { path: path.join(dir, 'ledger.sqlite') } },
      schools: [{ id: 'school-csv', name: 'МАОУ «СОШ № 5»', timezone: 'Asia/Yekaterinburg' }],
    }));
  });

  it('imports the register, reports the bad row by line and column, and exits 4', async () => {
    const r = await cli(['consent', 'import', CSV], dir);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /4 row\(s\) — new 2, withdrawn 1, already registered 0, rejected 1/);
    assert.match(r.stdout, /line 4: operator_name: is required/);
    assert.match(r.stdout, /line 4: purpose: required by 152-ФЗ ст\. 9 ч\. 4 п\. 4/);
    const again = await cli(['--json', 'consent', 'import', CSV], dir);
    assert.equal(JSON.parse(again.stdout).unchanged, 3);
  });

  it('lists, shows the status and the paper list', async () => {
    const list = JSON.parse((await cli(['--json', 'consent', 'list', '--school', 'school-csv'], dir)).stdout) as Array<{ decision: string; items?: unknown }>;
    assert.deepEqual(list.map((c) => c.decision).sort(), ['consent', 'refusal']);
    assert.ok(list.every((c) => c.items === undefined));
    const status = await cli(['consent', 'status', s1, '--school', 'school-csv'], dir);
    assert.match(status.stdout, /^withdrawn; allowed: nothing electronic; data destroyed by 2025-12-01T00:00:00\.000Z/);
    const paper = JSON.parse((await cli(['--json', 'consent', 'paper'], dir)).stdout) as Array<{ reason: string }>;
    assert.deepEqual(paper.map((p) => p.reason).sort(), ['refusal', 'withdrawn']);
  });

  it('registers from a JSON file and names every missing item of a bad one', async () => {
    const w = new World('school-csv');
    const file = path.join(dir, 'one.json');
    fs.writeFileSync(file, JSON.stringify([consentOf(w, 's9', 'g9')]));
    const ok = await cli(['consent', 'register', file], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^consent #\d+ \(consent\): registered/);
    const { items: _i, ...bare } = consentOf(w, 's8', 'g8');
    fs.writeFileSync(file, JSON.stringify(bare));
    const bad = await cli(['consent', 'register', file], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\/items: a consent must hold the items of 152-ФЗ ст\. 9 ч\. 4/);
  });

  it('answers an unknown consent with the usage exit code, and prints the register template', async () => {
    const r = await cli(['consent', 'withdraw', '999', '--evidence', 'Z-1'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /GW_API_NOT_FOUND/);
    const t = await cli(['consent', 'template'], dir);
    assert.match(t.stdout, /^school_id;child_id;child_source_id;source_system;/);
  });
});
