import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../../src/core/error-codes';
import { GatewayError, toGatewayError } from '../../src/core/errors';

/** Finds the repository root from dist/ or the source tree. */
function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

/** Rows of the README's "Error codes" table: | `CODE` | class | http | actor | description | remedy | */
function readmeRows(): Map<string, { cls: string; http: number; actor: string }> {
  const text = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
  const start = text.indexOf('<!-- error-codes:start -->');
  const end = text.indexOf('<!-- error-codes:end -->');
  assert.ok(start >= 0 && end > start, 'README has the error-codes markers');
  const rows = new Map<string, { cls: string; http: number; actor: string }>();
  for (const line of text.slice(start, end).split('\n')) {
    const m = /^\|\s*`(GW_[A-Z_]+)`\s*\|\s*([a-z_]+)\s*\|\s*(\d{3})\s*\|\s*([a-z_]+)\s*\|/.exec(line);
    if (m) rows.set(m[1]!, { cls: m[2]!, http: Number(m[3]), actor: m[4]! });
  }
  return rows;
}

describe('error catalog', () => {
  it('the README table lists exactly the catalog codes with the same class, HTTP status and actor', () => {
    const rows = readmeRows();
    assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort());
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const r = rows.get(code)!;
      assert.equal(r.cls, info.class, `${code} class`);
      assert.equal(r.http, info.httpStatus, `${code} http`);
      assert.equal(r.actor, info.actor, `${code} actor`);
    }
  });

  it('every code has a description and a remedy', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.ok(info.description.length > 10, code);
      assert.ok(info.remedy.length > 3, code);
    }
  });

  it('GatewayError takes its class from the catalog, and unknown errors become internal', () => {
    assert.equal(new GatewayError('GW_SRC_TIMEOUT', 'x').errorClass, 'retryable');
    assert.equal(new GatewayError('GW_RECORD_INVALID', 'x').errorClass, 'invalid_data');
    assert.equal(toGatewayError(new TypeError('boom')).code, 'GW_INTERNAL');
    const j = new GatewayError('GW_SINK_REJECTED', 'bad', { issues: [{ path: '/value', message: 'm' }] }).toJSON();
    assert.deepEqual(j.issues, [{ path: '/value', message: 'm' }]);
    assert.equal(j.actor, 'school_it');
  });
});
