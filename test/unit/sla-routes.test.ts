/**
 * The SLA admin routes with supertest, behind the real bearer auth and problem+json handler, over
 * a real SQLite ledger; every answer is checked against the OpenAPI fragment the routes export,
 * and the fragment lists exactly the routes served.
 */
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import request from 'supertest';
import { createBearerAuth } from '../../src/http/auth';
import { createErrorHandler } from '../../src/http/error-handler';
import { buildOpenApiDocument } from '../../src/http/openapi';
import { createSlaRouter, SLA_OPENAPI_PATHS, SLA_OPENAPI_SCHEMAS } from '../../src/http/sla-routes';
import type { SlaRuntime } from '../../src/sla/runtime';
import { ingest, local, manualClock, SchoolData, slaConfig, slaRuntime, SINK, tmpLedger } from '../fixtures/sla/ledger-kit';

const TOKEN = 'sla-routes-token-0123456789';
const AUTH = `Bearer ${TOKEN}`;
const TZ = 'Asia/Yekaterinburg';
const SCHOOL = 'kamensk-school-3';
const at = (t: string): string => local(TZ, t);

function appFor(runtime: SlaRuntime | undefined, now: () => Date): express.Express {
  const app = express();
  app.use('/api', createBearerAuth([TOKEN]));
  app.use('/api/v1', createSlaRouter({ runtime, now }));
  app.use(createErrorHandler());
  return app;
}

/** Validates a body against a component schema of the fragment (ajv strict, 2020-12). */
function validator(name: string): (body: unknown) => void {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const all = { ...(buildOpenApiDocument() as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas, ...SLA_OPENAPI_SCHEMAS };
  ajv.addSchema({ $id: 'https://t/oas.json', $defs: JSON.parse(JSON.stringify(all).replace(/#\/components\/schemas\//g, 'https://t/oas.json#/$defs/')) as object });
  const fn = ajv.compile({ $ref: `https://t/oas.json#/$defs/${name}` });
  return (body) => assert.ok(fn(body), `${name}: ${JSON.stringify(fn.errors)}`);
}

function servedRoutes(router: express.Router): string[] {
  const stack = (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack;
  return stack.flatMap((l) => (l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} /api/v1${l.route?.path.replace(/:(\w+)/g, '{$1}') ?? ''}`) : [])).sort();
}

describe('sla admin routes (supertest, real ledger)', function () {
  this.timeout(30_000);
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  let rt: SlaRuntime;
  let app: express.Express;
  const clock = manualClock(at('2025-12-30 19:30'));
  const s = new SchoolData(SCHOOL, TZ);

  before(async () => {
    db = await tmpLedger();
    rt = slaRuntime(db.ledger, slaConfig([{ id: SCHOOL, name: 'Школа № 3', timezone: TZ, sinks: [SINK], sla: { profiles: ['kamensk-uralsky-19'] } }]), clock.now);
    await ingest(db.ledger, SCHOOL, [s.classGroup('c5a', '5А'), s.subject('math', 'Математика'), s.lesson('L1', 'c5a', 'math', '2025-12-29')], at('2025-12-01 00:00'), false);
    await ingest(db.ledger, SCHOOL, [s.mark('M1', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2026-01-13 08:00' })], at('2026-01-13 08:05'));
    app = appFor(rt, clock.now);
  });
  after(async () => { await rt?.stop(); await db?.close(); });

  it('refuses every route without the bearer token (401, problem+json)', async () => {
    const r = await request(app).get('/api/v1/sla/schools');
    assert.equal(r.status, 401);
    assert.match(r.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.equal((await request(app).post('/api/v1/sla/access-codes').send({ schoolId: SCHOOL, familyRef: 'REQ-1' })).status, 401);
  });

  it('POST /sla/access-codes after hours: 201, registered on the next working day, 5 working days, actor from the token', async () => {
    const r = await request(app).post('/api/v1/sla/access-codes').set('Authorization', AUTH).send({ schoolId: SCHOOL, familyRef: 'REQ-2025/77' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    validator('AccessCodeRequest')(r.body);
    assert.equal(r.headers['location'], `/api/v1/sla/access-codes/${String(r.body.id)}`);
    assert.deepEqual([r.body.receivedAt, r.body.registeredAt, r.body.dueAt, r.body.dueDate, r.body.status, r.body.movedToNextWorkingDay],
      [at('2025-12-30 19:30'), at('2026-01-12 09:00'), at('2026-01-20 00:00'), '2026-01-19', 'open', true]);
    assert.match(String(r.body.registeredBy), /^admin-api:[0-9a-f]{8}$/);
  });

  it('refuses a name as the family reference, unknown fields, a second open request and an unknown school', async () => {
    const name = await request(app).post('/api/v1/sla/access-codes').set('Authorization', AUTH).send({ schoolId: SCHOOL, familyRef: 'Ivanova' });
    assert.deepEqual([name.status, name.body.code, name.body.issues[0]?.path], [400, 'GW_API_BAD_REQUEST', '/body/familyRef']);
    const extra = await request(app).post('/api/v1/sla/access-codes').set('Authorization', AUTH).send({ schoolId: SCHOOL, familyRef: 'REQ-9', parent: 'x' });
    assert.deepEqual([extra.status, extra.body.issues.map((i: { path: string }) => i.path)], [400, ['/body/parent']]);
    const again = await request(app).post('/api/v1/sla/access-codes').set('Authorization', AUTH).send({ schoolId: SCHOOL, familyRef: 'REQ-2025/77' });
    assert.deepEqual([again.status, again.body.code, again.body.issues[0]?.path], [409, 'GW_ACCESS_CODE_CONFLICT', '/body/familyRef']);
    assert.match(String(again.headers['content-type']), /^application\/problem\+json/);
    const school = await request(app).post('/api/v1/sla/access-codes').set('Authorization', AUTH).send({ schoolId: 'nope', familyRef: 'REQ-3' });
    assert.deepEqual([school.status, school.body.code], [404, 'GW_SCHOOL_UNKNOWN']);
  });

  it('GET lists and shows requests; POST …/issue records the hand-over once, late after the deadline', async () => {
    const list = await request(app).get('/api/v1/sla/access-codes?open=true').set('Authorization', AUTH);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    const id = list.body.items[0].id as number;
    clock.set(at('2026-01-20 10:00'));
    const shown = await request(app).get(`/api/v1/sla/access-codes/${id}`).set('Authorization', AUTH);
    assert.deepEqual([shown.status, shown.body.status], [200, 'overdue']);
    const issued = await request(app).post(`/api/v1/sla/access-codes/${id}/issue`).set('Authorization', AUTH).send({});
    assert.deepEqual([issued.status, issued.body.status, issued.body.issuedAt], [200, 'issued_late', at('2026-01-20 10:00')]);
    validator('AccessCodeRequest')(issued.body);
    const twice = await request(app).post(`/api/v1/sla/access-codes/${id}/issue`).set('Authorization', AUTH).send({});
    assert.deepEqual([twice.status, twice.body.code, twice.body.issues[0]?.path], [409, 'GW_ACCESS_CODE_CONFLICT', '/params/id']);
    assert.deepEqual((await request(app).get(`/api/v1/sla/access-codes/${id}`).set('Authorization', AUTH)).body.issuedAt, at('2026-01-20 10:00'), 'the first hand-over stands');
    assert.equal((await request(app).post('/api/v1/sla/access-codes/999/issue').set('Authorization', AUTH).send({})).status, 404);
    assert.equal((await request(app).get('/api/v1/sla/access-codes/0').set('Authorization', AUTH)).status, 400);
    const closed = await request(app).get('/api/v1/sla/access-codes?open=false&schoolId=kamensk-school-3').set('Authorization', AUTH);
    assert.deepEqual(closed.body.items.map((i: { id: number }) => i.id), [id]);
  });

  it('GET …/obligations, /sla/schools and …/alerts after a tick', async () => {
    await rt.tick();
    const rows = await request(app).get(`/api/v1/sla/schools/${SCHOOL}/obligations?state=late`).set('Authorization', AUTH);
    assert.equal(rows.status, 200);
    const v = validator('SlaObligationRow');
    rows.body.items.forEach(v);
    assert.deepEqual(rows.body.items.map((r: { obligation: string; lateMs: number }) => [r.obligation, r.lateMs]).sort(), [
      ['kamensk-uralsky-19/access-code', 10 * 3_600_000], ['kamensk-uralsky-19/marks-entered', 8 * 3_600_000],
    ]);
    const schools = await request(app).get('/api/v1/sla/schools').set('Authorization', AUTH);
    assert.equal(schools.status, 200);
    schools.body.items.forEach(validator('SlaSchool'));
    assert.deepEqual([schools.body.items[0].counts.late, schools.body.items[0].obligations.length], [2, 5]);
    const alerts = await request(app).get(`/api/v1/sla/schools/${SCHOOL}/alerts`).set('Authorization', AUTH);
    assert.equal(alerts.status, 200);
    alerts.body.items.forEach(validator('SlaAlert'));
    const bad = await request(app).get(`/api/v1/sla/schools/${SCHOOL}/obligations?state=lost&limit=0`).set('Authorization', AUTH);
    assert.deepEqual([bad.status, bad.body.issues.map((i: { path: string }) => i.path).sort()], [400, ['/query/limit', '/query/state']]);
  });

  it('GET …/report in json, csv, html and pdf; bad windows and formats are 400', async () => {
    const base = `/api/v1/sla/schools/${SCHOOL}/report?from=2025-12-01&to=2026-01-31`;
    const json = await request(app).get(base).set('Authorization', AUTH);
    assert.equal(json.status, 200);
    validator('SlaReport')(json.body);
    assert.deepEqual(json.body.summary.map((x: { obligation: string; late: number }) => [x.obligation, x.late]), [
      ['kamensk-uralsky-19/marks-entered', 1], ['kamensk-uralsky-19/access-code', 1],
    ]);
    const csv = await request(app).get(`${base}&format=csv`).set('Authorization', AUTH).buffer(true);
    assert.match(csv.headers['content-type'] ?? '', /^text\/csv/);
    assert.match(csv.headers['content-disposition'] ?? '', /filename="sla-kamensk-school-3-2025-12-01-2026-01-31\.csv"/);
    assert.ok(csv.text.startsWith('\uFEFFРазрез;Класс;Месяц;Обязательство;Всего;'), csv.text.slice(0, 80));
    const html = await request(app).get(`${base}&format=html`).set('Authorization', AUTH);
    assert.match(html.text, /<html lang="ru">/);
    assert.match(html.text, /Соблюдение сроков ведения электронного дневника/);
    const pdf = await request(app).get(`${base}&format=pdf`).set('Authorization', AUTH).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal((pdf.body as Buffer).subarray(0, 5).toString(), '%PDF-');
    const bad = await request(app).get(`/api/v1/sla/schools/${SCHOOL}/report?from=2026-02-01&to=2026-01-01&format=xls`).set('Authorization', AUTH);
    assert.deepEqual([bad.status, bad.body.issues.map((i: { path: string }) => i.path).sort()], [400, ['/query/format', '/query/to']]);
    assert.equal((await request(app).get(`/api/v1/sla/schools/${SCHOOL}/report?to=2026-01-01`).set('Authorization', AUTH)).status, 400);
    assert.equal((await request(app).get('/api/v1/sla/schools/other/report?from=2026-01-01&to=2026-01-02').set('Authorization', AUTH)).status, 404);
  });

  it('without any school following regulations every SLA route is 404', async () => {
    const none = appFor(undefined, clock.now);
    const r = await request(none).get('/api/v1/sla/schools').set('Authorization', AUTH);
    assert.deepEqual([r.status, r.body.code], [404, 'GW_API_NOT_FOUND']);
  });

  it('the OpenAPI fragment documents exactly the routes served, and its schemas compile under ajv strict', () => {
    const documented = Object.entries(SLA_OPENAPI_PATHS).flatMap(([p, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    assert.deepEqual(documented, servedRoutes(createSlaRouter({ runtime: undefined })));
    for (const name of Object.keys(SLA_OPENAPI_SCHEMAS)) assert.doesNotThrow(() => validator(name), name);
  });
});
