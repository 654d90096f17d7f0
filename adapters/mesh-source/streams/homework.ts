import { createHash } from 'node:crypto';
import type { Issue } from '../../../src/core/errors';
import { vendorDate } from '../dates';
import { intOf, invalid, isObject, record, textOf, type Mapped, type MapContext, type StudentInfo } from './common';

export interface HomeworkContext extends MapContext { student: StudentInfo }

/**
 * One `homeworks/short` item (sources §4.4) → class homework. The family API lists it per
 * student (`homework_entry_student_id`); the class's copy is keyed by class, subject, due date
 * and text, so the students of a class share one record. `is_done`, materials and written
 * answers are per student and are not kept.
 */
export function mapHomework(h: unknown, ctx: HomeworkContext): Mapped | undefined {
  const o = isObject(h) ? h : {};
  const text = typeof o.description === 'string' ? o.description.trim().slice(0, 20000) : undefined;
  const subjectId = intOf(o.subject_id);
  const due = vendorDate(o.date);
  const classUnitId = ctx.student.classUnitId;
  const digest = createHash('sha1').update(text ?? '').digest('hex').slice(0, 12);
  const sourceId = `${classUnitId ?? '?'}:${String(o.subject_id ?? '?')}:${String(o.date ?? '?')}:${digest}`;
  const issues: Issue[] = [];
  if (text === undefined) issues.push({ path: '/description', message: 'not a string' });
  if (subjectId === undefined) issues.push({ path: '/subject_id', message: 'not an integer' });
  if (!due) issues.push({ path: '/date', message: 'not a date' });
  if (classUnitId === undefined) issues.push({ path: '/class_unit_id', message: 'the student has no class in the profile' });
  if (issues.length > 0 || text === undefined || subjectId === undefined || classUnitId === undefined) return invalid('homework', sourceId, issues, h);
  if (text === '' && !(Array.isArray(o.materials_count) && o.materials_count.length > 0)) return undefined;
  return record('homework', sourceId, {
    classGroupId: ctx.ids.ref('class_group', String(classUnitId)),
    subjectId: ctx.ids.ref('subject', String(subjectId)),
    dueDate: due, text: textOf(text, 20000) ?? '', isIndividual: false,
  });
}
