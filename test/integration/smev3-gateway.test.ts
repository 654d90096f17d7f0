/**
 * The assembled gateway (Gateway.create/start/stop) with the СМЭВ 3 sink against the СМЭВ
 * simulator and the NetSchool simulator on loopback, a SQLite ledger file in a tmp dir: the
 * gateway delivers, then polls on its own (SinkPoller → smev3 `poll`): answers are stored per
 * delivery as remote_status and acknowledged (the simulator sees every Ack), statuses are read,
 * a record the provider refuses shows up as `rejected` in the ledger, in a log line naming
 * school, record and reason, in the admin API's delivery view and in `diary-gateway deliveries`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import nock from 'nock';
import request from 'supertest';
import { nullLogger, type Logger } from '../../src/core/logger';
import type { SimulatorHandle } from '../../src/core/simulator';
import { createApp } from '../../src/http/app';
import { buildOpenApiDocument } from '../../src/http/openapi';
import { createMetrics } from '../../src/infra/metrics';
import { Gateway } from '../../src/runtime/gateway';
import { netschoolSimulator } from '../../adapters/netschool-source';
import { startSmev3Simulator, type Smev3SimulatorHandle } from '../../adapters/smev3-sink';
import { runCli } from '../support/cli-process';
import { tmpDir } from '../support/harness';

const NEVER = '0 0 1 1 *';
const TOKEN = 'smev3-gateway-test-token-0123456789';

interface LogLine { level: string; message: string; meta: Record<string, unknown> }

function recordingLogger(lines: LogLine[], fields: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}): void => { lines.push({ level, message, meta: { ...fields, ...meta } }); };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (f) => recordingLogger(lines, { ...fields, ...f }) };
}

function makeConfig(dir: string): Record<string, unknown> {
  return {
    gateway: {
      ledger: { driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') },
      admin: { enabled: false, host: '127.0.0.1', port: 0, tokensEnv: 'DIARY_GATEWAY_ADMIN_TOKENS' },
      logLevel: 'warn', logFormat: 'json',
      delivery: {
        batchSize: 50, maxAttempts: 8, backoffBaseMs: 50, backoffCapMs: 200, leaseMs: 60_000, pollIntervalMs: 20,
        breakerThreshold: 3, breakerOpenMs: 100, breakerMaxOpenMs: 200,
      },
      scheduleJitterMs: 0,
      families: { consentGate: 'off' },
    },
    simulators: [],
    sinks: [{
      id: 'smev3', adapter: 'smev3-sink',
      config: { endpoint: '${DIARY_SIM_SMEV3_URL}', signer: { kind: 'test' }, timeoutMs: 5000, poll: { intervalSeconds: 1, statusAfterMinutes: 0 } },
    }],
    schools: [{
      id: 'good-school', name: 'МБОУ СОШ № 7 (тест)', timezone: 'Europe/Moscow', sinks: ['smev3'],
      sources: [{
        id: 'netschool', adapter: 'netschool-source', schedule: NEVER, runOnStart: true, streams: ['school_years', 'roster', 'diary'],
        config: {
          baseUrl: '${DIARY_SIM_NETSCHOOL_URL}', login: '${DIARY_SIM_NETSCHOOL_LOGIN}', password: '${DIARY_SIM_NETSCHOOL_PASSWORD}',
          schoolName: '${DIARY_SIM_NETSCHOOL_SCHOOL}', mobileAccessToken: '${DIARY_SIM_NETSCHOOL_MOBILE_TOKEN}',
          weeksBack: 0, weeksAhead: 0, lookbackWeeks: 0,
        },
      }],
    }],
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T>, cond: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (cond(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last seen ${JSON.stringify(v).slice(0, 2000)}`);
    await sleep(50);
  }
}

function deliveryViewValidator(): (body: unknown) => boolean {
  const doc = buildOpenApiDocument() as unknown as { components: { schemas: Record<string, unknown> } };
  const schemas = JSON.parse(JSON.stringify(doc.components.schemas).replace(/#\/components\/schemas\//g, 'https://diary-gateway.test/oas.json#/$defs/')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'https://diary-gateway.test/oas.json', $defs: schemas });
  const v = ajv.compile({ $ref: 'https://diary-gateway.test/oas.json#/$defs/DeliveryDetail' });
  return (body) => { const ok = v(body); if (!ok) assert.fail(JSON.stringify(v.errors)); return ok; };
}

interface Row { id: number; state: string; entityType: string; recordId: string; transport?: { transportId?: string; sendingTimestamp?: string; remoteStatus?: string; remoteDetail?: string; acknowledgedAt?: string } }

describe('gateway with the СМЭВ 3 sink: delivery, then polling on its own', function () {
  this.timeout(90_000);
  let ns: SimulatorHandle;
  let smev: Smev3SimulatorHandle;
  let gw: Gateway | undefined;

  before(async () => {
    nock.enableNetConnect();
    ns = await netschoolSimulator.start({ seed: 7, live: false });
  });
  after(async () => { await ns?.close(); });
  beforeEach(async () => { smev = await startSmev3Simulator(); });
  afterEach(async () => {
    await gw?.stop(2000);
    gw = undefined;
    await smev.close();
  });

  it('stores answers as remote_status, acknowledges them, reads statuses, and shows a refusal', async () => {
    const lines: LogLine[] = [];
    smev.inject({ kind: 'custom', name: 'provider-reject:mark' });
    const dir = tmpDir('dgw-smev3-gw-');
    const g = await Gateway.create({ rawConfig: makeConfig(dir), log: recordingLogger(lines), simulators: false, env: { ...ns.env, ...smev.env } });
    gw = g;
    assert.equal(g.pollers.get('smev3')?.intervalMs, 1000, 'the smev3 sink polls every intervalSeconds');
    await g.start().initialSyncs;

    const all = async (): Promise<Row[]> => {
      const views = await g.ledger.listDeliveries({ sinkId: 'smev3', limit: 100_000 });
      const tr = await g.ledger.transport!().lookup(views.map((d) => d.id));
      return views.map((d) => ({ id: d.id, state: d.state, entityType: d.entityType, recordId: d.recordId, transport: tr.get(d.id) }));
    };
    // A record the provider refused after СМЭВ took it leaves `delivered` for `rejected` (replayable).
    const rows = await until(all, (rs) => rs.length > 20 && rs.every((r) => r.transport?.acknowledgedAt !== undefined
      && ((r.state === 'delivered' && r.transport.remoteStatus === 'accepted') || (r.state === 'rejected' && r.transport.remoteStatus === 'rejected'))),
    'every delivery delivered (or refused), answered and acknowledged');

    const st = smev.state();
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.counters.acks, st.messages.length, 'one Ack per answer, sent by the gateway on its own');
    assert.equal(st.pendingResponses, 0);
    const byId = new Map(st.messages.map((m) => [m.messageId, m.sendingTimestamp]));
    for (const r of rows) assert.equal(r.transport?.sendingTimestamp, byId.get(r.transport?.transportId ?? ''), 'SendingTimestamp of the message that carried it');
    await until(async () => smev.state().pendingStatuses, (n) => n === 0, 'the status queue drained by GetStatus');

    const rejected = rows.filter((r) => r.transport?.remoteStatus === 'rejected');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.entityType, 'mark');
    assert.equal(rejected[0]!.transport?.remoteDetail, 'provider: UNKNOWN_PERSON');
    const warned = lines.filter((l) => l.level === 'warn' && l.message === 'smev3: delivery refused after СМЭВ took it');
    assert.equal(warned.length, 1);
    assert.deepEqual([warned[0]!.meta.schoolId, warned[0]!.meta.recordId, warned[0]!.meta.reason], ['good-school', rejected[0]!.recordId, 'provider: UNKNOWN_PERSON']);

    // The admin API's delivery view carries the transport state, as the OpenAPI document says.
    const app = createApp({
      ledger: g.ledger, tokens: [TOKEN], log: nullLogger, metrics: createMetrics({ ledger: g.ledger, defaultMetrics: false }),
      runtime: { ready: () => true, sources: () => [] },
    });
    const res = await request(app).get(`/api/v1/deliveries/${rejected[0]!.id}`).set('Authorization', `Bearer ${TOKEN}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(deliveryViewValidator()(res.body));
    assert.deepEqual([res.body.transport.remoteStatus, res.body.transport.remoteDetail, res.body.transport.transportId], ['rejected', 'provider: UNKNOWN_PERSON', rejected[0]!.transport?.transportId]);
    const list = await request(app).get('/api/v1/deliveries?sink=smev3&limit=3').set('Authorization', `Bearer ${TOKEN}`);
    assert.ok(list.body.items.every((d: Row) => typeof d.transport?.sendingTimestamp === 'string'));

    await g.stop(2000);
    gw = undefined;
    assert.ok(g.pollers.get('smev3')!.polls > 0);

    // The CLI shows the same, from the ledger file.
    const cfgFile = path.join(dir, 'gateway.json');
    fs.writeFileSync(cfgFile, JSON.stringify(makeConfig(dir)));
    const json = await runCli(['deliveries', '--json', '--sink', 'smev3', '--limit', '100000', '-c', cfgFile], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    const cliRows = JSON.parse(json.stdout) as Row[];
    assert.equal(cliRows.length, rows.length);
    const cliRejected = cliRows.find((r) => r.id === rejected[0]!.id);
    assert.deepEqual([cliRejected?.transport?.remoteStatus, cliRejected?.transport?.remoteDetail, cliRejected?.transport?.sendingTimestamp],
      ['rejected', 'provider: UNKNOWN_PERSON', rejected[0]!.transport?.sendingTimestamp]);
    const table = await runCli(['deliveries', '--sink', 'smev3', '--limit', '100000', '-c', cfgFile], { cwd: dir });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^id\s+sink\s+school\s+entity\s+rev\s+state\s+attempts\s+next\s+transportId\s+sendingTimestamp\s+remote\s+lastError$/m);
    assert.match(table.stdout, new RegExp(`^${rejected[0]!.id}\\s.*${rejected[0]!.transport!.transportId}\\s+\\S+\\+03:00\\s+rejected \\(provider: UNKNOWN_PERSON\\)`, 'm'));

    // The refused record is a dead letter the operator can list and replay from the CLI.
    assert.equal(rejected[0]!.state, 'rejected');
    assert.equal(rows.filter((r) => r.state === 'rejected').length, 1);
    const listed = await runCli(['deliveries', '--json', '--sink', 'smev3', '--state', 'rejected', '-c', cfgFile], { cwd: dir });
    assert.deepEqual((JSON.parse(listed.stdout) as Row[]).map((r) => r.id), [rejected[0]!.id]);
    const replay = await runCli(['replay', String(rejected[0]!.id), '-c', cfgFile], { cwd: dir });
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /replayed 1, superseded by newer versions 0/);
  });
});
