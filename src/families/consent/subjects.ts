/**
 * Which children a canonical record is about — the question behind both the gate and the purge.
 *
 * A child's personal data is what identifies the child or describes the child as a person
 * (152-ФЗ ст. 3 п. 1; domain.md §1.4 and §4.3 "send only what the consent covers"). Per entity:
 *
 * | entity | children it concerns |
 * |---|---|
 * | person | a student: the student; a guardian: the children linked to them, any one of whom suffices (the record is the parent's own data, which each child's family consent covers; it tells nothing about the other children); teacher only: none; anything else: unresolved |
 * | guardian_link | `studentId` |
 * | membership | role student: `personId`; role teacher: none; other roles: by the person's roles |
 * | mark, attendance_event, recommendation | `studentId` |
 * | homework | individual homework: its `studentIds`; class homework: none (class-level) |
 * | message | person recipients: the recipient if a student, every child of the recipient if a guardian (the text may be about any of them); class or school recipients: none |
 * | lesson, assessment, assessment_schedule_entry, class_group, subject, teaching_assignment, school, academic_year, reporting_period, holiday_period, school_event | none: they describe the class, timetable or school, not an identified child |
 *
 * "Unresolved" (a guardian with no link, a person the ledger does not know, a role outside
 * student/guardian/teacher) fails closed: the gate withholds the record. A body the purge
 * replaced (`purged` marker) is never sent.
 */
import type { EntityType } from '../../core/records';

export type Concern =
  | { kind: 'class' }
  /** `any`: one allowed child suffices (a guardian's own record); otherwise every child must be allowed. */
  | { kind: 'children'; ids: string[]; any?: boolean }
  | { kind: 'unresolved' }
  | { kind: 'purged' };

/** Ledger facts the rules need beyond the record itself. Batch calls: one per gate check. */
export interface SubjectLookups {
  /** Roles of the given persons (canonical ids); persons the ledger does not know are absent. */
  personRoles(ids: readonly string[]): Promise<Map<string, string[]>>;
  /** Children linked to each guardian by active guardian links of the school. */
  guardianChildren(schoolId: string, guardianIds: readonly string[]): Promise<Map<string, string[]>>;
}

export interface SubjectRecord {
  entityType: EntityType;
  schoolId: string;
  payload: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A body written by the withdrawal purge. */
export function isPurgedBody(payload: Record<string, unknown>): boolean {
  return typeof payload['purged'] === 'object' && payload['purged'] !== null;
}

/** What a person with these roles means for the gate, before guardian links are looked up. */
type PersonNeed = { self: boolean; guardian: boolean; unresolved: boolean };

function personNeed(roles: readonly string[]): PersonNeed {
  const self = roles.includes('student');
  const guardian = roles.includes('guardian');
  const others = roles.filter((r) => r !== 'student' && r !== 'guardian' && r !== 'teacher');
  // A student or guardian is resolved by those roles; an ext:* role alone is not known to be harmless.
  return { self, guardian, unresolved: !self && !guardian && others.length > 0 };
}

interface Pending {
  direct: string[];
  /** Persons whose roles decide (membership of another role, message recipients). */
  persons: string[];
  /** Guardians whose children decide. */
  guardians: string[];
  unresolved: boolean;
  classLevel: boolean;
}

function firstPass(r: SubjectRecord): Pending | 'purged' {
  const p = r.payload;
  if (isPurgedBody(p)) return 'purged';
  const out: Pending = { direct: [], persons: [], guardians: [], unresolved: false, classLevel: false };
  const need = (id: string | undefined): void => { if (id) out.direct.push(id); else out.unresolved = true; };
  switch (r.entityType) {
    case 'person': {
      const id = str(p['id']);
      const n = personNeed(strs(p['roles']));
      if (n.self) need(id);
      if (n.guardian) { if (id) out.guardians.push(id); else out.unresolved = true; }
      if (n.unresolved) out.unresolved = true;
      if (!n.self && !n.guardian && !n.unresolved) out.classLevel = true;
      return out;
    }
    case 'guardian_link':
    case 'mark':
    case 'attendance_event':
    case 'recommendation':
      need(str(p['studentId']));
      return out;
    case 'membership': {
      const role = str(p['role']);
      if (role === 'student') need(str(p['personId']));
      else if (role === 'teacher') out.classLevel = true;
      else { const id = str(p['personId']); if (id) out.persons.push(id); else out.unresolved = true; }
      return out;
    }
    case 'homework':
      if (p['isIndividual'] === true) {
        const ids = strs(p['studentIds']);
        if (ids.length === 0) out.unresolved = true;
        out.direct.push(...ids);
      } else out.classLevel = true;
      return out;
    case 'message': {
      const recipients = Array.isArray(p['recipients']) ? p['recipients'] : [];
      for (const rc of recipients) {
        const o = (typeof rc === 'object' && rc !== null ? rc : {}) as Record<string, unknown>;
        if (o['recipientType'] === 'person') { const id = str(o['recipientId']); if (id) out.persons.push(id); else out.unresolved = true; }
      }
      if (out.persons.length === 0 && !out.unresolved) out.classLevel = true;
      return out;
    }
    default:
      out.classLevel = true;
      return out;
  }
}

/**
 * The children each record concerns, in input order. Lookups are batched: at most one roles
 * query and one guardian-links query per school for the whole list.
 */
export async function resolveConcerns(records: readonly SubjectRecord[], lookups: SubjectLookups): Promise<Concern[]> {
  const passes = records.map(firstPass);
  const personIds = new Set<string>();
  for (const p of passes) if (p !== 'purged') p.persons.forEach((id) => personIds.add(id));
  const roles = personIds.size > 0 ? await lookups.personRoles([...personIds]) : new Map<string, string[]>();
  // Persons named by role lookups may be guardians: collect every guardian per school.
  const guardiansBySchool = new Map<string, Set<string>>();
  const addGuardian = (school: string, id: string): void => {
    let s = guardiansBySchool.get(school);
    if (!s) guardiansBySchool.set(school, (s = new Set()));
    s.add(id);
  };
  passes.forEach((p, i) => {
    if (p === 'purged') return;
    const school = (records[i] as SubjectRecord).schoolId;
    p.guardians.forEach((g) => addGuardian(school, g));
    for (const id of p.persons) if ((roles.get(id) ?? []).includes('guardian')) addGuardian(school, id);
  });
  const children = new Map<string, Map<string, string[]>>();
  for (const [school, ids] of guardiansBySchool) children.set(school, await lookups.guardianChildren(school, [...ids]));

  return passes.map((p, i): Concern => {
    if (p === 'purged') return { kind: 'purged' };
    const school = (records[i] as SubjectRecord).schoolId;
    const links = children.get(school) ?? new Map<string, string[]>();
    const ids = new Set(p.direct);
    let unresolved = p.unresolved;
    const viaGuardian = (g: string): void => {
      const kids = links.get(g) ?? [];
      if (kids.length === 0) unresolved = true;
      kids.forEach((k) => ids.add(k));
    };
    p.guardians.forEach(viaGuardian);
    for (const id of p.persons) {
      const r = roles.get(id);
      if (r === undefined) { unresolved = true; continue; }
      const n = personNeed(r);
      if (n.self) ids.add(id);
      if (n.guardian) viaGuardian(id);
      if (n.unresolved) unresolved = true;
    }
    if (unresolved) return { kind: 'unresolved' };
    if (ids.size === 0) return p.classLevel || p.persons.length > 0 ? { kind: 'class' } : { kind: 'unresolved' };
    const guardianOnly = records[i]?.entityType === 'person' && p.direct.length === 0 && p.guardians.length > 0;
    return { kind: 'children', ids: [...ids].sort(), ...(guardianOnly ? { any: true } : {}) };
  });
}
