/**
 * The МЭШ client's HTTP quirks against nock: token headers, host shapes, JSON and HTML error
 * bodies, the session-ended text, 499, and non-JSON 2xx bodies.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { MeshClient, type MeshClientConfig } from '../client';
import { resolveConfig } from '../spec';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';

const MOS = 'https://school.mos.ru';
const REG = 'https://api.myschool.mosreg.ru';
const cfg: MeshClientConfig = { apiBaseUrl: `${MOS}/api`, eventsBaseUrl: MOS, token: 'tok-1', profileId: 42, sendCookie: true };

function client(c: MeshClientConfig = cfg, maxAttempts = 1): MeshClient {
  const http = createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined, maxAttempts });
  return new MeshClient(c, { http, log: nullLogger, now: () => new Date() });
}

const rejects = (p: Promise<unknown>): Promise<GatewayError> => rejectsGateway(p);

describe('mesh client (nock)', () => {
  nockOnly('no pending interceptors');

  it('sends Authorization: Bearer, Auth-Token, aupd_token, profile-id, x-mes-subsystem and client-type', async () => {
    nock(MOS).get('/api/family/mobile/v1/marks').query({ student_id: '7', from: '2025-12-01', to: '2025-12-07' })
      .matchHeader('authorization', 'Bearer tok-1').matchHeader('auth-token', 'tok-1').matchHeader('cookie', 'aupd_token=tok-1')
      .matchHeader('profile-id', '42').matchHeader('x-mes-subsystem', 'familymp').matchHeader('client-type', 'diary-mobile')
      .reply(200, { payload: [] });
    assert.deepEqual(await client().family('marks', { student_id: 7, from: '2025-12-01', to: '2025-12-07' }), { payload: [] });
  });

  it('leaves the cookie out when sendCookie is false', async () => {
    nock(MOS, { badheaders: ['cookie'] }).get('/api/family/mobile/v1/profile').reply(200, { children: [] });
    await client({ ...cfg, sendCookie: false }).family('profile', {});
  });

  it('builds mosreg URLs without the /api prefix and events on the diary host', async () => {
    const c = resolveConfig({ region: 'mosreg', token: 't', profileId: 1 });
    assert.equal(c.apiBaseUrl, REG);
    assert.equal(c.eventsBaseUrl, 'https://authedu.mosreg.ru');
    nock(REG).get('/family/mobile/v1/profile').reply(200, { children: [] });
    nock('https://authedu.mosreg.ru').get('/api/eventcalendar/v1/api/events').query(true).reply(200, { total_count: 0, response: [], errors: null });
    const mc = client({ ...cfg, apiBaseUrl: c.apiBaseUrl, eventsBaseUrl: c.eventsBaseUrl });
    await mc.family('profile', {});
    await mc.events({ person_ids: 'g', begin_date: '2025-12-01', end_date: '2025-12-07' });
  });

  it('reads the «сессия завершена» answer as a permanent auth failure without echoing it', async () => {
    nock(MOS).get('/api/family/mobile/v1/profile').reply(401, { type: 'authentication', description: 'Предыдущая сессия работы в ЭЖД завершена. Войдите в ЭЖД заново', details: null });
    const e = await rejects(client().family('profile', {}, 'profile'));
    assert.equal(e.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(e.errorClass, 'permanent');
    assert.match(e.message, /session ended/);
    assert.doesNotMatch(e.message, /Войдите/);
  });

  it('maps JSON {type:not_found} 404 to GW_SRC_NOT_FOUND and a bare 404 to GW_SRC_PROTOCOL', async () => {
    nock(MOS).get('/api/family/mobile/v1/subject_marks').query(true).reply(404, { type: 'not_found', description: 'Обучающийся не найден', details: null });
    assert.equal((await rejects(client().family('subject_marks', { student_id: 1 }))).code, 'GW_SRC_NOT_FOUND');
    nock(MOS).get('/api/family/mobile/v1/nope').reply(404, '<html>Not Found</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejects(client().family('nope', {}))).code, 'GW_SRC_PROTOCOL');
  });

  it('tells an HTML 403 page (API changed) from a JSON 403 (no rights)', async () => {
    nock(REG).get('/family/mobile/v1/profile').reply(403, '<html><body>403 Forbidden</body></html>', { 'Content-Type': 'text/html' });
    const html = await rejects(client({ ...cfg, apiBaseUrl: REG }).family('profile', {}));
    assert.equal(html.code, 'GW_SRC_PROTOCOL');
    nock(MOS).get('/api/family/mobile/v1/profile').reply(403, { type: 'access_denied', description: 'x', details: null });
    assert.equal((await rejects(client().family('profile', {}))).code, 'GW_SRC_AUTH_FAILED');
  });

  it('treats mosreg 499 as a refused token', async () => {
    nock(REG).get('/family/mobile/v1/profile').reply(499, '');
    assert.equal((await rejects(client({ ...cfg, apiBaseUrl: REG }).family('profile', {}))).code, 'GW_SRC_AUTH_FAILED');
  });

  it('retries 503 through the HTTP client and carries Retry-After on a final 429', async () => {
    nock(MOS).get('/api/family/mobile/v1/profile').reply(503, 'down').get('/api/family/mobile/v1/profile').reply(200, { children: [] });
    assert.deepEqual(await client(cfg, 2).family('profile', {}), { children: [] });
    nock(MOS).get('/api/family/mobile/v1/profile').reply(429, { type: 'too_many_requests', description: '', details: null }, { 'Retry-After': '9' });
    const e = await rejects(client().family('profile', {}));
    assert.equal(e.code, 'GW_SRC_RATE_LIMITED');
    assert.equal(e.retryAfterMs, 9000);
  });

  it('calls an HTML page with status 200 a protocol error, not a parser crash', async () => {
    nock(MOS).get('/api/family/mobile/v1/profile').reply(200, '<!DOCTYPE html><html>login</html>', { 'Content-Type': 'text/html' });
    assert.equal((await rejects(client().family('profile', {}))).code, 'GW_SRC_PROTOCOL');
  });
});
