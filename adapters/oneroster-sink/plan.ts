/**
 * What one delivery item becomes on the wire: the PUTs (or the DELETE) to send, or a reason to
 * send nothing. Pure: the client executes the steps, the sink turns their answers into outcomes.
 *
 * - assessment → PUT its category (a prerequisite, cached by the sink), then PUT the line item;
 * - mark → PUT the result on its assessment's line item; marks without one (period, annual,
 *   final, exam, or a current mark without its work) are rejected or skipped (config);
 * - roster records (rostering on) → PUT org, academicSession, course, class (+ the homeroom
 *   course), user or enrollment; rostering off → acknowledged without a call;
 * - a tombstone → the same PUT with `status: tobedeleted`, or a DELETE (config `tombstones`).
 * Every PUT body is checked against its official OpenAPI component before it is planned.
 */
import type { DeliveryItem } from '../../src/core/adapter';
import { GatewayError, type Issue } from '../../src/core/errors';
import type { EntityType } from '../../src/core/records';
import { COLLECTIONS, type CollectionName } from './collections';
import { homeroomCourseIdOf } from './ids';
import { modifiedOf, type Obj } from './map/common';
import { categoryOf, lineItemOf, resultOf, type GradebookOptions } from './map/gradebook';
import { classOf, courseOf, enrollmentOf, homeroomCourseOf, orgOf, periodSessionOf, userOf, yearSessionOf } from './map/roster';
import { checkOneRoster } from './openapi';
import type { ResolvedOneRosterSinkConfig } from './spec';

export type Step =
  /** `prerequisite`: an object the main one refers to (category, homeroom course); cached once delivered. */
  | { op: 'put'; collection: CollectionName; sourcedId: string; body: Obj; prerequisite?: boolean }
  | { op: 'delete'; collection: CollectionName; sourcedId: string };

export type ItemPlan =
  | { kind: 'send'; steps: Step[] }
  /** Delivered without a call (rostering off, or an unsupported mark with `unsupportedMarks: skip`). */
  | { kind: 'skip'; reason: string }
  /** Not sendable: unsupported, or the body fails the official schema (invalid_data); a mapping bug (internal). */
  | { kind: 'reject'; error: GatewayError };

/** Entities the sink maps (its `accepts`), in the order a batch is sent: what others refer to first. */
export const SINK_ENTITIES: readonly EntityType[] = [
  'school', 'academic_year', 'reporting_period', 'subject', 'class_group', 'person', 'membership', 'assessment', 'mark',
];
export const GRADEBOOK_ENTITIES: ReadonlySet<EntityType> = new Set(['assessment', 'mark']);

function put(collection: CollectionName, body: Obj, prerequisite = false): Step {
  return { op: 'put', collection, sourcedId: String(body.sourcedId), body, ...(prerequisite ? { prerequisite } : {}) };
}

/** The issues of a PUT body against `Single<X>DType` (paths relative to the wrapped object). */
export function checkStep(s: Step): Issue[] {
  if (s.op !== 'put') return [];
  const c = COLLECTIONS[s.collection];
  return checkOneRoster(c.service, c.schema, { [c.single]: s.body });
}

function mainSteps(item: DeliveryItem, rec: Obj, cfg: ResolvedOneRosterSinkConfig, o: GradebookOptions): ItemPlan {
  switch (item.entityType) {
    case 'assessment':
      return { kind: 'send', steps: [put('categories', categoryOf(rec), true), put('lineItems', lineItemOf(rec, o))] };
    case 'mark': {
      const r = resultOf(rec, o);
      if (r.kind === 'result') return { kind: 'send', steps: [put('results', r.result)] };
      if (cfg.unsupportedMarks === 'skip') return { kind: 'skip', reason: `unsupported:${String(rec.kind)}` };
      return { kind: 'reject', error: new GatewayError('GW_SINK_REJECTED', `mark ${item.recordId} of school ${item.schoolId} cannot be written to the OneRoster REST gradebook`, { issues: [{ path: r.path, message: r.reason }] }) };
    }
    default: break;
  }
  if (!cfg.rostering) return { kind: 'skip', reason: 'rostering-off' };
  switch (item.entityType) {
    case 'school': return { kind: 'send', steps: [put('orgs', orgOf(item.schoolId, rec, modifiedOf(rec), o))] };
    case 'academic_year': return { kind: 'send', steps: [put('academicSessions', yearSessionOf(rec))] };
    case 'reporting_period': return { kind: 'send', steps: [put('academicSessions', periodSessionOf(rec, o))] };
    case 'subject': return { kind: 'send', steps: [put('courses', courseOf(rec, o))] };
    case 'class_group': {
      const cls = classOf(rec, [], o);
      const course = (cls.course as { sourcedId: string }).sourcedId;
      const pre = course === homeroomCourseIdOf(item.schoolId) ? [put('courses', homeroomCourseOf(item.schoolId, o), true)] : [];
      return { kind: 'send', steps: [...pre, put('classes', cls)] };
    }
    case 'person': return { kind: 'send', steps: [put('users', userOf(rec, [], o))] };
    case 'membership': return { kind: 'send', steps: [put('enrollments', enrollmentOf(rec, o))] };
    default:
      return { kind: 'reject', error: new GatewayError('GW_SINK_REJECTED', `the OneRoster sink does not map ${item.entityType} records`, { issues: [{ path: '/entityType', message: 'not a OneRoster object' }] }) };
  }
}

/**
 * The plan of one item: mapped, tombstone mode applied, every PUT body validated. A mapping that
 * throws (a bug, or a record the canonical schema should not have let through) fails this item
 * alone with GW_INTERNAL: one odd record never blocks the batch.
 */
export function planItem(item: DeliveryItem, cfg: ResolvedOneRosterSinkConfig, o: GradebookOptions): ItemPlan {
  try {
    return planChecked(item, cfg, o);
  } catch (e) {
    const why = e instanceof Error ? e.name : typeof e;
    return { kind: 'reject', error: new GatewayError('GW_INTERNAL', `mapping ${item.entityType} ${item.recordId} of school ${item.schoolId} to OneRoster failed (${why})`, { cause: e }) };
  }
}

function planChecked(item: DeliveryItem, cfg: ResolvedOneRosterSinkConfig, o: GradebookOptions): ItemPlan {
  const rec: Obj = { ...item.payload, revision: item.payload.revision ?? item.revision, status: item.status, schoolId: item.payload.schoolId ?? item.schoolId };
  const plan = mainSteps(item, rec, cfg, o);
  if (plan.kind !== 'send') return plan;
  let steps = plan.steps;
  const main = steps[steps.length - 1] as Step;
  if (item.status === 'tobedeleted' && cfg.tombstones === 'delete') {
    // A DELETE needs no prerequisite and no body.
    steps = [{ op: 'delete', collection: main.collection, sourcedId: main.sourcedId }];
  }
  for (const s of steps) {
    const issues = checkStep(s);
    if (issues.length > 0) {
      const c = COLLECTIONS[s.collection];
      return {
        kind: 'reject',
        error: new GatewayError('GW_SINK_REJECTED', `${item.entityType} ${item.recordId} of school ${item.schoolId} maps to a ${c.single} that does not validate against OneRoster 1.2 ${c.schema}`, { issues }),
      };
    }
  }
  return { kind: 'send', steps };
}
