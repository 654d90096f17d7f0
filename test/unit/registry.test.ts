import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ADAPTER_FOLDERS, SIMULATORS, SINKS, SOURCES } from '../../src/runtime/registry';

function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

describe('adapter registry', () => {
  it('registers every adapters/* folder, and every registered adapter has a folder', () => {
    const folders = fs.readdirSync(path.join(repoRoot(), 'adapters'), { withFileTypes: true })
      .filter((d) => d.isDirectory()).map((d) => d.name).sort();
    assert.deepEqual([...ADAPTER_FOLDERS].sort(), folders);
  });

  it('keys match each adapter spec id and kind', () => {
    for (const [id, a] of Object.entries(SOURCES)) { assert.equal(a.spec.id, id); assert.equal(a.spec.kind, 'source'); }
    for (const [id, a] of Object.entries(SINKS)) { assert.equal(a.spec.id, id); assert.equal(a.spec.kind, 'sink'); }
  });

  it('every adapter folder has a README', () => {
    for (const f of ADAPTER_FOLDERS) assert.ok(fs.existsSync(path.join(repoRoot(), 'adapters', f, 'README.md')), f);
  });

  it('simulators are keyed by their system', () => {
    for (const [k, s] of Object.entries(SIMULATORS)) assert.equal(s.system, k);
  });
});
