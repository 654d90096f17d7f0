/**
 * The calls that enrich a diary week beyond `student/diary` (sources §1.3, §1.5, §1.8):
 * - `student/diary/pastMandatory`: the student's overdue works (→ debt marks);
 * - `student/diary/assigns/{id}`: each work's teachers, description and deletion flag;
 * - mobile `/assignments?studentId&classmeetingId=…`: when each result was entered;
 * - `grade/assignment/types?all=true` once, when a diary names a type the short list lacks.
 * Each of them is optional for the diary: a server or token that refuses one (a permanent
 * error) is logged once and the read goes on without it; retryable errors fail the read.
 */
import type { Logger } from '../../../src/core/logger';
import type { NetschoolClient } from '../client';
import type { NetschoolMobileClient } from '../mobile-client';
import { intOf, isObject } from '../streams/common';
import { parseAssignmentDetails, parseMobileResultTimes, parseOverdue, type AssignmentDetails, type OverdueItem } from '../streams/enrichment';
import { assignmentTypes, isPermanent } from './shared';

export interface EnrichOptions {
  /** Read assignment details (config `assignmentDetails`). */
  details: boolean;
  /** Mobile client for result times (config `mobileMarkTimes` with a token), if any. */
  mobile?: NetschoolMobileClient;
  utcOffset: string;
  log: Logger;
}

/** The assignments of one diary answer, with the lesson (classmeetingId) each is listed under. */
export function assignmentsOf(raw: unknown): { id: number; typeId?: number; lessonId?: number; marked: boolean }[] {
  if (!isObject(raw) || !Array.isArray(raw.weekDays)) return [];
  return raw.weekDays.flatMap((d) => (isObject(d) && Array.isArray(d.lessons) ? d.lessons : []).flatMap((l) => {
    if (!isObject(l) || !Array.isArray(l.assignments)) return [];
    const lessonId = intOf(l.classmeetingId);
    return l.assignments.flatMap((a) => {
      const id = isObject(a) ? intOf(a.id) : undefined;
      if (!isObject(a) || id === undefined) return [];
      const typeId = intOf(a.typeId);
      const marked = isObject(a.mark) && ((a.mark.mark !== null && a.mark.mark !== undefined) || a.mark.dutyMark === true);
      return [{ id, marked, ...(typeId !== undefined ? { typeId } : {}), ...(lessonId !== undefined ? { lessonId } : {}) }];
    });
  }));
}

export class DiaryEnricher {
  private readonly details = new Map<number, AssignmentDetails>();
  private readonly asked = new Set<number>();
  private detailsOn: boolean;
  private mobile: NetschoolMobileClient | undefined;
  private allTypesAsked = false;

  constructor(private readonly client: NetschoolClient, readonly typeNames: Map<number, string>, private readonly o: EnrichOptions) {
    this.detailsOn = o.details;
    this.mobile = o.mobile;
  }

  /** Details read so far, shared by every week of the read (a 404 leaves an assignment out). */
  get detailsById(): ReadonlyMap<number, AssignmentDetails> {
    return this.details;
  }

  /**
   * Overdue works of each student due in [from, to] (one `pastMandatory` call per student);
   * undefined when the server has no such list.
   */
  async overdue(studentIds: readonly number[], yearId: number, from: string, to: string): Promise<Map<number, Map<number, OverdueItem>> | undefined> {
    const out = new Map<number, Map<number, OverdueItem>>();
    for (const studentId of studentIds) {
      try {
        const list = await this.client.get<unknown>('student/diary/pastMandatory', { studentId, yearId, weekStart: from, weekEnd: to });
        out.set(studentId, parseOverdue(list));
      } catch (e) {
        if (!isPermanent(e)) throw e;
        this.o.log.warn('netschool pastMandatory unavailable, overdue works not read', { code: e.code });
        return undefined;
      }
    }
    return out;
  }

  /** Asks for every assignment type once if this answer names one the short list lacks. */
  async ensureTypes(raw: unknown): Promise<void> {
    if (this.allTypesAsked) return;
    if (!assignmentsOf(raw).some((a) => a.typeId !== undefined && !this.typeNames.has(a.typeId))) return;
    this.allTypesAsked = true;
    try {
      for (const [id, name] of await assignmentTypes(this.client, true)) if (!this.typeNames.has(id)) this.typeNames.set(id, name);
    } catch (e) {
      if (!isPermanent(e)) throw e;
    }
  }

  /** Reads the details of the answer's assignments not read yet in this run. */
  async loadDetails(raw: unknown, studentId: number): Promise<void> {
    if (!this.detailsOn) return;
    for (const a of assignmentsOf(raw)) {
      if (this.asked.has(a.id)) continue;
      this.asked.add(a.id);
      try {
        const body = await this.client.get<unknown>(`student/diary/assigns/${a.id}`, { studentId }, {
          op: 'assignment-details', pathTemplate: '/webapi/student/diary/assigns/{id}',
        });
        const d = parseAssignmentDetails(body);
        if (d) this.details.set(a.id, d);
      } catch (e) {
        if (!isPermanent(e)) throw e;
        if (e.code === 'GW_SRC_NOT_FOUND') continue;
        this.o.log.warn('netschool assignment details unavailable, read without them', { code: e.code });
        this.detailsOn = false;
        return;
      }
    }
  }

  /** When this student's results in the answer were entered (mobile API), if configured. */
  async resultTimes(raw: unknown, studentId: number): Promise<ReadonlyMap<number, string> | undefined> {
    if (!this.mobile) return undefined;
    const lessons = [...new Set(assignmentsOf(raw).filter((a) => a.marked && a.lessonId !== undefined).map((a) => String(a.lessonId)))];
    if (lessons.length === 0) return new Map();
    try {
      const list = await this.mobile.get<unknown>('assignments', { studentId: String(studentId), classmeetingId: lessons }, '/api/mobile/assignments');
      return parseMobileResultTimes(list, this.o.utcOffset);
    } catch (e) {
      if (!isPermanent(e)) throw e;
      this.o.log.warn('netschool mobile result times unavailable, marks keep the lesson time', { code: e.code });
      this.mobile = undefined;
      return undefined;
    }
  }
}
