/**
 * The families admin API with supertest, behind the real bearer auth and problem+json handler,
 * on a real ledger file: registration (idempotent, every missing item reported), CSV import
 * (UTF-8 with `;`, and the same file saved as Windows-1251), withdrawal, contacts, status,
 * paper list and the purge audit.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import iconv from 'iconv-lite';
import request from 'supertest';
import type { Ledger } from '../../src/core/ledger';
import { createBearerAuth } from '../../src/http/auth';
import { createErrorHandler } from '../../src/http/error-handler';
import { createFamiliesRouter, familiesOpenApiPaths } from '../../src/http/families-routes';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { consentOf, World } from '../fixtures/families/world';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';
import { repoRoot } from '../support/cli-process';

const TOKEN = 'families-test-token-0123456789abcdef';
const CSV = fs.readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'families', 'register.csv'));

describe('families admin API', () => {
  let ledger: Ledger;
  let app: express.Express;
  let clock: FakeClock;
  let requeued: number[];
  const w = new World('school-csv');
  const auth = { Authorization: `Bearer ${TOKEN}` };

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    await w.ingest(ledger, [w.student('s1', 'Петров', 'Иван'), w.student('s2', 'Орлова', 'Вера'), w.guardian('g1', 'Петрова', 'Анна'), w.link('l1', 's1', 'g1')], [], clock);
    const store = new SqliteConsentStore(ledger);
    requeued = [];
    app = express();
    app.use('/api', createBearerAuth([TOKEN]));
    app.use('/api/v1', createFamiliesRouter({ store, now: () => clock.now(), onRequeued: (n) => requeued.push(n) }));
    app.use(createErrorHandler());
  });
  afterEach(() => ledger.close());

  it('refuses calls without the bearer token', async () => {
    const res = await request(app).get('/api/v1/families/paper');
    assert.equal(res.status, 401);
  });

  it('registers a consent once, lists it without items, shows items on its own page, and reports every missing item', async () => {
    const input = consentOf(w, 's1', 'g1');
    const first = await request(app).post('/api/v1/families/consents').set(auth).send(input);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await request(app).post('/api/v1/families/consents').set(auth).send(input);
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    const list = await request(app).get('/api/v1/families/consents?school=school-csv').set(auth);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].items, undefined);
    const one = await request(app).get(`/api/v1/families/consents/${first.body.consent.id}`).set(auth);
    assert.equal(one.body.items.subject.document.number, 'IV-АИ 123456');
    assert.match(one.body.capturedBy, /^admin-api:/);

    const { items: _i, ...bare } = consentOf(w, 's2', 'g2');
    const bad = await request(app).post('/api/v1/families/consents').set(auth).send({ ...bare, items: { purpose: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['content-type']?.split(';')[0], 'application/problem+json');
    const paths = (bad.body.issues as Array<{ path: string }>).map((i) => i.path);
    for (const p of ['/body/items/subject', '/body/items/operator', '/body/items/representative', '/body/items/withdrawalMethod']) assert.ok(paths.includes(p), p);
  });

  it('imports the CSV register row by row, names bad cells by column, and is idempotent in either encoding', async () => {
    const res = await request(app).post('/api/v1/families/consents/import').set(auth).set('Content-Type', 'text/csv').send(CSV);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual({ rows: res.body.rows, created: res.body.created, withdrawn: res.body.withdrawn, unchanged: res.body.unchanged }, { rows: 4, created: 2, withdrawn: 1, unchanged: 0 });
    assert.deepEqual(res.body.rejected.map((r: { line: number }) => r.line), [4]);
    const cols = (res.body.rejected[0].issues as Array<{ path: string }>).map((i) => i.path).sort();
    assert.deepEqual(cols, ['emails/0', 'operator_name', 'purpose']);

    const cp1251 = iconv.encode(CSV.toString('utf8'), 'win1251');
    const again = await request(app).post('/api/v1/families/consents/import').set(auth).set('Content-Type', 'text/csv').send(cp1251);
    assert.deepEqual({ created: again.body.created, withdrawn: again.body.withdrawn, unchanged: again.body.unchanged }, { created: 0, withdrawn: 0, unchanged: 3 });

    const s1 = w.id('person', 's1');
    const status = await request(app).get(`/api/v1/families/status?school=school-csv&child=${s1}`).set(auth);
    assert.equal(status.body.state, 'withdrawn');
    assert.equal(status.body.purgeDueAt, '2025-12-01T00:00:00.000Z', 'withdrawn 1 Nov → destroyed by 1 Dec');
    const contacts = await request(app).get(`/api/v1/families/contacts?school=school-csv&child=${s1}`).set(auth);
    assert.deepEqual(contacts.body.items.map((c: { emails: string[] }) => c.emails), [['anna.petrova@example.ru']]);
    const paper = await request(app).get('/api/v1/families/paper?school=school-csv').set(auth);
    assert.deepEqual(paper.body.items.map((p: { reason: string }) => p.reason).sort(), ['refusal', 'withdrawn']);
  });

  it('withdraws, runs the purge and shows its act', async () => {
    const reg = await request(app).post('/api/v1/families/consents').set(auth).send(consentOf(w, 's1', 'g1'));
    const wd = await request(app).post(`/api/v1/families/consents/${reg.body.consent.id}/withdraw`).set(auth).send({ evidenceRef: 'ZAYAV-9' });
    assert.equal(wd.status, 200);
    assert.equal(wd.body.withdrawnAt, clock.now().toISOString());
    const early = await request(app).post('/api/v1/families/purge').set(auth);
    assert.deepEqual(early.body.entries, []);
    clock.advance(30 * 86_400_000);
    const run = await request(app).post('/api/v1/families/purge').set(auth);
    assert.equal(run.body.entries.length, 1);
    const log = await request(app).get('/api/v1/families/purges?school=school-csv').set(auth);
    assert.deepEqual(log.body.items[0].destroyed.records, { person: 2, guardian_link: 1 });
    const unknown = await request(app).get('/api/v1/families/purges?schol=x').set(auth);
    assert.equal(unknown.status, 400);
    const missing = await request(app).post('/api/v1/families/consents/999/withdraw').set(auth).send({ evidenceRef: 'x' });
    assert.equal(missing.status, 404);
  });

  it('sets contacts and refuses a chosen channel without an address', async () => {
    const body = { schoolId: 'school-csv', child: { sourceId: 's1' }, applicant: { kind: 'parent', id: 'g1' }, emails: [], phones: ['+79001234567'], channels: ['email', 'sms'], form: 'electronic', evidenceRef: 'EDS-1', givenAt: '2025-09-02' };
    const bad = await request(app).put('/api/v1/families/contacts').set(auth).send(body);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path), ['/body/emails']);
    const ok = await request(app).put('/api/v1/families/contacts').set(auth).send({ ...body, emails: ['a@example.ru'] });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.childId, w.id('person', 's1'));
    assert.deepEqual(requeued, []);
  });

  it('documents exactly the routes it serves (OpenAPI paths to merge into openapi.ts)', () => {
    const served: string[] = [];
    const stack = (createFamiliesRouter({ store: new SqliteConsentStore(ledger) }) as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack;
    for (const l of stack) if (l.route) for (const [m, on] of Object.entries(l.route.methods)) if (on) served.push(`${m.toUpperCase()} /api/v1${l.route.path.replace(/:([a-z]+)/g, '{$1}')}`);
    const documented = Object.entries(familiesOpenApiPaths()).flatMap(([p, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(served.sort(), documented.sort());
  });
});
