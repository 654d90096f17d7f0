/**
 * checkSlaConfig: what `validate-config` checks of the SLA blocks without a ledger — the
 * regulation profiles of config/regulations and of gateway.sla.regulationDirs (a school's own
 * profile, config/regulations/README.md «Writing your own»), the calendars, every school's settings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../src/core/errors';
import { checkSlaConfig } from '../../src/sla/runtime';
import { slaFixtures } from '../fixtures/sla/builders';
import { thrownGatewayError, tmpDir } from '../support/harness';

const CUSTOM = slaFixtures('regulations', 'custom');

function config(sla: Record<string, unknown> | undefined, regulationDirs: string[] = [], timezone = 'Europe/Moscow'): Parameters<typeof checkSlaConfig>[0] {
  return {
    gateway: { sla: { regulationDirs } },
    schools: [{ id: 'school-5', name: 'МАОУ «Гимназия № 5»', timezone, sinks: ['portal'], ...(sla !== undefined ? { sla } : {}) }],
  };
}

const configError = thrownGatewayError;

describe('sla config check (for validate-config)', () => {
  it('a school\'s own profile from gateway.sla.regulationDirs is loaded and composed with a shipped one', () => {
    const r = checkSlaConfig(config({ profiles: ['gymnasium-5-2025', 'moscow-2017'] }, [CUSTOM]));
    assert.deepEqual(r, { schools: ['school-5'], profiles: ['gymnasium-5-2025', 'moscow-2017'], calendarYears: [2024, 2025, 2026] });
  });

  it('without the folder the profile is unknown, with the school\'s path', () => {
    const e = configError(() => checkSlaConfig(config({ profiles: ['gymnasium-5-2025'] })));
    assert.match(JSON.stringify(e.issues), /\/schools\/0\/sla/);
    assert.match(`${e.message} ${JSON.stringify(e.issues)}`, /unknown regulation profile gymnasium-5-2025/);
  });

  it('a broken own profile fails with the failing path; a missing folder is named', () => {
    const dir = tmpDir('dgw-sla-check-');
    const text = fs.readFileSync(path.join(CUSTOM, 'gymnasium-5-2025.json'), 'utf8').replace('"working_days"', '"workdays"');
    fs.writeFileSync(path.join(dir, 'gymnasium-5-2025.json'), text);
    const e = configError(() => checkSlaConfig(config({ profiles: ['gymnasium-5-2025'] }, [dir])));
    assert.match(`${e.message} ${JSON.stringify(e.issues)}`, /gymnasium-5-2025\.json/);
    assert.match(JSON.stringify(e.issues), /allowed\/unit/);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.match(configError(() => checkSlaConfig(config({ profiles: ['moscow-2017'] }, [dir]))).message, /regulation folder .* does not exist/);
  });

  it('school settings are checked as at start-up: an override of a missing obligation, a region without an overlay, a bad zone', () => {
    const e = configError(() => checkSlaConfig(config({ profiles: ['moscow-2017'], calendarRegion: '02', overrides: { 'moscow-2017/nope': { enabled: false } } })));
    assert.match(JSON.stringify(e.issues), /\/schools\/0\/sla/);
    configError(() => checkSlaConfig(config({ profiles: ['moscow-2017'] }, [], 'Mars/Olympus')));
  });

  it('no school with an sla block: nothing to check, but gateway.sla itself is still validated', () => {
    assert.equal(checkSlaConfig(config(undefined)), undefined);
    configError(() => checkSlaConfig({ gateway: { sla: { evaluateEverySeconds: 'often' } }, schools: [] }));
  });
});
