/**
 * Canonical → OneRoster mapping as pure functions: line items, categories, results (every mark
 * value and status), roster objects, the plan of an item — each body checked against the
 * official OpenAPI components, and drifted bodies shown to fail them.
 */
import assert from 'node:assert/strict';
import { mapOptionsOf } from '../index';
import { categoryIdOf, orgIdOf, sectionIdOf } from '../ids';
import { localDateOf, localMidnightUtc } from '../map/common';
import { categoryOf, lineItemOf, resultOf, scoreOf } from '../map/gradebook';
import { classOf, courseOf, enrollmentOf, orgOf, periodSessionOf, sectionOf, userOf, yearSessionOf } from '../map/roster';
import { checkOneRoster } from '../openapi';
import { checkStep, planItem } from '../plan';
import { resolveOneRosterSinkConfig, type OneRosterSinkConfig } from '../spec';
import { assessmentRecord, CLASS_5A, itemOf, markRecord, MATH, SCHOOL, uuid, type Obj } from './helpers';

const BASE: OneRosterSinkConfig = { baseUrl: 'https://lms.example.org', authUrl: 'https://lms.example.org/token', clientId: 'c', clientSecret: 's' };
const cfgOf = (over: Partial<OneRosterSinkConfig> = {}): ReturnType<typeof resolveOneRosterSinkConfig> => resolveOneRosterSinkConfig({ ...BASE, ...over });
const o = mapOptionsOf(cfgOf());
const GB = 'https://lms.example.org/ims/oneroster/gradebook/v1p2';
const RO = 'https://lms.example.org/ims/oneroster/rostering/v1p2';
const valid = (service: 'gradebook' | 'rostering', schema: string, body: unknown): void => assert.deepEqual(checkOneRoster(service, schema, body), [], schema);

describe('oneroster-sink mapping', () => {
  it('dates: a local date is its local midnight in UTC; an instant is read back as its local date', () => {
    assert.equal(localMidnightUtc('2025-09-01', '+03:00'), '2025-08-31T21:00:00Z');
    assert.equal(localMidnightUtc('2025-09-01', '-05:00'), '2025-09-01T05:00:00Z');
    assert.equal(localDateOf('2025-08-31T21:00:00Z', '+03:00'), '2025-09-01');
    assert.equal(localMidnightUtc('1 сентября', '+03:00'), '1 сентября', 'not a date: left for the schema check to name');
  });

  it('an assessment becomes a line item in its class section, with a category per work type and weight', () => {
    const a = assessmentRecord(1, { maxScore: 5, reportingPeriodId: uuid('rp', 1), dueDate: '2025-11-17' });
    const li = lineItemOf(a, o);
    const cat = categoryOf(a);
    const section = sectionIdOf(CLASS_5A, MATH);
    assert.deepEqual(li, {
      sourcedId: a.id, status: 'active', dateLastModified: '2025-11-10T08:00:00Z', title: 'Контрольная работа № 1',
      assignDate: '2025-11-09T21:00:00Z', dueDate: '2025-11-16T21:00:00Z',
      class: { href: `${RO}/classes/${section}`, sourcedId: section, type: 'class' },
      school: { href: `${RO}/orgs/${orgIdOf(SCHOOL)}`, sourcedId: orgIdOf(SCHOOL), type: 'org' },
      category: { href: `${GB}/categories/${String(cat.sourcedId)}`, sourcedId: cat.sourcedId, type: 'category' },
      gradingPeriod: { href: `${RO}/academicSessions/${uuid('rp', 1)}`, sourcedId: uuid('rp', 1), type: 'academicSession' },
      resultValueMin: 0, resultValueMax: 5,
      metadata: { diaryGateway: { entity: 'assessment', revision: 1, workTypeCode: 'control_work', weight: 2, classGroupId: CLASS_5A, subjectId: MATH, date: '2025-11-10', dueDate: '2025-11-17' } },
    });
    assert.deepEqual(cat, {
      sourcedId: categoryIdOf('control_work', 'Контрольная работа', 2), status: 'active', dateLastModified: '2000-01-01T00:00:00Z',
      title: 'Контрольная работа', weight: 2, metadata: { diaryGateway: { entity: 'category', workTypeCode: 'control_work' } },
    });
    valid('gradebook', 'LineItemDType', li);
    valid('gradebook', 'CategoryDType', cat);
    assert.notEqual(categoryOf(assessmentRecord(2, { weight: 1 })).sourcedId, cat.sourcedId, 'another weight, another category');
    assert.equal((lineItemOf(a, mapOptionsOf(cfgOf({ lineItemClass: 'class-group' }))).class as Obj).sourcedId, CLASS_5A);
    assert.equal((lineItemOf(assessmentRecord(3, { title: undefined }), o)).title, 'Контрольная работа', 'no topic: the work type');
    assert.equal((lineItemOf(assessmentRecord(3), mapOptionsOf(cfgOf({ orgSourcedIds: { [SCHOOL]: 'org-17' } }))).school as Obj).sourcedId, 'org-17');
  });

  const table: [string, Obj, Obj][] = [
    ['five-point', { value: { scale: 'five_point', raw: '4', numeric: 4 }, markStatus: 'graded' }, { scoreStatus: 'fully graded', score: 4, textScore: '4' }],
    ['five-point with a minus', { value: { scale: 'five_point_modifiers', raw: '5-', numeric: 4.75 }, markStatus: 'graded' }, { scoreStatus: 'fully graded', score: 4.75, textScore: '5-' }],
    ['pass', { value: { scale: 'pass_fail', raw: 'зач', numeric: null, passed: true }, markStatus: 'graded' }, { scoreStatus: 'fully graded', textScore: 'зач' }],
    ['ten-point', { value: { scale: 'ten_point', raw: '8', numeric: 8 }, markStatus: 'graded' }, { scoreStatus: 'fully graded', score: 8 }],
    ['hundred-point', { value: { scale: 'hundred_point', raw: '87', numeric: 87 }, markStatus: 'graded' }, { scoreStatus: 'fully graded', score: 87 }],
    ['text', { value: { scale: 'text', raw: 'отл', numeric: null }, markStatus: 'graded' }, { scoreStatus: 'fully graded', textScore: 'отл' }],
    ['н/а', { value: { scale: 'text', raw: 'н/а', numeric: null }, markStatus: 'not_attested' }, { scoreStatus: 'ext:not-attested', textScore: 'н/а' }],
    ['н/а without a value', { value: undefined, markStatus: 'not_attested' }, { scoreStatus: 'ext:not-attested', textScore: 'н/а' }],
    ['осв', { value: undefined, markStatus: 'exempt' }, { scoreStatus: 'exempt', textScore: 'осв' }],
    ['debt', { value: undefined, markStatus: 'debt' }, { scoreStatus: 'not submitted' }],
    ['deferred', { value: undefined, markStatus: 'deferred', deferral: { reason: 'illness', dueDate: '2025-12-01' } }, { scoreStatus: 'ext:deferred' }],
  ];
  for (const [name, fields, expected] of table) {
    it(`a mark «${name}» → ${JSON.stringify(expected)}, a valid Result`, () => {
      const m = markRecord(1, fields);
      assert.deepEqual(scoreOf(m), expected);
      const r = resultOf(m, o);
      assert.equal(r.kind, 'result');
      if (r.kind === 'result') valid('gradebook', 'ResultDType', r.result);
    });
  }

  it('a result names our line item and student, the score date is the local day it was marked, the comment goes along', () => {
    const m = markRecord(7, { markedAt: '2025-11-10T22:30:00Z', teacherComment: 'Молодец', weight: 3 });
    const r = resultOf(m, o);
    assert.ok(r.kind === 'result');
    assert.deepEqual((r.result.lineItem as Obj).sourcedId, uuid('assessment', 'a1'));
    assert.deepEqual((r.result.student as Obj).sourcedId, uuid('person', 's7'));
    assert.equal(r.result.scoreDate, '2025-11-11');
    assert.equal(r.result.comment, 'Молодец');
    assert.equal(((r.result.metadata as Obj).diaryGateway as Obj).weight, 3);
  });

  it('period marks and current marks without their work have no REST line item: rejected or skipped as configured', () => {
    const period = markRecord(1, { kind: 'period', assessmentId: undefined, reportingPeriodId: uuid('rp', 1) });
    const r = resultOf(period, o);
    assert.deepEqual(r.kind === 'unsupported' && r.path, '/kind');
    assert.deepEqual(resultOf(markRecord(2, { assessmentId: undefined }), o).kind, 'unsupported');
    const rejected = planItem(itemOf(period), cfgOf(), o);
    assert.ok(rejected.kind === 'reject' && rejected.error.code === 'GW_SINK_REJECTED' && rejected.error.errorClass === 'invalid_data');
    assert.deepEqual(planItem(itemOf(period), cfgOf({ unsupportedMarks: 'skip' }), o), { kind: 'skip', reason: 'unsupported:period' });
  });

  it('plans: category then line item; a tombstone is the same PUT with status tobedeleted, or a DELETE; rostering off costs no call', () => {
    const a = assessmentRecord(1);
    const plan = planItem(itemOf(a), cfgOf(), o);
    assert.ok(plan.kind === 'send');
    assert.deepEqual(plan.steps.map((s) => [s.op, s.collection, s.op === 'put' && s.prerequisite === true]), [['put', 'categories', true], ['put', 'lineItems', false]]);
    const gone = planItem(itemOf(a, { status: 'tobedeleted' }), cfgOf(), o);
    assert.ok(gone.kind === 'send' && gone.steps[1]?.op === 'put' && gone.steps[1].body.status === 'tobedeleted');
    assert.deepEqual(planItem(itemOf(a, { status: 'tobedeleted' }), cfgOf({ tombstones: 'delete' }), o), { kind: 'send', steps: [{ op: 'delete', collection: 'lineItems', sourcedId: a.id }] });
    const person = { ...assessmentRecord(9), entityType: 'person', roles: ['student'], familyName: 'Иванова', givenName: 'Анна' };
    assert.deepEqual(planItem(itemOf(person), cfgOf(), o), { kind: 'skip', reason: 'rostering-off' });
    const roster = planItem(itemOf(person), cfgOf({ rostering: true }), o);
    assert.ok(roster.kind === 'send' && roster.steps[0]?.collection === 'users');
  });

  it('roster records map to valid rostering objects; OneRoster end dates are exclusive', () => {
    const year = { ...assessmentRecord(1), entityType: 'academic_year', id: uuid('y'), title: '2025/2026', startDate: '2025-09-01', endDate: '2026-05-31', isCurrent: true };
    const ys = yearSessionOf(year);
    assert.deepEqual([ys.type, ys.schoolYear, ys.endDate], ['schoolYear', '2026', '2026-06-01']);
    valid('rostering', 'AcademicSessionDType', ys);
    const q = periodSessionOf({ ...year, entityType: 'reporting_period', id: uuid('q1'), academicYearId: uuid('y'), kind: 'quarter', sequence: 1, title: 'I четверть', startDate: '2025-09-01', endDate: '2025-10-26' }, o);
    assert.deepEqual([q.type, q.schoolYear, (q.parent as Obj).sourcedId], ['term', '2026', uuid('y')]);
    valid('rostering', 'AcademicSessionDType', q);
    valid('rostering', 'OrgDType', orgOf(SCHOOL, { ...year, entityType: 'school', name: 'МБОУ СОШ № 7', timeZone: 'Europe/Moscow' }, '2025-11-10T08:00:00Z', o));
    valid('rostering', 'CourseDType', courseOf({ ...year, entityType: 'subject', id: MATH, title: 'Математика' }, o));
    const cg = { ...year, entityType: 'class_group', id: CLASS_5A, kind: 'class', title: '5А', gradeLevel: 5, academicYearId: uuid('y') };
    const cls = classOf(cg, [], o);
    assert.deepEqual([cls.classType, cls.grades], ['homeroom', ['05']]);
    valid('rostering', 'ClassDType', cls);
    valid('rostering', 'ClassDType', sectionOf(cg, { id: MATH, title: 'Математика' }, [], '2025-11-10T08:00:00Z', o));
    const user = userOf({ ...year, entityType: 'person', roles: ['guardian'], familyName: 'Иванова', givenName: 'Анна', middleName: 'Петровна', externalIds: [{ type: 'esia-oid', value: '1000123456' }, { type: 'snils-hash', value: 'x' }] }, [uuid('s1')], o);
    assert.deepEqual(user.userIds, [{ type: 'ESIA', identifier: '1000123456' }]);
    assert.deepEqual((user.roles as Obj[]).map((r) => [r.roleType, r.role]), [['primary', 'guardian']]);
    valid('rostering', 'UserDType', user);
    const e = enrollmentOf({ ...year, entityType: 'membership', personId: uuid('s1'), classGroupId: CLASS_5A, role: 'student', beginDate: '2025-09-01', endDate: '2025-12-30' }, o);
    assert.equal(e.endDate, '2025-12-31');
    valid('rostering', 'EnrollmentDType', e);
  });

  it('a drifted body fails the official schema, and the plan refuses to send it with the failing paths', () => {
    const r = resultOf(markRecord(1), o);
    assert.ok(r.kind === 'result');
    const drifted = { ...r.result, score: '5', scoreStatus: 'graded', student: { sourcedId: 'x' } };
    const issues = checkOneRoster('gradebook', 'ResultDType', drifted);
    assert.deepEqual([...new Set(issues.map((i) => i.path))].sort(), ['/score', '/scoreStatus', '/student']);
    assert.deepEqual(checkStep({ op: 'put', collection: 'results', sourcedId: 'x', body: drifted }).length > 0, true);
    // A record the mapping cannot make valid: an assessment whose date is not a date.
    const plan = planItem(itemOf(assessmentRecord(1, { date: '10.11.2025' })), cfgOf(), o);
    assert.ok(plan.kind === 'reject');
    assert.equal(plan.error.code, 'GW_SINK_REJECTED');
    assert.deepEqual(plan.error.issues.map((i) => i.path).sort(), ['/lineItem/assignDate', '/lineItem/dueDate']);
    // A class without a year (and no fallback) has no term: OneRoster requires one.
    const cg = { ...assessmentRecord(1), entityType: 'class_group', kind: 'class', title: '5А', gradeLevel: 5 };
    const noTerm = planItem(itemOf(cg), cfgOf({ rostering: true }), o);
    assert.ok(noTerm.kind === 'reject' && noTerm.error.issues.some((i) => i.path === '/class/terms'));
  });
});
