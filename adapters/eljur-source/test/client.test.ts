/**
 * The ЭлЖур client's HTTP quirks against nock: query auth (devkey, vendor, out_format,
 * auth_token), POST/GET auth, the response envelope with errors inside HTTP 200, token renewal
 * (expired, revoked, short-lived), a configured non-renewable token.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { EljurClient, unwrapEnvelope, type EljurClientConfig } from '../client';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';

const HOST = 'http://school7.eljur.test';
const DEVKEY = '0123456789abcdef0123456789abcdef';
const cfg: EljurClientConfig = { baseUrl: `${HOST}/apiv3/`, vendor: 'school7', devkey: DEVKEY, login: 'zavuch', password: 'Пароль-1', utcOffset: '+03:00' };
const common = { devkey: DEVKEY, vendor: 'school7', out_format: 'json' };
const ok = (result: unknown) => ({ response: { state: 200, error: null, result } });
const fail = (state: number, error: string) => ({ response: { state, error, result: {} } });

function client(c: EljurClientConfig = cfg, now = () => new Date('2025-10-16T09:00:00Z')): EljurClient {
  const http = createHttpClient({ log: nullLogger, now, sleep: async () => undefined, maxAttempts: 1 });
  return new EljurClient(c, { http, log: nullLogger, now });
}

let seq = 0;
function expectAuth(expires = '2026-01-14 12:00:00'): string {
  const token = `tok-${++seq}`;
  nock(HOST).post('/apiv3/auth', { login: 'zavuch', password: 'Пароль-1' }).query(common)
    .matchHeader('content-type', /application\/json/).reply(200, ok({ token, expires }));
  return token;
}

const rejects = (p: Promise<unknown>): Promise<GatewayError> => rejectsGateway(p, { notGateway: String });

describe('eljur client (nock)', () => {
  nockOnly('no pending interceptors');

  it('auths with POST JSON and sends devkey, vendor, out_format=json and auth_token in the query of data calls', async () => {
    const token = expectAuth();
    nock(HOST).get('/apiv3/getmarks').query({ ...common, auth_token: token, student: '501', days: '20251013-20251019' }).reply(200, ok({ students: {} }));
    assert.deepEqual(await client().call('getmarks', { student: '501', days: '20251013-20251019' }), { students: {} });
  });

  it('auths with GET and login/password in the query when configured', async () => {
    nock(HOST).get('/apiv3/auth').query({ ...common, login: 'zavuch', password: 'Пароль-1' }).reply(200, ok({ token: 't', expires: '2026-01-14 12:00:00' }));
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: 't' }).reply(200, ok({ vendor: 'school7' }));
    assert.deepEqual(await client({ ...cfg, authMethod: 'get-query' }).call('getrules'), { vendor: 'school7' });
  });

  it('reads errors inside HTTP 200 through the table: state 500 retryable, state 400 protocol, bad devkey permanent', async () => {
    const token = expectAuth();
    nock(HOST).get('/apiv3/getrules').query(true).reply(200, fail(500, 'Внутренняя ошибка'));
    const c = client();
    const e1 = await rejects(c.call('getrules'));
    assert.equal(e1.code, 'GW_SRC_UNAVAILABLE');
    assert.equal(e1.errorClass, 'retryable');
    nock(HOST).get('/apiv3/getmarks').query({ ...common, auth_token: token }).reply(200, fail(400, 'Неверный формат параметра days'));
    assert.equal((await rejects(c.call('getmarks'))).code, 'GW_SRC_PROTOCOL');
    nock(HOST).get('/apiv3/getrules').query(true).reply(400, fail(400, 'не удалось авторизовать разработчика'));
    const e3 = await rejects(c.call('getrules'));
    assert.equal(e3.code, 'GW_SRC_AUTH_FAILED');
    assert.doesNotMatch(e3.message, /разработчика/, 'vendor text is not echoed');
  });

  it('turns a refused auth (state 400 in HTTP 200) into GW_SRC_AUTH_FAILED and a token-less success too', async () => {
    nock(HOST).post('/apiv3/auth').query(common).reply(200, fail(400, 'Неверный логин или пароль'));
    assert.equal((await rejects(client().authenticate())).code, 'GW_SRC_AUTH_FAILED');
    nock(HOST).post('/apiv3/auth').query(common).reply(200, ok({ expires: '2026-01-14 12:00:00' }));
    assert.equal((await rejects(client().authenticate())).code, 'GW_SRC_AUTH_FAILED');
  });

  it('renews a revoked token once (state 403 in HTTP 200) and repeats the call', async () => {
    const first = expectAuth();
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: first }).reply(200, fail(403, 'Токен недействителен'));
    const second = expectAuth();
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: second }).reply(200, ok({ id: 1 }));
    assert.deepEqual(await client().call('getrules'), { id: 1 });
  });

  it('gives up with GW_SRC_SESSION_EXPIRED when the fresh token is refused too', async () => {
    expectAuth();
    nock(HOST).get('/apiv3/getrules').query(true).reply(401, fail(401, 'Не передан токен'));
    expectAuth();
    nock(HOST).get('/apiv3/getrules').query(true).reply(200, fail(403, 'Токен недействителен'));
    const e = await rejects(client().call('getrules'));
    assert.equal(e.code, 'GW_SRC_SESSION_EXPIRED');
    assert.equal(e.errorClass, 'retryable');
  });

  it('renews before `expires` (school wall clock) minus the margin, but never on every call for a short token', async () => {
    let t = Date.parse('2025-10-16T09:00:00Z');
    const c = client({ ...cfg, renewBeforeMinutes: 60 }, () => new Date(t));
    const a = expectAuth('2025-10-16 14:00:00'); // 11:00Z: two hours from now
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: a }).twice().reply(200, ok({}));
    await c.call('getrules');
    t += 30 * 60_000;
    await c.call('getrules');
    t += 31 * 60_000; // 10:01Z: inside the last hour
    const b = expectAuth('2025-10-16 13:30:00'); // a short token: 29 minutes
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: b }).twice().reply(200, ok({}));
    await c.call('getrules');
    await c.call('getrules');
  });

  it('uses a configured authToken without auth, and calls its refusal permanent', async () => {
    const c = client({ baseUrl: cfg.baseUrl, vendor: 'school7', devkey: DEVKEY, authToken: 'esia-token' });
    nock(HOST).get('/apiv3/getrules').query({ ...common, auth_token: 'esia-token' }).reply(200, ok({ a: 1 }));
    assert.deepEqual(await c.call('getrules'), { a: 1 });
    nock(HOST).get('/apiv3/getrules').query(true).reply(200, fail(403, 'Токен недействителен'));
    const e = await rejects(c.call('getrules'));
    assert.equal(e.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(e.errorClass, 'permanent');
  });

  it('calls a body without the envelope, or an HTML page with 200, a protocol error; an HTML 502 unavailable', async () => {
    expectAuth();
    const c = client();
    nock(HOST).get('/apiv3/getrules').query(true).reply(200, { students: {} });
    assert.equal((await rejects(c.call('getrules'))).code, 'GW_SRC_PROTOCOL');
    nock(HOST).get('/apiv3/getrules').query(true).reply(200, '<html>maintenance</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejects(c.call('getrules'))).code, 'GW_SRC_PROTOCOL');
    nock(HOST).get('/apiv3/getrules').query(true).reply(502, '<html>Bad Gateway</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejects(c.call('getrules'))).code, 'GW_SRC_UNAVAILABLE');
  });
});

describe('eljur envelope', () => {
  it('accepts state as a number or a numeric string and treats an empty error as none', () => {
    assert.deepEqual(unwrapEnvelope({ response: { state: '200', error: '', result: { a: 1 } } }), { state: 200, error: null, result: { a: 1 } });
    assert.deepEqual(unwrapEnvelope({ response: { state: 400, error: 'x', result: {} } }), { state: 400, error: 'x', result: {} });
    assert.equal(unwrapEnvelope({ result: [] }), undefined);
    assert.equal(unwrapEnvelope('text'), undefined);
  });
});
