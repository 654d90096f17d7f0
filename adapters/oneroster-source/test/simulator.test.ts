/**
 * The OneRoster simulator's protocol over HTTP (token endpoint, paging headers, filter, sort,
 * fields, faults), the filter grammar it understands, and the adapter's delta-cursor arithmetic.
 */
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { deltaWindow, MaxSeen } from '../cursor';
import { oneRosterSimulator } from '../index';
import { matches, parseFilter } from '../simulator/filter';

const NOW = new Date('2025-11-12T09:00:00Z');

describe('oneroster simulator protocol', function () {
  this.timeout(30_000);
  let sim: SimulatorHandle;
  let t = NOW.getTime();
  beforeEach(async () => { t = NOW.getTime(); sim = await oneRosterSimulator.start({ seed: 7, now: () => new Date(t) }); });
  afterEach(async () => { await sim.close(); });
  const token = async (body: string, basic?: string): Promise<Response> => fetch(sim.env.DIARY_SIM_ONEROSTER_AUTH_URL as string, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(basic ? { Authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) }, body,
  });
  const creds = (): string => `client_id=${sim.credentials.clientId}&client_secret=${sim.credentials.clientSecret}`;
  const bearer = async (): Promise<string> => ((await (await token(`grant_type=client_credentials&${creds()}`)).json()) as { access_token: string }).access_token;
  const users = async (query: string, tok: string): Promise<Response> => fetch(`${sim.url}/ims/oneroster/rostering/v1p2/users?${query}`, { headers: { Authorization: `Bearer ${tok}` } });

  it('runs the client credentials grant: Basic or body auth, invalid_client, unsupported_grant_type, invalid_scope, expiry', async () => {
    const ok = await token('grant_type=client_credentials', `${sim.credentials.clientId}:${sim.credentials.clientSecret}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const body = await ok.json() as { token_type: string; expires_in: number; scope: string };
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 3600);
    assert.match(body.scope, /roster-core\.readonly/);
    const bad = await token('grant_type=client_credentials', `${sim.credentials.clientId}:nope`);
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.deepEqual(await bad.json(), { error: 'invalid_client', error_description: 'Client authentication failed' });
    assert.equal(((await (await token(`grant_type=password&${creds()}`)).json()) as { error: string }).error, 'unsupported_grant_type');
    assert.equal(((await (await token(`grant_type=client_credentials&scope=admin&${creds()}`)).json()) as { error: string }).error, 'invalid_scope');
    const tok = await bearer();
    assert.equal((await users('limit=1', tok)).status, 200);
    t += 3601 * 1000;
    const expired = await users('limit=1', tok);
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  it('pages with limit/offset, X-Total-Count and Link (first, last, next, prev); validates limit', async () => {
    const tok = await bearer();
    const res = await users('limit=10&offset=10&sort=sourcedId', tok);
    const total = Number(res.headers.get('x-total-count'));
    assert.ok(total > 50);
    const link = res.headers.get('link') ?? '';
    assert.match(link, /offset=20>; rel="next"/);
    assert.match(link, /offset=0>; rel="prev"/);
    assert.match(link, new RegExp(`offset=${Math.floor((total - 1) / 10) * 10}>; rel="last"`));
    const page = (await res.json()) as { users: { sourcedId: string }[] };
    assert.equal(page.users.length, 10);
    const last = await users(`limit=10&offset=${total - 3}`, tok);
    assert.equal(((await last.json()) as { users: unknown[] }).users.length, 3);
    assert.doesNotMatch(last.headers.get('link') ?? '', /rel="next"/);
    assert.equal((await users('limit=0', tok)).status, 400);
    sim.inject({ kind: 'custom', name: 'short-pages' });
    assert.equal(((await (await users('limit=100', tok)).json()) as { users: unknown[] }).users.length, 7);
  });

  it('filters (AND, OR, dotted fields, dates), sorts, projects fields, and plays 429 with Retry-After', async () => {
    const tok = await bearer();
    const q = (f: string): Promise<{ users: Record<string, unknown>[] }> => users(`limit=1000&filter=${encodeURIComponent(f)}`, tok).then((r) => r.json() as Promise<{ users: Record<string, unknown>[] }>);
    const teachers = await q("roles.role='teacher'");
    assert.equal(teachers.users.length, 8);
    assert.equal((await q("roles.role='teacher' OR roles.role='siteAdministrator'")).users.length, 9);
    assert.equal((await q("roles.role='teacher' AND familyName~'ов'")).users.every((u) => /ов/i.test(String(u.familyName))), true);
    assert.deepEqual((await q("dateLastModified>'2025-10-01T00:00:00Z'")).users.map((u) => u.status), ['tobedeleted', 'tobedeleted', 'tobedeleted']);
    const desc = (await (await users('limit=3&sort=sourcedId&orderBy=desc&fields=sourcedId,givenName', tok)).json()) as { users: Record<string, unknown>[] };
    assert.deepEqual(desc.users.map((u) => Object.keys(u)), [['sourcedId', 'givenName'], ['sourcedId', 'givenName'], ['sourcedId', 'givenName']]);
    assert.ok(String(desc.users[0]?.sourcedId) > String(desc.users[1]?.sourcedId));
    assert.equal((await users('fields=nope', tok)).status, 400);
    sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 3 });
    const limited = await users('limit=1', tok);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
  });
});

describe('oneroster filter grammar (simulator side)', () => {
  it('parses predicates joined by AND and OR, with quotes escaped by doubling', () => {
    assert.deepEqual(parseFilter("a='1' AND b>='2' OR c~'x'"), [[{ field: 'a', op: '=', value: '1' }, { field: 'b', op: '>=', value: '2' }], [{ field: 'c', op: '~', value: 'x' }]]);
    assert.deepEqual(parseFilter("title='Let''s AND go'"), [[{ field: 'title', op: '=', value: "Let's AND go" }]]);
    for (const bad of ['', "a=1", "a='1' AND", "='x'", "a=='x'"]) assert.equal(parseFilter(bad), undefined, bad);
  });
  it('compares date-times as instants, numbers as numbers, and matches arrays by any element', () => {
    const o = { dateLastModified: '2025-10-01T10:00:00+03:00', weight: '10', roles: [{ role: 'parent' }, { role: 'guardian' }] };
    assert.equal(matches(o, parseFilter("dateLastModified>'2025-10-01T06:59:59Z'")!), true);
    assert.equal(matches(o, parseFilter("dateLastModified>'2025-10-01T07:00:00Z'")!), false);
    assert.equal(matches(o, parseFilter("weight>'9'")!), true);
    assert.equal(matches(o, parseFilter("roles.role='guardian'")!), true);
    assert.equal(matches(o, parseFilter("roles.role='student'")!), false);
  });
});

describe('oneroster delta cursor', () => {
  const now = new Date('2025-11-12T09:00:00.000Z');
  it('reads everything first, from the position minus the lookback later, from --since when asked, nothing for a future cursor', () => {
    assert.deepEqual(deltaWindow(null, now, 10), { skip: false, signpost: '2025-11-12T09:00:00Z' });
    assert.deepEqual(deltaWindow({ v: 1, position: '2025-11-12T08:00:00Z' }, now, 10), { skip: false, since: '2025-11-12T07:50:00Z', signpost: '2025-11-12T09:00:00Z' });
    assert.deepEqual(deltaWindow(null, now, 10, '2025-11-01'), { skip: false, since: '2025-11-01T00:00:00Z', signpost: '2025-11-12T09:00:00Z' });
    assert.equal(deltaWindow({ v: 1, position: '2025-11-12T09:00:01Z' }, now, 10).skip, true);
    assert.equal(deltaWindow({ v: 1, position: 'pkg@1', signpost: '2025-11-13T00:00:00Z' }, now, 10).skip, true);
  });
  it('moves to the greatest date seen, never behind the previous position, capped at the signpost', () => {
    const m = new MaxSeen();
    assert.deepEqual(m.cursor(null, '2025-11-12T09:00:00Z'), { v: 1, position: '2025-11-12T09:00:00Z', signpost: '2025-11-12T09:00:00Z' });
    assert.equal(m.cursor({ v: 1, position: '2025-11-10T00:00:00Z' }, '2025-11-12T09:00:00Z').position, '2025-11-10T00:00:00Z');
    m.see('2025-11-11T10:00:00+03:00'); m.see('not a date'); m.see(undefined);
    assert.equal(m.cursor(null, '2025-11-12T09:00:00Z').position, '2025-11-11T07:00:00Z');
    assert.equal(m.cursor({ v: 1, position: '2025-11-11T08:00:00Z' }, '2025-11-12T09:00:00Z').position, '2025-11-11T08:00:00Z');
    m.see('2025-11-12T10:00:00Z');
    assert.equal(m.cursor(null, '2025-11-12T09:00:00Z').position, '2025-11-12T09:00:00Z');
  });
});
