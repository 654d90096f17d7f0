/**
 * The simulator speaks OneRoster 1.2 as published: every JSON answer it serves (collections,
 * single objects, errors) validates against the component schemas of the official OpenAPI files
 * (copied to schemas/oneroster-1.2/), with ajv. Drift injected with `shape-change` must not.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { repoRoot } from '../../../test/support/golden';
import { COLLECTION_NAMES, COLLECTIONS, DEFAULT_PATHS, type Service } from '../collections';
import { oneRosterSimulator } from '../index';

const FILES: Record<Service, string> = {
  rostering: 'onerosterv1p2rostersservice_openapi3_v1p0.json',
  gradebook: 'onerosterv1p2gradebookservice_openapi3_v1p0.json',
};

/** ajv over the OpenAPI 3.0 component schemas (not strict: the documents carry OpenAPI keywords; float/int32 are OpenAPI formats). */
function openApiValidators(): (service: Service, name: string) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('float', { type: 'number', validate: (x: number) => Number.isFinite(x) });
  ajv.addFormat('int32', { type: 'number', validate: (x: number) => Number.isInteger(x) });
  for (const [service, file] of Object.entries(FILES)) {
    const doc = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schemas', 'oneroster-1.2', file), 'utf8')) as { components: unknown };
    ajv.addSchema({ $id: `or-${service}`, components: doc.components });
  }
  return (service, name) => {
    const v = ajv.getSchema(`or-${service}#/components/schemas/${name}`);
    if (!v) throw new Error(`no schema ${name} in ${service}`);
    return v;
  };
}

describe('oneroster simulator against the official OpenAPI schemas', function () {
  this.timeout(60_000);
  const schema = openApiValidators();
  let sim: SimulatorHandle;
  let token: string;
  beforeEach(async () => {
    sim = await oneRosterSimulator.start({ seed: 7, now: () => new Date('2025-11-12T09:00:00Z') });
    const res = await fetch(sim.env.DIARY_SIM_ONEROSTER_AUTH_URL as string, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${sim.credentials.clientId}:${sim.credentials.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterEach(async () => { await sim.close(); });
  const get = (service: Service, p: string, auth = true): Promise<Response> =>
    fetch(`${sim.url}${DEFAULT_PATHS[service]}${p}`, auth ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const check = (v: ValidateFunction, body: unknown, what: string): void => {
    assert.ok(v(body), `${what}: ${JSON.stringify(v.errors?.slice(0, 3))}`);
  };

  it('serves every collection (all pages, tobedeleted objects included) and single objects as the official schemas describe them', async () => {
    await fetch(`${sim.url}/_sim/live-tick`, { method: 'POST' });
    for (const c of COLLECTION_NAMES) {
      const info = COLLECTIONS[c];
      let offset = 0;
      let seen = 0;
      for (;;) {
        const res = await get(info.service, `${info.path}?limit=500&offset=${offset}`);
        assert.equal(res.status, 200, c);
        const body = await res.json() as Record<string, unknown[]>;
        check(schema(info.service, info.setSchema), body, `${c} page at ${offset}`);
        const n = (body[info.setKey] ?? []).length;
        seen += n;
        if (n === 0 || seen >= Number(res.headers.get('x-total-count'))) break;
        offset += n;
      }
      assert.ok(seen > 0, `${c} has demo data`);
      const first = ((await (await get(info.service, `${info.path}?limit=1`)).json()) as Record<string, { sourcedId: string }[]>)[info.setKey]?.[0];
      const one = await get(info.service, `${info.path}/${encodeURIComponent(first?.sourcedId ?? '')}`);
      check(schema(info.service, `Single${info.objectSchema}`), await one.json(), `${c}/{id}`);
    }
  });

  it('answers errors as imsx_StatusInfo: 401 without a token, 404 unknown object, 400 bad filter, 403 without the scope', async () => {
    const info = schema('rostering', 'imsx_StatusInfoDType');
    const unauth = await get('rostering', '/users', false);
    assert.equal(unauth.status, 401);
    check(info, await unauth.json(), '401');
    const missing = await get('gradebook', '/results/nope');
    assert.equal(missing.status, 404);
    check(schema('gradebook', 'imsx_StatusInfoDType'), await missing.json(), '404');
    const badFilter = await get('rostering', `/users?filter=${encodeURIComponent("givenName~")}`);
    assert.equal(badFilter.status, 400);
    check(info, await badFilter.json(), '400');
    const narrow = await fetch(sim.env.DIARY_SIM_ONEROSTER_AUTH_URL as string, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${sim.credentials.clientId}&client_secret=${sim.credentials.clientSecret}&scope=${encodeURIComponent('https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly')}`,
    });
    const t = ((await narrow.json()) as { access_token: string }).access_token;
    const forbidden = await fetch(`${sim.url}${DEFAULT_PATHS.rostering}/demographics`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(forbidden.status, 403);
    check(info, await forbidden.json(), '403');
  });

  it('stops validating once a shape-change fault makes it drift (the check can fail)', async () => {
    sim.inject({ kind: 'shape-change', target: 'score-string' });
    const body = await (await get('gradebook', '/results?limit=50')).json();
    assert.equal(schema('gradebook', 'ResultSetDType')(body), false);
    sim.inject({ kind: 'shape-change', target: 'bare-refs' });
    assert.equal(schema('rostering', 'ClassSetDType')(await (await get('rostering', '/classes')).json()), false);
  });
});
