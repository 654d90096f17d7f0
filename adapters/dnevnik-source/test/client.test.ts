/**
 * The Дневник.ру client's HTTP quirks against nock: the Access-Token header, lossless 19-digit
 * ids, `{type, description}` JSON errors (also on 200), HTML error pages, 550 maintenance and
 * Retry-After on 429.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { DnevnikClient } from '../client';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';

const ORIGIN = 'http://api.dnevnik.test';
const TOKEN = 'tok-123';
const BIG = '1000000000000000123';

function client(o: { maxAttempts?: number; sleeps?: number[] } = {}): DnevnikClient {
  const http = createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async (ms) => { o.sleeps?.push(ms); }, maxAttempts: o.maxAttempts ?? 1 });
  return new DnevnikClient({ baseUrl: `${ORIGIN}/`, accessToken: TOKEN }, { http, log: nullLogger, now: () => new Date() });
}

const rejects = (p: Promise<unknown>): Promise<GatewayError> => rejectsGateway(p, { notGateway: String, noThrow: 'expected a GatewayError' });

const HTML = '<!DOCTYPE html><html><body><div class="error__description">Ведутся технические работы</div></body></html>';

describe('dnevnik client (nock)', () => {
  nockOnly();

  it('sends Access-Token under /v2 and keeps ids past 2^53 exact even without a _str twin', async () => {
    nock(ORIGIN).get('/v2/users/me/context').matchHeader('access-token', TOKEN)
      .reply(200, `{"personId":${BIG},"schools":[{"id":${BIG},"name":"Школа 1","rating":4.5}],"n":12}`, { 'Content-Type': 'application/json' });
    const body = await client().get<{ personId: string; schools: { id: string; rating: number }[]; n: number }>('users/me/context', '/v2/users/me/context');
    assert.equal(body.personId, BIG);
    assert.equal(body.schools[0]?.id, BIG);
    assert.equal(body.schools[0]?.rating, 4.5);
    assert.equal(body.n, 12);
    assert.notEqual(String(JSON.parse(`{"x":${BIG}}`).x), BIG, 'plain JSON.parse would have rounded it');
  });

  it('maps JSON {type, description} errors by type: authorizationFailed → permanent, apiServerError → retryable', async () => {
    nock(ORIGIN).get('/v2/users/me/context').reply(401, { type: 'authorizationFailed', description: 'Invalid token' });
    const auth = await rejects(client().get('users/me/context', '/v2/users/me/context'));
    assert.equal(auth.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(auth.errorClass, 'permanent');
    assert.doesNotMatch(auth.message, /Invalid token/, 'vendor descriptions are not copied');

    nock(ORIGIN).get('/v2/edu-groups/1/marks/a/b').reply(500, { type: 'apiServerError', description: 'boom' });
    assert.equal((await rejects(client().get('edu-groups/1/marks/a/b', '/v2/edu-groups/{g}/marks/{from}/{to}'))).code, 'GW_SRC_UNAVAILABLE');

    nock(ORIGIN).get('/v2/edu-groups/9/students').reply(404, { type: 'parameterInvalid', description: 'Группа не найдена' });
    assert.equal((await rejects(client().get('edu-groups/9/students', '/v2/edu-groups/{g}/students'))).code, 'GW_SRC_NOT_FOUND');

    nock(ORIGIN).get('/v2/edu-groups/9/lessons/x/y').reply(400, { type: 'parameterInvalid', description: 'bad date' });
    assert.equal((await rejects(client().get('edu-groups/9/lessons/x/y', '/v2/edu-groups/{g}/lessons/{from}/{to}'))).code, 'GW_SRC_PROTOCOL');
  });

  it('treats an error body on HTTP 200 as the error it names', async () => {
    nock(ORIGIN).get('/v2/users/me/context').reply(200, { type: 'authorizationFailed', description: 'expired' });
    assert.equal((await rejects(client().get('users/me/context', '/v2/users/me/context'))).code, 'GW_SRC_AUTH_FAILED');
    // A work whose `type` is a normal value is data, not an error.
    nock(ORIGIN).get('/v2/works/1').reply(200, { id: 1, type: 'Homework', description: 'x' });
    assert.equal((await client().get<{ type: string }>('works/1', '/v2/works/{id}')).type, 'Homework');
  });

  it('classifies HTML error pages by status, and an HTML page on 200 as a protocol error', async () => {
    nock(ORIGIN).get('/v2/users/me/context').reply(403, HTML, { 'Content-Type': 'text/html; charset=utf-8' });
    const e403 = await rejects(client().get('users/me/context', '/v2/users/me/context'));
    assert.equal(e403.code, 'GW_SRC_AUTH_FAILED');
    assert.match(e403.message, /HTML page/);
    nock(ORIGIN).get('/v2/users/me/context').reply(200, HTML, { 'Content-Type': 'text/html' });
    assert.equal((await rejects(client().get('users/me/context', '/v2/users/me/context'))).code, 'GW_SRC_PROTOCOL');
    nock(ORIGIN).get('/v2/users/me/context').reply(200, '{"truncated":', { 'Content-Type': 'application/json' });
    assert.equal((await rejects(client().get('users/me/context', '/v2/users/me/context'))).code, 'GW_SRC_PROTOCOL');
  });

  it('retries 550 «Server Work» and 429 with Retry-After, then succeeds', async () => {
    const sleeps: number[] = [];
    nock(ORIGIN).get('/v2/users/me/context').reply(550, HTML, { 'Content-Type': 'text/html' })
      .get('/v2/users/me/context').reply(429, { type: 'apiUnknownError', description: 'limit' }, { 'Retry-After': '4' })
      .get('/v2/users/me/context').reply(200, { personId: 1 });
    const body = await client({ maxAttempts: 3, sleeps }).get<{ personId: number }>('users/me/context', '/v2/users/me/context');
    assert.equal(body.personId, 1);
    assert.equal(sleeps.length, 2);
    assert.equal(sleeps[1], 4000);
  });

  it('a lasting 429 is GW_SRC_RATE_LIMITED with the server\'s Retry-After', async () => {
    nock(ORIGIN).get('/v2/users/me/context').reply(429, { type: 'apiUnknownError', description: 'limit' }, { 'Retry-After': '9' });
    const e = await rejects(client().get('users/me/context', '/v2/users/me/context'));
    assert.equal(e.code, 'GW_SRC_RATE_LIMITED');
    assert.equal(e.opts.retryAfterMs, 9000);
  });
});
