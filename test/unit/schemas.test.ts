import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import {
  CANONICAL_TYPES_PATH,
  generateCanonicalTypes,
  NARROWED_ENVELOPE_FIELDS,
  packageRoot,
} from '../../scripts/gen-types';
import type { CanonicalEntity, CanonicalEntityMap } from '../../src/core/canonical-types';
import type { Issue } from '../../src/core/errors';
import {
  ENTITIES,
  ENTITY_TYPES,
  SCHEMA_BASE,
  schemaIdOf,
  type EntityType,
  type RecordEnvelope,
} from '../../src/core/records';
import {
  COMMON_SCHEMA_FILE,
  canonicalPropertyNames,
  createCanonicalAjv,
  createCanonicalValidator,
  getCanonicalValidator,
  isRfc3339Date,
  isRfc3339DateTime,
  loadSchemaFiles,
  piiFieldNames,
  schemasDir,
  type CanonicalValidator,
} from '../../src/infra/schemas';
import academicYear from '../fixtures/canonical/academic_year.valid.json';
import assessment from '../fixtures/canonical/assessment.valid.json';
import assessmentScheduleEntry from '../fixtures/canonical/assessment_schedule_entry.valid.json';
import attendanceEvent from '../fixtures/canonical/attendance_event.valid.json';
import classGroup from '../fixtures/canonical/class_group.valid.json';
import guardianLink from '../fixtures/canonical/guardian_link.valid.json';
import holidayPeriod from '../fixtures/canonical/holiday_period.valid.json';
import homework from '../fixtures/canonical/homework.valid.json';
import lesson from '../fixtures/canonical/lesson.valid.json';
import mark from '../fixtures/canonical/mark.valid.json';
import membership from '../fixtures/canonical/membership.valid.json';
import message from '../fixtures/canonical/message.valid.json';
import person from '../fixtures/canonical/person.valid.json';
import recommendation from '../fixtures/canonical/recommendation.valid.json';
import reportingPeriod from '../fixtures/canonical/reporting_period.valid.json';
import school from '../fixtures/canonical/school.valid.json';
import schoolEvent from '../fixtures/canonical/school_event.valid.json';
import subject from '../fixtures/canonical/subject.valid.json';
import teachingAssignment from '../fixtures/canonical/teaching_assignment.valid.json';

// ---- Compile-time agreement: the generated types, the hand-written envelope and the fixtures ----

type Equal<X, Y> = (<G>() => G extends X ? 1 : 2) extends <G>() => G extends Y ? 1 : 2 ? true : false;

/** How a JSON import of a value of type T is typed by tsc: literal types widen. */
type JsonOf<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends null
        ? null
        : T extends readonly (infer E)[]
          ? JsonOf<E>[]
          : T extends object
            ? { [K in keyof T]: JsonOf<T[K]> }
            : T;

/** Keys present in A (deeply) that the interface T does not declare. */
type ExtraKeys<A, T> = A extends readonly (infer AE)[]
  ? NonNullable<T> extends readonly (infer TE)[]
    ? ExtraKeys<AE, TE>
    : never
  : A extends object
    ? string extends keyof NonNullable<T>
      ? never
      : { [K in keyof A]-?: K extends keyof NonNullable<T> ? ExtraKeys<A[K], NonNullable<T>[K]> : K }[keyof A]
    : never;

/** Fails to compile when the fixture lacks a required field, has a wrong type or an undeclared key. */
function conforms<T>() {
  return <A extends JsonOf<T>>(
    fixture: A,
    ...unknownKeys: [ExtraKeys<A, T>] extends [never] ? [] : [`undeclared key: ${ExtraKeys<A, T> & string}`]
  ): A => {
    void unknownKeys;
    return fixture;
  };
}

const typedFixtures: { [K in EntityType]: JsonOf<CanonicalEntityMap[K]> } = {
  school: conforms<CanonicalEntityMap['school']>()(school),
  academic_year: conforms<CanonicalEntityMap['academic_year']>()(academicYear),
  reporting_period: conforms<CanonicalEntityMap['reporting_period']>()(reportingPeriod),
  class_group: conforms<CanonicalEntityMap['class_group']>()(classGroup),
  membership: conforms<CanonicalEntityMap['membership']>()(membership),
  person: conforms<CanonicalEntityMap['person']>()(person),
  guardian_link: conforms<CanonicalEntityMap['guardian_link']>()(guardianLink),
  subject: conforms<CanonicalEntityMap['subject']>()(subject),
  teaching_assignment: conforms<CanonicalEntityMap['teaching_assignment']>()(teachingAssignment),
  lesson: conforms<CanonicalEntityMap['lesson']>()(lesson),
  assessment: conforms<CanonicalEntityMap['assessment']>()(assessment),
  mark: conforms<CanonicalEntityMap['mark']>()(mark),
  attendance_event: conforms<CanonicalEntityMap['attendance_event']>()(attendanceEvent),
  homework: conforms<CanonicalEntityMap['homework']>()(homework),
  assessment_schedule_entry: conforms<CanonicalEntityMap['assessment_schedule_entry']>()(assessmentScheduleEntry),
  holiday_period: conforms<CanonicalEntityMap['holiday_period']>()(holidayPeriod),
  recommendation: conforms<CanonicalEntityMap['recommendation']>()(recommendation),
  school_event: conforms<CanonicalEntityMap['school_event']>()(schoolEvent),
  message: conforms<CanonicalEntityMap['message']>()(message),
};

// The generated map covers exactly ENTITIES, each interface carries its own entityType literal,
// and every generated record is a RecordEnvelope (src/core/records.ts) with no envelope field missing.
const mapKeysMatchEntities: Equal<keyof CanonicalEntityMap, EntityType> = true;
const entityTypeLiteralsMatch: Equal<
  { [K in EntityType]: Equal<CanonicalEntityMap[K]['entityType'], K> }[EntityType],
  true
> = true;
const recordsAreEnvelopes: CanonicalEntity extends RecordEnvelope ? true : false = true;
const envelopeFieldsInEveryRecord: Equal<Exclude<keyof RecordEnvelope, keyof CanonicalEntity>, never> = true;

// ---- Runtime checks ----

const FIXTURES_DIR = path.join(packageRoot(), 'test', 'fixtures', 'canonical');

interface InvalidFixture {
  description: string;
  expectedIssues: Issue[];
  record: Record<string, unknown>;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as unknown;
}

function sortIssues(issues: readonly Issue[]): Issue[] {
  return [...issues].sort((a, b) => `${a.path} ${a.message}`.localeCompare(`${b.path} ${b.message}`));
}

describe('canonical schemas', () => {
  let validator: CanonicalValidator;
  const files = loadSchemaFiles();
  const entityFiles = files.filter((f) => f.file !== COMMON_SCHEMA_FILE);

  before(() => {
    validator = createCanonicalValidator();
  });

  it('type-level agreement checks are compiled in', () => {
    assert.equal(Object.keys(typedFixtures).length, ENTITY_TYPES.length);
    assert.ok(mapKeysMatchEntities && entityTypeLiteralsMatch && recordsAreEnvelopes && envelopeFieldsInEveryRecord);
  });

  describe('files', () => {
    it('finds the schemas folder from dist/', () => {
      assert.ok(fs.existsSync(path.join(schemasDir(), COMMON_SCHEMA_FILE)));
      assert.ok(__dirname.includes(`${path.sep}dist${path.sep}`), 'tests run from dist/');
    });

    it('every $id is versioned, matches its file name, and declares draft 2020-12', () => {
      for (const { file, schema } of files) {
        assert.match(file, /^[a-z_]+\.v[0-9]+\.schema\.json$/, file);
        assert.equal(schema['$id'], `${SCHEMA_BASE}/${file}`, file);
        assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', file);
      }
    });

    it('has one schema per ENTITIES key and no other entity schema', () => {
      const entitiesWithSchema = entityFiles.map((f) => f.file.replace(/\.v[0-9]+\.schema\.json$/, '')).sort();
      assert.deepEqual(entitiesWithSchema, [...ENTITY_TYPES].sort());
      for (const entity of ENTITY_TYPES) {
        assert.ok(files.some((f) => f.schema['$id'] === schemaIdOf(entity)), entity);
      }
    });

    it('the envelope lists the same entity types as ENTITIES', () => {
      const common = files.find((f) => f.file === COMMON_SCHEMA_FILE);
      const envelope = (common?.schema['$defs'] as Record<string, { properties: Record<string, { enum?: string[] }> }>)[
        'envelope'
      ];
      assert.deepEqual([...(envelope?.properties['entityType']?.enum ?? [])].sort(), Object.keys(ENTITIES).sort());
    });
  });

  describe('compilation', () => {
    it('every schema compiles under ajv strict mode', () => {
      const ajv = createCanonicalAjv();
      for (const { file, schema } of files) {
        if (file === COMMON_SCHEMA_FILE) continue;
        assert.equal(typeof ajv.getSchema(String(schema['$id'])), 'function', file);
      }
    });

    it('strict mode is really on: a misspelt keyword is refused', () => {
      const bad = structuredClone(files.find((f) => f.file === 'subject.v1.schema.json'));
      assert.ok(bad);
      (bad.schema['properties'] as Record<string, Record<string, unknown>>)['title'] = { type: 'string', maxLenght: 5 };
      const ajv = createCanonicalAjv([...files.filter((f) => f.file !== bad.file), bad]);
      assert.throws(() => ajv.getSchema(schemaIdOf('subject')), /unknown keyword: "maxLenght"/);
    });

    it('the shared instance is draft 2020-12 Ajv', () => {
      assert.ok(createCanonicalAjv() instanceof Ajv2020);
    });
  });

  describe('entity schema conventions', () => {
    const common = files.find((f) => f.file === COMMON_SCHEMA_FILE);
    const envelopeDef = (common?.schema['$defs'] as Record<string, { properties: Record<string, unknown> }>)['envelope'];
    const envelopeNames = new Set(Object.keys(envelopeDef?.properties ?? {}));

    it('canonicalPropertyNames lists envelope and entity fields', () => {
      const names = canonicalPropertyNames('mark');
      for (const n of [...envelopeNames, 'studentId', 'markStatus', 'value']) assert.ok(names.has(n), n);
      assert.ok(!names.has('familyName'));
    });

    for (const entity of ENTITY_TYPES) {
      it(`${entity}: envelope, const entityType, closed, references are uuids`, () => {
        const file = entityFiles.find((f) => f.schema['$id'] === schemaIdOf(entity));
        assert.ok(file);
        const s = file.schema;
        assert.equal(typeof s['title'], 'string');
        assert.equal(s['unevaluatedProperties'], false, 'typos must be caught');
        const allOf = s['allOf'] as Array<Record<string, unknown>>;
        assert.equal(allOf[0]?.['$ref'], 'common.v1.schema.json#/$defs/envelope');
        const props = s['properties'] as Record<string, Record<string, unknown>>;
        assert.deepEqual(props['entityType'], { const: entity });
        for (const [name, prop] of Object.entries(props)) {
          if (envelopeNames.has(name) && name !== 'entityType') {
            assert.ok(NARROWED_ENVELOPE_FIELDS.has(`${entity}.${name}`), `${entity}.${name} clashes with the envelope`);
          }
          if (envelopeNames.has(name)) continue;
          if (/[a-z]Id$/.test(name)) assert.equal(prop['$ref'], 'common.v1.schema.json#/$defs/uuid', `${entity}.${name}`);
          if (/[a-z]Ids$/.test(name)) {
            assert.equal(prop['$ref'], 'common.v1.schema.json#/$defs/uuidList', `${entity}.${name}`);
          }
        }
      });
    }
  });

  describe('fixtures', () => {
    for (const entity of ENTITY_TYPES) {
      it(`${entity}.valid.json passes`, () => {
        const record = readJson(`${entity}.valid.json`) as Record<string, unknown>;
        assert.equal(record['entityType'], entity);
        assert.deepEqual(validator.validate(record), []);
        assert.deepEqual(validator.validatorFor(entity)(record), []);
        assert.deepEqual(record, typedFixtures[entity], 'the typed import is the same file');
      });
    }

    const invalidFiles = fs.readdirSync(FIXTURES_DIR).filter((f) => /\.invalid\.[a-z0-9-]+\.json$/.test(f));

    it('there are invalid fixtures for several entities', () => {
      assert.ok(invalidFiles.length >= 8, `${invalidFiles.length} invalid fixtures`);
    });

    for (const file of invalidFiles) {
      it(`${file} fails with exactly the expected issues`, () => {
        const fx = readJson(file) as InvalidFixture;
        const entity = file.split('.')[0] as EntityType;
        assert.equal(fx.record['entityType'], entity);
        assert.ok(fx.expectedIssues.length > 0);
        const issues = validator.validate(fx.record);
        assert.deepEqual(sortIssues(issues), sortIssues(fx.expectedIssues), fx.description);
      });
    }
  });

  describe('validator', () => {
    it('reports an unknown or missing entityType at /entityType, a non-object at /', () => {
      assert.deepEqual(validator.validate({ ...mark, entityType: 'grade' }), [
        { path: '/entityType', message: 'must be one of the canonical entity types' },
      ]);
      assert.deepEqual(validator.validate({ id: 'x' }), [
        { path: '/entityType', message: 'must be one of the canonical entity types' },
      ]);
      assert.deepEqual(validator.validate(null), [{ path: '/', message: 'must be object' }]);
      assert.deepEqual(validator.validate([mark]), [{ path: '/', message: 'must be object' }]);
    });

    it('validatorFor checks the entity it was asked for, whatever the record claims', () => {
      const issues = validator.validatorFor('lesson')(mark);
      assert.ok(issues.some((i) => i.path === '/entityType' && i.message === 'must be equal to constant "lesson"'));
      assert.equal(validator.validatorFor('mark'), validator.validatorFor('mark'), 'compiled once');
      assert.throws(() => validator.validatorFor('grade' as EntityType), /no canonical validator/);
    });

    it('names unknown nested properties and never echoes the data', () => {
      const record = {
        ...person,
        birthDate: 'Иванова-Мария-1',
        phones: ['8 (900) 000-00-01'],
        provenance: { ...person.provenance, token: 'secret-token-value' },
      };
      const issues = validator.validate(record);
      assert.deepEqual(sortIssues(issues), [
        { path: '/birthDate', message: 'must match format "date"' },
        { path: '/phones/0', message: 'must match pattern "^\\+[1-9][0-9]{6,14}$"' },
        { path: '/provenance', message: "must NOT have unknown property 'token'" },
      ]);
      const text = JSON.stringify(issues);
      for (const value of ['Иванова', '900', 'secret-token-value']) assert.ok(!text.includes(value), value);
    });

    it('enforces the grading rules: pass/fail needs passed, a period mark needs its period', () => {
      const zach = { ...mark, value: { scale: 'pass_fail', raw: 'зач', numeric: null } };
      assert.deepEqual(validator.validate(zach), [{ path: '/value', message: "must have required property 'passed'" }]);
      assert.deepEqual(validator.validate({ ...zach, value: { ...zach.value, passed: true } }), []);
      const { reportingPeriodId: _omit, ...noPeriod } = mark;
      assert.deepEqual(validator.validate({ ...noPeriod, kind: 'period' }), [
        { path: '/', message: "must have required property 'reportingPeriodId'" },
      ]);
      const notAttested = {
        ...noPeriod,
        kind: 'annual',
        markStatus: 'not_attested',
        value: { scale: 'text', raw: 'н/а', numeric: null },
      };
      assert.deepEqual(validator.validate(notAttested), []);
    });

    it('accepts ext: codes and rejects malformed ones', () => {
      assert.deepEqual(validator.validate({ ...classGroup, kind: 'ext:elective' }), []);
      assert.deepEqual(validator.validate({ ...classGroup, kind: 'ext:' }), [
        {
          path: '/kind',
          message: 'must be one of: class, subgroup, stream, individual_plan or be an ext:-prefixed local code',
        },
      ]);
    });

    it('returns the same frozen empty array for every valid record (no per-call allocation)', () => {
      const a = validator.validate(mark);
      const b = validator.validate(lesson);
      assert.equal(a, b);
      assert.ok(Object.isFrozen(a));
    });

    it('getCanonicalValidator is a process-wide singleton', () => {
      assert.equal(getCanonicalValidator(), getCanonicalValidator());
    });
  });

  describe('formats', () => {
    it('dates are real calendar days', () => {
      for (const ok of ['2024-02-29', '2000-02-29', '2025-12-31']) assert.ok(isRfc3339Date(ok), ok);
      for (const bad of ['2025-02-29', '1900-02-29', '2025-04-31', '2025-13-01', '2025-1-01', '2025-11-12 ']) {
        assert.ok(!isRfc3339Date(bad), bad);
      }
    });

    it('date-times need an offset; a leap second only at 23:59 UTC', () => {
      const ok = [
        '2025-11-12T10:05:00Z',
        '2025-11-12T10:05:00.123456Z',
        '2025-11-12T15:05:00+05:00',
        '2025-12-31T23:59:60Z',
        '2026-01-01T04:59:60+05:00',
      ];
      for (const s of ok) assert.ok(isRfc3339DateTime(s), s);
      const bad = [
        '2025-11-12T10:05:00',
        '2025-11-12T24:00:00Z',
        '2025-12-31T23:58:60Z',
        '2025-02-30T10:00:00Z',
        '2025-11-12T10:05:00.Z',
        '2025-11-12T10:05:00+24:00',
      ];
      for (const s of bad) assert.ok(!isRfc3339DateTime(s), s);
    });
  });

  describe('personal data', () => {
    it('refuses a clear SNILS however its type is spelled, and a SNILS-shaped value under any type', () => {
      const typePattern = 'must match pattern "^(?:snils-hash|(?!.*(?:[sS][nN][iI][lL][sS]|[сС][нН][иИ][лЛ][сС])).*)$"';
      const withId = (id: { type: string; value: string }): Record<string, unknown> => ({ ...person, externalIds: [...person.externalIds, id] });
      const at = `/externalIds/${person.externalIds.length}`;
      for (const type of ['snils', 'SNILS', 'Snils', 'snils-number', 'clear_snils', 'ext:snils', 'снилс', 'СНИЛС', 'snils-hash-raw']) {
        const issues = validator.validate(withId({ type, value: '00000000000' }));
        assert.ok(issues.some((i) => i.path === `${at}/type` && i.message === typePattern), `${type}: ${JSON.stringify(issues)}`);
      }
      for (const value of ['123-456-789 01', '123 456 789 01', '123456789 01', ' 123-456-789-01 ']) {
        const issues = validator.validate(withId({ type: 'source-local', value }));
        assert.deepEqual(issues.map((i) => i.path), [`${at}/value`], `${value}: ${JSON.stringify(issues)}`);
      }
      // What is allowed stays allowed: the hash, ESIA ids, ordinary local ids, 11 bare digits.
      for (const id of [{ type: 'snils-hash', value: `sha256:${'b'.repeat(64)}` }, { type: 'esia-oid', value: '1000123456' }, { type: 'source-local', value: '12345678901' }]) {
        assert.deepEqual(validator.validate(withId(id)), [], id.type);
      }
    });

    it('piiFieldNames lists the x-pii properties', () => {
      const names = piiFieldNames();
      const expected = ['familyName', 'givenName', 'middleName', 'birthDate', 'phones', 'emails', 'teacherComment', 'body'];
      for (const n of [...expected, 'text', 'reason', 'externalIds']) assert.ok(names.has(n), n);
      for (const n of ['id', 'studentId', 'title', 'value', 'name']) assert.ok(!names.has(n), n);
    });
  });

  describe('generated types', () => {
    it(`${CANONICAL_TYPES_PATH} is up to date with the schemas`, async () => {
      const committed = fs.readFileSync(path.join(packageRoot(), CANONICAL_TYPES_PATH), 'utf8');
      const fresh = await generateCanonicalTypes();
      assert.ok(fresh === committed, `${CANONICAL_TYPES_PATH} is stale: run npm run build && npm run gen:types`);
    });

    it('declares one interface per entity and the entity map', async () => {
      const text = await generateCanonicalTypes();
      for (const name of ['Mark', 'AttendanceEvent', 'AssessmentScheduleEntry', 'CanonicalEntityMap', 'MarkValue']) {
        assert.match(text, new RegExp(`^export interface ${name} \\{`, 'm'), name);
      }
    });
  });
});
