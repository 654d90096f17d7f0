/**
 * The OneRoster client's HTTP handling against nock: OAuth 2 client credentials (Basic or form
 * body, scopes, caching until expiry, one renewal on 401), paging (X-Total-Count with short
 * pages, no total, Link rel=next, a provider ignoring offset), the delta filter, imsx errors.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { fakeClock, type FakeClock } from '../../../test/support/harness';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';
import { formEncode, nextLink, OneRosterClient, type OneRosterClientConfig } from '../client';
import { deltaFilter } from '../cursor';

const HOST = 'https://or.example.test';
const R = '/ims/oneroster/rostering/v1p2';
const SCOPE = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook-core.readonly';
const cfg: OneRosterClientConfig = {
  baseUrl: `${HOST}/`, rosteringPath: R, gradebookPath: '/ims/oneroster/gradebook/v1p2', authUrl: `${HOST}/oauth/token`,
  clientId: 'gw client', clientSecret: 's3cr3t:+/', clientAuth: 'basic', scopes: SCOPE.split(' '), pageSize: 5, sortBySourcedId: true,
};
const BASIC = `Basic ${Buffer.from('gw+client:s3cr3t%3A%2B%2F').toString('base64')}`;
const imsx = (minor: string) => ({ imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: minor }] } });
const users = (...ids: string[]) => ({ users: ids.map((sourcedId) => ({ sourcedId })) });

function client(c: Partial<OneRosterClientConfig> = {}, clock: FakeClock = fakeClock(new Date('2025-10-16T09:00:00Z'))): OneRosterClient {
  const http = createHttpClient({ log: nullLogger, now: clock.now, sleep: clock.sleep, maxAttempts: 1 });
  return new OneRosterClient({ ...cfg, ...c }, { http, log: nullLogger, now: clock.now });
}

let seq = 0;
function expectToken(o: { expiresIn?: number; basic?: boolean } = {}): string {
  const token = `tok-${++seq}`;
  const scope = nock(HOST).post('/oauth/token', o.basic === false
    ? { grant_type: 'client_credentials', scope: SCOPE, client_id: 'gw client', client_secret: 's3cr3t:+/' }
    : { grant_type: 'client_credentials', scope: SCOPE });
  (o.basic === false ? scope.matchHeader('authorization', (v) => v === undefined) : scope.matchHeader('authorization', BASIC))
    .matchHeader('content-type', /application\/x-www-form-urlencoded/)
    .reply(200, { access_token: token, token_type: 'bearer', ...(o.expiresIn !== undefined ? { expires_in: o.expiresIn } : {}) });
  return token;
}

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => { const out: T[] = []; for await (const x of it) out.push(x); return out; };

describe('oneroster client (nock)', () => {
  nockOnly('no pending interceptors');

  it('gets a token with HTTP Basic (form-encoded id and secret) and the scopes, sends it as Bearer and keeps it until expires_in', async () => {
    const clock = fakeClock(new Date('2025-10-16T09:00:00Z'));
    const c = client({}, clock);
    const t1 = expectToken({ expiresIn: 3600 });
    nock(HOST).get(`${R}/orgs`).query(true).matchHeader('authorization', `Bearer ${t1}`).twice().reply(200, { orgs: [] });
    await collect(c.pages('orgs'));
    clock.advance(3000 * 1000);
    await collect(c.pages('orgs'));
    clock.advance(600 * 1000 - 10_000); // inside the last 30 s: not used any more
    const t2 = expectToken({ expiresIn: 3600 });
    nock(HOST).get(`${R}/orgs`).query(true).matchHeader('authorization', `Bearer ${t2}`).reply(200, { orgs: [] });
    await collect(c.pages('orgs'));
  });

  it('sends client_id and client_secret in the form body when clientAuth is body', async () => {
    const t = expectToken({ basic: false });
    nock(HOST).get(`${R}/orgs`).query(true).matchHeader('authorization', `Bearer ${t}`).reply(200, { orgs: [] });
    await collect(client({ clientAuth: 'body' }).pages('orgs'));
  });

  it('renews the token once when a call is refused with 401 and repeats the call; a second 401 is GW_SRC_SESSION_EXPIRED', async () => {
    const c = client();
    const t1 = expectToken();
    nock(HOST).get(`${R}/users/u1`).matchHeader('authorization', `Bearer ${t1}`).reply(401, imsx('unauthorisedrequest'));
    const t2 = expectToken();
    nock(HOST).get(`${R}/users/u1`).matchHeader('authorization', `Bearer ${t2}`).reply(200, { user: { sourcedId: 'u1' } });
    assert.deepEqual(await c.getOne('users', 'u1'), { sourcedId: 'u1' });
    nock(HOST).get(`${R}/users/u2`).reply(401, imsx('unauthorisedrequest'));
    expectToken();
    nock(HOST).get(`${R}/users/u2`).reply(401, imsx('unauthorisedrequest'));
    const e = await rejectsGateway(c.getOne('users', 'u2'));
    assert.equal(e.code, 'GW_SRC_SESSION_EXPIRED');
  });

  it('calls a refused client (invalid_client) and a token answer without access_token GW_SRC_AUTH_FAILED', async () => {
    nock(HOST).post('/oauth/token').reply(401, { error: 'invalid_client' });
    const e = await rejectsGateway(client().fetchToken());
    assert.equal(e.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(e.errorClass, 'permanent');
    assert.doesNotMatch(e.message, /s3cr3t|gw client/);
    nock(HOST).post('/oauth/token').reply(200, { token_type: 'bearer' });
    assert.equal((await rejectsGateway(client().fetchToken())).code, 'GW_SRC_AUTH_FAILED');
  });

  it('with X-Total-Count, a short page does not end the read: the next offset is offset + received', async () => {
    expectToken();
    const q = (offset: number) => ({ limit: '5', offset: String(offset), sort: 'sourcedId', orderBy: 'asc' });
    nock(HOST).get(`${R}/users`).query(q(0)).reply(200, users('a', 'b', 'c'), { 'X-Total-Count': '7' });
    nock(HOST).get(`${R}/users`).query(q(3)).reply(200, users('d', 'e', 'f'), { 'X-Total-Count': '7' });
    nock(HOST).get(`${R}/users`).query(q(6)).reply(200, users('g'), { 'X-Total-Count': '7' });
    const pages = await collect(client().pages('users'));
    assert.deepEqual(pages.map((p) => [p.offset, p.items.length, p.total]), [[0, 3, 7], [3, 3, 7], [6, 1, 7]]);
  });

  it('without X-Total-Count or Link, reads until an empty page', async () => {
    expectToken();
    nock(HOST).get(`${R}/users`).query((q) => q.offset === '0').reply(200, users('a', 'b', 'c', 'd', 'e'));
    nock(HOST).get(`${R}/users`).query((q) => q.offset === '5').reply(200, users('f', 'g'));
    nock(HOST).get(`${R}/users`).query((q) => q.offset === '7').reply(200, { users: [] });
    const pages = await collect(client().pages('users'));
    assert.deepEqual(pages.map((p) => p.items.length), [5, 2, 0]);
  });

  it('follows Link rel="next" (relative or absolute) with its own query, and stops when a page has none', async () => {
    expectToken();
    nock(HOST).get(`${R}/users`).query(true).reply(200, users('a', 'b'), { Link: `<${R}/users?limit=2&offset=2&cursor=x>; rel="next", <${R}/users?offset=0>; rel="first"`, 'X-Total-Count': '99' });
    nock(HOST).get(`${R}/users`).query({ limit: '2', offset: '2', cursor: 'x' }).reply(200, users('c', 'd'), { Link: `<${HOST}${R}/users?page=3>; rel="last next"` });
    nock(HOST).get(`${R}/users`).query({ page: '3' }).reply(200, users('e'), { Link: `<${HOST}${R}/users?offset=0>; rel="first"` });
    const pages = await collect(client().pages('users'));
    assert.deepEqual(pages.map((p) => p.items.map((u) => (u as { sourcedId: string }).sourcedId).join('')), ['ab', 'cd', 'e']);
  });

  it('stops with GW_SRC_PROTOCOL when the provider ignores offset', async () => {
    expectToken();
    nock(HOST).get(`${R}/users`).query(true).twice().reply(200, users('a', 'b', 'c', 'd', 'e'));
    const e = await rejectsGateway(collect(client().pages('users')));
    assert.equal(e.code, 'GW_SRC_PROTOCOL');
  });

  it('sends the delta filter chained with a configured one, sort and orderBy', async () => {
    expectToken();
    const filter = deltaFilter('2025-10-16T08:50:00Z', "role='student'");
    assert.equal(filter, "dateLastModified>'2025-10-16T08:50:00Z' AND role='student'");
    nock(HOST).get(`${R}/users`).query({ limit: '5', offset: '0', sort: 'sourcedId', orderBy: 'asc', filter: filter as string }).reply(200, { users: [] });
    await collect(client().pages('users', { filter }));
    expectToken();
    nock(HOST).get(`${R}/users`).query({ limit: '5', offset: '0' }).reply(200, { users: [] });
    await collect(client({ sortBySourcedId: false }).pages('users'));
  });

  it('reads unsorted from then on when the provider refuses sort=sourcedId (invalid_selection_field)', async () => {
    const c = client();
    expectToken();
    nock(HOST).get(`${R}/users`).query({ limit: '5', offset: '0', sort: 'sourcedId', orderBy: 'asc' }).reply(400, imsx('invalid_selection_field'));
    nock(HOST).get(`${R}/users`).query({ limit: '5', offset: '0' }).twice().reply(200, users('a'), { 'X-Total-Count': '1' });
    assert.equal((await collect(c.pages('users'))).length, 1);
    assert.equal((await collect(c.pages('users'))).length, 1);
    nock(HOST).get(`${R}/classes`).query(true).reply(400, imsx('invalid_selection_field'));
    assert.equal((await rejectsGateway(collect(c.pages('classes')))).code, 'GW_SRC_PROTOCOL', 'without sort to drop, it stays an error');
  });

  it('reads imsx errors through the table: 403 forbidden permanent, 400 invalid_filter_field protocol, 500 unavailable; an unknown object is undefined', async () => {
    const c = client();
    expectToken();
    nock(HOST).get(`${R}/demographics`).query(true).reply(403, imsx('forbidden'));
    const e1 = await rejectsGateway(collect(c.pages('demographics')));
    assert.equal(e1.code, 'GW_SRC_AUTH_FAILED');
    nock(HOST).get(`${R}/users`).query(true).reply(400, imsx('invalid_filter_field'));
    assert.equal((await rejectsGateway(collect(c.pages('users', { filter: "x>'1'" })))).code, 'GW_SRC_PROTOCOL');
    nock(HOST).get(`${R}/users`).query(true).reply(500, imsx('internal_server_error'));
    assert.equal((await rejectsGateway(collect(c.pages('users')))).code, 'GW_SRC_UNAVAILABLE');
    nock(HOST).get(`${R}/classes/c-404`).reply(404, imsx('unknownobject'));
    assert.equal(await c.getOne('classes', 'c-404'), undefined);
    nock(HOST).get(`${R}/users`).query(true).reply(200, { data: [] });
    assert.equal((await rejectsGateway(collect(c.pages('users')))).code, 'GW_SRC_PROTOCOL');
    nock(HOST).get(`${R}/users`).query(true).reply(200, '<html>maintenance</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejectsGateway(collect(c.pages('users')))).code, 'GW_SRC_PROTOCOL');
  });
});

describe('oneroster client helpers', () => {
  it('finds rel=next in a Link header, resolving relative targets', () => {
    assert.equal(nextLink('<https://a.test/x?offset=2>; rel="next"', 'https://a.test/x'), 'https://a.test/x?offset=2');
    assert.equal(nextLink('</x?offset=4>; rel=next, </x?offset=0>; rel="first"', 'https://a.test/x?offset=2'), 'https://a.test/x?offset=4');
    assert.equal(nextLink('</x?offset=0>; rel="first", </x?offset=9>; rel="last"', 'https://a.test/x'), undefined);
    assert.equal(nextLink(undefined, 'https://a.test/x'), undefined);
  });
  it('form-encodes as RFC 6749 appendix B asks', () => {
    assert.equal(formEncode("a b:+/!'()*"), 'a+b%3A%2B%2F%21%27%28%29%2A');
  });
});
