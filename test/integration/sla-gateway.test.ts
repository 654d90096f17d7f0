/**
 * The SLA engine inside the assembled gateway: `Gateway.create` builds `gw.sla` from
 * `gateway.sla` and `schools[].sla`, the admin app serves the SLA routes for it, and a config
 * without any `sla` block has no engine (the routes answer 404).
 *
 * Needs the lead's wiring: the `sla` fragments in config/gateway.schema.json, `Gateway.sla`
 * (src/runtime/gateway.ts) and `AdminDeps.sla` mounted in src/http/app.ts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import request from 'supertest';
import { nullLogger } from '../../src/core/logger';
import { createApp } from '../../src/http/app';
import { Gateway } from '../../src/runtime/gateway';
import { fakeClock, tmpDir } from '../support/harness';
import type { SlaRuntime } from '../../src/sla/runtime';
import { ingest, local, registerRefusal, SchoolData } from '../fixtures/sla/ledger-kit';

const TZ = 'Asia/Yekaterinburg';
const SCHOOL = 'kamensk-school-3';
const TOKEN = 'sla-gateway-token-0123456789';

function rawConfig(dir: string, withSla: boolean): unknown {
  return {
    gateway: { ledger: { path: path.join(dir, 'ledger.sqlite') }, admin: { enabled: false, port: 0 }, ...(withSla ? { sla: { evaluateEverySeconds: 60, atRiskMinutes: 120 } } : {}) },
    sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: 'http://127.0.0.1:9/', token: '${PORTAL_TOKEN}' } }],
    schools: [{
      id: SCHOOL, name: 'Школа № 3', timezone: TZ, sinks: ['portal'],
      ...(withSla ? { sla: { profiles: ['kamensk-uralsky-19'], itContact: { webhookUrl: 'http://127.0.0.1:9/hook', webhookToken: '${HOOK_TOKEN}' } } } : {}),
    }],
  };
}

describe('sla in the gateway (Gateway.create, admin app)', function () {
  this.timeout(30_000);

  it('builds the engine from the config, judges on tick, and the admin API shows it', async () => {
    const dir = tmpDir('sla-gw-');
    const clock = fakeClock(new Date(local(TZ, '2025-11-12 10:00')));
    const gw = await Gateway.create({ rawConfig: rawConfig(dir, true), log: nullLogger, clock, simulators: false, env: { PORTAL_TOKEN: 'portal-token-0123456789', HOOK_TOKEN: 'hook-token-0123456789' } });
    try {
      const sla = (gw as unknown as { sla?: import('../../src/sla/runtime').SlaRuntime }).sla;
      assert.ok(sla, 'Gateway.sla is built when a school has an sla block');
      assert.equal(sla.engine.schools.get(SCHOOL)?.itContact.webhookToken, 'hook-token-0123456789', 'secrets resolved');
      assert.equal(sla.engine.schools.get(SCHOOL)?.atRiskMs, 120 * 60_000);
      const s = new SchoolData(SCHOOL, TZ);
      await ingest(gw.ledger, SCHOOL, [s.lesson('L1', 'c5a', 'math', '2025-11-07')], local(TZ, '2025-11-01 00:00'), false);
      await ingest(gw.ledger, SCHOOL, [s.mark('M1', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-10 09:00' })], local(TZ, '2025-11-10 09:05'));
      const t = await sla.tick();
      assert.deepEqual([t.judged, t.rows], [1, 1]);
      const app = createApp({
        ledger: gw.ledger, runtime: { sources: () => [], ready: () => true }, metrics: gw.metrics, tokens: [TOKEN], now: () => clock.now(), sla,
      } as Parameters<typeof createApp>[0]);
      const r = await request(app).get('/api/v1/sla/schools').set('Authorization', `Bearer ${TOKEN}`);
      assert.equal(r.status, 200);
      assert.deepEqual([r.body.items[0].schoolId, r.body.items[0].counts.on_time], [SCHOOL, 1]);
      const doc = await request(app).get('/api/v1/openapi.json').set('Authorization', `Bearer ${TOKEN}`);
      assert.ok(doc.body.paths['/api/v1/sla/schools/{schoolId}/report'], 'the OpenAPI document lists the SLA routes');
    } finally {
      await gw.stop();
    }
  });

  it('the engine asks the gateway\'s consent registry which families are on paper (kamensk-uralsky-19 paper-weekly)', async () => {
    const dir = tmpDir('sla-gw-');
    const clock = fakeClock(new Date(local(TZ, '2025-11-12 10:00')));
    const gw = await Gateway.create({ rawConfig: rawConfig(dir, true), log: nullLogger, clock, simulators: false, env: { PORTAL_TOKEN: 'portal-token-0123456789', HOOK_TOKEN: 'hook-token-0123456789' } });
    try {
      const sla = gw.sla as SlaRuntime;
      const s = new SchoolData(SCHOOL, TZ);
      await registerRefusal(gw.families.store, SCHOOL, s.id('person', 's1'), s.id('person', 'g1'), '2025-09-01', clock.now().toISOString());
      await ingest(gw.ledger, SCHOOL, [s.lesson('L1', 'c5a', 'math', '2025-11-10')], local(TZ, '2025-11-01 00:00'), false);
      await ingest(gw.ledger, SCHOOL, [
        s.mark('M1', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-11 09:00' }),
        s.mark('M2', { kind: 'current', student: 's2', subject: 'math', lesson: 'L1', markedAt: '2025-11-11 09:00' }),
      ], local(TZ, '2025-11-11 09:05'));
      await sla.tick();
      const rows = (await sla.store.listObligations({ schoolId: SCHOOL })).map((r) => [r.recordId === s.id('mark', 'M1') ? 'M1' : 'M2', r.obligation.split('/')[1], r.dueDate]).sort();
      assert.deepEqual(rows, [['M1', 'marks-entered', '2025-11-13'], ['M1', 'paper-weekly', '2025-11-23'], ['M2', 'marks-entered', '2025-11-13']]);
    } finally {
      await gw.stop();
    }
  });

  it('without any sla block there is no engine, and the SLA routes answer 404', async () => {
    const dir = tmpDir('sla-gw-');
    const gw = await Gateway.create({ rawConfig: rawConfig(dir, false), log: nullLogger, clock: fakeClock(), simulators: false, env: { PORTAL_TOKEN: 'portal-token-0123456789' } });
    try {
      const sla = (gw as unknown as { sla?: unknown }).sla;
      assert.equal(sla, undefined);
      const app = createApp({ ledger: gw.ledger, runtime: { sources: () => [], ready: () => true }, metrics: gw.metrics, tokens: [TOKEN] });
      const r = await request(app).get('/api/v1/sla/schools').set('Authorization', `Bearer ${TOKEN}`);
      assert.deepEqual([r.status, r.body.code], [404, 'GW_API_NOT_FOUND']);
    } finally {
      await gw.stop();
    }
  });
});
