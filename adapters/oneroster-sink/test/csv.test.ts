/**
 * CSV export of a school: bulk and delta packages written from a real SQLite ledger (filled from
 * the OneRoster source's demo district), checked by reading them back — the manifest, the exact
 * 1.2 headers, every row against the official schemas — and by an export → import round trip
 * through oneroster-source's CSV reader into a second ledger, which must hold the same marks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { canonicalId, DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { Ledger } from '../../../src/core/ledger';
import type { EntityType } from '../../../src/core/records';
import { fakeClock, ingestAll, makeContext, tmpDir, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { createOneRosterSource } from '../../oneroster-source';
import { exportOneRosterCsv } from '../index';
import { maxRevision } from '../csv/scan';
import { filledLedger, NOW, SCHOOL, touch, type Obj } from './helpers';

/** The header rows of the OneRoster 1.2 CSV binding (portal-and-standards §B1; README "CSV package"). */
const SPEC_HEADERS: Record<string, string> = {
  orgs: 'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
  academicSessions: 'sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear',
  courses: 'sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes',
  classes: 'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods',
  users: 'sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns',
  roles: 'sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId',
  enrollments: 'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate',
  categories: 'sourcedId,status,dateLastModified,title,weight',
  lineItems: 'sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,academicSessionSourcedId,resultValueMin,resultValueMax,schoolSourcedId',
  results: 'sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment,textScore,classSourcedId,inProgress,incomplete,late,missing',
};

const readCsv = (file: string): Record<string, string>[] => parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const manifestOf = (dir: string): Record<string, string> => Object.fromEntries(readCsv(path.join(dir, 'manifest.csv')).map((r) => [r.propertyName, r.value]));
const active = async (l: Ledger, e: EntityType): Promise<Obj[]> => (await l.listRecords({ schoolId: SCHOOL, entityType: e })).filter((r) => r.status === 'active').map((r) => r.record);

describe('oneroster-sink CSV export', function () {
  this.timeout(120_000);
  let clock: FakeClock;
  let env: Awaited<ReturnType<typeof filledLedger>>;
  let root: string;
  before(() => nock.enableNetConnect());
  beforeEach(async () => { clock = fakeClock(NOW); env = await filledLedger(clock); root = tmpDir('dgw-or-export-'); });
  afterEach(async () => { await env.close(); fs.rmSync(root, { recursive: true, force: true }); });

  const exportTo = (name: string, mode: 'bulk' | 'delta', sinceRevision?: number): ReturnType<typeof exportOneRosterCsv> =>
    exportOneRosterCsv({ ledger: env.ledger, schoolId: SCHOOL, outDir: path.join(root, 'inbox', name), mode, now: clock.now(), ...(sinceRevision !== undefined ? { sinceRevision } : {}) });

  /** Imports the inbox with oneroster-source (CSV mode) into `into`; ids there are keyed by the exported sourcedIds. */
  const importInbox = async (into: Ledger): Promise<void> => {
    const ctx = makeContext({ mode: 'csv' as const, csvPath: path.join(root, 'inbox') }, { clock, system: 'oneroster', schoolId: SCHOOL });
    const r = await ingestAll(into, createOneRosterSource(), ctx, { clock, sourceInstance: 'import' });
    assert.equal(r.status, 'ok', JSON.stringify(r.streams));
    assert.equal(r.counts.quarantined, 0, 'every exported row maps back');
  };
  const ref = (e: EntityType, id: unknown): string => canonicalId(DEFAULT_ID_NAMESPACE, 'oneroster', SCHOOL, e, String(id));

  /**
   * Every active mark of A has its twin in B with the same meaning; a deleted one is absent from B
   * (never exported: deleted before the bulk) or deleted there too; B has nothing else.
   */
  const assertSameMarks = async (a: Ledger, b: Ledger): Promise<number> => {
    const inA = (await a.listRecords({ schoolId: SCHOOL, entityType: 'mark' })).map((r) => r.record);
    const inB = new Map((await b.listRecords({ schoolId: SCHOOL, entityType: 'mark' })).map((r) => [String(r.record.sourceId), r.record]));
    const idsA = new Set(inA.map((m) => String(m.id)));
    assert.deepEqual([...inB.keys()].filter((k) => !idsA.has(k)), [], 'B holds no mark A lacks');
    let compared = 0;
    for (const m of inA) {
      const t = inB.get(String(m.id));
      if (m.status === 'tobedeleted') { assert.ok(t === undefined || t.status === 'tobedeleted', `deleted mark ${String(m.id)}`); continue; }
      compared++;
      assert.ok(t, `mark ${String(m.id)} came back`);
      const pick = (x: Obj, studentId: unknown, subjectId: unknown, periodId: unknown): Obj => ({
        status: x.status, kind: x.kind, markStatus: x.markStatus, value: x.value, teacherComment: x.teacherComment, markedAt: x.markedAt,
        studentId, subjectId, reportingPeriodId: periodId, ...(x.kind === 'current' ? { date: x.date, assessmentId: x.assessmentId === undefined ? undefined : true } : {}),
      });
      assert.deepEqual(
        pick(t, t.studentId, t.subjectId, t.reportingPeriodId),
        pick(m, ref('person', m.studentId), ref('subject', m.subjectId), m.reportingPeriodId === undefined ? undefined : ref('reporting_period', m.reportingPeriodId)),
        `mark ${String(m.id)}`,
      );
      if (m.kind === 'current') assert.equal(t.assessmentId, ref('assessment', m.assessmentId));
    }
    return compared;
  };

  it('writes a bulk package: manifest, the exact 1.2 headers, every active record, every row valid', async () => {
    const res = await exportTo('p1', 'bulk');
    const dir = res.dir;
    const manifest = manifestOf(dir);
    assert.equal(manifest['manifest.version'], '1.0');
    assert.equal(manifest['oneroster.version'], '1.2');
    assert.equal(manifest['source.systemName'], 'diary-gateway');
    for (const f of Object.keys(SPEC_HEADERS)) assert.equal(manifest[`file.${f}`], 'bulk', f);
    for (const f of ['demographics', 'resources', 'scoreScales', 'userProfiles', 'lineItemScoreScales']) assert.equal(manifest[`file.${f}`], 'absent', f);
    for (const [f, header] of Object.entries(SPEC_HEADERS)) {
      assert.equal(fs.readFileSync(path.join(dir, `${f}.csv`), 'utf8').split('\r\n')[0], header, f);
    }
    const rows = (f: string): Record<string, string>[] => readCsv(path.join(dir, `${f}.csv`));
    assert.equal(rows('orgs').length, 1);
    assert.equal(rows('users').length, (await active(env.ledger, 'person')).length);
    assert.equal(rows('academicSessions').length, (await active(env.ledger, 'academic_year')).length + (await active(env.ledger, 'reporting_period')).length);
    assert.equal(res.files.results, (await active(env.ledger, 'mark')).length);
    assert.deepEqual(res.skipped, { marks: 0, invalidRows: 0 });
    for (const f of Object.keys(SPEC_HEADERS)) {
      for (const r of rows(f)) {
        assert.equal(r.status, 'active', `${f} bulk rows are active`);
        assert.match(r.dateLastModified ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, f);
      }
    }
    // Current marks sit on their assessment's line item; period marks on a column with a period.
    const results = rows('results');
    const lineItems = new Map(rows('lineItems').map((r) => [r.sourcedId, r]));
    for (const r of results) assert.ok(lineItems.has(r.lineItemSourcedId ?? ''), 'every result has its line item in the package');
    const periodMark = (await active(env.ledger, 'mark')).find((m) => m.kind === 'period') as Obj;
    const col = lineItems.get(results.find((r) => r.sourcedId === periodMark.id)?.lineItemSourcedId ?? '');
    assert.equal(col?.academicSessionSourcedId, periodMark.reportingPeriodId);
    assert.equal(res.highWater, await maxRevision(env.ledger, SCHOOL));
  });

  it('round trip: the bulk package read back by oneroster-source gives the same marks in a second ledger', async () => {
    await exportTo('2025-11-12T0900Z', 'bulk');
    const b = await tmpLedger();
    try {
      await importInbox(b.ledger);
      const n = await assertSameMarks(env.ledger, b.ledger);
      assert.ok(n > 500, `${n} marks`);
      assert.equal((await active(b.ledger, 'person')).length, (await active(env.ledger, 'person')).length);
      assert.equal((await active(b.ledger, 'guardian_link')).length, (await active(env.ledger, 'guardian_link')).length);
    } finally { await b.ledger.close(); }
  });

  it('a delta package holds only what changed after the revision, deletions as tobedeleted, and the import follows', async () => {
    const bulk = await exportTo('2025-11-12T0900Z', 'bulk');
    const marks = (await active(env.ledger, 'mark')).filter((m) => m.kind === 'current' && (m.value as Obj | undefined)?.scale === 'five_point');
    const [changed, deleted] = [marks[0] as Obj, marks[1] as Obj];
    clock.advance(3_600_000);
    await touch(env.source, 'results', String(changed.sourceId), { textScore: '2', score: 2, comment: 'Исправлено' });
    await touch(env.source, 'results', String(deleted.sourceId), { status: 'tobedeleted' });
    await env.sync();
    const delta = await exportTo('2025-11-12T1000Z', 'delta', bulk.highWater);
    assert.ok(delta.highWater > bulk.highWater);
    assert.deepEqual(Object.keys(delta.files), ['results']);
    const manifest = manifestOf(delta.dir);
    assert.equal(manifest['file.results'], 'delta');
    assert.equal(manifest['file.users'], 'absent');
    assert.ok(!fs.existsSync(path.join(delta.dir, 'users.csv')));
    const rows = readCsv(path.join(delta.dir, 'results.csv'));
    assert.deepEqual(rows.map((r) => [r.sourcedId, r.status]).sort(), [[changed.id, 'active'], [deleted.id, 'tobedeleted']].sort());
    assert.equal(rows.find((r) => r.sourcedId === changed.id)?.textScore, '2');
    for (const r of rows) assert.ok(Date.parse(r.dateLastModified ?? '') > Date.parse(NOW.toISOString()), 'delta rows carry their new dateLastModified');

    const b = await tmpLedger();
    try {
      await importInbox(b.ledger);
      await assertSameMarks(env.ledger, b.ledger);
      const twin = (await b.ledger.listRecords({ schoolId: SCHOOL, entityType: 'mark' })).find((r) => r.record.sourceId === deleted.id);
      assert.equal(twin?.status, 'tobedeleted');
    } finally { await b.ledger.close(); }

    const nothing = await exportTo('2025-11-12T1100Z', 'delta', delta.highWater);
    assert.deepEqual(nothing.files, {});
    assert.equal(nothing.highWater, delta.highWater);
    assert.deepEqual(Object.entries(manifestOf(nothing.dir)).filter(([k, v]) => k.startsWith('file.') && v !== 'absent'), []);
  });

  it('a roster delta: a renamed user with its roles, a deleted enrollment with its section enrollments; the import follows', async () => {
    const bulk = await exportTo('2025-11-12T0900Z', 'bulk');
    const students = (await active(env.ledger, 'person')).filter((p) => (p.roles as string[]).includes('student'));
    const student = students[0] as Obj;
    const membership = (await active(env.ledger, 'membership')).find((m) => m.personId === student.id && m.role === 'student') as Obj;
    clock.advance(3_600_000);
    await touch(env.source, 'users', String(student.sourceId), { givenName: 'Аглая' });
    await touch(env.source, 'enrollments', String(membership.sourceId), { status: 'tobedeleted' });
    await env.sync();
    const delta = await exportTo('2025-11-12T1000Z', 'delta', bulk.highWater);
    const users = readCsv(path.join(delta.dir, 'users.csv'));
    assert.deepEqual(users.map((u) => [u.sourcedId, u.givenName]), [[student.id, 'Аглая']]);
    assert.deepEqual(readCsv(path.join(delta.dir, 'roles.csv')).map((r) => [r.userSourcedId, r.role]), [[student.id, 'student']]);
    const enrollments = readCsv(path.join(delta.dir, 'enrollments.csv'));
    assert.ok(enrollments.length >= 1);
    assert.ok(enrollments.every((e) => e.status === 'tobedeleted' && e.userSourcedId === student.id), 'the membership and its section enrollments, all deleted');
    assert.ok(enrollments.some((e) => e.sourcedId === membership.id && e.classSourcedId === membership.classGroupId));
    const b = await tmpLedger();
    try {
      await importInbox(b.ledger);
      const twin = (await b.ledger.listRecords({ schoolId: SCHOOL, entityType: 'person' })).find((r) => r.record.sourceId === student.id);
      assert.equal(twin?.record.givenName, 'Аглая');
      const gone = (await b.ledger.listRecords({ schoolId: SCHOOL, entityType: 'membership' })).find((r) => r.record.sourceId === membership.id);
      assert.equal(gone?.status, 'tobedeleted');
    } finally { await b.ledger.close(); }
  });

  it('maxRevision finds the greatest revision of the school without a scan', async () => {
    let max = 0;
    for (let after = 0; ;) {
      const page = await env.ledger.listRecords({ schoolId: SCHOOL, afterRevision: after, limit: 1000 });
      if (page.length === 0) break;
      max = Math.max(max, ...page.map((r) => r.revision));
      after = page[page.length - 1]?.revision ?? after;
    }
    assert.ok(max > 1000);
    assert.equal(await maxRevision(env.ledger, SCHOOL), max);
    // From many starting points (each bisects differently), and past the end.
    for (let after = 0; after < max; after += 97) assert.equal(await maxRevision(env.ledger, SCHOOL, after), max, `after ${after}`);
    for (const after of [max - 2, max - 1, max]) assert.equal(await maxRevision(env.ledger, SCHOOL, after), max);
    assert.equal(await maxRevision(env.ledger, 'no-such-school'), 0);
  });

  it('refuses a delta without a revision, and a folder that already holds a package', async () => {
    await assert.rejects(exportTo('x', 'delta'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST');
    await exportTo('p', 'bulk');
    await assert.rejects(exportTo('p', 'bulk'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST' && /already holds/.test(e.message));
  });
});
