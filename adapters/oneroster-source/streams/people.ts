/**
 * Users → person and guardian_link; enrollments → membership and teaching_assignment.
 */
import type { ExternalId, RecordStatus } from '../../../src/core/records';
import type { AgentLinks } from '../spec';
import {
  boolOf, dateOf, isObject, listOf, localId, missing, orRecord, refOf, refsOf, sourcedIdOf, statusOf, textOf, unmappable, utcOf,
  type Mapped, type OrMapContext,
} from './common';
import { classStart, classYear, type LookupTables } from './lookups';
import { yearKey, noId } from './roster';
import { GUARDIAN_RELATIONS, membershipRole, personRole } from './vocabulary';

/** The roles of a user: 1.2 `roles[]{role, org}`, 1.1 `role` (+ `orgs`), or a bare list (drift). */
export function userRoles(raw: Record<string, unknown>): { role: string; orgId?: string }[] {
  if (Array.isArray(raw.roles)) {
    return raw.roles.flatMap((r) => {
      if (typeof r === 'string') return r.trim() ? [{ role: r.trim() }] : [];
      if (!isObject(r) || typeof r.role !== 'string') return [];
      const orgId = refOf(r.org);
      return [{ role: r.role.trim(), ...(orgId ? { orgId } : {}) }];
    });
  }
  if (typeof raw.role === 'string' && raw.role.trim() !== '') {
    const orgs = refsOf(raw.orgs);
    return orgs.length > 0 ? orgs.map((orgId) => ({ role: (raw.role as string).trim(), orgId })) : [{ role: raw.role.trim() }];
  }
  return [];
}

/** A phone as E.164 (`+7…`); Russian `8XXXXXXXXXX` becomes `+7XXXXXXXXXX`; undefined otherwise. */
export function phoneOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const plus = v.trim().startsWith('+');
  let d = v.replace(/\D/g, '');
  if (!plus && d.length === 11 && d.startsWith('8')) d = `7${d.slice(1)}`;
  else if (!plus && d.length === 10 && d.startsWith('9')) d = `7${d}`;
  return /^[1-9]\d{6,14}$/.test(d) ? `+${d}` : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** userIds[] → external ids: ESIA ids as `esia-oid`, SNILS dropped (never stored in clear), others namespaced. */
export function userExternalIds(raw: Record<string, unknown>, sourcedId: string): ExternalId[] {
  const out: ExternalId[] = [localId(sourcedId)];
  const ids = Array.isArray(raw.userIds) ? raw.userIds : [];
  for (const u of ids) {
    if (!isObject(u) || typeof u.type !== 'string' || typeof u.identifier !== 'string' || u.identifier.trim() === '') continue;
    const t = u.type.trim().toLowerCase();
    if (/snils|снилс/.test(t)) continue;
    const type = /^esia|есиа/.test(t) ? 'esia-oid' : `oneroster:${t.replace(/[^a-z0-9_.-]/g, '').slice(0, 50) || 'other'}`;
    out.push({ type, value: u.identifier.trim().slice(0, 256), issuer: 'oneroster' });
  }
  const identifier = textOf(raw.identifier, 256);
  if (identifier) out.push({ type: 'oneroster-identifier', value: identifier, issuer: 'oneroster' });
  const master = textOf(raw.userMasterIdentifier, 256);
  if (master) out.push({ type: 'oneroster-master', value: master, issuer: 'oneroster' });
  return out;
}

export interface UserContext extends OrMapContext { tables: LookupTables; agentLinks: AgentLinks; schoolSourcedId?: string }

function link(studentId: string, guardianId: string, rel: { relation: string; isLegalRepresentative: boolean }, status: RecordStatus, modified: string | undefined, ctx: UserContext): Mapped {
  return {
    kind: 'record',
    record: {
      entityType: 'guardian_link', sourceId: `${studentId}|${guardianId}`, status,
      ...(modified ? { sourceModifiedAt: modified } : {}),
      fields: { studentId: ctx.ids.ref('person', studentId), guardianId: ctx.ids.ref('person', guardianId), relation: rel.relation, isLegalRepresentative: rel.isLegalRepresentative },
    },
  };
}

/**
 * A user → person, plus guardian links from its `agents[]` on the configured side: on the
 * guardian side (default) a parent/guardian/relative's agents are its students and the role gives
 * the relation; on the student side a student's agents are its parents (relation `parent`, assumed).
 */
export function mapUser(raw: unknown, ctx: UserContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('person', raw)];
  const roles = userRoles(raw);
  if (ctx.schoolSourcedId) {
    const orgs = [...roles.flatMap((r) => r.orgId ?? []), ...(refOf(raw.primaryOrg) ? [refOf(raw.primaryOrg) as string] : [])];
    if (orgs.length > 0 && !orgs.includes(ctx.schoolSourcedId)) return [];
  }
  const familyName = textOf(raw.familyName, 100);
  const givenName = textOf(raw.givenName, 100);
  const canonicalRoles = [...new Set(roles.map((r) => personRole(r.role)))];
  const issues = missing([['/familyName', familyName], ['/givenName', givenName], ['/roles', canonicalRoles.length > 0 ? true : undefined]]);
  if (issues.length > 0) return [unmappable('person', id, issues, raw)];
  const middleName = textOf(raw.middleName, 100);
  const email = typeof raw.email === 'string' && EMAIL.test(raw.email.trim()) ? raw.email.trim() : undefined;
  const phones = [...new Set([phoneOf(raw.phone), phoneOf(raw.sms)].filter((p): p is string => p !== undefined))];
  const birthDate = ctx.tables.birthDates.get(id);
  const enabled = boolOf(raw.enabledUser);
  const grades = listOf(raw.grades);
  const out: Mapped[] = [orRecord('person', id, raw, {
    roles: canonicalRoles, familyName, givenName,
    ...(middleName ? { middleName } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(phones.length > 0 ? { phones } : {}),
    ...(email ? { emails: [email] } : {}),
  }, { externalIds: userExternalIds(raw, id), metadata: { ...(enabled === false ? { enabledUser: false } : {}), ...(grades.length > 0 ? { grades } : {}) } })];

  const status = statusOf(raw.status);
  const modified = utcOf(raw.dateLastModified);
  const agents = refsOf(raw.agents);
  if (ctx.agentLinks === 'guardian-side') {
    const g = roles.map((r) => GUARDIAN_RELATIONS[r.role]).find(Boolean);
    if (g) for (const studentId of agents) out.push(link(studentId, id, g, status, modified, ctx));
  } else if (roles.some((r) => r.role === 'student')) {
    for (const guardianId of agents) out.push(link(id, guardianId, { relation: 'parent', isLegalRepresentative: true }, status, modified, ctx));
  }
  return out;
}

export interface EnrollmentContext extends OrMapContext { tables: LookupTables; schoolSourcedId?: string }

/**
 * An enrollment → membership; a teacher's enrollment in a non-homeroom class also → teaching
 * assignment (teacher, the class's course as subject, the class). Without a `beginDate` the
 * class's first term start stands in (assumed; README).
 */
export function mapEnrollment(raw: unknown, ctx: EnrollmentContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('membership', raw)];
  if (ctx.schoolSourcedId && refOf(raw.school) && refOf(raw.school) !== ctx.schoolSourcedId) return [];
  const userId = refOf(raw.user);
  const classId = refOf(raw.class);
  const role = typeof raw.role === 'string' && raw.role.trim() !== '' ? raw.role.trim() : undefined;
  const beginDate = dateOf(raw.beginDate) ?? classStart(ctx.tables, classId);
  const endDate = dateOf(raw.endDate);
  const issues = missing([['/user', userId], ['/class', classId], ['/role', role]]);
  if (!beginDate && classId) issues.push({ path: '/beginDate', message: 'no beginDate and the class has no term with a start date' });
  if (issues.length > 0) return [unmappable('membership', id, issues, raw)];
  const primary = boolOf(raw.primary);
  const out: Mapped[] = [orRecord('membership', id, raw, {
    personId: ctx.ids.ref('person', userId as string), classGroupId: ctx.ids.ref('class_group', classId as string),
    role: membershipRole(role as string), beginDate,
    ...(primary !== undefined ? { primary } : {}), ...(endDate ? { endDate } : {}),
  })];
  const cls = ctx.tables.classes.get(classId as string);
  if (role === 'teacher' && cls?.courseId && cls.classType !== 'homeroom') {
    const year = classYear(ctx.tables, classId);
    out.push(orRecord('teaching_assignment', id, raw, {
      teacherId: ctx.ids.ref('person', userId as string), subjectId: ctx.ids.ref('subject', cls.courseId),
      classGroupId: ctx.ids.ref('class_group', classId as string),
      ...(year ? { academicYearId: ctx.ids.ref('academic_year', yearKey(year)) } : {}),
      beginDate, ...(endDate ? { endDate } : {}),
    }));
  }
  return out;
}
