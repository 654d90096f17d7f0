/**
 * The simulated OneRoster consumer on loopback with the sink: the shared sink contract, the raw
 * protocol (OAuth 2, imsx errors that validate against the official schema, validation of every
 * body, references, read-only rostering), every fault kind, and counters that can fail.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { describeSinkContract } from '../../../test/contract/sink.contract';
import { createOneRosterSink, oneRosterConsumerSimulator, startOneRosterConsumer, type OneRosterConsumerHandle } from '../index';
import { checkOneRoster } from '../openapi';
import { SCOPES } from '../spec';
import { assessmentRecord, CLASS_5A, configOf, itemOf, markRecord, sinkCtx, uuid, type Obj } from './helpers';

const GB = '/ims/oneroster/gradebook/v1p2';

async function tokenOf(sim: OneRosterConsumerHandle, scope: string = SCOPES.createPut): Promise<string> {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')}` },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const put = (sim: OneRosterConsumerHandle, path: string, body: unknown, tok?: string): Promise<Response> => fetch(`${sim.url}${path}`, {
  method: 'PUT', headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) }, body: JSON.stringify(body),
});
const isImsx = async (res: Response, codeMinor?: string): Promise<Obj> => {
  const body = (await res.json()) as Obj;
  assert.deepEqual(checkOneRoster('gradebook', 'imsx_StatusInfoDType', body), [], 'an imsx_StatusInfo body');
  if (codeMinor) assert.equal(((body.imsx_CodeMinor as Obj).imsx_codeMinorField as Obj[])[0]?.imsx_codeMinorFieldValue, codeMinor);
  return body;
};

describe('oneroster-consumer simulator with the sink', function () {
  this.timeout(30_000);
  let sim: OneRosterConsumerHandle;
  before(() => nock.enableNetConnect());
  afterEach(async () => { await sim?.close(); });
  const sink = createOneRosterSink;

  it('the factory starts a loopback consumer whose env and credentials reach it', async () => {
    sim = await oneRosterConsumerSimulator.start();
    assert.equal(oneRosterConsumerSimulator.system, 'oneroster-consumer');
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.env.DIARY_SIM_OR_CONSUMER_TOKEN_URL, `${sim.url}/oauth2/token`);
    assert.ok((sim.env.DIARY_SIM_OR_CONSUMER_CLIENT_SECRET ?? '').length >= 16);
    assert.deepEqual(await sink().check(sinkCtx(configOf(sim))), { ok: true, details: { scopes: 1 } });
  });

  it('OAuth 2: a wrong secret is invalid_client, a scope it may not have invalid_scope; calls without a valid token get 401 imsx', async () => {
    sim = await startOneRosterConsumer();
    const bad = await sink().check(sinkCtx(configOf(sim, { clientSecret: 'wrong' })));
    assert.ok(!bad.ok && bad.error.code === 'GW_SINK_AUTH_FAILED' && bad.error.errorClass === 'permanent');
    const scope = await sink().check(sinkCtx(configOf(sim, { scopes: ['https://purl.imsglobal.org/spec/or/v1p2/scope/roster.createput'] })));
    assert.ok(!scope.ok && scope.error.code === 'GW_SINK_AUTH_FAILED' && /scope/.test(scope.error.message));
    const noToken = await put(sim, `${GB}/categories/c1`, {});
    assert.equal(noToken.status, 401);
    await isImsx(noToken, 'unauthorisedrequest');
    const readOnly = await tokenOf(sim, 'https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly');
    const forbidden = await put(sim, `${GB}/categories/c1`, {}, readOnly);
    assert.equal(forbidden.status, 403);
    await isImsx(forbidden, 'forbidden');
  });

  it('validates every body against the official schema: a drifted one is refused 400 invaliddata and not stored', async () => {
    sim = await startOneRosterConsumer();
    const tok = await tokenOf(sim);
    const good = { category: { sourcedId: 'c1', status: 'active', dateLastModified: '2025-11-10T08:00:00Z', title: 'Контрольная работа', weight: 2 } };
    assert.equal((await put(sim, `${GB}/categories/c1`, good, tok)).status, 201);
    const drifted = await put(sim, `${GB}/categories/c2`, { category: { ...good.category, sourcedId: 'c2', weight: '2', colour: 'red' } }, tok);
    assert.equal(drifted.status, 400);
    const body = await isImsx(drifted, 'invaliddata');
    assert.match(String(body.imsx_description), /\/category\/weight/);
    assert.match(String(body.imsx_description), /colour/);
    assert.equal(sim.get('categories', 'c2'), undefined);
    assert.equal((await put(sim, `${GB}/categories/c3`, good, tok)).status, 400, 'the path and the body name different objects');
    const result = await put(sim, `${GB}/results/r1`, { result: { sourcedId: 'r1', status: 'active', dateLastModified: '2025-11-10T08:00:00Z', lineItem: { href: 'http://x/li', sourcedId: 'nope', type: 'lineItem' }, student: { href: 'http://x/u', sourcedId: 's', type: 'user' }, scoreStatus: 'fully graded', scoreDate: '2025-11-10' } }, tok);
    assert.equal(result.status, 404);
    await isImsx(result, 'unknownobject');
    assert.equal((await fetch(`${sim.url}${GB}/lineItems/x`, { method: 'DELETE', headers: { authorization: `Bearer ${tok}` } })).status, 403, 'no delete scope');
    assert.equal((await put(sim, `${GB}/unknown/x`, {}, tok)).status, 404);
    assert.deepEqual(sim.state().counters, { applied: 1, unchanged: 0, deleted: 0, rejected: 3, outOfOrder: 0, appliedTwice: 0 });
  });

  it('counts a stale version after a newer one and one version applied with two contents (the counters can fail)', async () => {
    sim = await startOneRosterConsumer();
    const cfg = configOf(sim);
    await sink().push(sinkCtx(cfg), [itemOf(assessmentRecord(1))]);
    const newer = markRecord(1, { revision: 105, value: { scale: 'five_point', raw: '5', numeric: 5 } });
    const older = markRecord(1, { revision: 104, value: { scale: 'five_point', raw: '3', numeric: 3 } });
    await sink().push(sinkCtx(cfg), [itemOf(newer)]);
    await sink().push(sinkCtx(cfg), [itemOf(newer)]);
    assert.equal(sim.state().counters.unchanged, 1, 'the same content again is not applied again');
    await sink().push(sinkCtx(cfg), [itemOf(older)]);
    assert.equal(sim.state().counters.outOfOrder, 1);
    await sink().push(sinkCtx(cfg), [itemOf({ ...older, teacherComment: 'другое' })]);
    assert.equal(sim.state().counters.appliedTwice, 1);
  });

  it('faults: malformed token answers, HTML errors, expired tokens, statuses with Retry-After, rejections per collection', async () => {
    sim = await startOneRosterConsumer();
    const cfg = configOf(sim);
    sim.inject({ kind: 'malformed' });
    const m = await sink().check(sinkCtx(cfg));
    assert.ok(!m.ok && m.error.code === 'GW_SINK_PROTOCOL');
    const s = sink();
    sim.inject({ kind: 'custom', name: 'html-error' });
    const [html] = await s.push(sinkCtx(cfg), [itemOf(assessmentRecord(1))]);
    assert.ok(html?.status === 'failed' && html.error.code === 'GW_SINK_REJECTED' && html.error.opts.httpStatus === 422);
    assert.equal((await s.push(sinkCtx(cfg), [itemOf(assessmentRecord(1))]))[0]?.status, 'delivered');
    sim.inject({ kind: 'expire-sessions' });
    assert.equal((await s.push(sinkCtx(cfg), [itemOf(markRecord(1))]))[0]?.status, 'delivered', 'renewed once and sent');
    sim.inject({ kind: 'custom', name: 'reject:results' });
    for (let i = 0; i < 2; i++) {
      const [o] = await s.push(sinkCtx(cfg), [itemOf(markRecord(2 + i))]);
      assert.ok(o?.status === 'failed' && o.error.errorClass === 'invalid_data');
    }
    sim.inject({ kind: 'clear' });
    assert.equal((await s.push(sinkCtx(cfg), [itemOf(markRecord(9))]))[0]?.status, 'delivered');
    assert.throws(() => sim.inject({ kind: 'custom', name: 'reject:nothing' }), /unknown collection/);
    const ctl = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 503, count: 1, retryAfterSec: 4 }) });
    assert.equal(ctl.status, 204);
    await assert.rejects(s.push(sinkCtx(cfg), [itemOf(markRecord(10))]), (e: { code?: string; retryAfterMs?: number }) => e.code === 'GW_SINK_UNAVAILABLE' && e.retryAfterMs === 4000);
    assert.deepEqual(await (await fetch(`${sim.url}/_sim/state`)).json(), sim.state());
  });

  it('rostering writes: refused 405 (read-only) by default, so the item is rejected with the reason; taken when the consumer accepts them', async () => {
    const person = { ...assessmentRecord(1), entityType: 'person', id: uuid('person', 's1'), roles: ['student'], familyName: 'Иванова', givenName: 'Анна' };
    const cls = { ...assessmentRecord(1), entityType: 'class_group', id: CLASS_5A, kind: 'class', title: '5А', gradeLevel: 5, academicYearId: uuid('y') };
    sim = await startOneRosterConsumer();
    const [refused] = await sink().push(sinkCtx(configOf(sim, { rostering: true })), [itemOf(person)]);
    assert.ok(refused?.status === 'failed' && refused.error.code === 'GW_SINK_REJECTED' && refused.error.opts.httpStatus === 405);
    await sim.close();
    sim = await startOneRosterConsumer({ acceptRostering: true });
    const out = await sink().push(sinkCtx(configOf(sim, { rostering: true })), [itemOf(cls), itemOf(person)]);
    assert.ok(out.every((o) => o.status === 'delivered'));
    assert.equal((sim.get('users', String(person.id))?.object as Obj).givenName, 'Анна');
    assert.equal((sim.get('classes', CLASS_5A)?.object as Obj).classType, 'homeroom');
    assert.equal(sim.state().sizes.courses, 1, 'the homeroom course went first');
  });
});

describeSinkContract('oneroster-sink', {
  adapter: createOneRosterSink(),
  startSimulator: () => startOneRosterConsumer(),
  config: (sim) => configOf(sim as OneRosterConsumerHandle),
  badAuthConfig: (sim) => configOf(sim as OneRosterConsumerHandle, { clientSecret: 'wrong-secret' }),
  appliedCount: async (sim) => {
    const st = (sim as OneRosterConsumerHandle).state();
    return (st.appliedBy.lineItems ?? 0) + (st.appliedBy.results ?? 0);
  },
  rejectNext: (sim, entityType) => sim.inject({ kind: 'custom', name: `reject:${entityType === 'mark' ? 'results' : 'lineItems'}`, count: 1 }),
  items: (n) => Array.from({ length: n }, (_, i) => itemOf(assessmentRecord(i + 1))),
});
