/**
 * The canonical file layout, derived from the canonical JSON Schemas (`schemas/`): for each
 * entity, its fields and how a text value becomes a typed one. Column names (CSV, dot notation)
 * and child elements (XML) are exactly these field names, so the layout follows the schemas
 * without a second list to keep in step.
 *
 * References to other records are written as the other record's source id (the id in the
 * exporting journal); the adapter turns them into canonical ids. Which entity a reference points
 * to is decided by the field name (`REF_TARGETS`); a test fails when a schema gains a reference
 * field this table does not name.
 */
import { GatewayError } from '../../../src/core/errors';
import { ENTITIES, ENTITY_TYPES, isEntityType, type EntityType } from '../../../src/core/records';
import { COMMON_SCHEMA_FILE, loadSchemaFiles } from '../../../src/infra/schemas';

export type StringFormat = 'date' | 'datetime-utc' | 'datetime' | 'date-or-datetime' | 'time' | 'phone';

export type FieldKind =
  | { t: 'string'; format?: StringFormat }
  | { t: 'integer' }
  | { t: 'number'; nullable?: boolean }
  | { t: 'boolean' }
  /** A reference: the text is the target's source id. */
  | { t: 'ref'; entity: EntityType }
  /** A reference whose target type is named by the sibling field `by` (recommendation.targetType). */
  | { t: 'ref-by'; by: string; targets: Readonly<Record<string, EntityType>> }
  | { t: 'array'; items: FieldKind }
  | { t: 'object'; props: Readonly<Record<string, FieldKind>>; required: readonly string[] };

export interface EntityPlan {
  entity: EntityType;
  /** Entity fields (not `entityType`). */
  fields: Readonly<Record<string, FieldKind>>;
  required: readonly string[];
}

/** Envelope values a file may carry besides the entity fields. */
export const ENVELOPE_FIELDS: Readonly<Record<string, FieldKind>> = {
  sourceId: { t: 'string' },
  status: { t: 'string' },
  sourceModifiedAt: { t: 'string', format: 'datetime-utc' },
  sourceCreatedAt: { t: 'string', format: 'datetime-utc' },
  externalIds: {
    t: 'array',
    items: { t: 'object', props: { type: { t: 'string' }, value: { t: 'string' }, issuer: { t: 'string' } }, required: ['type', 'value'] },
  },
};

/** Reference field name → the entity it points to. */
export const REF_TARGETS: Readonly<Record<string, EntityType>> = {
  studentId: 'person', studentIds: 'person', personId: 'person', teacherId: 'person', teacherIds: 'person',
  guardianId: 'person', authorId: 'person', homeroomTeacherId: 'person', replacedTeacherId: 'person',
  classGroupId: 'class_group', classGroupIds: 'class_group', parentClassGroupId: 'class_group',
  subjectId: 'subject',
  lessonId: 'lesson', assignedLessonId: 'lesson', dueLessonId: 'lesson',
  assessmentId: 'assessment',
  reportingPeriodId: 'reporting_period', parentReportingPeriodId: 'reporting_period',
  academicYearId: 'academic_year',
};

/** References whose target is named by a sibling: field → [sibling, sibling value → entity]. */
export const DEPENDENT_REFS: Readonly<Record<string, { by: string; targets: Readonly<Record<string, EntityType>> }>> = {
  targetId: { by: 'targetType', targets: { student: 'person', mark: 'mark', lesson: 'lesson', assessment: 'assessment', subject: 'subject' } },
  recipientId: { by: 'recipientType', targets: { person: 'person', class_group: 'class_group', school: 'school' } },
};

type Json = Record<string, unknown>;

/** Builds every entity's plan from the schema files. Throws GW_INTERNAL on a schema shape it does not know. */
export function buildPlans(): ReadonlyMap<EntityType, EntityPlan> {
  const files = loadSchemaFiles();
  const common = files.find((f) => f.file === COMMON_SCHEMA_FILE)?.schema;
  const defs = (common?.$defs ?? {}) as Record<string, Json>;
  const plans = new Map<EntityType, EntityPlan>();
  for (const entity of ENTITY_TYPES) {
    const file = files.find((f) => f.file === `${entity}.v1.schema.json`);
    if (!file) throw new GatewayError('GW_INTERNAL', `file-source: no canonical schema for ${entity}`);
    const props = (file.schema.properties ?? {}) as Record<string, Json>;
    const fields: Record<string, FieldKind> = {};
    for (const [name, node] of Object.entries(props)) {
      if (name === 'entityType' || name in ENVELOPE_FIELDS) continue;
      fields[name] = kindOf(node, name, defs, `${entity}.${name}`);
    }
    const required = ((file.schema.required ?? []) as string[]).filter((r) => r !== 'entityType');
    plans.set(entity, { entity, fields, required });
  }
  return plans;
}

function kindOf(node: Json, name: string, defs: Record<string, Json>, at: string): FieldKind {
  const ref = typeof node.$ref === 'string' ? node.$ref : undefined;
  if (ref) {
    const def = /#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref)?.[1];
    if (def === 'uuid') return refKind(name, at);
    if (def === 'uuidList') return { t: 'array', items: refKind(name, at) };
    const target = def ? defs[def] : undefined;
    if (!target) throw new GatewayError('GW_INTERNAL', `file-source: cannot resolve ${ref} at ${at}`);
    return kindOf(target, name, defs, at);
  }
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as Json[]).filter((b) => b.type !== 'null');
    const nullable = branches.length < (node.anyOf as Json[]).length;
    const kinds = branches.map((b) => kindOf(b, name, defs, at));
    const first = kinds[0];
    if (first && kinds.length === 1) return nullable && first.t === 'number' ? { t: 'number', nullable: true } : first;
    if (kinds.every((k) => k.t === 'string')) {
      const formats = new Set(kinds.map((k) => (k.t === 'string' ? k.format : undefined)));
      if (formats.has('date') && formats.has('datetime')) return { t: 'string', format: 'date-or-datetime' };
      return { t: 'string' };
    }
    throw new GatewayError('GW_INTERNAL', `file-source: unsupported anyOf at ${at}`);
  }
  if (node.enum !== undefined || node.const !== undefined) return { t: 'string' };
  switch (node.type) {
    case 'string': {
      if (node.format === 'date') return { t: 'string', format: 'date' };
      if (node.format === 'date-time') return { t: 'string', format: node.pattern === 'Z$' ? 'datetime-utc' : 'datetime' };
      if (typeof node.pattern === 'string' && node.pattern.includes('[0-5][0-9]$') && node.pattern.includes('2[0-3]')) return { t: 'string', format: 'time' };
      if (node.pattern === '^\\+[1-9][0-9]{6,14}$') return { t: 'string', format: 'phone' };
      return { t: 'string' };
    }
    case 'integer': return { t: 'integer' };
    case 'number': return { t: 'number' };
    case 'boolean': return { t: 'boolean' };
    case 'array': return { t: 'array', items: kindOf((node.items ?? {}) as Json, name, defs, `${at}[]`) };
    case 'object': {
      const props: Record<string, FieldKind> = {};
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Json>)) props[k] = kindOf(v, k, defs, `${at}.${k}`);
      return { t: 'object', props, required: (node.required ?? []) as string[] };
    }
    default:
      throw new GatewayError('GW_INTERNAL', `file-source: unsupported schema node at ${at}`);
  }
}

function refKind(name: string, at: string): FieldKind {
  const direct = REF_TARGETS[name];
  if (direct) return { t: 'ref', entity: direct };
  const dep = DEPENDENT_REFS[name];
  if (dep) return { t: 'ref-by', by: dep.by, targets: dep.targets };
  throw new GatewayError('GW_INTERNAL', `file-source: reference field ${at} has no target entity in REF_TARGETS`);
}

let cached: ReadonlyMap<EntityType, EntityPlan> | undefined;

/** The plans, built once per process. */
export function plans(): ReadonlyMap<EntityType, EntityPlan> {
  cached ??= buildPlans();
  return cached;
}

export function planOf(entity: EntityType): EntityPlan {
  const p = plans().get(entity);
  if (!p) throw new GatewayError('GW_INTERNAL', `file-source: no plan for ${entity}`);
  return p;
}

/** Every name a file may use for an entity: the entity type and its stream name (`mark`, `marks`). */
const ENTITY_NAMES: ReadonlyArray<readonly [string, EntityType]> = ENTITY_TYPES
  .flatMap((e) => [[e, e], [ENTITIES[e], e]] as Array<[string, EntityType]>)
  .sort((a, b) => b[0].length - a[0].length);

/**
 * The entity a CSV file holds, from its name: the longest entity or stream name the name starts
 * with, followed by the end or a non-letter (`marks_2025-10.csv`, `attendance_events.csv`,
 * `assessment_schedule-q1.csv`). Case-insensitive.
 */
export function entityOfFileName(fileName: string): EntityType | undefined {
  const base = fileName.toLowerCase();
  for (const [name, entity] of ENTITY_NAMES) {
    if (!base.startsWith(name)) continue;
    const next = base.charAt(name.length);
    if (next === '' || !/[a-z]/.test(next)) return entity;
  }
  return undefined;
}

/** The entity an XML record element names (its local name is the entity type, singular). */
export function entityOfElement(local: string): EntityType | undefined {
  return isEntityType(local) ? local : undefined;
}
