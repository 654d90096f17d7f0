/**
 * The ФГИС «Моя школа» pull API over a real SQLite ledger: OAuth2 client credentials, the
 * FHIR-like Schedule for a student's and a parent's ЕСИА account, OperationOutcome errors, the
 * consent hook, and what was served recorded in the ledger. Run twice: with the ledger's indexed
 * lookups (migration 11) and through the plain Ledger contract (the fallback reads).
 */
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger } from '../../src/core/ledger';
import type { MappedRecord } from '../../src/core/records';
import { createTokenIssuer, parseClients } from '../../src/http/fgis/oauth';
import { createFgisRouter, defaultWindow } from '../../src/http/fgis/routes';
import { withOffset } from '../../src/http/fgis/schedule';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { normalizeRecord } from '../../src/pipeline/normalize';
import { fgisLedger, plainLedger } from './fgis-fixtures';

const SCHOOL = 'school-7';
const NOW = new Date('2025-11-12T09:00:00Z'); // a Wednesday
const ns = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1', fetchedAt: NOW.toISOString() };
const id = (entityType: MappedRecord['entityType'], sourceId: string): string => normalizeRecord({ entityType, sourceId, fields: {} }, ns).prepared.id;

function records(): MappedRecord[] {
  const cls = id('class_group', 'c8b');
  const alg = id('subject', 'alg');
  const kid = id('person', 'kid');
  const mum = id('person', 'mum');
  const teacher = id('person', 't1');
  const sub = id('person', 't2');
  const l1 = id('lesson', 'l1');
  const l2 = id('lesson', 'l2');
  const asg = id('assessment', 'a1');
  return [
    { entityType: 'class_group', sourceId: 'c8b', fields: { kind: 'class', title: '8б', gradeLevel: 8 } },
    { entityType: 'subject', sourceId: 'alg', fields: { title: 'Алгебра' } },
    { entityType: 'person', sourceId: 'kid', fields: { roles: ['student'], familyName: 'Петров', givenName: 'Пётр' }, externalIds: [{ type: 'esia-oid', value: '1000123456' }] },
    { entityType: 'person', sourceId: 'mum', fields: { roles: ['guardian'], familyName: 'Петрова', givenName: 'Анна' }, externalIds: [{ type: 'esia-oid', value: '1000999999' }] },
    { entityType: 'person', sourceId: 't1', fields: { roles: ['teacher'], familyName: 'Иванова', givenName: 'Мария', middleName: 'Петровна' } },
    { entityType: 'person', sourceId: 't2', fields: { roles: ['teacher'], familyName: 'Смирнов', givenName: 'Олег' } },
    { entityType: 'guardian_link', sourceId: 'g1', fields: { studentId: kid, guardianId: mum, relation: 'parent', isLegalRepresentative: true } },
    { entityType: 'membership', sourceId: 'm1', fields: { personId: kid, classGroupId: cls, role: 'student', beginDate: '2025-09-01' } },
    { entityType: 'lesson', sourceId: 'l1', fields: { classGroupId: cls, subjectId: alg, date: '2025-11-10', startTime: '08:30', endTime: '09:15', teacherIds: [teacher], state: 'held', topic: 'Квадратные уравнения', room: '214' } },
    { entityType: 'lesson', sourceId: 'l2', fields: { classGroupId: cls, subjectId: alg, date: '2025-11-12', startTime: '09:25', endTime: '10:10', teacherIds: [sub], state: 'substituted', replacedTeacherId: teacher, room: '214' } },
    { entityType: 'lesson', sourceId: 'l3', fields: { classGroupId: cls, subjectId: alg, date: '2025-12-20', startTime: '09:25', endTime: '10:10', teacherIds: [teacher], state: 'scheduled' } },
    { entityType: 'homework', sourceId: 'h1', fields: { classGroupId: cls, subjectId: alg, dueLessonId: l2, text: '№ 245, 247', isIndividual: false } },
    { entityType: 'homework', sourceId: 'h2', fields: { classGroupId: cls, subjectId: alg, dueLessonId: l1, text: 'Индивидуально: № 300', isIndividual: true, studentIds: [kid] } },
    { entityType: 'assessment', sourceId: 'a1', fields: { classGroupId: cls, subjectId: alg, lessonId: l1, workType: { code: 'control_work', title: 'Контрольная работа' }, weight: 2, date: '2025-11-10' } },
    { entityType: 'mark', sourceId: 'mk1', fields: { kind: 'current', studentId: kid, subjectId: alg, lessonId: l1, assessmentId: asg, markStatus: 'graded', markedAt: '2025-11-10T10:00:00Z', value: { scale: 'five_point', raw: '5', numeric: 5 }, weight: 2 } },
    { entityType: 'attendance_event', sourceId: 'at1', fields: { studentId: kid, lessonId: l2, date: '2025-11-12', code: 'Б', category: 'absent_illness' } },
  ];
}

for (const variant of ['indexed lookups', 'plain Ledger contract'] as const) describe(`ФГИС «Моя школа» pull API (${variant})`, () => {
  let ledger: Ledger;
  let app: express.Express;
  let allow = true;
  const issuer = createTokenIssuer(parseClients('fgis-prod:s3cret-value-123,other:another-secret-456'), 'signing-key-0123456789abcdef', 600);

  beforeEach(async () => {
    const { ledger: sqlite } = await fgisLedger();
    ledger = variant === 'indexed lookups' ? sqlite : plainLedger(sqlite);
    allow = true;
    const validator = getCanonicalValidator();
    const normalized = records().map((m) => normalizeRecord(m, ns));
    for (const n of normalized) assert.deepEqual(validator.validate(n.record), [], `${n.record.entityType} ${n.record.sourceId} is canonical`);
    await ledger.ingest({ runId: 'r1', schoolId: SCHOOL, sourceInstance: 'netschool', stream: 'all', records: normalized.map((n) => n.prepared), quarantine: [], routes: [], now: NOW.toISOString() });
    app = express();
    app.use('/fgis', createFgisRouter({
      ledger, issuer, accountKey: 'account-key', idNamespace: DEFAULT_ID_NAMESPACE, now: () => NOW,
      schoolInfo: (s) => (s === SCHOOL ? { name: 'МБОУ СОШ № 7', timezone: 'Asia/Yekaterinburg' } : undefined),
      allowChild: async () => allow,
    }));
  });
  afterEach(async () => ledger.close());

  async function token(clientId = 'fgis-prod', secret = 's3cret-value-123'): Promise<string> {
    const res = await request(app).post('/fgis/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 600);
    return String(res.body.access_token);
  }

  it('issues tokens for client credentials (form or Basic) and refuses wrong ones', async () => {
    await token();
    const basic = await request(app).post('/fgis/oauth/token').auth('other', 'another-secret-456').type('form').send({ grant_type: 'client_credentials' });
    assert.equal(basic.status, 200);
    for (const [c, s] of [['fgis-prod', 'wrong'], ['nobody', 's3cret-value-123'], ['fgis-prod', '']]) {
      const r = await request(app).post('/fgis/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: c, client_secret: s });
      assert.equal(r.status, 401, `${c}/${s}`);
      assert.equal(r.body.error, 'invalid_client');
    }
    const grant = await request(app).post('/fgis/oauth/token').type('form').send({ grant_type: 'password', client_id: 'fgis-prod', client_secret: 's3cret-value-123' });
    assert.equal(grant.status, 400);
  });

  it("serves a student's week: lessons with topic, substitution, homework, attendance code and scores", async () => {
    const res = await request(app).get('/fgis/Schedule/1000123456?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${await token()}`);
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /application\/fhir\+json/);
    const s = res.body;
    assert.equal(s.resourceType, 'Schedule');
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.school.length, 1);
    const school = s.school[0];
    assert.deepEqual([school.name, school.academYear, school.period], ['МБОУ СОШ № 7', '2025/26', { start: '2025-11-10', end: '2025-11-16' }]);
    assert.deepEqual([school.class[0].class, school.class[0].grade], ['8б', '8']);
    const [l1, l2, ...rest] = school.class[0].lesson;
    assert.equal(rest.length, 0, 'the December lesson is outside the window');
    assert.deepEqual(l1.period, { start: '2025-11-10T08:30:00+05:00', end: '2025-11-10T09:15:00+05:00' }, 'local time with the school offset');
    assert.equal(l1.subject, 'Алгебра');
    assert.equal(l1.topic, 'Квадратные уравнения');
    assert.equal(l1.classroom, '214');
    assert.deepEqual(l1.score, [{ code: 'control_work', weight: 2, score: '5', scoreSystem: 'five_point' }]);
    assert.equal(l1.attendance, undefined);
    assert.equal(l1.homework, 'Индивидуально: № 300', "the child's individual homework, consent allowing");
    assert.equal(l2.insteadOf, 'Иванова М.П.');
    assert.equal(l2.homework, '№ 245, 247');
    assert.deepEqual(l2.attendance, { code: 'б' });
    assert.ok(!JSON.stringify(s).includes('Петров'), "no child's name in the answer");
  });

  it("serves a parent's account with the child's classes, and records what was served (hashed account)", async () => {
    const res = await request(app).get('/fgis/Schedule/1000999999?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${await token()}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.school[0].class[0].lesson.length, 2);
    const served = await ledger.listServed({ consumer: 'fgis:fgis-prod' });
    const mark = (await ledger.listRecords({ schoolId: SCHOOL, entityType: 'mark' }))[0]!;
    assert.ok(served.some((r) => r.recordId === mark.id && r.revision === mark.revision), 'the mark counts as served');
    assert.ok(served.every((r) => r.windowStart === '2025-11-10' && r.servedAt === NOW.toISOString()));
    assert.ok(served.every((r) => !r.accountHash.includes('1000999999') && r.accountHash.length === 32));
    const again = await request(app).get('/fgis/Schedule/1000999999?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${await token()}`);
    assert.equal(again.status, 200);
    assert.equal((await ledger.listServed({ consumer: 'fgis:fgis-prod' })).length, served.length, 'the first serve is kept once');
  });

  it("withholds the child's marks and absences when consent does not allow this channel", async () => {
    allow = false;
    const res = await request(app).get('/fgis/Schedule/1000123456?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${await token()}`);
    const lessons = res.body.school[0].class[0].lesson;
    assert.equal(lessons.length, 2, 'the class timetable is not personal data');
    assert.ok(lessons.every((l: Record<string, unknown>) => l['score'] === undefined && l['attendance'] === undefined));
    assert.ok(lessons.every((l: Record<string, unknown>) => !String(l['homework'] ?? '').includes('Индивидуально')), 'individual homework is the child\'s own data');
    assert.equal(lessons.find((l: Record<string, unknown>) => l['homework'] !== undefined)?.['homework'], '№ 245, 247', 'class homework is not personal data');
    const served = await ledger.listServed({});
    const mark = (await ledger.listRecords({ schoolId: SCHOOL, entityType: 'mark' }))[0]!;
    assert.ok(!served.some((r) => r.recordId === mark.id), 'a withheld mark was not served');
  });

  it('answers OperationOutcome: 401 without or with a bad token, 400 for half a window or a bad id, 404 for an unknown account', async () => {
    const none = await request(app).get('/fgis/Schedule/1000123456');
    assert.equal(none.status, 401);
    assert.equal(none.body.resourceType, 'OperationOutcome');
    assert.equal(none.body.issue[0].code, 'security');
    const forged = await request(app).get('/fgis/Schedule/1000123456').set('Authorization', `Bearer ${(await token()).slice(0, -2)}xx`);
    assert.equal(forged.status, 401);
    assert.equal(forged.body.issue[0].code, 'expired');
    const t = await token();
    const half = await request(app).get('/fgis/Schedule/1000123456?start=2025-11-10').set('Authorization', `Bearer ${t}`);
    assert.deepEqual([half.status, half.body.issue[0].code], [400, 'structure']);
    const bad = await request(app).get('/fgis/Schedule/not-a-number').set('Authorization', `Bearer ${t}`);
    assert.equal(bad.status, 400);
    const long = await request(app).get('/fgis/Schedule/1000123456?start=2025-01-01&end=2025-12-31').set('Authorization', `Bearer ${t}`);
    assert.deepEqual([long.status, long.body.issue[0].code], [400, 'too-costly']);
    const unknown = await request(app).get('/fgis/Schedule/42?start=2025-11-10&end=2025-11-16').set('Authorization', `Bearer ${t}`);
    assert.deepEqual([unknown.status, unknown.body.issue[0].code], [404, 'not-found']);
  });

  it('expires tokens, and defaults the window to the previous, current and next week', async () => {
    const t = await token();
    const later = express();
    later.use('/fgis', createFgisRouter({ ledger, issuer, accountKey: 'k', idNamespace: DEFAULT_ID_NAMESPACE, now: () => new Date(NOW.getTime() + 601_000), schoolInfo: () => undefined }));
    assert.equal((await request(later).get('/fgis/Schedule/1000123456').set('Authorization', `Bearer ${t}`)).status, 401);
    assert.deepEqual(defaultWindow(NOW), { start: '2025-11-03', end: '2025-11-23' });
    const res = await request(app).get('/fgis/Schedule/1000123456').set('Authorization', `Bearer ${t}`);
    assert.deepEqual(res.body.school[0].period, { start: '2025-11-03', end: '2025-11-23' });
  });

  it('renders local times with the offset of the day (DST-free Russia, but not everywhere)', () => {
    assert.equal(withOffset('2025-11-10', '08:30', 'Europe/Moscow'), '2025-11-10T08:30:00+03:00');
    assert.equal(withOffset('2025-07-01', '08:30', 'Europe/Berlin'), '2025-07-01T08:30:00+02:00');
    assert.equal(withOffset('2025-11-10', '08:30', 'Asia/Vladivostok'), '2025-11-10T08:30:00+10:00');
  });
});
