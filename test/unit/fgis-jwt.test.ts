/**
 * Access tokens of a configured OAuth 2.0 issuer on the ФГИС pull API (src/http/fgis/jwt.ts):
 * RS256 and ES256 JWTs checked against a JWKS served by a real loopback HTTP server (cached,
 * re-read for a new kid, kept through an outage), against a public key from the environment, and
 * refused for every broken claim or signature; the gateway's own tokens keep working beside them.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { GatewayError } from '../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger } from '../../src/core/ledger';
import type { MappedRecord } from '../../src/core/records';
import { createJwtVerifier, jwtVerifierFromConfig, type AccessTokenVerifier } from '../../src/http/fgis/jwt';
import { createTokenIssuer } from '../../src/http/fgis/oauth';
import { createFgisRouter } from '../../src/http/fgis/routes';
import { validateConfig, type AdapterSpecLookup } from '../../src/infra/config';
import { normalizeRecord } from '../../src/pipeline/normalize';
import { fgisLedger } from './fgis-fixtures';

const NOW = new Date('2025-11-12T09:00:00Z');
const ISS = 'https://auth.myschool.test/realms/fgis';
const AUD = 'diary-gateway-region-66';
const SCHOOL = 'school-7';
const ns = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1', fetchedAt: NOW.toISOString() };

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaNext = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = (k: KeyObject, kid: string, alg: string): Record<string, unknown> => ({ ...k.export({ format: 'jwk' }), kid, alg, use: 'sig' });

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function jwt(alg: 'RS256' | 'ES256', key: KeyObject, kid: string | undefined, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64({ alg, typ: 'at+jwt', ...(kid ? { kid } : {}), ...header });
  const body = b64(claims);
  const data = Buffer.from(`${head}.${body}`);
  const sig = alg === 'RS256' ? sign('sha256', data, key) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${sig.toString('base64url')}`;
}
const t0 = Math.floor(NOW.getTime() / 1000);
const good = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: ISS, aud: AUD, client_id: 'fgis-prod', iat: t0, exp: t0 + 300, ...extra });

describe('ФГИС pull API: tokens of a configured issuer (JWKS over loopback HTTP)', () => {
  let server: http.Server;
  let jwksUrl: string;
  let jwks: { keys: Array<Record<string, unknown>> };
  let jwksStatus = 200;
  let jwksHits = 0;
  let ledger: Ledger;

  before(async () => {
    server = http.createServer((req, res) => {
      jwksHits++;
      res.writeHead(jwksStatus, { 'content-type': 'application/json' }).end(jwksStatus === 200 ? JSON.stringify(jwks) : '{"error":"down"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/fgis/protocol/openid-connect/certs`;
  });
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(async () => {
    jwks = { keys: [jwk(rsa.publicKey, 'rsa-1', 'RS256'), jwk(ec.publicKey, 'ec-1', 'ES256')] };
    jwksStatus = 200;
    jwksHits = 0;
    ({ ledger } = await fgisLedger());
    const kid = normalizeRecord({ entityType: 'person', sourceId: 'kid', fields: {} }, ns).prepared.id;
    const cls = normalizeRecord({ entityType: 'class_group', sourceId: 'c8b', fields: {} }, ns).prepared.id;
    const records: MappedRecord[] = [
      { entityType: 'class_group', sourceId: 'c8b', fields: { kind: 'class', title: '8б', gradeLevel: 8 } },
      { entityType: 'person', sourceId: 'kid', fields: { roles: ['student'], familyName: 'Петров', givenName: 'Пётр' }, externalIds: [{ type: 'esia-oid', value: '1000123456' }] },
      { entityType: 'membership', sourceId: 'm1', fields: { personId: kid, classGroupId: cls, role: 'student', beginDate: '2025-09-01' } },
    ];
    await ledger.ingest({ runId: 'r1', schoolId: SCHOOL, sourceInstance: 'netschool', stream: 'all', records: records.map((m) => normalizeRecord(m, ns).prepared), quarantine: [], routes: [], now: NOW.toISOString() });
  });
  afterEach(async () => ledger.close());

  function appWith(externalTokens: AccessTokenVerifier, now: () => Date = () => NOW): express.Express {
    const app = express();
    app.use('/fgis', createFgisRouter({
      ledger, externalTokens, now, accountKey: 'account-key', idNamespace: DEFAULT_ID_NAMESPACE,
      issuer: createTokenIssuer([{ id: 'own-client', secret: 'own-secret-0123456789' }], 'signing-key-0123456789abcdef0123456789', 600),
      schoolInfo: (s) => (s === SCHOOL ? { name: 'МБОУ СОШ № 7', timezone: 'Asia/Yekaterinburg' } : undefined),
    }));
    return app;
  }
  const verifier = (over: Partial<Parameters<typeof createJwtVerifier>[0]> = {}): AccessTokenVerifier =>
    createJwtVerifier({ issuer: ISS, audience: AUD, jwksUrl, clients: ['fgis-prod', 'fgis-test'], ...over });
  const pull = (app: express.Express, token: string): request.Test => request(app).get('/fgis/Schedule/1000123456?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${token}`);

  it('serves RS256 and ES256 tokens signed with the JWKS keys, records the client, and reads the JWKS once', async () => {
    const app = appWith(verifier());
    const rs = await pull(app, jwt('RS256', rsa.privateKey, 'rsa-1', good()));
    assert.equal(rs.status, 200, rs.text);
    assert.equal(rs.body.resourceType, 'Schedule');
    const es = await pull(app, jwt('ES256', ec.privateKey, 'ec-1', good({ client_id: undefined, azp: 'fgis-test', aud: ['other', AUD] })));
    assert.equal(es.status, 200, es.text);
    assert.equal(jwksHits, 1, 'the JWKS is cached');
    const consumers = new Set((await ledger.listServed({})).map((r) => r.consumer));
    assert.deepEqual([...consumers].sort(), ['fgis:fgis-prod', 'fgis:fgis-test']);
    const own = await request(app).post('/fgis/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'own-client', client_secret: 'own-secret-0123456789' });
    assert.equal((await pull(app, String(own.body.access_token))).status, 200, "the gateway's own tokens still work");
  });

  it('refuses wrong issuer, audience, client, expiry, nbf, algorithm, kid, key and payload', async () => {
    const app = appWith(verifier());
    const cases: Array<[string, string, string]> = [
      ['issuer', jwt('RS256', rsa.privateKey, 'rsa-1', good({ iss: 'https://evil.test' })), 'expired'],
      ['audience', jwt('RS256', rsa.privateKey, 'rsa-1', good({ aud: 'someone-else' })), 'expired'],
      ['client not configured', jwt('RS256', rsa.privateKey, 'rsa-1', good({ client_id: 'intruder' })), 'expired'],
      ['no client at all', jwt('RS256', rsa.privateKey, 'rsa-1', good({ client_id: undefined })), 'expired'],
      ['expired', jwt('RS256', rsa.privateKey, 'rsa-1', good({ exp: t0 - 61 })), 'expired'],
      ['no exp', jwt('RS256', rsa.privateKey, 'rsa-1', good({ exp: undefined })), 'expired'],
      ['not yet valid', jwt('RS256', rsa.privateKey, 'rsa-1', good({ nbf: t0 + 600 })), 'expired'],
      ['signed by another key under a known kid', jwt('RS256', stranger.privateKey, 'rsa-1', good()), 'expired'],
      ['RS256 header on the EC key', jwt('RS256', rsa.privateKey, 'ec-1', good()), 'expired'],
      ['alg none', `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(good())}.`, 'expired'],
      ['crit extension', jwt('RS256', rsa.privateKey, 'rsa-1', good(), { crit: ['exp'] }), 'expired'],
    ];
    const forged = jwt('RS256', rsa.privateKey, 'rsa-1', good()).split('.');
    cases.push(['payload changed after signing', `${forged[0]}.${b64(good({ client_id: 'fgis-test' }))}.${forged[2]}`, 'expired']);
    for (const [what, token, code] of cases) {
      const res = await pull(app, token);
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.deepEqual([res.body.resourceType, res.body.issue[0].code], ['OperationOutcome', code], what);
    }
    assert.equal((await ledger.listServed({})).length, 0, 'nothing was served');
    const hs = createJwtVerifier({ issuer: ISS, audience: AUD, keys: [rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()], clients: ['fgis-prod'], algorithms: ['RS256'] });
    assert.deepEqual(await hs.verify(jwt('ES256', ec.privateKey, undefined, good()), NOW), { ok: false, reason: 'invalid' }, 'an algorithm not configured');
    assert.deepEqual(await verifier().verify(jwt('RS256', rsa.privateKey, 'rsa-1', good({ exp: t0 - 30 })), NOW), { ok: true, client: 'fgis-prod' }, 'within the clock skew');
  });

  it('reads the JWKS again for a new kid (rotation), but not more than every 30 s, and keeps old keys through an outage', async () => {
    let now = NOW;
    const v = verifier();
    assert.equal((await v.verify(jwt('RS256', rsa.privateKey, 'rsa-1', good()), now)).ok, true);
    jwks.keys.push(jwk(rsaNext.publicKey, 'rsa-2', 'RS256'));
    const rotated = (): Promise<unknown> => v.verify(jwt('RS256', rsaNext.privateKey, 'rsa-2', good({ exp: Math.floor(now.getTime() / 1000) + 300 })), now);
    assert.deepEqual(await rotated(), { ok: false, reason: 'invalid' }, 'a new kid within 30 s of the last read is not fetched');
    assert.equal(jwksHits, 1);
    now = new Date(NOW.getTime() + 31_000);
    assert.deepEqual(await rotated(), { ok: true, client: 'fgis-prod' });
    assert.equal(jwksHits, 2);
    jwksStatus = 503;
    now = new Date(NOW.getTime() + 700_000); // past the cache time
    assert.deepEqual(await rotated(), { ok: true, client: 'fgis-prod' }, 'the keys read before still serve while the issuer is down');
    assert.equal(jwksHits, 3);
    await rotated();
    assert.equal(jwksHits, 3, 'no new attempt within 30 s of the failed one');
  });

  it('answers 503 when the keys cannot be read at all, and 401 for a token no key signed', async () => {
    jwksStatus = 500;
    const res = await pull(appWith(verifier()), jwt('RS256', rsa.privateKey, 'rsa-1', good()));
    assert.deepEqual([res.status, res.body.issue[0].code], [503, 'transient']);
    jwksStatus = 200;
    const unreachable = verifier({ jwksUrl: 'http://127.0.0.1:9/certs', timeoutMs: 2000 });
    assert.deepEqual(await unreachable.verify(jwt('RS256', rsa.privateKey, 'rsa-1', good()), NOW), { ok: false, reason: 'unavailable' });
    jwks = { keys: [jwk(ec.publicKey, 'ec-1', 'ES256')] };
    const res2 = await pull(appWith(verifier()), jwt('RS256', rsa.privateKey, 'rsa-1', good()));
    assert.equal(res2.status, 401);
  });

  it('takes a public key from the environment (PEM, JWK or JWKS) instead of a JWKS URL', async () => {
    const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const base = { issuer: ISS, audience: AUD, clients: ['fgis-prod'], publicKeyEnv: 'FGIS_ISSUER_KEY' };
    for (const value of [pem, JSON.stringify(jwk(ec.publicKey, 'ec-1', 'ES256')), JSON.stringify({ keys: [jwk(ec.publicKey, 'ec-1', 'ES256')] })]) {
      const v = jwtVerifierFromConfig(base, { FGIS_ISSUER_KEY: value });
      const res = await pull(appWith(v), jwt('ES256', ec.privateKey, 'ec-1', good()));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(await v.verify(jwt('RS256', rsa.privateKey, 'rsa-1', good()), NOW), { ok: false, reason: 'invalid' });
    }
    assert.equal(jwksHits, 0);
    const code = (fn: () => unknown): string | undefined => { try { fn(); return undefined; } catch (e) { return e instanceof GatewayError ? e.code : String(e); } };
    assert.equal(code(() => jwtVerifierFromConfig(base, {})), 'GW_CONFIG_SECRET_MISSING');
    assert.equal(code(() => jwtVerifierFromConfig(base, { FGIS_ISSUER_KEY: 'not a key' })), 'GW_CONFIG_INVALID');
    assert.equal(code(() => jwtVerifierFromConfig({ issuer: ISS, audience: AUD, clients: ['x'] }, {})), 'GW_CONFIG_INVALID');
  });

  it('config: gateway.fgis.issuer is validated by the gateway schema', () => {
    const specOf: AdapterSpecLookup = () => undefined;
    const cfg = (issuer: unknown): unknown => ({ gateway: { fgis: { enabled: true, issuer } }, sinks: [], schools: [{ id: 'school-1', name: 'Школа 1', sources: [], sinks: [] }] });
    const ok = validateConfig(cfg({ issuer: ISS, audience: AUD, jwksUrl, clients: ['fgis-prod'] }), specOf);
    assert.deepEqual((ok.gateway.fgis as unknown as { issuer: { algorithms: string[]; clockSkewSeconds: number } }).issuer.algorithms, ['RS256', 'ES256']);
    for (const bad of [{ issuer: ISS, audience: AUD, clients: [] }, { issuer: ISS, audience: AUD, clients: ['a'], algorithms: ['HS256'] }, { issuer: ISS, clients: ['a'] }]) {
      assert.throws(() => validateConfig(cfg(bad), specOf), (e: unknown) => e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID', JSON.stringify(bad));
    }
  });
});
