/**
 * The SLA parts of the configuration stay in step: config/gateway.schema.json carries exactly the
 * fragments src/sla/settings.ts validates with (and config/sla-demo/gateway-schema-fragments.json
 * shows), and the SLA demo config is valid.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../src/infra/config';
import { gatewayConfigSchema } from '../../src/infra/config-schema';
import { specOf } from '../../src/runtime/registry';
import { GATEWAY_SLA_SCHEMA, SCHOOL_SLA_CONFIG_SCHEMA } from '../../src/sla/settings';
import { repoRoot } from '../fixtures/sla/builders';

const read = (...p: string[]): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(repoRoot(), ...p), 'utf8')) as Record<string, unknown>;
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('sla config schema fragments', () => {
  it('config/sla-demo/gateway-schema-fragments.json is generated from src/sla/settings.ts', () => {
    const f = read('config', 'sla-demo', 'gateway-schema-fragments.json');
    assert.deepEqual([f['gateway.sla'], f['schools.sla']], [plain(GATEWAY_SLA_SCHEMA), plain(SCHOOL_SLA_CONFIG_SCHEMA)]);
  });

  it('the validated configuration schema carries them at gateway.sla and schools[].sla', () => {
    const s = gatewayConfigSchema() as { properties: { gateway: { properties: Record<string, unknown> }; schools: { items: { properties: Record<string, unknown> } } } };
    assert.deepEqual(s.properties.gateway.properties['sla'], plain(GATEWAY_SLA_SCHEMA));
    assert.deepEqual(s.properties.schools.items.properties['sla'], plain(SCHOOL_SLA_CONFIG_SCHEMA));
  });

  it('config/sla-demo/demo-sla.json is a valid configuration', () => {
    const cfg = validateConfig(read('config', 'sla-demo', 'demo-sla.json'), specOf);
    assert.deepEqual((cfg.schools[0] as unknown as { sla: { profiles: string[] } }).sla.profiles, ['kamensk-uralsky-19', 'moscow-2017']);
  });
});
