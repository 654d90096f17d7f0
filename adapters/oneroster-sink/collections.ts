/**
 * The OneRoster 1.2 collections the sink writes and the simulated consumer stores: service,
 * path segment, the key of the single-object wrapper (`{result: {...}}`) and the OpenAPI
 * component that wrapper must validate against.
 */
import type { OrService } from './openapi';

export interface CollectionInfo { service: OrService; single: string; schema: string; objectSchema: string }

export const COLLECTIONS = {
  categories: { service: 'gradebook', single: 'category', schema: 'SingleCategoryDType', objectSchema: 'CategoryDType' },
  lineItems: { service: 'gradebook', single: 'lineItem', schema: 'SingleLineItemDType', objectSchema: 'LineItemDType' },
  results: { service: 'gradebook', single: 'result', schema: 'SingleResultDType', objectSchema: 'ResultDType' },
  orgs: { service: 'rostering', single: 'org', schema: 'SingleOrgDType', objectSchema: 'OrgDType' },
  academicSessions: { service: 'rostering', single: 'academicSession', schema: 'SingleAcademicSessionDType', objectSchema: 'AcademicSessionDType' },
  courses: { service: 'rostering', single: 'course', schema: 'SingleCourseDType', objectSchema: 'CourseDType' },
  classes: { service: 'rostering', single: 'class', schema: 'SingleClassDType', objectSchema: 'ClassDType' },
  users: { service: 'rostering', single: 'user', schema: 'SingleUserDType', objectSchema: 'UserDType' },
  enrollments: { service: 'rostering', single: 'enrollment', schema: 'SingleEnrollmentDType', objectSchema: 'EnrollmentDType' },
} as const satisfies Record<string, CollectionInfo>;

export type CollectionName = keyof typeof COLLECTIONS;
export const GRADEBOOK_COLLECTIONS: readonly CollectionName[] = ['categories', 'lineItems', 'results'];
export const ROSTERING_COLLECTIONS: readonly CollectionName[] = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'];

export function isCollection(s: string): s is CollectionName {
  return Object.prototype.hasOwnProperty.call(COLLECTIONS, s);
}
