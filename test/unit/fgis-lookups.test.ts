/**
 * The reads behind `GET /Schedule` (src/http/fgis/schedule.ts, lookup.ts) and the ledger's lookups
 * by reference (src/ledger/sqlite/field-lookups.ts, migration 11) on a real SQLite file: the
 * indexed answer equals the whole-school answer on a school with every lesson state, the queries
 * run on the indexes (query plans), and the external-id table follows persons through updates,
 * deletes, the consent purge's rewrite and the migration's backfill.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { FieldQuery, Ledger } from '../../src/core/ledger';
import type { MappedRecord } from '../../src/core/records';
import { buildSchedule, type ScheduleDeps } from '../../src/http/fgis/schedule';
import { matchesConditions } from '../../src/http/fgis/lookup';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { fieldQuerySql } from '../../src/ledger/sqlite/field-lookups';
import { createPushIntake } from '../../src/pipeline/push-intake';
import { normalizeRecord, type NormalizeContext } from '../../src/pipeline/normalize';
import type { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { nullLogger } from '../../src/core/logger';
import { fgisLedger, migrationsBefore, plainLedger } from './fgis-fixtures';

const NOW = new Date('2025-11-12T09:00:00Z');
const WEEK = { start: '2025-11-10', end: '2025-11-16' };
const ctxOf = (schoolId: string): NormalizeContext => ({
  idNamespace: DEFAULT_ID_NAMESPACE, schoolId, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1', fetchedAt: NOW.toISOString(),
});
const idIn = (schoolId: string) => (entityType: MappedRecord['entityType'], sourceId: string): string =>
  normalizeRecord({ entityType, sourceId, fields: {} }, ctxOf(schoolId)).prepared.id;
const id = idIn('school-7');
const id9 = idIn('school-9');

function lesson(sourceId: string, cls: string, date: string, start: string, extra: Record<string, unknown> = {}, subject = 'alg'): MappedRecord {
  return {
    entityType: 'lesson', sourceId,
    fields: { classGroupId: id('class_group', cls), subjectId: id('subject', subject), date, startTime: start, endTime: '23:59', teacherIds: [id('person', 't2')], state: 'held', ...extra },
  };
}

/** One school with every case the answer distinguishes; a second school for the parent's other child. */
function school7(): MappedRecord[] {
  const kid = id('person', 'kid');
  const sib = id('person', 'sib');
  return [
    { entityType: 'class_group', sourceId: 'c8b', fields: { kind: 'class', title: '8б', gradeLevel: 8 } },
    { entityType: 'class_group', sourceId: 'c8v', fields: { kind: 'subgroup', title: '8в' } },
    { entityType: 'subject', sourceId: 'alg', fields: { title: 'Алгебра' } },
    { entityType: 'subject', sourceId: 'phys', fields: { title: 'Физика' } },
    { entityType: 'person', sourceId: 'kid', fields: { roles: ['student'], familyName: 'Петров', givenName: 'Пётр' }, externalIds: [{ type: 'esia-oid', value: '1000123456' }] },
    { entityType: 'person', sourceId: 'sib', fields: { roles: ['student'], familyName: 'Петрова', givenName: 'Ольга' } },
    { entityType: 'person', sourceId: 'mum', fields: { roles: ['guardian'], familyName: 'Петрова', givenName: 'Анна' }, externalIds: [{ type: 'esia-oid', value: '1000999999' }, { type: 'snils-hash', value: `sha256:${'a'.repeat(64)}` }] },
    { entityType: 'person', sourceId: 't1', fields: { roles: ['teacher'], familyName: 'Иванова', givenName: 'Мария', middleName: 'Петровна' } },
    { entityType: 'person', sourceId: 't2', fields: { roles: ['teacher'], familyName: 'Смирнов', givenName: 'Олег' } },
    { entityType: 'guardian_link', sourceId: 'g1', fields: { studentId: kid, guardianId: id('person', 'mum'), relation: 'parent', isLegalRepresentative: true } },
    { entityType: 'guardian_link', sourceId: 'g2', fields: { studentId: sib, guardianId: id('person', 'mum'), relation: 'parent', isLegalRepresentative: true } },
    { entityType: 'guardian_link', sourceId: 'g3', fields: { studentId: id('person', 'nobody'), guardianId: id('person', 'mum'), relation: 'parent', isLegalRepresentative: true } },
    { entityType: 'membership', sourceId: 'm1', fields: { personId: kid, classGroupId: id('class_group', 'c8b'), role: 'student', beginDate: '2025-09-01' } },
    { entityType: 'membership', sourceId: 'm2', fields: { personId: kid, classGroupId: id('class_group', 'c8v'), role: 'student', beginDate: '2025-09-01', endDate: '2025-10-31' } },
    { entityType: 'membership', sourceId: 'm3', fields: { personId: sib, classGroupId: id('class_group', 'c8v'), role: 'student', beginDate: '2025-09-01' } },
    lesson('l1', 'c8b', '2025-11-10', '08:30', { topic: 'Квадратные уравнения', room: '214' }),
    lesson('l2', 'c8b', '2025-11-12', '09:25', { state: 'substituted', replacedTeacherId: id('person', 't1') }),
    lesson('l3', 'c8b', '2025-11-12', '08:30', { state: 'substituted', replacedTeacherId: id('person', 'unknown-teacher') }),
    lesson('l4', 'c8b', '2025-11-13', '08:30', { state: 'cancelled', cancelReason: 'карантин' }),
    lesson('l5', 'c8b', '2025-11-13', '09:25', { state: 'moved', movedTo: { date: '2025-11-17', startTime: '09:25', endTime: '10:10' } }, 'phys'),
    lesson('l6', 'c8b', '2025-11-14', '08:30', { isDistant: true, distantUrl: 'https://meet.example/8b' }),
    lesson('l7', 'c8b', '2025-11-14', '09:25', {}),
    lesson('l8', 'c8b', '2025-11-14', '10:30', { topic: 'первая версия' }),
    lesson('l9', 'c8b', '2025-11-20', '08:30', { topic: 'вне окна' }),
    lesson('s1', 'c8v', '2025-11-11', '08:30', { topic: 'группа 8в' }, 'phys'),
    { entityType: 'homework', sourceId: 'h1', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'alg'), dueLessonId: id('lesson', 'l2'), text: '№ 245, 247', isIndividual: false } },
    { entityType: 'homework', sourceId: 'h2', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'alg'), dueDate: '2025-11-10', text: 'по дате', isIndividual: false } },
    { entityType: 'homework', sourceId: 'h3', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'phys'), dueDate: '2025-11-10', text: 'другой предмет', isIndividual: false } },
    { entityType: 'homework', sourceId: 'h4', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'alg'), dueLessonId: id('lesson', 'l1'), text: 'лично Пете', isIndividual: true, studentIds: [kid] } },
    { entityType: 'homework', sourceId: 'h5', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'alg'), dueLessonId: id('lesson', 'l1'), text: 'лично Оле', isIndividual: true, studentIds: [sib] } },
    { entityType: 'assessment', sourceId: 'a1', fields: { classGroupId: id('class_group', 'c8b'), subjectId: id('subject', 'alg'), lessonId: id('lesson', 'l1'), workType: { code: 'control_work', title: 'Контрольная работа' }, weight: 2, date: '2025-11-10' } },
    { entityType: 'mark', sourceId: 'mk1', fields: { kind: 'current', studentId: kid, subjectId: id('subject', 'alg'), lessonId: id('lesson', 'l1'), assessmentId: id('assessment', 'a1'), markStatus: 'graded', markedAt: '2025-11-10T10:00:00Z', value: { scale: 'five_point', raw: '5', numeric: 5 }, weight: 2 } },
    { entityType: 'mark', sourceId: 'mk2', fields: { kind: 'current', studentId: kid, subjectId: id('subject', 'alg'), lessonId: id('lesson', 'l1'), markStatus: 'graded', markedAt: '2025-11-10T10:05:00Z', value: { scale: 'five_point', raw: '4', numeric: 4 } } },
    { entityType: 'mark', sourceId: 'mk3', fields: { kind: 'current', studentId: kid, subjectId: id('subject', 'alg'), lessonId: id('lesson', 'l2'), markStatus: 'deferred', deferral: { reason: 'illness', dueDate: '2025-11-28' }, markedAt: '2025-11-12T10:00:00Z', value: { scale: 'five_point', raw: '3', numeric: 3 } } },
    { entityType: 'mark', sourceId: 'mk4', fields: { kind: 'current', studentId: sib, subjectId: id('subject', 'phys'), lessonId: id('lesson', 's1'), markStatus: 'graded', markedAt: '2025-11-11T10:00:00Z', value: { scale: 'five_point', raw: '5', numeric: 5 } } },
    { entityType: 'mark', sourceId: 'mk5', fields: { kind: 'current', studentId: sib, subjectId: id('subject', 'alg'), lessonId: id('lesson', 'l1'), markStatus: 'graded', markedAt: '2025-11-10T10:00:00Z', value: { scale: 'five_point', raw: '2', numeric: 2 } } },
    { entityType: 'attendance_event', sourceId: 'at1', fields: { studentId: kid, lessonId: id('lesson', 'l2'), date: '2025-11-12', code: 'Б', category: 'absent_illness' } },
    { entityType: 'attendance_event', sourceId: 'at2', fields: { studentId: kid, lessonId: id('lesson', 'l1'), date: '2025-11-10', code: 'П', category: 'present' } },
    { entityType: 'attendance_event', sourceId: 'at3', fields: { studentId: kid, lessonId: id('lesson', 'l7'), date: '2025-11-14', code: 'О', category: 'late' } },
  ];
}

function school9(): MappedRecord[] {
  return [
    { entityType: 'class_group', sourceId: 'c1a', fields: { kind: 'class', title: '1а', gradeLevel: 1 } },
    { entityType: 'subject', sourceId: 'read', fields: { title: 'Чтение' } },
    { entityType: 'person', sourceId: 'small', fields: { roles: ['student'], familyName: 'Петров', givenName: 'Иван' } },
    { entityType: 'person', sourceId: 'mum', fields: { roles: ['guardian'], familyName: 'Петрова', givenName: 'Анна' }, externalIds: [{ type: 'esia-oid', value: '1000999999' }] },
    { entityType: 'guardian_link', sourceId: 'g1', fields: { studentId: id9('person', 'small'), guardianId: id9('person', 'mum'), relation: 'parent', isLegalRepresentative: true } },
    { entityType: 'membership', sourceId: 'm1', fields: { personId: id9('person', 'small'), classGroupId: id9('class_group', 'c1a'), role: 'student', beginDate: '2025-09-01' } },
    { entityType: 'lesson', sourceId: 'r1', fields: { classGroupId: id9('class_group', 'c1a'), subjectId: id9('subject', 'read'), date: '2025-11-11', startTime: '09:00', endTime: '09:40', teacherIds: [id9('person', 'small')], state: 'held' } },
  ];
}

async function ingest(ledger: Ledger, schoolId: string, records: MappedRecord[], runId: string): Promise<void> {
  const validator = getCanonicalValidator();
  const normalized = records.map((m) => normalizeRecord(m, ctxOf(schoolId)));
  for (const n of normalized) assert.deepEqual(validator.validate(n.record), [], `${n.record.entityType} ${n.record.sourceId} is canonical`);
  await ledger.ingest({ runId, schoolId, sourceInstance: 'netschool', stream: 'all', records: normalized.map((n) => n.prepared), quarantine: [], routes: [], now: NOW.toISOString() });
}

/** The school, then a second version of l8 (history stays in the indexes) and l7 deleted. */
export async function seed(ledger: Ledger): Promise<void> {
  await ingest(ledger, 'school-7', school7(), 'r1');
  await ingest(ledger, 'school-9', school9(), 'r2');
  await ingest(ledger, 'school-7', [
    lesson('l8', 'c8b', '2025-11-14', '10:30', { topic: 'вторая версия' }),
    { ...lesson('l4', 'c8b', '2025-11-13', '08:30', { state: 'cancelled', cancelReason: 'карантин' }), status: 'tobedeleted' },
  ], 'r3');
}

export const deps = (ledger: Ledger, denied: string[] = []): ScheduleDeps => ({
  ledger, idNamespace: DEFAULT_ID_NAMESPACE,
  schoolInfo: (s) => ({ 'school-7': { name: 'МБОУ СОШ № 7', timezone: 'Europe/Moscow' }, 'school-9': { name: 'МБОУ СОШ № 9', timezone: 'Asia/Omsk' } } as Record<string, { name: string; timezone: string }>)[s],
  allowChild: async (_school, child) => !denied.includes(child),
});

type Json = Record<string, unknown>;
const lessonsOf = (s: Json | undefined, school: number, cls: number): Json[] =>
  ((((s?.['school'] as Json[])[school]?.['class'] as Json[])[cls]?.['lesson']) ?? []) as Json[];

describe('ФГИС lookups by reference (indexed ledger against whole-school reads)', () => {
  let ledger: SqliteLedger;
  let file: string;
  beforeEach(async () => {
    ({ ledger, file } = await fgisLedger());
    await seed(ledger);
  });
  afterEach(async () => ledger.close());

  it("builds the same answer and serves the same revisions as the whole-school reads, for a parent with children in two schools", async () => {
    const sib = id('person', 'sib');
    for (const [oid, denied] of [['1000999999', []], ['1000999999', [sib]], ['1000123456', []]] as const) {
      const req = { esiaOid: oid, ...WEEK, now: NOW };
      const fast = await buildSchedule(deps(ledger, [...denied]), req);
      const slow = await buildSchedule(deps(plainLedger(ledger), [...denied]), req);
      assert.equal(JSON.stringify(fast.schedule), JSON.stringify(slow.schedule), `${oid} answers byte for byte alike`);
      const key = (r: typeof fast): string[] => r.served.map((x) => `${x.recordId}@${x.revision}`).sort();
      assert.deepEqual(key(fast), key(slow));
    }
    const parent = await buildSchedule(deps(ledger), { esiaOid: '1000999999', ...WEEK, now: NOW });
    const schools = parent.schedule?.['school'] as Json[];
    assert.deepEqual(schools.map((s) => s['name']), ['МБОУ СОШ № 7', 'МБОУ СОШ № 9']);
    assert.deepEqual((schools[0]?.['class'] as Json[]).map((c) => c['class']), ['8б', '8в'], "kid's class, then sib's (kid left 8в in October)");
    assert.deepEqual(lessonsOf(parent.schedule, 1, 0).map((l) => (l['period'] as Json)['start']), ['2025-11-11T09:00:00+06:00']);
  });

  it('renders every lesson case from the indexed reads', async () => {
    const { schedule, served } = await buildSchedule(deps(ledger), { esiaOid: '1000123456', ...WEEK, now: NOW });
    const lessons = lessonsOf(schedule, 0, 0);
    const by = (topicOrNote: string): Json | undefined => lessons.find((l) => l['topic'] === topicOrNote || l['note'] === topicOrNote);
    assert.deepEqual(lessons.map((l) => (l['period'] as Json)['start']), [
      '2025-11-10T08:30:00+03:00', '2025-11-12T08:30:00+03:00', '2025-11-12T09:25:00+03:00', '2025-11-13T09:25:00+03:00',
      '2025-11-14T08:30:00+03:00', '2025-11-14T09:25:00+03:00', '2025-11-14T10:30:00+03:00',
    ], 'sorted by date and time; the deleted l4 and the December l9 are absent');
    const l1 = by('Квадратные уравнения');
    assert.equal(l1?.['homework'], 'по дате\nлично Пете', "homework due by date and the kid's own, not the sibling's");
    assert.deepEqual(l1?.['score'], [{ code: 'control_work', weight: 2, score: '5', scoreSystem: 'five_point' }, { score: '4', scoreSystem: 'five_point' }]);
    assert.equal(l1?.['attendance'], undefined, 'present is not an absence');
    assert.deepEqual([lessons[1]?.['insteadOf'], lessons[2]?.['insteadOf']], ['замена', 'Иванова М.П.']);
    assert.deepEqual([lessons[2]?.['homework'], lessons[2]?.['attendance'], lessons[2]?.['score']], ['№ 245, 247', { code: 'б' }, undefined], 'a deferred mark is not shown');
    assert.deepEqual([lessons[3]?.['note'], lessons[3]?.['subject']], ['Урок перенесён', 'Физика']);
    assert.equal(lessons[4]?.['distant'], 'https://meet.example/8b');
    assert.deepEqual(lessons[5]?.['attendance'], { code: 'о' });
    assert.equal(lessons[6]?.['topic'], 'вторая версия', 'the current version only');
    const l8 = await ledger.getRecord(id('lesson', 'l8'));
    assert.ok(served.some((s) => s.recordId === l8?.id && s.revision === l8.revision));
    assert.ok(!served.some((s) => s.recordId === id('mark', 'mk5')), "the sibling's mark in the same lesson was not served");
  });

  it('runs every read of an answer on an index, never on a scan of a kind', async () => {
    const seen: FieldQuery[] = [];
    const original = ledger.findRecords.bind(ledger);
    ledger.findRecords = async (q) => { seen.push(q); return original(q); };
    await buildSchedule(deps(ledger), { esiaOid: '1000999999', ...WEEK, now: NOW });
    assert.ok(seen.length >= 10, `${seen.length} reads`);
    const db = new Database(file, { readonly: true });
    try {
      for (const q of seen) {
        const built = fieldQuerySql(q);
        if (!built) continue;
        const plan = db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${built.sql}`).all(...built.params).map((r) => r.detail);
        const led = q.where.some((c) => c.field === 'id') ? /^SEARCH r USING INDEX records_id \(id=\?\)/ : /^SEARCH v USING INDEX record_versions_\w+ \(<expr>=\?/;
        assert.match(plan[0] ?? '', led, `${q.entityType} by ${q.where.map((c) => c.field).join('+')}: ${plan.join(' | ')}`);
        assert.ok(!plan.some((d) => /^SCAN (r|v)\b/.test(d) || d.includes('records_kind')), plan.join(' | '));
        // The SQL and the in-memory conditions agree row for row.
        const all = (await ledger.listRecords({ schoolId: q.schoolId, entityType: q.entityType })).filter((r) => r.status === 'active');
        assert.deepEqual((await original(q)).map((r) => r.id), all.filter((r) => matchesConditions(r, q.where)).map((r) => r.id));
      }
    } finally {
      db.close();
    }
  });

  it('keeps person_external_ids with the current person versions: changed id, deletion, purge rewrite', async () => {
    const find = async (value: string): Promise<string[]> => (await ledger.findByExternalId('person', 'esia-oid', value)).map((p) => p.sourceId);
    assert.deepEqual(await find('1000999999'), ['mum', 'mum'], 'one per school');
    await ingest(ledger, 'school-7', [{ ...school7().find((r) => r.sourceId === 'kid')!, externalIds: [{ type: 'esia-oid', value: '1000123457' }] }], 'r4');
    assert.deepEqual([await find('1000123456'), await find('1000123457')], [[], ['kid']]);
    const db = new Database(file);
    try {
      const count = (): number => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM person_external_ids').get()?.n ?? -1;
      const current = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM records r JOIN record_versions v ON v.revision = r.revision, json_each(v.body, '$.externalIds')
        WHERE r.entity_type = 'person'`).get()?.n;
      assert.equal(count(), current, 'one row per external id of each current person version, history not kept');
      const before = count();
      // What the consent purge does to a withdrawn child's versions (src/families/consent/sqlite-purge.ts).
      const kid = await ledger.getRecord(id('person', 'kid'));
      db.prepare('UPDATE record_versions SET body = ? WHERE revision = ?').run(JSON.stringify({ id: kid?.id, entityType: 'person', purged: { at: NOW.toISOString() } }), kid?.revision);
      assert.equal(count(), before - 1);
      assert.deepEqual(await find('1000123457'), []);
      db.prepare("DELETE FROM records WHERE id = ?").run(id9('person', 'mum'));
      assert.deepEqual(await find('1000999999'), ['mum']);
      assert.equal(count(), before - 2);
      const local = db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM person_external_ids WHERE type = 'source-local'").get()?.n;
      assert.equal(local, 4, 'the default source-local ids of sib, t1, t2 and small');
      const foreign = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM person_external_ids x
        LEFT JOIN records r ON r.revision = x.revision WHERE r.entity_type IS NOT 'person'`).get()?.n;
      assert.equal(foreign, 0, "other kinds' external ids are not copied");
    } finally {
      db.close();
    }
  });

  it('answers alike before the step (by kind), and backfills person_external_ids when the ledger migrates', async () => {
    const { ledger: old, file: oldFile } = await fgisLedger(undefined, migrationsBefore());
    await seed(old);
    const scanned = (await old.findByExternalId('person', 'esia-oid', '1000999999')).map((p) => p.id);
    const req = { esiaOid: '1000999999', ...WEEK, now: NOW };
    const unindexed = JSON.stringify((await buildSchedule(deps(old), req)).schedule);
    await old.close();
    const { ledger: migrated } = await fgisLedger(oldFile);
    try {
      assert.equal(scanned.length, 2);
      assert.equal(JSON.stringify((await buildSchedule(deps(migrated), req)).schedule), unindexed, 'the same answer before the indexes existed');
      assert.ok(unindexed.includes('вторая версия'));
      assert.deepEqual((await migrated.findByExternalId('person', 'esia-oid', '1000999999')).map((p) => p.id), scanned);
      assert.deepEqual((await migrated.findByExternalId('person', 'snils-hash', `sha256:${'a'.repeat(64)}`)).map((p) => p.sourceId), ['mum']);
    } finally {
      await migrated.close();
    }
  });

  it('answers push items with the stored revisions from one query, as getRecord per item did', async () => {
    const items = Array.from({ length: 50 }, (_, i) => {
      const record: MappedRecord = { entityType: 'attendance_event', sourceId: `p${i}`, fields: { studentId: id('person', 'kid'), date: '2025-11-11', code: 'Н', category: 'absent_invalid' } };
      return { kind: 'record' as const, record, raw: record };
    });
    const req = { schoolId: 'school-7', sourceInstance: 'push', sourceSystem: 'netschool', adapter: 'push-source', adapterVersion: '1', idNamespace: DEFAULT_ID_NAMESPACE, routes: [], items };
    let batched = 0;
    const original = ledger.currentRevisions.bind(ledger);
    ledger.currentRevisions = async (ids) => { batched++; return original(ids); };
    const intake = (l: Ledger): ReturnType<typeof createPushIntake> => createPushIntake({ ledger: l, validator: getCanonicalValidator(), log: nullLogger, now: () => NOW });
    const first = await intake(ledger).push(req);
    assert.equal(batched, 1, 'one query for the 50 answers');
    const again = await intake(plainLedger(ledger)).push(req);
    assert.equal(batched, 1, 'the plain contract reads one by one');
    assert.deepEqual(first.items.map((a) => a.status), items.map(() => 'created'));
    assert.deepEqual(again.items.map((a) => a.revision), first.items.map((a) => a.revision));
    for (const a of first.items) assert.equal(a.revision, (await ledger.getRecord(a.id ?? ''))?.revision);
    assert.deepEqual(await ledger.currentRevisions([]), new Map());
  });
});
