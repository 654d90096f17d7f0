/**
 * The config spec under ajv strict, the README error table against errors.ts, the fault table
 * against the faults the WSDL declares, and the provenance of the copied WSDL.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { checkSpec } from '../../../test/contract/spec-checks';
import {
  FAULT_TABLE, FAULTCODE_FALLBACK, HTTP_STATUS_FALLBACK, HTTP_STATUS_TABLE, SIGNER_STATUS_FALLBACK, SIGNER_STATUS_TABLE,
  TRANSPORT_ERROR_TABLE, type StatusRule,
} from '../errors';
import { SCHEMA_FILES, SMEV_FAULTS, smev3SchemaDir } from '../protocol';
import { resolveSmev3Config, smev3Spec } from '../spec';

// Compiled files run from dist/adapters/smev3-sink/test; the README stays in the source tree.
const README = join(__dirname, '..', '..', '..', '..', 'adapters', 'smev3-sink', 'README.md');

function compile(): (c: unknown) => boolean {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  return ajv.compile(smev3Spec.configSchema);
}

describe('smev3-sink spec and docs', () => {
  it('the config schema compiles under ajv strict, fills defaults as resolveSmev3Config does, marks the token secret', () => {
    const validate = compile();
    const cfg: Record<string, unknown> = { endpoint: 'http://smev3-n0.test.gosuslugi.ru:7500/smev/v1.1/ws', signer: { kind: 'signing-service', url: 'https://signer.local/sign', keyAlias: 'k', token: 't' } };
    assert.equal(validate(cfg), true);
    const { responseSelector: _sel, ...resolved } = resolveSmev3Config(cfg as never);
    const { signer: _s, ...withDefaults } = cfg;
    assert.deepEqual(withDefaults, Object.fromEntries(Object.entries(resolved).filter(([k]) => k !== 'signer')));
    assert.deepEqual(checkSpec(smev3Spec).unmarked, []);
    const signer = (smev3Spec.configSchema.properties as Record<string, { oneOf: { properties: Record<string, Record<string, unknown>> }[] }>).signer!;
    assert.equal(signer.oneOf[1]?.properties.token?.['x-secret'], true);
    assert.equal(validate({ endpoint: 'http://x.ru/ws', signer: { kind: 'test' } }), true);
  });

  it('the config schema refuses what it should', () => {
    const validate = compile();
    const ok = { endpoint: 'http://x.ru/ws', signer: { kind: 'test' } };
    for (const bad of [
      { signer: { kind: 'test' } },
      { endpoint: 'ftp://x.ru', signer: { kind: 'test' } },
      { endpoint: 'http://x.ru/ws' },
      { ...ok, signer: { kind: 'signing-service', url: 'https://s', keyAlias: 'k' } },
      { ...ok, signer: { kind: 'hsm' } },
      { ...ok, messageIdWindowHours: 48 },
      { ...ok, responseSelector: { namespaceUri: 'urn:x' } },
      { ...ok, extra: 1 },
    ]) assert.equal(validate(bad), false, JSON.stringify(bad));
  });

  it('FAULT_TABLE names exactly the faults the WSDL declares', () => {
    const wsdl = readFileSync(join(smev3SchemaDir(), SCHEMA_FILES.wsdl), 'utf8');
    const declared = [...wsdl.matchAll(/<wsdl:part name="parameters" element="fault:(\w+)"\/>/g)].map((m) => m[1]).sort();
    assert.equal(declared.length, 20);
    assert.deepEqual(declared, [...SMEV_FAULTS].sort());
    assert.deepEqual([...new Set(FAULT_TABLE.map((r) => r.fault))].sort(), declared);
  });

  it('the README error table lists exactly the rows of errors.ts', () => {
    const section = readFileSync(README, 'utf8').split('## Error mapping')[1]?.split('\n### ')[0] ?? '';
    const rows = section.split('\n')
      .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l) && !/^\|\s*Signal/.test(l))
      .map((l) => l.split('|').slice(1, 4).map((c) => c.trim()).join(' | '));
    const range = (s: StatusRule['status']): string => (typeof s === 'number' ? String(s) : `${s[0]}-${s[1]}`);
    assert.deepEqual(rows, [
      ...FAULT_TABLE.map((r) => `fault ${r.fault}${r.signatureCode ? `/${r.signatureCode}` : ''} | ${r.action} | ${r.action === 'duplicate' ? '—' : r.code}`),
      `fault without a СМЭВ detail, faultcode Server | fail | ${FAULTCODE_FALLBACK.Server}`,
      `fault without a СМЭВ detail, other faultcode | fail | ${FAULTCODE_FALLBACK.other}`,
      ...HTTP_STATUS_TABLE.map((r) => `HTTP ${range(r.status)} | fail | ${r.code}`),
      `HTTP other (fallback) | fail | ${HTTP_STATUS_FALLBACK}`,
      ...SIGNER_STATUS_TABLE.map((r) => `signing service HTTP ${range(r.status)} | fail | ${r.code}`),
      `signing service HTTP other (fallback) | fail | ${SIGNER_STATUS_FALLBACK}`,
      ...Object.entries(TRANSPORT_ERROR_TABLE).map(([from, to]) => `transport ${from} | fail | ${to}`),
    ]);
  });

  it('the WSDL differs from the received file by the four documented repairs only', () => {
    const dir = smev3SchemaDir();
    const repaired = readFileSync(join(dir, SCHEMA_FILES.wsdl), 'utf8');
    const provenance = readFileSync(join(dir, 'README.md'), 'utf8');
    const table = provenance.split('## Repair of the WSDL')[1] ?? '';
    const pairs = [...table.matchAll(/^\| `(.+)` \| `(.+)` \|$/gm)].map((m) => [m[1], m[2]] as [string, string]);
    assert.equal(pairs.length, 4);
    let original = repaired;
    for (const [received, fixed] of pairs) {
      assert.equal(original.split(fixed).length, 2, `exactly one repaired spot: ${fixed}`);
      original = original.replace(fixed, received);
    }
    const expected = /`smev-message-exchange-service-1\.1\.xsd` \(before repair\) \| `([0-9a-f]{64})`/.exec(provenance)?.[1];
    assert.equal(createHash('sha256').update(original, 'utf8').digest('hex'), expected);
    for (const f of [SCHEMA_FILES.types, SCHEMA_FILES.basic, SCHEMA_FILES.faults]) {
      const sum = new RegExp(`\\| \`${f.replace(/\./g, '\\.')}\` \\| \`([0-9a-f]{64})\``).exec(provenance)?.[1];
      assert.equal(createHash('sha256').update(readFileSync(join(dir, f))).digest('hex'), sum, f);
    }
  });
});
