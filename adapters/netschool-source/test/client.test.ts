/**
 * The NetSchool client's quirks against nock: the login dance (cookie, salted cp1251 hash,
 * Referer), 409 login failures, 403 school search, re-login once on 401, the SecurityWarning
 * page, and logout.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { NetschoolClient, absorbSetCookie, pickSchool, type NetschoolClientConfig } from '../client';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';

const ORIGIN = 'http://sgo.test';
const PASSWORD = 'Пароль1';
const SALT = '777000111';
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const PW2 = md5(SALT + md5(iconv.encode(PASSWORD, 'win1251')));

const cfg: NetschoolClientConfig = { baseUrl: `${ORIGIN}/`, login: 'parent1', password: PASSWORD, schoolName: 'МБОУ СОШ № 7' };
const WARNING_HTML = '<html><body>Под вашим логином работает кто-то другой. <a href="/asp/SecurityWarning.asp">Далее</a></body></html>';

function client(c: NetschoolClientConfig = cfg): NetschoolClient {
  const http = createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined, maxAttempts: 1 });
  return new NetschoolClient(c, { http, log: nullLogger, now: () => new Date() });
}

let tokenSeq = 0;
/** Interceptors for one full login; returns the `at` the server hands out. */
function expectLogin(opts: { cookie?: string; search?: boolean } = {}): string {
  const cookie = opts.cookie ?? 'abcdef0123456789abcdef0123456789';
  const at = `token-${++tokenSeq}`;
  nock(ORIGIN).get('/webapi/logindata').reply(200, { schoolLogin: true }, { 'Set-Cookie': `NSSESSIONID=${cookie}; path=/; HttpOnly` });
  nock(ORIGIN).post('/webapi/auth/getdata').matchHeader('cookie', `NSSESSIONID=${cookie}`).reply(200, { lt: '123', ver: '456', salt: SALT });
  if (opts.search !== false) {
    nock(ORIGIN).get('/webapi/schools/search').query({ name: 'МБОУ СОШ № 7' })
      .reply(200, [{ id: 71, name: 'МБОУ СОШ № 71', shortName: 'МБОУ СОШ № 71' }, { id: 7, name: 'Школа седьмая', shortName: 'МБОУ СОШ № 7' }]);
  }
  nock(ORIGIN).post('/webapi/login', (body: Record<string, string>) =>
    body.loginType === '1' && body.scid === '7' && body.un === 'parent1' && body.pw2 === PW2 && body.pw === PW2.slice(0, PASSWORD.length)
    && body.lt === '123' && body.ver === '456')
    .matchHeader('referer', `${ORIGIN}/`)
    .matchHeader('content-type', /application\/x-www-form-urlencoded/)
    .reply(200, { at, timeOut: 3600 });
  return at;
}

const rejects = (p: Promise<unknown>): Promise<GatewayError> => rejectsGateway(p);

describe('netschool client (nock)', () => {
  nockOnly('no pending interceptors');

  it('logs in with the salted cp1251 hash and sends at + NSSESSIONID + Referer on data calls', async () => {
    const at = expectLogin();
    nock(ORIGIN).get('/webapi/context').matchHeader('at', at).matchHeader('cookie', /NSSESSIONID=abcdef0123456789abcdef0123456789/)
      .matchHeader('referer', `${ORIGIN}/`).reply(200, { userId: 1 });
    const c = client();
    assert.deepEqual(await c.get('context'), { userId: 1 });
    assert.equal(c.state.schoolId, 7, 'exact short name wins over a substring match');
  });

  it('skips the school search when schoolId is configured', async () => {
    expectLogin({ search: false });
    nock(ORIGIN).get('/webapi/context').reply(200, {});
    await client({ ...cfg, schoolName: undefined, schoolId: 7 }).get('context');
  });

  it('turns a 409 login into a permanent GW_SRC_AUTH_FAILED without echoing the server message', async () => {
    nock(ORIGIN).get('/webapi/logindata').reply(200, {}, { 'Set-Cookie': 'NSSESSIONID=c1; path=/' });
    nock(ORIGIN).post('/webapi/auth/getdata').reply(200, { lt: '1', ver: '2', salt: SALT });
    nock(ORIGIN).get('/webapi/schools/search').query(true).reply(200, [{ id: 7, shortName: 'МБОУ СОШ № 7' }]);
    nock(ORIGIN).post('/webapi/login').reply(409, { message: 'Неправильный пароль или имя пользователя parent1' });
    const e = await rejects(client().login());
    assert.equal(e.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(e.errorClass, 'permanent');
    assert.equal(e.opts.httpStatus, 409);
    assert.doesNotMatch(e.message, /parent1|Неправильный/);
  });

  it('treats a 200 login without `at` as failed credentials', async () => {
    nock(ORIGIN).get('/webapi/logindata').reply(200, {});
    nock(ORIGIN).post('/webapi/auth/getdata').reply(200, { lt: '1', ver: '2', salt: SALT });
    nock(ORIGIN).get('/webapi/schools/search').query(true).reply(200, [{ id: 7, shortName: 'МБОУ СОШ № 7' }]);
    nock(ORIGIN).post('/webapi/login').reply(200, { message: 'no' });
    assert.equal((await rejects(client().login())).code, 'GW_SRC_AUTH_FAILED');
  });

  it('reports an ESIA-only server (no salt from auth/getdata) as failed credentials', async () => {
    nock(ORIGIN).get('/webapi/logindata').reply(200, {});
    nock(ORIGIN).post('/webapi/auth/getdata').reply(200, {});
    assert.equal((await rejects(client().login())).code, 'GW_SRC_AUTH_FAILED');
  });

  it('maps a 403 school search (name filter required) to a permanent protocol error', async () => {
    nock(ORIGIN).get('/webapi/logindata').reply(200, {});
    nock(ORIGIN).post('/webapi/auth/getdata').reply(200, { lt: '1', ver: '2', salt: SALT });
    nock(ORIGIN).get('/webapi/schools/search').query(true).reply(403, 'Forbidden');
    const e = await rejects(client().login());
    assert.equal(e.code, 'GW_SRC_PROTOCOL');
    assert.equal(e.errorClass, 'permanent');
  });

  it('reports an unknown school as GW_SRC_NOT_FOUND', async () => {
    nock(ORIGIN).get('/webapi/logindata').reply(200, {});
    nock(ORIGIN).post('/webapi/auth/getdata').reply(200, { lt: '1', ver: '2', salt: SALT });
    nock(ORIGIN).get('/webapi/schools/search').query(true).reply(200, []);
    assert.equal((await rejects(client().login())).code, 'GW_SRC_NOT_FOUND');
  });

  it('logs in again once on 401 and repeats the call', async () => {
    const first = expectLogin();
    nock(ORIGIN).get('/webapi/years/current').matchHeader('at', first).reply(401);
    const second = expectLogin({ cookie: 'fedcba9876543210fedcba9876543210', search: false });
    nock(ORIGIN).get('/webapi/years/current').matchHeader('at', second).matchHeader('cookie', /NSSESSIONID=fedcba98/).reply(200, { id: 5 });
    assert.deepEqual(await client().get('years/current'), { id: 5 });
  });

  it('gives up with GW_SRC_SESSION_EXPIRED when the fresh session is refused too', async () => {
    expectLogin();
    nock(ORIGIN).get('/webapi/years/current').reply(401);
    expectLogin({ search: false });
    nock(ORIGIN).get('/webapi/years/current').reply(401);
    const e = await rejects(client().get('years/current'));
    assert.equal(e.code, 'GW_SRC_SESSION_EXPIRED');
    assert.equal(e.errorClass, 'retryable');
  });

  it('confirms the SecurityWarning page with POST /asp/SecurityWarning.asp (at, WarnType=2) and repeats the call', async () => {
    const at = expectLogin();
    nock(ORIGIN).get('/webapi/context').reply(200, WARNING_HTML, { 'Content-Type': 'text/html; charset=utf-8' });
    nock(ORIGIN).post('/asp/SecurityWarning.asp', { at, WarnType: '2' }).reply(200, '<html>ok</html>', { 'Content-Type': 'text/html' });
    nock(ORIGIN).get('/webapi/context').reply(200, { userId: 1 });
    assert.deepEqual(await client().get('context'), { userId: 1 });
  });

  it('fails with GW_SRC_SESSION_COLLISION when the warning comes back after confirming', async () => {
    expectLogin();
    nock(ORIGIN).get('/webapi/context').twice().reply(200, WARNING_HTML, { 'Content-Type': 'text/html' });
    nock(ORIGIN).post('/asp/SecurityWarning.asp').reply(200, 'ok', { 'Content-Type': 'text/html' });
    const e = await rejects(client().get('context'));
    assert.equal(e.code, 'GW_SRC_SESSION_COLLISION');
  });

  it('calls an HTML page where JSON was expected a protocol error', async () => {
    expectLogin();
    nock(ORIGIN).get('/webapi/context').reply(200, '<html>maintenance</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejects(client().get('context'))).code, 'GW_SRC_PROTOCOL');
  });

  it('logs out with POST /webapi/auth/logout and tolerates 401 there', async () => {
    const at = expectLogin();
    nock(ORIGIN).get('/webapi/context').reply(200, {});
    nock(ORIGIN).post('/webapi/auth/logout').matchHeader('at', at).reply(401);
    const c = client();
    await c.get('context');
    await c.logout();
    assert.equal(c.loggedIn, false);
    await c.logout(); // no session: no call
  });
});

describe('netschool client helpers', () => {
  it('absorbs cookies from a joined Set-Cookie header with Expires dates', () => {
    const jar = new Map<string, string>();
    absorbSetCookie(jar, 'NSSESSIONID=aa11; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/, other=1; Path=/');
    assert.deepEqual([...jar], [['NSSESSIONID', 'aa11'], ['other', '1']]);
    absorbSetCookie(jar, ['other=; expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    assert.deepEqual([...jar], [['NSSESSIONID', 'aa11']]);
  });

  it('picks the school by exact (normalised) name, the only hit, or refuses', () => {
    const list = [{ id: 1, name: 'МБОУ «СОШ № 7»', shortName: 'СОШ 7' }, { id: 2, name: 'МБОУ «СОШ № 71»' }];
    assert.deepEqual(pickSchool(list, 'мбоу сош № 7'), list[0]);
    assert.equal(pickSchool(list, 'СОШ'), 'ambiguous');
    assert.deepEqual(pickSchool([list[1]!], 'СОШ'), list[1]);
    assert.equal(pickSchool([], 'СОШ'), 'none');
  });
});
