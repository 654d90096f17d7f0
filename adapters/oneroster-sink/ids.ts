/**
 * sourcedIds of the OneRoster objects the gateway derives (no canonical record of their own):
 * the school's org, class × subject sections, work-type categories, period-mark columns and the
 * enrollments of students in sections. UUIDv5 under a fixed namespace, so the REST sink and the
 * CSV export name the same object the same way, across runs and machines.
 *
 * Objects that are canonical records keep the record's id as sourcedId: line item = assessment,
 * result = mark, user = person, course = subject, class = class group, academic session = year
 * or period, enrollment = membership or teaching assignment.
 */
import { uuidv5 } from '../../src/core/ids';

/** Namespace of every derived sourcedId (fixed: changing it renames every derived object). */
export const ONEROSTER_EXPORT_NS = '3b9d7c1e-52a4-5f0b-8c6d-1e2f3a4b5c6d';

const id = (...parts: (string | number)[]): string => uuidv5(parts.join('|'), ONEROSTER_EXPORT_NS);

/** The org of a gateway school (unless the sink config names the consumer's own). */
export const orgIdOf = (schoolId: string): string => id('org', schoolId);

/** The section (scheduled class) of one subject in one class group. */
export const sectionIdOf = (classGroupId: string, subjectId: string): string => id('section', classGroupId, subjectId);

/** The course homeroom classes belong to (OneRoster requires a course on every class). */
export const homeroomCourseIdOf = (schoolId: string): string => id('homeroom-course', schoolId);

/** A category per work type, title and weight (OneRoster keeps the weight on the category). */
export const categoryIdOf = (code: string, title: string, weight: number): string => id('category', code, title, weight);

/** The categories of the line items that hold period, annual, final and exam marks. */
export const markCategoryIdOf = (kind: string): string => id('mark-category', kind);

/** The column (line item) of non-current marks of one kind, section and period (or year). */
export const columnIdOf = (sectionId: string, kind: string, sessionId: string): string => id('column', sectionId, kind, sessionId);

/** A student's enrollment in one section of the class group a membership puts them in. */
export const sectionEnrollmentIdOf = (membershipId: string, subjectId: string): string => id('section-enrollment', membershipId, subjectId);

/** One row of roles.csv (a user's role in an org; 1.2 moved roles out of users.csv). */
export const roleIdOf = (userId: string, index: number): string => id('role', userId, index);
