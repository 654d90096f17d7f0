/**
 * End-to-end tests of the NetSchool parts beyond the spine — final marks (mobile `/totals`),
 * overdue works (`pastMandatory`), assignment details, mark comments and the journal's own
 * entry times (mobile `resultDate`) — against the simulator over loopback, through the real
 * pipeline into a real SQLite ledger. "Now" is Wednesday 2026-01-21, 12:00 in Moscow: the first
 * two quarters have ended, the third runs.
 */
import assert from 'node:assert/strict';
import type { MappedRecord } from '../../../src/core/records';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { GatewayError } from '../../../src/core/errors';
import { collect, ingestAll, tmpLedger } from '../../../test/support/harness';
import { records } from '../../../test/support/source-run';
import { vendorDateTimeToUtc } from '../dates';
import { createNetschoolSource, netschoolSimulator, type NetschoolConfig } from '../index';
import { configOf, contextAt, type Recorded } from './sim-support';

const NOW = new Date('2026-01-21T09:00:00Z');
type Rec = Record<string, unknown>;

describe('netschool final marks, overdue works, details and entry times (simulator, ledger)', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await netschoolSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  const ctx = (extra: Partial<NetschoolConfig> = {}, calls?: Recorded[]) =>
    contextAt(NOW, configOf(sim, { weeksBack: 1, weeksAhead: 0, ...extra }), calls ? { calls } : {});
  const mobile = async (path: string): Promise<unknown> => (await fetch(`${sim.url}/api/mobile/${path}`, {
    headers: { Authorization: `Bearer ${sim.env.DIARY_SIM_NETSCHOOL_MOBILE_TOKEN as string}` },
  })).json();
  const read = async (stream: string, extra: Partial<NetschoolConfig> = {}): Promise<MappedRecord[]> =>
    records(await collect(createNetschoolSource().read(ctx(extra), stream, null)));

  it('final_marks: every result of the mobile totals lands in the ledger, closing a reporting period school_years stored', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createNetschoolSource();
      const c = ctx();
      const first = await ingestAll(ledger, adapter, c, { streams: ['school_years', 'final_marks'] });
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      const periods = new Map((await ledger.listRecords({ entityType: 'reporting_period' })).map((p) => [p.id, p.record]));
      const marks = (await ledger.listRecords({ entityType: 'mark' })).map((m) => ({ sourceId: m.sourceId, r: m.record }));

      // What a client of the simulator sees, student by student: the ledger must hold exactly that.
      const expected = new Map<string, string>();
      for (const s of await mobile('students') as { studentId: number }[]) {
        const [edu] = await mobile(`education?studentId=${s.studentId}`) as { schoolyear: { id: number } }[];
        const totals = await mobile(`totals?studentId=${s.studentId}&schoolYearId=${edu!.schoolyear.id}`) as {
          subjectId: number; termTotals: { term: { id: number }; mark: unknown }[];
        }[];
        for (const t of totals) {
          for (const tt of t.termTotals) if (tt.mark !== null) expected.set(`${s.studentId}|term|${t.subjectId}|${tt.term.id}`, String(tt.mark));
        }
      }
      assert.ok(expected.size >= 52 * 8 * 2, `two ended quarters for everyone (${expected.size})`);
      assert.deepEqual(new Map(marks.map((m) => [m.sourceId, (m.r.value as { raw: string }).raw])), expected);
      for (const { r } of marks) {
        const period = periods.get(r.reportingPeriodId as string);
        assert.ok(period, 'the period mark closes a stored reporting period');
        assert.equal(r.kind, 'period');
        assert.equal(r.date, period.endDate);
      }
      const statuses = new Set(marks.map((m) => m.r.markStatus));
      assert.ok(statuses.has('graded') && statuses.has('not_attested'), [...statuses].join());

      const again = await ingestAll(ledger, adapter, c, { streams: ['school_years', 'final_marks'] });
      assert.equal(again.counts.inserted + again.counts.updated, 0);
    } finally { await ledger.close(); }
  });

  it('final_marks: drifted totals (string marks, bare term numbers) map to the same marks, by id or by number', async () => {
    const key = (rs: MappedRecord[]) => new Map(rs.map((r) => [r.sourceId, JSON.stringify([r.fields.value, r.fields.markStatus, r.fields.reportingPeriodId])]));
    const normal = key(await read('final_marks'));
    sim.inject({ kind: 'shape-change', target: 'totals' });
    assert.deepEqual(key(await read('final_marks')), normal);
    assert.deepEqual(key(await read('final_marks', { totalsTermMatch: 'number' })), normal);
  });

  it('final_marks: a malformed result is quarantined with its field while the rest goes in', async () => {
    const { ledger } = await tmpLedger();
    try {
      sim.inject({ kind: 'malformed', count: 1 });
      const r = await ingestAll(ledger, createNetschoolSource(), ctx(), { streams: ['final_marks'] });
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.quarantined, 1);
      assert.ok(r.counts.inserted > 800);
      const [q] = await ledger.listQuarantine({});
      assert.match(q?.issues[0]?.path ?? '', /^\/\d+\/termTotals\/\d+\/mark$/);
      assert.match(q?.sourceId ?? '', /^\d+\|term\|\d+\|\d+$/);
    } finally { await ledger.close(); }
  });

  it('final_marks: nothing without a mobile token; a refused token fails permanently', async () => {
    const cfg = configOf(sim);
    delete cfg.mobileAccessToken;
    assert.deepEqual(await collect(createNetschoolSource().read(contextAt(NOW, cfg), 'final_marks', null)), []);
    await assert.rejects(collect(createNetschoolSource().read(ctx({ mobileAccessToken: 'wrong' }), 'final_marks', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_AUTH_FAILED' && e.errorClass === 'permanent');
  });

  it('check: a refused mobile token is a permanent failure; a mobile outage does not fail the web source', async () => {
    const bad = await createNetschoolSource().check(ctx({ mobileAccessToken: 'wrong' }));
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(bad.error.errorClass, 'permanent');
    sim.inject({ kind: 'status', status: 503, count: 20, pathPrefix: '/api/mobile/' });
    assert.equal((await createNetschoolSource().check(ctx())).ok, true);
  });

  it('diary: an overdue work is a debt mark; once graded, the same ledger record turns graded at the journal\'s entry time', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createNetschoolSource();
      const c = ctx();
      assert.equal((await ingestAll(ledger, adapter, c, { streams: ['diary'] })).status, 'ok');
      const overdue = (await ledger.listRecords({ entityType: 'mark' })).filter((m) => (m.record.metadata as Rec | undefined)?.netschoolOverdue === true);
      assert.ok(overdue.length > 0, 'some overdue works in the window');
      assert.ok(overdue.every((m) => m.record.markStatus === 'debt' && m.record.value === undefined));
      const owed = overdue.find((m) => m.sourceModifiedAt === undefined); // no dot: only pastMandatory knows it
      assert.ok(owed, 'an overdue work without a duty dot');
      const [assignmentId, studentId] = owed.sourceId.split(':').map(Number);

      const set = await fetch(`${sim.url}/_sim/set-mark`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ assignmentId, studentId, mark: 4 }) });
      assert.equal(set.status, 200);
      const again = await ingestAll(ledger, adapter, c, { streams: ['diary'] });
      assert.equal(again.counts.updated, 1, JSON.stringify(again.counts));
      const now = await ledger.getRecord(owed.id);
      assert.equal(now?.revision !== undefined && now.revision > owed.revision, true);
      assert.equal(now?.record.markStatus, 'graded');
      assert.deepEqual(now?.record.value, { scale: 'five_point', raw: '4', numeric: 4 });
      assert.equal(now?.record.metadata, undefined);
      assert.equal(now?.record.markedAt, '2026-01-21T09:00:00Z', 'the mobile resultDate of the new mark');
      assert.equal(now?.sourceModifiedAt, '2026-01-21T09:00:00Z');
      assert.equal((await ledger.getRecordHistory(owed.id)).length, 2);
    } finally { await ledger.close(); }
  });

  it('diary: the short pastMandatory shape gives the same debts; a server without it reads on without them', async () => {
    const tagged = (rs: MappedRecord[]) => rs.filter((r) => r.metadata?.netschoolOverdue === true).map((r) => r.sourceId).sort();
    const debts = (rs: MappedRecord[]) => rs.filter((r) => r.fields.markStatus === 'debt').map((r) => r.sourceId);
    const base = await read('diary');
    sim.inject({ kind: 'shape-change', target: 'overdue' });
    assert.deepEqual(tagged(await read('diary')), tagged(base));
    sim.inject({ kind: 'clear' });
    sim.inject({ kind: 'custom', name: 'no-past-mandatory' });
    const without = await read('diary');
    assert.deepEqual(tagged(without), []);
    const dots = debts(without);
    assert.ok(dots.length > 0 && dots.every((id) => debts(base).includes(id)), 'duty dots stay debts');
    assert.ok(debts(base).length > dots.length, 'overdue works without a dot are only known from pastMandatory');
    const ignored = await read('diary', { overdueAssignments: 'ignore' });
    assert.deepEqual(debts(ignored).sort(), [...dots].sort());
  });

  it('diary: marks carry the mobile resultDate as markedAt (drifted shape too); without a token, the lesson end', async () => {
    const rs = await read('diary');
    const lessons = new Map(rs.filter((r) => r.entityType === 'lesson').map((r) => [ctx().ids.ref('lesson', r.sourceId), r]));
    const graded = rs.filter((r) => r.entityType === 'mark' && r.fields.markStatus === 'graded').slice(0, 15);
    assert.equal(graded.length, 15);
    for (const m of graded) {
      const [aid, sid] = m.sourceId.split(':');
      const lesson = lessons.get(m.fields.lessonId as string) as MappedRecord;
      const rows = await mobile(`assignments?studentId=${sid}&classmeetingId=${lesson.sourceId}`) as { assignmentId: number; resultDate: string }[];
      const row = rows.find((x) => String(x.assignmentId) === aid);
      assert.equal(m.fields.markedAt, vendorDateTimeToUtc(row?.resultDate, '+03:00'), m.sourceId);
      assert.ok((m.sourceModifiedAt ?? '') >= (m.fields.markedAt as string));
    }
    sim.inject({ kind: 'shape-change', target: 'results' });
    const drifted = new Map((await read('diary')).map((r) => [`${r.entityType}:${r.sourceId}`, r]));
    for (const m of graded) {
      const d = drifted.get(`mark:${m.sourceId}`);
      assert.ok(Math.abs(Date.parse(d?.fields.markedAt as string) - Date.parse(m.fields.markedAt as string)) < 1000);
    }
    sim.inject({ kind: 'clear' });
    const cfg = configOf(sim, { weeksBack: 1, weeksAhead: 0 });
    delete cfg.mobileAccessToken;
    const plain = new Map(records(await collect(createNetschoolSource().read(contextAt(NOW, cfg), 'diary', null))).map((r) => [r.sourceId, r]));
    for (const m of graded) {
      const p = plain.get(m.sourceId) as MappedRecord;
      const lesson = lessons.get(m.fields.lessonId as string) as MappedRecord;
      if (p.fields.teacherComment !== undefined) continue; // a comment's editTime stands in
      assert.equal(p.fields.markedAt, vendorDateTimeToUtc(`${String(lesson.fields.date)}T${String(lesson.fields.endTime)}:00`, '+03:00'));
      assert.equal(p.sourceModifiedAt, undefined);
    }
  });

  it('diary: details name lessons\' and works\' teachers the roster knows; mark-less comments are recommendations', async () => {
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, createNetschoolSource(), ctx(), { streams: ['roster', 'diary'] });
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.quarantined, 0);
      const all = async (e: 'person' | 'lesson' | 'assessment' | 'recommendation') => (await ledger.listRecords({ entityType: e })).map((x) => x.record);
      const teachers = new Set((await all('person')).filter((p) => (p.roles as string[]).includes('teacher')).map((p) => p.id));
      const lessons = await all('lesson');
      const assessments = await all('assessment');
      const withTeacher = lessons.filter((l) => (l.teacherIds as string[]).length > 0);
      assert.ok(withTeacher.length > lessons.length / 2, `${withTeacher.length}/${lessons.length}`);
      assert.ok(withTeacher.every((l) => (l.teacherIds as string[]).every((t) => teachers.has(t))));
      assert.ok(assessments.every((a) => a.teacherId !== undefined && teachers.has(a.teacherId)));
      const recs = await all('recommendation');
      assert.ok(recs.length > 0);
      const targets = new Set([...lessons, ...assessments].map((x) => x.id));
      for (const x of recs) {
        assert.ok(teachers.has(x.authorId), 'written by a roster teacher');
        assert.ok(targets.has(x.targetId), 'about a stored lesson or work');
        assert.equal(x.visibility, 'student_and_guardians');
      }
    } finally { await ledger.close(); }
  });

  it('diary: one pastMandatory call per student for the window, details once per work; switched off, none', async () => {
    const calls: Recorded[] = [];
    const rs = records(await collect(createNetschoolSource().read(ctx({}, calls), 'diary', null)));
    const overdueCalls = calls.filter((c) => c.path === '/webapi/student/diary/pastMandatory');
    assert.equal(overdueCalls.length, 52);
    assert.ok(overdueCalls.every((c) => c.params?.weekStart === '2026-01-12' && c.params?.weekEnd === '2026-01-21'));
    const details = calls.filter((c) => c.path.startsWith('/webapi/student/diary/assigns/')).map((c) => c.path);
    assert.equal(new Set(details).size, details.length, 'no work asked twice');
    assert.ok(details.length >= rs.filter((r) => r.entityType === 'assessment' || r.entityType === 'homework').length / 2);

    calls.length = 0;
    const lean = records(await collect(createNetschoolSource().read(ctx({ assignmentDetails: false, overdueAssignments: 'ignore', mobileMarkTimes: false }, calls), 'diary', null)));
    assert.deepEqual(calls.filter((c) => /pastMandatory|assigns|\/api\/mobile\//.test(c.path)), []);
    assert.ok(lean.filter((r) => r.entityType === 'lesson').every((l) => (l.fields.teacherIds as unknown[]).length === 0));
  });
});
