/**
 * Canonical records → diary-exchange XML (schemas/smev3/diary-exchange-1.0.xsd). Pure
 * functions: a declarative table per entity lists the canonical fields in the XSD's element
 * order; nothing is invented, so a record missing a required field produces XML the XSD
 * refuses, and the refusal names the field.
 */
import type { DeliveryItem } from '../../src/core/adapter';
import type { EntityType } from '../../src/core/records';
import { el, escText, RECORDS_ROOT, REQUEST_ROOT } from './protocol';

export const SUPPORTED_ENTITIES = ['mark', 'attendance_event', 'lesson', 'homework', 'assessment_schedule_entry', 'subject'] as const satisfies readonly EntityType[];
export type SupportedEntity = (typeof SUPPORTED_ENTITIES)[number];

export function isSupportedEntity(e: string): e is SupportedEntity {
  return (SUPPORTED_ENTITIES as readonly string[]).includes(e);
}

type FieldType = 'text' | 'ids' | 'value' | 'deferral' | 'slot' | 'attachments';
interface FieldSpec { name: string; type: FieldType }
export interface EntityXmlSpec { element: string; fields: readonly FieldSpec[] }

const t = (name: string): FieldSpec => ({ name, type: 'text' });
const f = (name: string, type: FieldType): FieldSpec => ({ name, type });

/** Element and field order per entity; must follow the XSD sequences (a golden test checks the output validates). */
export const ENTITY_XML: Readonly<Record<SupportedEntity, EntityXmlSpec>> = {
  mark: {
    element: 'Mark',
    fields: [t('kind'), t('studentId'), t('subjectId'), t('assessmentId'), t('reportingPeriodId'), t('lessonId'), t('teacherId'),
      f('value', 'value'), t('weight'), t('markStatus'), f('deferral', 'deferral'), t('teacherComment'), t('date'), t('markedAt')],
  },
  attendance_event: {
    element: 'AttendanceEvent',
    fields: [t('studentId'), t('lessonId'), t('date'), t('code'), t('category'), t('reason'), t('minutesMissed')],
  },
  lesson: {
    element: 'Lesson',
    fields: [t('classGroupId'), t('subjectId'), t('date'), t('startTime'), t('endTime'), t('number'), t('topic'), t('room'),
      f('teacherIds', 'ids'), t('isDistant'), t('distantUrl'), t('state'), t('replacedTeacherId'), f('movedFrom', 'slot'),
      f('movedTo', 'slot'), t('cancelReason')],
  },
  homework: {
    element: 'Homework',
    fields: [t('classGroupId'), t('subjectId'), t('assignedLessonId'), t('dueLessonId'), t('dueDate'), t('text'),
      f('attachments', 'attachments'), t('isIndividual'), f('studentIds', 'ids')],
  },
  assessment_schedule_entry: {
    element: 'AssessmentScheduleEntry',
    fields: [t('kind'), t('title'), t('plannedDate'), t('subjectId'), t('classGroupId'), t('lessonId'), t('assessmentId'), t('isFinalAttestation')],
  },
  subject: {
    element: 'Subject',
    fields: [t('title'), t('shortTitle'), t('subjectCode'), t('courseCode')],
  },
};

/** A canonical field the mapping cannot render (wrong JSON type); the item is rejected with this path. */
export class DiaryMappingError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

const P = 'd';

function scalar(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new DiaryMappingError(path, `${path} must be a string, number or boolean`);
}

function textEl(name: string, v: unknown, path: string): string {
  const s = scalar(v, path);
  return s === undefined ? '' : `<${P}:${name}>${escText(s)}</${P}:${name}>`;
}

function obj(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new DiaryMappingError(path, `${path} must be an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new DiaryMappingError(path, `${path} must be an array`);
  return v;
}

function renderField(spec: FieldSpec, v: unknown, path: string): string {
  switch (spec.type) {
    case 'text':
      return textEl(spec.name, v, path);
    case 'ids': {
      const ids = list(v, path);
      return ids === undefined ? '' : `<${P}:${spec.name}>${ids.map((x, i) => textEl('id', x, `${path}/${i}`)).join('')}</${P}:${spec.name}>`;
    }
    case 'value': {
      const o = obj(v, path);
      if (!o) return '';
      const inner = ['scale', 'raw', 'numeric', 'passed'].map((k) => textEl(k, o[k], `${path}/${k}`)).join('');
      return `<${P}:${spec.name}>${inner}</${P}:${spec.name}>`;
    }
    case 'deferral': {
      const o = obj(v, path);
      if (!o) return '';
      return `<${P}:${spec.name}>${textEl('reason', o.reason, `${path}/reason`)}${textEl('dueDate', o.dueDate, `${path}/dueDate`)}</${P}:${spec.name}>`;
    }
    case 'slot': {
      const o = obj(v, path);
      if (!o) return '';
      const inner = ['date', 'startTime', 'endTime', 'lessonId'].map((k) => textEl(k, o[k], `${path}/${k}`)).join('');
      return `<${P}:${spec.name}>${inner}</${P}:${spec.name}>`;
    }
    case 'attachments': {
      const items = list(v, path);
      if (items === undefined) return '';
      const inner = items.map((a, i) => {
        const o = obj(a, `${path}/${i}`) ?? {};
        const at = (k: string): string | undefined => scalar(o[k], `${path}/${i}/${k}`);
        return el(`${P}:attachment`, { name: at('name'), mimeType: at('mimeType'), size: at('size'), sha256: at('sha256'), url: at('url') });
      }).join('');
      return `<${P}:${spec.name}>${inner}</${P}:${spec.name}>`;
    }
  }
}

/**
 * One `<d:Record>` for a delivery item (the `d` prefix is declared by the enclosing root).
 * Throws DiaryMappingError for a field of the wrong JSON type, and a plain Error for an entity
 * this payload does not carry (the sink's `accepts` keeps those away).
 */
export function recordXml(item: DeliveryItem): string {
  if (!isSupportedEntity(item.entityType)) throw new DiaryMappingError('/entityType', `entity type ${item.entityType} is not carried by the diary exchange`);
  const spec = ENTITY_XML[item.entityType];
  const p = item.payload;
  const body = spec.fields.map((fs) => renderField(fs, p[fs.name], `/${fs.name}`)).join('');
  return el(`${P}:Record`, {
    key: item.key,
    recordId: item.recordId,
    entityType: item.entityType,
    schoolId: item.schoolId,
    revision: item.revision,
    status: item.status,
    contentHash: item.contentHash,
    dateLastModified: scalar(p.dateLastModified, '/dateLastModified'),
    sourceSystem: scalar(p.sourceSystem, '/sourceSystem'),
  }, `<${P}:${spec.element}>${body}</${P}:${spec.element}>`);
}

/** The request root with inline records. */
export function batchRequestXml(ns: string, batch: { batchId: string; createdAt: string; records: readonly string[] }): string {
  return el(`${P}:${REQUEST_ROOT}`, {
    [`xmlns:${P}`]: ns, batchId: batch.batchId, createdAt: batch.createdAt, recordCount: batch.records.length,
  }, batch.records.join(''));
}

/** The request root pointing at an attachment that holds the records. */
export function batchRequestAttachmentXml(ns: string, batch: {
  batchId: string; createdAt: string; recordCount: number; attachmentId: string; size: number; sha256: string;
}): string {
  return el(`${P}:${REQUEST_ROOT}`, {
    [`xmlns:${P}`]: ns, batchId: batch.batchId, createdAt: batch.createdAt, recordCount: batch.recordCount,
  }, el(`${P}:RecordsAttachment`, { attachmentId: batch.attachmentId, mimeType: 'application/xml', size: batch.size, sha256: batch.sha256 }));
}

/** A standalone `DiaryRecords` document (the attachment body, or one record for validation). */
export function recordsDocumentXml(ns: string, batchId: string, records: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${el(`${P}:${RECORDS_ROOT}`, { [`xmlns:${P}`]: ns, batchId, recordCount: records.length }, records.join(''))}`;
}
