/** The config spec under ajv strict, the README error table against errors.ts, and fault parsing. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  BATCH_ERROR_FALLBACK,
  BATCH_ERROR_TABLE,
  ITEM_REASON_FALLBACK,
  ITEM_REASON_TABLE,
  TRANSPORT_ERROR_TABLE,
} from '../errors';
import { restPortalSpec, type RestPortalConfig } from '../spec';
import { FaultState, parseFaultSpec } from '../simulator';

// Compiled files run from dist/adapters/rest-portal-sink/test; the README stays in the source tree.
const README = join(__dirname, '..', '..', '..', '..', 'adapters', 'rest-portal-sink', 'README.md');

function compile(): (c: unknown) => boolean {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  return ajv.compile(restPortalSpec.configSchema);
}

describe('rest-portal-sink spec and docs', () => {
  it('the config schema compiles under ajv strict, applies defaults and marks the token secret', () => {
    const validate = compile();
    const cfg: Record<string, unknown> = { baseUrl: 'https://portal.example.ru', token: 'x' };
    assert.equal(validate(cfg), true);
    assert.deepEqual(cfg, {
      baseUrl: 'https://portal.example.ru', token: 'x',
      batchPath: '/api/v1/diary/batches', timeoutMs: 30_000, maxBatchSize: 100,
    } satisfies Required<RestPortalConfig>);
    const props = restPortalSpec.configSchema.properties as Record<string, Record<string, unknown>>;
    assert.equal(props.token?.['x-secret'], true);
    assert.deepEqual(
      Object.entries(props).filter(([, v]) => v['x-secret'] === true).map(([k]) => k),
      ['token'],
    );
    assert.equal(restPortalSpec.id, 'rest-portal-sink');
    assert.equal(restPortalSpec.kind, 'sink');
  });

  it('the config schema refuses what it should', () => {
    const validate = compile();
    for (const bad of [
      { baseUrl: 'https://p.example' },
      { baseUrl: 'ftp://p.example', token: 'x' },
      { baseUrl: 'https://p.example', token: '' },
      { baseUrl: 'https://p.example', token: 'x', batchPath: 'no-slash' },
      { baseUrl: 'https://p.example', token: 'x', maxBatchSize: 0 },
      { baseUrl: 'https://p.example', token: 'x', extra: true },
    ]) {
      assert.equal(validate(bad), false, JSON.stringify(bad));
    }
  });

  it('the README error table lists exactly the rows of errors.ts', () => {
    const text = readFileSync(README, 'utf8');
    const section = text.split('## Error mapping')[1]?.split('\n## ')[0] ?? '';
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l) && !/^\|\s*Signal/.test(l))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()).join(' | '));
    const range = (s: number | readonly [number, number]): string => (typeof s === 'number' ? String(s) : `${s[0]}-${s[1]}`);
    const expected = [
      ...BATCH_ERROR_TABLE.map((r) => `HTTP ${range(r.status)} | ${r.portalCode ?? '—'} | ${r.code}`),
      `HTTP other (fallback) | — | ${BATCH_ERROR_FALLBACK}`,
      ...ITEM_REASON_TABLE.map((r) => `item rejected | ${r.portalCode} | ${r.code}`),
      `item rejected (fallback) | any other | ${ITEM_REASON_FALLBACK}`,
      ...Object.entries(TRANSPORT_ERROR_TABLE).map(([from, to]) => `transport ${from} | — | ${to}`),
    ];
    assert.deepEqual(rows, expected);
  });

  it('parses fault specs and refuses malformed ones', () => {
    assert.deepEqual(parseFaultSpec({ kind: 'status', status: 429, count: 2, retryAfterSec: 5 }), { kind: 'status', status: 429, count: 2, retryAfterSec: 5 });
    assert.deepEqual(parseFaultSpec({ kind: 'custom', name: 'drop-connection' }), { kind: 'custom', name: 'drop-connection' });
    for (const bad of [null, { kind: 'status', status: 200, count: 1 }, { kind: 'status', status: 503 }, { kind: 'slow' }, { kind: 'custom' }, { kind: 'expire-sessions' }, { kind: 'slow', ms: 5, count: -1 }]) {
      assert.throws(() => parseFaultSpec(bad), Error, JSON.stringify(bad));
    }
  });

  it('fault budgets run out, unsupported kinds are ignored, unknown custom names throw', () => {
    const f = new FaultState();
    assert.equal(f.inject({ kind: 'expire-sessions' }), false);
    assert.throws(() => f.inject({ kind: 'custom', name: 'nope' }), /unknown custom fault/);
    f.inject({ kind: 'custom', name: 'partial-results', count: 2 });
    assert.deepEqual([1, 2, 3].map(() => f.takeBatchFaults().partialResults), [true, true, false]);
    f.inject({ kind: 'status', status: 503, count: 1, pathPrefix: '/api/v1/health' });
    assert.equal(f.takeStatus('/api/v1/diary/batches', true), undefined);
    assert.deepEqual(f.takeStatus('/api/v1/health', false), { status: 503 });
    assert.equal(f.takeStatus('/api/v1/health', false), undefined);
    f.inject({ kind: 'slow', ms: 10 });
    assert.equal(f.takeSlow(), 10);
    f.inject({ kind: 'clear' });
    assert.equal(f.takeSlow(), 0);
  });
});
