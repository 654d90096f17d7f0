/**
 * The assembled gateway's intake listener on real loopback sockets: a journal pushes signed
 * batches, the records reach the REST portal simulator, and ФГИС pulls the same child's week
 * with a client-credentials token; what it was served is in the ledger. The admin API is not
 * involved: intake callers never hold admin tokens.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import axios from 'axios';
import { nullLogger } from '../../src/core/logger';
import { createIntakeApp } from '../../src/http/intake-app';
import { startAdminServer } from '../../src/http/server';
import { Gateway } from '../../src/runtime/gateway';
import { signPushBody } from '../../adapters/push-source/auth';
import { startRestPortalSimulator, type RestPortalSimulatorHandle } from '../../adapters/rest-portal-sink';
import { tmpDir } from '../support/harness';

const PUSH_SECRET = 'journal-hmac-secret-0123456789abcdef';
const ENV = {
  DIARY_TEST_PUSH_SECRET: PUSH_SECRET,
  DIARY_GATEWAY_FGIS_CLIENTS: 'fgis-prod:client-secret-value-0001',
  DIARY_GATEWAY_FGIS_SIGNING_KEY: 'signing-key-0123456789abcdef0123456789',
};

function config(dir: string): Record<string, unknown> {
  return {
    gateway: {
      ledger: { driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') },
      admin: { enabled: false }, logLevel: 'warn',
      delivery: { batchSize: 50, backoffBaseMs: 50, backoffCapMs: 200, pollIntervalMs: 20 },
      intake: { host: '127.0.0.1', port: 0 },
      fgis: { enabled: true },
      // Made-up children without registered consents; the gate is tested in families-*.
      families: { consentGate: 'off' },
    },
    sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: '${DIARY_SIM_PORTAL_URL}', token: '${DIARY_SIM_PORTAL_TOKEN}' } }],
    schools: [{
      id: 'school-7', name: 'МБОУ СОШ № 7', timezone: 'Asia/Yekaterinburg', sinks: ['portal'],
      sources: [{ id: 'journal', adapter: 'push-source', config: { auth: 'hmac', hmacSecret: '${DIARY_TEST_PUSH_SECRET}' } }],
    }],
  };
}

const ref = (entityType: string, sourceId: string): Record<string, string> => ({ entityType, sourceId });

/** A small school as a journal would push it, references by the journal's own ids. */
function batch(markRaw = '5'): Record<string, unknown>[] {
  return [
    { entityType: 'class_group', sourceId: 'c8b', kind: 'class', title: '8б', gradeLevel: 8 },
    { entityType: 'subject', sourceId: 'alg', title: 'Алгебра' },
    { entityType: 'person', sourceId: 'kid', roles: ['student'], familyName: 'Петров', givenName: 'Пётр', externalIds: [{ type: 'esia-oid', value: '1000123456' }] },
    { entityType: 'person', sourceId: 't1', roles: ['teacher'], familyName: 'Иванова', givenName: 'Мария' },
    { entityType: 'membership', sourceId: 'm1', role: 'student', beginDate: '2025-09-01', refs: { personId: ref('person', 'kid'), classGroupId: ref('class_group', 'c8b') } },
    {
      entityType: 'lesson', sourceId: 'l1', date: '2025-11-10', startTime: '08:30', endTime: '09:15', state: 'held', topic: 'Квадратные уравнения',
      refs: { classGroupId: ref('class_group', 'c8b'), subjectId: ref('subject', 'alg'), teacherIds: { entityType: 'person', sourceIds: ['t1'] } },
    },
    {
      entityType: 'mark', sourceId: 'mk1', kind: 'current', markStatus: 'graded', markedAt: '2025-11-10T10:00:00Z', date: '2025-11-10',
      value: { scale: 'five_point', raw: markRaw, numeric: Number(markRaw) },
      refs: { studentId: ref('person', 'kid'), subjectId: ref('subject', 'alg'), lessonId: ref('lesson', 'l1') },
    },
  ];
}

describe('gateway intake listener: push in, portal out, ФГИС pull', function () {
  this.timeout(60_000);
  let portal: RestPortalSimulatorHandle;
  let gw: Gateway | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;

  beforeEach(async () => { portal = await startRestPortalSimulator(); });
  afterEach(async () => {
    await server?.close();
    await gw?.stop(2000);
    await portal.close();
    server = undefined;
    gw = undefined;
  });

  async function push(url: string, records: Record<string, unknown>[], secret = PUSH_SECRET): Promise<{ status: number; data: Record<string, unknown> }> {
    const body = JSON.stringify({ records });
    const ts = Math.floor(Date.now() / 1000);
    const res = await axios.post(`${url}/intake/v1/schools/school-7/sources/journal/records`, body, {
      headers: { 'content-type': 'application/json', 'x-diary-timestamp': String(ts), 'x-diary-signature': signPushBody(secret, ts, body) },
      validateStatus: () => true,
    });
    return { status: res.status, data: res.data as Record<string, unknown> };
  }

  it('takes a signed batch in, delivers it to the portal, and serves the week to ФГИС', async () => {
    gw = await Gateway.create({ rawConfig: config(tmpDir('dgw-intake-')), log: nullLogger, simulators: false, env: { ...ENV, ...portal.env } });
    const deps = gw.intakeDeps({ ...ENV });
    assert.ok(deps?.push && deps.fgis, 'both push and ФГИС are served');
    server = await startAdminServer(createIntakeApp(deps), { host: '127.0.0.1', port: 0 });
    gw.start();

    const first = await push(server.url, batch());
    assert.equal(first.status, 200, JSON.stringify(first.data));
    const items = first.data['items'] as Array<{ status: string }>;
    assert.deepEqual(items.map((i) => i.status), Array(7).fill('created'));
    assert.equal((await push(server.url, batch(), 'not-the-secret-0123456789abcdef')).status, 401);

    const deadline = Date.now() + 20_000;
    while (portal.state().counters.applied < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(portal.state().counters.applied, 7, 'every pushed record reached the portal');
    const again = await push(server.url, batch());
    assert.deepEqual((again.data['items'] as Array<{ status: string }>).map((i) => i.status), Array(7).fill('unchanged'), 'a retried batch changes nothing');

    const tok = await axios.post(`${server.url}/fgis/v1/oauth/token`, new URLSearchParams({ grant_type: 'client_credentials', client_id: 'fgis-prod', client_secret: 'client-secret-value-0001' }).toString(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const sched = await axios.get(`${server.url}/fgis/v1/Schedule/1000123456?start=2025-11-10&end=2025-11-16`, { headers: { authorization: `Bearer ${tok.data.access_token}` } });
    const lesson = sched.data.school[0].class[0].lesson[0];
    assert.deepEqual([lesson.subject, lesson.topic, lesson.period.start, lesson.score[0].score], ['Алгебра', 'Квадратные уравнения', '2025-11-10T08:30:00+05:00', '5']);
    const served = await gw.ledger.listServed({ consumer: 'fgis:fgis-prod' });
    assert.ok(served.length >= 4, `served ${served.length}`);

    // A changed mark is pushed, delivered as a new revision, and served again.
    const changed = await push(server.url, batch('4'));
    assert.equal((changed.data['items'] as Array<{ status: string }>)[6]?.status, 'updated');
    const sched2 = await axios.get(`${server.url}/fgis/v1/Schedule/1000123456?start=2025-11-10&end=2025-11-16`, { headers: { authorization: `Bearer ${tok.data.access_token}` } });
    assert.equal(sched2.data.school[0].class[0].lesson[0].score[0].score, '4');
    assert.equal(portal.state().counters.appliedTwice, 0);
  });

  it('holds a push that deletes most of a kind (safety hold), answering held per item, and applies it on approval', async () => {
    const cfg = config(tmpDir('dgw-intake-'));
    (cfg['schools'] as Array<Record<string, unknown>>)[0]!['safetyHold'] = { minRecords: 5 };
    gw = await Gateway.create({ rawConfig: cfg, log: nullLogger, simulators: false, env: { ...ENV, ...portal.env } });
    server = await startAdminServer(createIntakeApp(gw.intakeDeps({ ...ENV })!), { host: '127.0.0.1', port: 0 });
    const subjects = Array.from({ length: 10 }, (_, i) => ({ entityType: 'subject', sourceId: `s${i}`, title: `Предмет ${i}` }));
    assert.equal((await push(server.url, subjects)).status, 200);
    // 4 of 10 subjects deleted (40% > 10%) plus one new subject: the new one goes in, the deletions wait.
    const wipe = [...subjects.slice(0, 4).map((x) => ({ entityType: 'subject', sourceId: x.sourceId, status: 'tobedeleted' })), { entityType: 'subject', sourceId: 's99', title: 'Новый' }];
    const res = await push(server.url, wipe);
    assert.equal(res.status, 200, JSON.stringify(res.data));
    const items = res.data['items'] as Array<{ status: string; holdId?: number }>;
    assert.deepEqual(items.map((i) => i.status), ['held', 'held', 'held', 'held', 'created']);
    const holdId = items[0]!.holdId!;
    const hold = await gw.ledger.getHold(holdId);
    assert.deepEqual([hold?.state, hold?.deletes, hold?.baseline], ['pending', 4, 11]);
    const all = await gw.ledger.listRecords({ schoolId: 'school-7', entityType: 'subject' });
    assert.equal(all.filter((r) => r.status === 'active').length, 11, 'nothing deleted while held');
    await gw.ledger.decideHold(holdId, 'approve', 'test', new Date().toISOString());
    const after = await gw.ledger.listRecords({ schoolId: 'school-7', entityType: 'subject' });
    assert.equal(after.filter((r) => r.status === 'tobedeleted').length, 4);
  });

  it('refuses to start ФГИС without its client credentials or signing key in the environment', async () => {
    gw = await Gateway.create({ rawConfig: config(tmpDir('dgw-intake-')), log: nullLogger, simulators: false, env: { ...ENV, ...portal.env } });
    assert.throws(() => gw?.intakeDeps({ DIARY_GATEWAY_FGIS_SIGNING_KEY: ENV.DIARY_GATEWAY_FGIS_SIGNING_KEY }), /DIARY_GATEWAY_FGIS_CLIENTS holds no client_id:secret pairs/);
    assert.throws(() => gw?.intakeDeps({ DIARY_GATEWAY_FGIS_CLIENTS: ENV.DIARY_GATEWAY_FGIS_CLIENTS, DIARY_GATEWAY_FGIS_SIGNING_KEY: 'short' }), /shorter than 32 characters/);
  });
});
