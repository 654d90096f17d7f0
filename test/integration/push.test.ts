/**
 * Push intake over HTTP: createPushRouter mounted on its own express app (as the lead mounts it,
 * outside /api), a real SQLite ledger file, the real validator, supertest on loopback and a
 * fake clock (timestamps and the idempotency window follow it).
 */
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger, SinkRoute } from '../../src/core/ledger';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { createPushApp, createPushRouter, type PushTarget } from '../../src/http/push-routes';
import { signPushBody } from '../../adapters/push-source/auth';
import { resolvePushConfig, type PushSourceConfig } from '../../adapters/push-source/spec';
import { markItem, recordingLogger, subjectItem, tableCounts, type LogLine } from '../../adapters/push-source/test/support';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';

const SECRET_A = 'school-a-secret-0123456789abcdef';
const SECRET_B = 'school-b-secret-0123456789abcdef';
const TOKEN_B = 'school-b-bearer-token-0123456789';
const PATH_A = '/intake/v1/schools/school-a/sources/journal/records';
const PATH_B = '/intake/v1/schools/school-b/sources/journal/records';
const PATH_B_TOKEN = '/intake/v1/schools/school-b/sources/tokens/records';
const PORTAL: SinkRoute = { sinkId: 'portal', maxAttempts: 5 };
const ROUTER_CAP = 64 * 1024;

describe('push intake over HTTP', () => {
  let ledger: Ledger;
  let file: string;
  let clock: FakeClock;
  let lines: LogLine[];
  let woken: number;
  let routes: SinkRoute[];
  let app: express.Express;

  const targets = (): Record<string, PushTarget> => {
    const t = (schoolId: string, instanceId: string, cfg: PushSourceConfig): PushTarget => ({
      schoolId, instanceId, config: resolvePushConfig(cfg), routes, idNamespace: DEFAULT_ID_NAMESPACE,
    });
    return {
      'school-a/journal': t('school-a', 'journal', { auth: 'hmac', hmacSecret: SECRET_A, maxItems: 5, maxBytes: 16 * 1024 }),
      'school-b/journal': t('school-b', 'journal', { auth: 'hmac', hmacSecret: SECRET_B }),
      'school-b/tokens': t('school-b', 'tokens', { auth: 'bearer', bearerToken: TOKEN_B }),
    };
  };

  beforeEach(async () => {
    ({ ledger, file } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    lines = [];
    woken = 0;
    routes = [PORTAL];
    app = express();
    app.use(createPushRouter({
      ledger, validator: getCanonicalValidator(), now: () => clock.now(), log: recordingLogger(lines),
      onEnqueued: () => { woken++; }, maxBodyBytes: ROUTER_CAP,
      // Looked up per request, so a test may change `routes`.
      pushTarget: (school, instance) => targets()[`${school}/${instance}`],
    }));
    app.use((_req, res) => { res.status(404).json({ fallthrough: true }); });
  });
  afterEach(async () => { await ledger.close(); });

  const nowSec = (): number => Math.floor(clock.now().getTime() / 1000);
  const batch = (records: unknown[]): string => JSON.stringify({ records });
  function signed(path: string, body: string, secret = SECRET_A, ts = nowSec(), headers: Record<string, string> = {}): request.Test {
    const t = request(app).post(path).set('Content-Type', 'application/json')
      .set('X-Diary-Timestamp', String(ts)).set('X-Diary-Signature', signPushBody(secret, ts, body));
    for (const [k, v] of Object.entries(headers)) t.set(k, v);
    return t.send(body);
  }
  const empty = { records: 0, record_versions: 0, deliveries: 0, quarantine: 0 };

  it('takes in a signed batch: 200, one answer per item in order, deliveries queued, workers woken', async () => {
    const res = await signed(PATH_A, batch([subjectItem(1), markItem(1)]));
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body.summary, { received: 2, created: 2, updated: 0, unchanged: 0, invalid: 0, held: 0, enqueued: 2 });
    assert.deepEqual(res.body.items.map((i: { index: number; sourceId: string; status: string }) => [i.index, i.sourceId, i.status]), [[0, 'subj-1', 'created'], [1, 'mark-1', 'created']]);
    const stored = await ledger.getRecord(res.body.items[1].id);
    assert.equal(stored?.schoolId, 'school-a');
    assert.equal(res.body.items[1].revision, stored?.revision);
    const [run] = await ledger.listRuns({ schoolId: 'school-a' });
    assert.equal(run?.runId, res.body.runId);
    assert.equal(run?.trigger, 'push');
    assert.equal((await ledger.listDeliveries({ state: 'pending' })).length, 2);
    assert.equal(woken, 1);
  });

  it('answers 207 with issues when some items are invalid, and quarantines them', async () => {
    const res = await signed(PATH_A, batch([subjectItem(1), markItem(2, '9'), { entityType: 'mark' }]));
    assert.equal(res.status, 207, res.text);
    assert.deepEqual(res.body.items.map((i: { status: string }) => i.status), ['created', 'invalid', 'invalid']);
    assert.deepEqual(res.body.items[1].issues, [{ path: '/value/numeric', message: 'must be <= 5 or be null' }]);
    assert.deepEqual(res.body.items[2].issues, [{ path: '/sourceId', message: 'must be a string of 1 to 512 characters' }]);
    assert.equal(res.body.summary.invalid, 2);
    assert.deepEqual((await ledger.listQuarantine({ schoolId: 'school-a' })).map((q) => q.sourceId), ['mark-2']);
  });

  it('a retry of the same batch, signed anew, changes nothing and wakes nobody', async () => {
    const body = batch([subjectItem(1), markItem(1), markItem(2, '0')]);
    const first = await signed(PATH_A, body);
    const before = tableCounts(file);
    const deliveriesBefore = await ledger.listDeliveries({});
    clock.advance(90_000);
    const again = await signed(PATH_A, body);
    assert.equal(again.status, 207);
    assert.deepEqual(again.body.items.map((i: { status: string }) => i.status), ['unchanged', 'unchanged', 'invalid']);
    assert.deepEqual(again.body.items.map((i: { revision?: number }) => i.revision), first.body.items.map((i: { revision?: number }) => i.revision));
    assert.deepEqual(tableCounts(file), before);
    assert.deepEqual(await ledger.listDeliveries({}), deliveriesBefore, 'outbox untouched');
    assert.equal(woken, 1);
  });

  it('refuses bad credentials with one indistinguishable 401, writing nothing', async () => {
    const body = batch([subjectItem(1)]);
    const ts = nowSec();
    const attempts: Array<[string, request.Test]> = [
      ['bad signature', request(app).post(PATH_A).set('X-Diary-Timestamp', String(ts)).set('X-Diary-Signature', `sha256=${'0'.repeat(64)}`).send(body)],
      ['wrong secret', signed(PATH_A, body, SECRET_B)],
      ['tampered body', request(app).post(PATH_A).set('X-Diary-Timestamp', String(ts)).set('X-Diary-Signature', signPushBody(SECRET_A, ts, body)).send(body.replace('1', '2'))],
      ['missing headers', request(app).post(PATH_A).send(body)],
      ['missing timestamp', request(app).post(PATH_A).set('X-Diary-Signature', signPushBody(SECRET_A, ts, body)).send(body)],
      ['stale, wrongly signed', signed(PATH_A, body, SECRET_B, ts - 3600)],
      ["school A's secret on school B's path", signed(PATH_B, body, SECRET_A)],
      ['unknown school', signed('/intake/v1/schools/nowhere/sources/journal/records', body)],
      ['unknown source', signed('/intake/v1/schools/school-a/sources/nothing/records', body)],
      ['bearer token on an hmac source', request(app).post(PATH_A).set('Authorization', `Bearer ${SECRET_A}`).send(body)],
      ['hmac on a bearer source', signed(PATH_B_TOKEN, body, TOKEN_B)],
    ];
    const bodies = new Set<string>();
    for (const [what, req] of attempts) {
      const res = await req;
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, what);
      assert.match(String(res.headers['www-authenticate']), /Bearer realm=/, what);
      assert.equal(res.body.code, 'GW_PUSH_UNAUTHORIZED', what);
      bodies.add(res.text);
    }
    assert.equal(bodies.size, 1, 'every refusal reads the same, known school or not');
    assert.deepEqual(tableCounts(file), empty);
    assert.equal((await ledger.listRuns({})).length, 0);
  });

  it('a correctly signed but stale or future timestamp is refused naming the skew', async () => {
    const body = batch([subjectItem(1)]);
    for (const ts of [nowSec() - 301, nowSec() + 400]) {
      const res = await signed(PATH_A, body, SECRET_A, ts);
      assert.equal(res.status, 401);
      assert.match(res.body.detail, /within 300 s of the gateway clock/);
    }
    assert.equal((await signed(PATH_A, body, SECRET_A, nowSec() - 299)).status, 200);
  });

  it('bearer mode: the right token passes, another school\'s secret does not', async () => {
    const body = batch([subjectItem(7)]);
    const ok = await request(app).post(PATH_B_TOKEN).set('Authorization', `Bearer ${TOKEN_B}`).send(body);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await ledger.getRecord(ok.body.items[0].id))?.schoolId, 'school-b');
    const bad = await request(app).post(PATH_B_TOKEN).set('Authorization', `Bearer ${SECRET_B}`).send(body);
    assert.equal(bad.status, 401);
  });

  it('Idempotency-Key: a repeat gets the first answer, another body under the key is refused, the window is 24 h', async () => {
    const body = batch([subjectItem(1), markItem(1)]);
    const key = { 'Idempotency-Key': 'batch-2025-11-13-0001' };
    const first = await signed(PATH_A, body, SECRET_A, nowSec(), key);
    assert.equal(first.status, 200);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    clock.advance(3600_000);
    const before = tableCounts(file);
    const replay = await signed(PATH_A, body, SECRET_A, nowSec(), key);
    assert.equal(replay.status, 200);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.text, first.text, 'the stored first answer, byte for byte');
    assert.deepEqual(tableCounts(file), before);
    assert.equal((await ledger.listRuns({})).length, 1, 'no second run');

    const other = await signed(PATH_A, batch([subjectItem(2)]), SECRET_A, nowSec(), key);
    assert.equal(other.status, 422);
    assert.equal(other.body.issues[0].path, '/headers/idempotency-key');
    // The key is per school and source: school B may use the same one.
    assert.equal((await signed(PATH_B, body, SECRET_B, nowSec(), key)).headers['idempotent-replayed'], undefined);

    clock.advance(24 * 3600_000);
    const late = await signed(PATH_A, body, SECRET_A, nowSec(), key);
    assert.equal(late.headers['idempotent-replayed'], undefined);
    assert.deepEqual(late.body.items.map((i: { status: string }) => i.status), ['unchanged', 'unchanged'], 'content-hash dedup still holds');
  });

  it('Idempotency-Key: concurrent repeats share one run; a malformed key is a 400', async () => {
    const body = batch([subjectItem(1)]);
    const key = { 'Idempotency-Key': 'same' };
    const [a, b] = await Promise.all([signed(PATH_A, body, SECRET_A, nowSec(), key), signed(PATH_A, body, SECRET_A, nowSec(), key)]);
    assert.equal(a.text, b.text);
    assert.equal(a.body.items[0].status, 'created');
    assert.equal((await ledger.listRuns({})).length, 1);
    const bad = await signed(PATH_A, body, SECRET_A, nowSec(), { 'Idempotency-Key': 'two words' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.issues[0].path, '/headers/idempotency-key');
  });

  it('limits: the router cap before auth, the instance limits after it; nothing is written', async () => {
    const huge = batch([subjectItem(1, 'x'.repeat(ROUTER_CAP))]);
    for (const path of [PATH_A, '/intake/v1/schools/nowhere/sources/journal/records']) {
      const res = await signed(path, huge);
      assert.equal(res.status, 413, path);
      assert.equal(res.body.status, 413);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    const big = batch([subjectItem(1, 'x'.repeat(20 * 1024))]);
    const overInstance = await signed(PATH_A, big);
    assert.equal(overInstance.status, 413);
    assert.match(overInstance.body.issues[0].message, /at most 16384 bytes/);
    assert.equal((await signed('/intake/v1/schools/school-a/sources/nothing/records', big)).status, 401, 'unknown: auth decides first');

    const tooMany = await signed(PATH_A, batch([1, 2, 3, 4, 5, 6].map((n) => subjectItem(n))));
    assert.equal(tooMany.status, 413);
    assert.deepEqual(tooMany.body.issues, [{ path: '/records', message: 'must have at most 5 items; split the batch' }]);
    assert.deepEqual(tableCounts(file), empty);
    assert.equal((await ledger.listRuns({})).length, 0);
  });

  it('bad JSON and a wrong shape are 400 with a path; the body is not quoted', async () => {
    const broken = '{"records": [\n {"entityType": "subject", "sourceId": "Секретный-ид", "title": }\n]}';
    const res = await signed(PATH_A, broken);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'GW_API_BAD_REQUEST');
    assert.match(res.body.issues[0].message, /^body is not valid JSON \(line 2, column \d+\)$/);
    assert.ok(!res.text.includes('Секретный'));
    const shape = await signed(PATH_A, '{"items": []}');
    assert.deepEqual(shape.body.issues.map((i: { path: string }) => i.path), ['/items', '/records']);
    assert.deepEqual(tableCounts(file), empty);
  });

  it('tombstones over HTTP: status tobedeleted by reference is stored and delivered once', async () => {
    await signed(PATH_A, batch([markItem(1)]));
    const del = batch([{ entityType: 'mark', sourceId: 'mark-1', status: 'tobedeleted' }]);
    const res = await signed(PATH_A, del);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.items[0].status, 'updated');
    assert.equal((await ledger.getRecord(res.body.items[0].id))?.status, 'tobedeleted');
    const pending = (await ledger.listDeliveries({ state: 'pending' })).map((d) => d.revision);
    assert.deepEqual(pending, [res.body.items[0].revision], 'the create was superseded by the delete');
    assert.equal((await signed(PATH_A, del)).body.items[0].status, 'unchanged');
  });

  it('a ledger failure is a problem answer with a fixed text and a failed run', async () => {
    routes = [PORTAL, PORTAL]; // the ledger refuses a sink routed twice (a wiring bug)
    const res = await signed(PATH_A, batch([subjectItem(1)]));
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'GW_INTERNAL');
    assert.equal(res.body.detail, 'Internal error; see the gateway log.');
    assert.equal((await ledger.listRuns({}))[0]?.status, 'failed');
    assert.deepEqual(tableCounts(file), empty);
  });

  it('other methods and paths fall through to the app', async () => {
    assert.deepEqual((await request(app).get(PATH_A)).body, { fallthrough: true });
    assert.deepEqual((await request(app).post('/intake/v1/schools/school-a/records').send('{}')).body, { fallthrough: true });
  });

  it('createPushApp serves the route alone and answers anything else with a 404 problem', async () => {
    const own = createPushApp({ ledger, validator: getCanonicalValidator(), now: () => clock.now(), pushTarget: (s, i) => targets()[`${s}/${i}`] });
    const body = batch([subjectItem(3)]);
    const ts = nowSec();
    const ok = await request(own).post(PATH_A).set('X-Diary-Timestamp', String(ts)).set('X-Diary-Signature', signPushBody(SECRET_A, ts, body)).send(body);
    assert.equal(ok.status, 200, ok.text);
    const missing = await request(own).get('/api/v1/status');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'GW_API_NOT_FOUND');
  });

  it('logs school, source, run id, status and counts; never values, ids from the journal, secrets or signatures', async () => {
    const comment = 'Сидоров опоздал на контрольную';
    const body = batch([markItem(1, '5', comment), markItem(2, '7', comment), subjectItem(9, 'Особый предмет')]);
    const ts = nowSec();
    await signed(PATH_A, body, SECRET_A, ts);
    await signed(PATH_A, body, SECRET_B, ts);
    await signed(PATH_A, '{"records": [ {"sourceId": "Петров-ид" ]}', SECRET_A, ts);
    const answered = lines.find((l) => l.message === 'push answered');
    assert.equal(answered?.schoolId, 'school-a');
    assert.equal(answered?.source, 'journal');
    assert.equal(answered?.status, 207);
    assert.equal(answered?.created, 2);
    assert.equal(answered?.invalid, 1);
    assert.ok(typeof answered?.runId === 'string');
    assert.ok(lines.some((l) => l.message === 'push refused' && l['status'] === 401 && l['reason'] === 'unauthenticated'));
    const text = JSON.stringify(lines);
    for (const v of [comment, 'Сидоров', 'Особый', 'mark-1', 'mark-2', 'subj-9', 'Петров', 'st-1', SECRET_A, SECRET_B, signPushBody(SECRET_A, ts, body).slice(7, 30)]) {
      assert.ok(!text.includes(v), `log mentions ${v}`);
    }
  });
});
