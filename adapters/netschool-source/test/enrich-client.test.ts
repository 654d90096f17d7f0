/**
 * The new NetSchool endpoints against nock: `student/diary/pastMandatory`,
 * `student/diary/assigns/{id}?studentId`, `grade/assignment/types?all=true`, and the mobile API's
 * `/assignments` (repeated classmeetingId), `/education`, `/subjects`, `/totals` — what is sent,
 * and what a refusing server or token does to the read (optional parts degrade, the rest fails).
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { Logger } from '../../../src/core/logger';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { NetschoolClient } from '../client';
import { NetschoolMobileClient } from '../mobile-client';
import { DiaryEnricher } from '../readers/diary-enrich';
import { fetchStudentTotals } from '../readers/final-marks';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';

const ORIGIN = 'http://sgo.test';
const AT = 'session-token-1';
const BEARER = 'mobile-token-1';

/** A logger that keeps warnings, to check a degraded read says so. */
function warnings(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = { ...nullLogger, warn: (msg: string) => { lines.push(msg); }, child: () => log };
  return { log, lines };
}

function http() {
  return createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined, maxAttempts: 1 });
}

/** A web client with a live session (at + cookie), so no login dance is needed. */
function webClient(): NetschoolClient {
  return new NetschoolClient({ baseUrl: ORIGIN, login: 'parent1', password: 'x', schoolId: 7 },
    { http: http(), log: nullLogger, now: () => new Date() },
    { at: AT, cookies: new Map([['NSSESSIONID', 'c0ffee']]), schoolId: 7 });
}

function mobileClient(): NetschoolMobileClient {
  return new NetschoolMobileClient(`${ORIGIN}/api/mobile`, BEARER, { http: http(), log: nullLogger, now: () => new Date() });
}

const week = (assignments: unknown[]): unknown => ({
  weekDays: [{ date: '2025-10-13T00:00:00', lessons: [{ classmeetingId: 7001, subjectName: 'Математика', assignments }, { classmeetingId: 7002, subjectName: 'История' }] }],
});

describe('netschool enrichment endpoints (nock)', () => {
  nockOnly('no pending interceptors');

  it('asks pastMandatory per student with the diary parameters, with at + cookie', async () => {
    for (const [sid, items] of [[501, [{ id: 11, dueDate: '2025-10-13T00:00:00', mark: null }]], [502, []]] as const) {
      nock(ORIGIN).get('/webapi/student/diary/pastMandatory')
        .query({ studentId: String(sid), yearId: '425', weekStart: '2025-10-06', weekEnd: '2025-10-16' })
        .matchHeader('at', AT).matchHeader('cookie', /NSSESSIONID=c0ffee/)
        .reply(200, items);
    }
    const e = new DiaryEnricher(webClient(), new Map(), { details: false, utcOffset: '+03:00', log: nullLogger });
    const got = await e.overdue([501, 502], 425, '2025-10-06', '2025-10-16');
    assert.deepEqual([...(got?.get(501) ?? [])], [[11, { assignmentId: 11, dueDate: '2025-10-13' }]]);
    assert.equal(got?.get(502)?.size, 0);
  });

  it('reads without overdue works when the server has no pastMandatory (404), and says so', async () => {
    nock(ORIGIN).get('/webapi/student/diary/pastMandatory').query(true).reply(404, { message: 'Not found' });
    const w = warnings();
    const e = new DiaryEnricher(webClient(), new Map(), { details: false, utcOffset: '+03:00', log: w.log });
    assert.equal(await e.overdue([501, 502], 425, '2025-10-06', '2025-10-16'), undefined);
    assert.equal(w.lines.length, 1);
  });

  it('fails the read on a pastMandatory 503 (retryable), not silently', async () => {
    nock(ORIGIN).get('/webapi/student/diary/pastMandatory').query(true).reply(503, '<html>down</html>');
    const e = new DiaryEnricher(webClient(), new Map(), { details: false, utcOffset: '+03:00', log: nullLogger });
    const err = await rejectsGateway(e.overdue([501], 425, '2025-10-06', '2025-10-16'));
    assert.equal(err.code, 'GW_SRC_UNAVAILABLE');
  });

  it('reads each assignment\'s details once per read, with studentId; a 404 skips that one', async () => {
    nock(ORIGIN).get('/webapi/student/diary/assigns/71').query({ studentId: '501' }).matchHeader('at', AT)
      .reply(200, { id: 71, description: 'Подробно', isDeleted: false, teachers: [{ id: 3003, name: 'Петрова Анна Ивановна' }] });
    nock(ORIGIN).get('/webapi/student/diary/assigns/72').query({ studentId: '501' }).reply(404, { message: 'Задание не найдено' });
    const e = new DiaryEnricher(webClient(), new Map(), { details: true, utcOffset: '+03:00', log: nullLogger });
    const raw = week([{ id: 71, typeId: 1 }, { id: 72, typeId: 1 }]);
    await e.loadDetails(raw, 501);
    await e.loadDetails(raw, 502); // the same works for the next student: no more calls
    assert.deepEqual([...e.detailsById], [[71, { teacherIds: [3003], description: 'Подробно', deleted: false }]]);
  });

  it('stops asking for details after a 403 and goes on', async () => {
    nock(ORIGIN).get('/webapi/student/diary/assigns/71').query(true).reply(403, {});
    const w = warnings();
    const e = new DiaryEnricher(webClient(), new Map(), { details: true, utcOffset: '+03:00', log: w.log });
    await e.loadDetails(week([{ id: 71 }, { id: 72 }]), 501);
    await e.loadDetails(week([{ id: 73 }]), 501);
    assert.equal(e.detailsById.size, 0);
    assert.equal(w.lines.length, 1);
  });

  it('asks every assignment type (all=true) once when a diary names an unknown one', async () => {
    nock(ORIGIN).get('/webapi/grade/assignment/types').query({ all: 'true' })
      .reply(200, [{ id: 1, name: 'Ответ на уроке', abbr: 'О', order: 1 }, { id: 40, name: 'Чтение наизусть', abbr: 'ЧН', order: 40 }]);
    const types = new Map([[1, 'Ответ на уроке']]);
    const e = new DiaryEnricher(webClient(), types, { details: false, utcOffset: '+03:00', log: nullLogger });
    await e.ensureTypes(week([{ id: 71, typeId: 1 }]));
    await e.ensureTypes(week([{ id: 72, typeId: 40 }]));
    await e.ensureTypes(week([{ id: 73, typeId: 41 }])); // asked once per read
    assert.equal(types.get(40), 'Чтение наизусть');
  });

  it('asks the mobile /assignments once per student-week for the lessons with results (repeated classmeetingId)', async () => {
    nock(ORIGIN).get('/api/mobile/assignments')
      .query((q) => q.studentId === '501' && JSON.stringify(q.classmeetingId) === JSON.stringify(['7001', '7003']))
      .matchHeader('authorization', `Bearer ${BEARER}`)
      .reply(200, [
        { assignmentId: 71, result: 5, duty: false, resultDate: '2025-10-13T10:12:30' },
        { assignmentId: 74, result: null, duty: false, resultDate: null },
      ]);
    const e = new DiaryEnricher(webClient(), new Map(), { details: false, mobile: mobileClient(), utcOffset: '+03:00', log: nullLogger });
    const raw = { weekDays: [
      { lessons: [{ classmeetingId: 7001, assignments: [{ id: 71, mark: { mark: 5 } }] }, { classmeetingId: 7002, assignments: [{ id: 72, mark: null }] }] },
      { lessons: [{ classmeetingId: 7003, assignments: [{ id: 73, mark: { mark: null, dutyMark: true } }] }] },
    ] };
    assert.deepEqual([...(await e.resultTimes(raw, 501) ?? [])], [[71, '2025-10-13T07:12:30Z']]);
    assert.deepEqual([...(await e.resultTimes(week([{ id: 75, mark: null }]), 501) ?? [])], [], 'no results: no call');
  });

  it('keeps reading without result times when the mobile token is refused (401), asking no more', async () => {
    nock(ORIGIN).get('/api/mobile/assignments').query(true).reply(401, { message: 'Unauthorized' });
    const w = warnings();
    const e = new DiaryEnricher(webClient(), new Map(), { details: false, mobile: mobileClient(), utcOffset: '+03:00', log: w.log });
    const raw = week([{ id: 71, mark: { mark: 4 } }]);
    assert.equal(await e.resultTimes(raw, 501), undefined);
    assert.equal(await e.resultTimes(raw, 502), undefined);
    assert.equal(w.lines.length, 1);
  });

  it('reads a student\'s totals: the school year from /education, names from /subjects, then /totals', async () => {
    nock(ORIGIN).get('/api/mobile/education').query({ studentId: '501' }).matchHeader('authorization', `Bearer ${BEARER}`).reply(200, [
      { class: { id: 1, name: 'Кружок' }, school: { id: 9 }, schoolyear: { id: 9001, startDate: '2025-09-01T00:00:00', endDate: '2026-05-31T00:00:00' }, isAddSchool: true },
      { class: { id: 501, name: '5а' }, school: { id: 7 }, schoolyear: { id: 425, name: '2025/2026', startDate: '2025-09-01T00:00:00', endDate: '2026-08-31T00:00:00' }, isAddSchool: false },
    ]);
    nock(ORIGIN).get('/api/mobile/subjects').query({ studentId: '501', schoolYearId: '425' })
      .reply(200, [{ id: 101, name: 'Русский язык', order: 1, 'federalСurriculum': true }]);
    nock(ORIGIN).get('/api/mobile/totals').query({ studentId: '501', schoolYearId: '425' }).reply(200, [{ subjectId: 101, termTotals: [], yearTotals: [] }]);
    const r = await fetchStudentTotals(mobileClient(), 501, 425, '2025-10-16');
    assert.deepEqual(r, { schoolYearId: 425, yearEnd: '2026-08-31', subjects: new Map([[101, 'Русский язык']]), totals: [{ subjectId: 101, termTotals: [], yearTotals: [] }] });
  });

  it('fails totals on a refused token (permanent) and on an HTML page (protocol)', async () => {
    nock(ORIGIN).get('/api/mobile/education').query(true).reply(401, { message: 'Unauthorized' });
    const auth = await rejectsGateway(fetchStudentTotals(mobileClient(), 501, 425, '2025-10-16'));
    assert.equal(auth.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(auth.errorClass, 'permanent');
    nock(ORIGIN).get('/api/mobile/education').query(true).reply(200, []);
    nock(ORIGIN).get('/api/mobile/subjects').query({ studentId: '501', schoolYearId: '425' }).reply(200, []);
    nock(ORIGIN).get('/api/mobile/totals').query(true).reply(200, '<html>Технические работы</html>', { 'Content-Type': 'text/html' });
    const html = await rejectsGateway(fetchStudentTotals(mobileClient(), 501, 425, '2025-10-16'));
    assert.equal(html.code, 'GW_SRC_PROTOCOL');
  });
});
