/** The config schema under ajv strict, the README error table against errors.ts, and the derived sourcedIds pinned. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { repoRoot } from '../../../test/support/golden';
import { ONEROSTER_SINK_ERROR_TABLE, ONEROSTER_SINK_FALLBACK, TRANSPORT_ERROR_TABLE } from '../errors';
import { categoryIdOf, orgIdOf, sectionIdOf } from '../ids';
import { oneRosterSinkSpec, resolveOneRosterSinkConfig } from '../spec';

const README = path.join(repoRoot(), 'adapters', 'oneroster-sink', 'README.md');

function compile(): (c: unknown) => boolean {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  return ajv.compile(oneRosterSinkSpec.configSchema);
}

describe('oneroster-sink spec and docs', () => {
  it('the config schema applies the same defaults as resolveOneRosterSinkConfig and marks only the secret', () => {
    const validate = compile();
    const cfg: Record<string, unknown> = { baseUrl: 'https://lms.example.org', authUrl: 'https://lms.example.org/token', clientId: 'c', clientSecret: 's' };
    assert.equal(validate(cfg), true);
    const resolved = resolveOneRosterSinkConfig(cfg as never);
    for (const [k, v] of Object.entries(cfg)) assert.deepEqual(v, (resolved as unknown as Record<string, unknown>)[k], k);
    const props = oneRosterSinkSpec.configSchema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.entries(props).filter(([, v]) => v['x-secret'] === true).map(([k]) => k), ['clientSecret']);
    for (const bad of [
      { baseUrl: 'ftp://x', authUrl: 'https://x/t', clientId: 'c', clientSecret: 's' },
      { baseUrl: 'https://x', authUrl: 'https://x/t', clientId: 'c' },
      { baseUrl: 'https://x', authUrl: 'https://x/t', clientId: 'c', clientSecret: 's', tombstones: 'drop' },
      { baseUrl: 'https://x', authUrl: 'https://x/t', clientId: 'c', clientSecret: 's', utcOffset: '3' },
      { baseUrl: 'https://x', authUrl: 'https://x/t', clientId: 'c', clientSecret: 's', extra: 1 },
    ]) assert.equal(validate(bad), false, JSON.stringify(bad));
  });

  it('the README error table lists exactly the rows of errors.ts', () => {
    const section = fs.readFileSync(README, 'utf8').split('## Error mapping')[1]?.split('\n## ')[0] ?? '';
    const rows = section.split('\n')
      .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l) && !/^\|\s*Exchange/.test(l))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()).join(' | '));
    const range = (s: number | readonly [number, number] | undefined): string => (s === undefined ? 'any' : typeof s === 'number' ? String(s) : `${s[0]}-${s[1]}`);
    const expected = [
      ...ONEROSTER_SINK_ERROR_TABLE.map((r) => `${r.op ?? 'any'} | ${range(r.status)} | ${r.codeMinor ?? r.oauthError ?? '—'} | ${r.effect} | ${r.code ?? '—'}`),
      `any | other | — | throw | ${ONEROSTER_SINK_FALLBACK}`,
      ...Object.entries(TRANSPORT_ERROR_TABLE).map(([from, to]) => `transport | ${from} | — | throw | ${to}`),
    ];
    assert.deepEqual(rows, expected);
  });

  it('derived sourcedIds are pinned: changing the namespace or a name would rename every object at every consumer', () => {
    const pinned = {
      org: orgIdOf('demo-school'), section: sectionIdOf('00000000-0000-5000-8000-000000000001', '00000000-0000-5000-8000-000000000002'),
      category: categoryIdOf('control_work', 'Контрольная работа', 2),
    };
    assert.deepEqual(pinned, PINNED);
  });
});

/** Recorded once from ids.ts; a change here is a breaking change for every consumer. */
const PINNED = {
  org: '0d845f62-b6d8-5700-82de-1e628a9f5b30',
  section: '7a2e3549-c845-5dca-a926-e3901da4808b',
  category: '4fcdf581-4f44-5546-a52f-1cd0fc418193',
};
