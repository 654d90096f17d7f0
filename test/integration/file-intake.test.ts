/**
 * File intake in the assembled gateway: a windows-1251 CSV export uploaded through the admin API
 * lands in the school's inbox, the watched folder triggers a sync, the records reach the portal
 * simulator, and the file is archived once committed. A file dropped straight into the folder
 * (a network share) is taken in the same way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import request from 'supertest';
import { nullLogger } from '../../src/core/logger';
import { createApp } from '../../src/http/app';
import { createMetrics } from '../../src/infra/metrics';
import { Gateway } from '../../src/runtime/gateway';
import { startRestPortalSimulator, type RestPortalSimulatorHandle } from '../../adapters/rest-portal-sink';
import { tmpDir } from '../support/harness';

const TOKEN = 'file-intake-test-token-0123456789';

function config(dir: string, inbox: string): Record<string, unknown> {
  return {
    gateway: {
      ledger: { driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') }, admin: { enabled: false }, logLevel: 'warn',
      delivery: { batchSize: 50, backoffBaseMs: 50, backoffCapMs: 200, pollIntervalMs: 20 },
      families: { consentGate: 'off' },
    },
    sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: '${DIARY_SIM_PORTAL_URL}', token: '${DIARY_SIM_PORTAL_TOKEN}' } }],
    schools: [{
      id: 'school-9', name: 'Гимназия № 9', sinks: ['portal'],
      sources: [{ id: 'exports', adapter: 'file-source', runOnStart: false, config: { inbox } }],
    }],
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('gateway file intake: upload and watched folder', function () {
  this.timeout(60_000);
  let portal: RestPortalSimulatorHandle;
  let gw: Gateway | undefined;
  beforeEach(async () => { portal = await startRestPortalSimulator(); });
  afterEach(async () => {
    await gw?.stop(2000);
    gw = undefined;
    await portal.close();
  });

  it('an uploaded windows-1251 CSV is taken in by the watcher, delivered, and archived; a dropped file too', async () => {
    const dir = tmpDir('dgw-file-');
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    gw = await Gateway.create({ rawConfig: config(dir, inbox), log: nullLogger, simulators: false, env: { ...portal.env } });
    const g = gw;
    g.start();
    const app = createApp({
      ledger: g.ledger, metrics: createMetrics({ ledger: g.ledger, defaultMetrics: false }), tokens: [TOKEN],
      runtime: { ready: () => true, sources: () => [] },
      upload: g.uploadDeps(10 * 1024 * 1024),
    });
    const csv = 'sourceId;title;shortTitle\r\nalg;Алгебра;Алг.\r\ngeo;Геометрия;Геом.\r\nlit;Литература;Лит.\r\n';
    const res = await request(app).put('/api/v1/intake/files/school-9/exports/subjects.csv')
      .set('Authorization', `Bearer ${TOKEN}`).set('Content-Type', 'text/csv').send(iconv.encode(csv, 'win1251'));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.bytes, iconv.encode(csv, 'win1251').length);

    await until(async () => (await g.ledger.listRecords({ schoolId: 'school-9', entityType: 'subject' })).length === 3, 'the three subjects in the ledger');
    const titles = (await g.ledger.listRecords({ schoolId: 'school-9', entityType: 'subject' })).map((r) => r.record['title']).sort();
    assert.deepEqual(titles, ['Алгебра', 'Геометрия', 'Литература'], 'windows-1251 decoded');
    await until(() => portal.state().counters.applied === 3, 'the subjects at the portal');

    // A file dropped into the shared folder (written under a temporary name, then renamed).
    fs.writeFileSync(path.join(inbox, 'subjects-2.csv.part'), 'sourceId,title\nbio,Биология\n');
    fs.renameSync(path.join(inbox, 'subjects-2.csv.part'), path.join(inbox, 'subjects-2.csv'));
    await until(async () => (await g.ledger.listRecords({ schoolId: 'school-9', entityType: 'subject' })).length === 4, 'the dropped file taken in');
    await until(() => portal.state().counters.applied === 4, 'the fourth subject at the portal');

    // Committed files are archived by the next read; nothing is read twice.
    g.trigger(g.runners[0]!);
    await until(() => fs.existsSync(path.join(inbox, 'processed')) && fs.readdirSync(path.join(inbox, 'processed')).length === 2, 'both files archived');
    assert.equal(portal.state().counters.appliedTwice, 0);
    const unauth = await request(app).put('/api/v1/intake/files/school-9/exports/x.csv').set('Content-Type', 'text/csv').send('a');
    assert.equal(unauth.status, 401, 'uploads need an admin token');
  });
});
