/**
 * Pure readers of the answers that enrich a diary week (sources §1.3, §1.5, §1.8):
 * assignment details, the overdue list and the mobile API's per-student results. Each turns a
 * vendor answer into a small lookup the diary mapping consults; anything unreadable is left
 * out (the diary itself still maps), so a drifting side answer never blocks marks.
 */
import { vendorDate, vendorInstant } from '../dates';
import { intOf, isObject, textOf } from './common';
import { teachersOfDetails } from './roster';

/** What `student/diary/assigns/{id}` adds to a diary assignment. */
export interface AssignmentDetails {
  /** `teachers[].id` in the order listed (older servers: one `teacher`); the only place the web API names a lesson's teacher. */
  teacherIds: number[];
  /** `description`: the longer text of the work (homework instructions). */
  description?: string;
  /** `isDeleted`: the work was removed from the journal. */
  deleted: boolean;
}

export function parseAssignmentDetails(raw: unknown): AssignmentDetails | undefined {
  if (!isObject(raw)) return undefined;
  const description = typeof raw.description === 'string' ? raw.description.trim().slice(0, 20000) : '';
  const ids = [...new Set(teachersOfDetails(raw).map((t) => t.id))];
  return { teacherIds: ids, ...(description ? { description } : {}), deleted: raw.isDeleted === true };
}

/** One entry of `student/diary/pastMandatory`: a mandatory work past its due date without a mark. */
export interface OverdueItem {
  assignmentId: number;
  dueDate?: string;
}

/**
 * `student/diary/pastMandatory` → overdue works by assignment id. Items come in the diary's
 * assignment shape (`id, typeId, assignmentName, dueDate, mark{dutyMark}, …`, nm17) or a short one
 * (`id, subjectName, assignmentName, dueDate`, other clients); only `id` and `dueDate` are used.
 * An item that carries a real mark is not overdue whatever the list says: the mark wins.
 */
export function parseOverdue(list: unknown): Map<number, OverdueItem> {
  const out = new Map<number, OverdueItem>();
  for (const x of Array.isArray(list) ? list : []) {
    if (!isObject(x)) continue;
    const id = intOf(x.id ?? x.assignmentId);
    if (id === undefined) continue;
    if (isObject(x.mark) && x.mark.mark !== null && x.mark.mark !== undefined) continue;
    const dueDate = vendorDate(x.dueDate);
    out.set(id, { assignmentId: id, ...(dueDate ? { dueDate } : {}) });
  }
  return out;
}

/**
 * Mobile `GET /assignments?studentId&classmeetingId=…` → when each of the student's results was
 * entered (`resultDate`), as UTC instants by assignment id. Rows without a result or a readable
 * `resultDate` are left out.
 */
export function parseMobileResultTimes(list: unknown, utcOffset: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const x of Array.isArray(list) ? list : []) {
    if (!isObject(x)) continue;
    const id = intOf(x.assignmentId ?? x.id);
    const hasResult = (x.result !== null && x.result !== undefined && x.result !== '') || x.duty === true;
    const at = vendorInstant(x.resultDate, utcOffset);
    if (id !== undefined && hasResult && at) out.set(id, at);
  }
  return out;
}

/** Mobile `GET /subjects` → subject names by the mobile subject id. */
export function parseMobileSubjects(list: unknown): Map<number, string> {
  const out = new Map<number, string>();
  for (const x of Array.isArray(list) ? list : []) {
    const id = isObject(x) ? intOf(x.id) : undefined;
    const name = isObject(x) ? textOf(x.name, 200) : undefined;
    if (id !== undefined && name) out.set(id, name);
  }
  return out;
}

export interface MobileSchoolYear { id: number; startDate?: string; endDate?: string }

/**
 * Mobile `GET /education?studentId` → the student's school year at the main school: the one
 * with the web API's year id if listed (the ids are the same in every sample, inferred), else
 * the one containing `today`, else the first.
 */
export function pickMobileSchoolYear(list: unknown, webYearId: number, today: string): MobileSchoolYear | undefined {
  const years = (Array.isArray(list) ? list : []).flatMap((e): MobileSchoolYear[] => {
    if (!isObject(e) || e.isAddSchool === true || !isObject(e.schoolyear)) return [];
    const id = intOf(e.schoolyear.id);
    if (id === undefined) return [];
    const startDate = vendorDate(e.schoolyear.startDate);
    const endDate = vendorDate(e.schoolyear.endDate);
    return [{ id, ...(startDate ? { startDate } : {}), ...(endDate ? { endDate } : {}) }];
  });
  return years.find((y) => y.id === webYearId)
    ?? years.find((y) => y.startDate !== undefined && y.endDate !== undefined && y.startDate <= today && today <= y.endDate)
    ?? years[0];
}
