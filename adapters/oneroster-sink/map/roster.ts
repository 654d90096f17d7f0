/**
 * Canonical roster records → OneRoster rostering objects: school → Org, academic year and
 * reporting period → AcademicSession, subject → Course, class group → Class (plus the sections
 * the gradebook needs), person → User (+ roles), membership and teaching assignment → Enrollment.
 * Pure functions; lookups (titles, years) come from the caller.
 *
 * OneRoster end dates are exclusive (AcademicSession, Enrollment: "the end date is excluded");
 * canonical end dates are the last day, so one day is added.
 */
import { addDays } from '../../../src/infra/adapter-kit/dates';
import { homeroomCourseIdOf, roleIdOf, sectionEnrollmentIdOf, sectionIdOf } from '../ids';
import { FIXED_MODIFIED, metadataOf, modifiedOf, orExt, ref, statusOf, str, type MapOptions, type Obj } from './common';

/** The school year a date falls in, named by the calendar year it ends in (OneRoster `schoolYear`). */
export function schoolYearOf(date: string): string {
  const y = Number(date.slice(0, 4));
  return String(Number(date.slice(5, 7)) >= 8 ? y + 1 : y);
}

const endExclusive = (d: unknown): string | undefined => (typeof d === 'string' && d !== '' ? addDays(d, 1) : undefined);

/** The school's org. Without a school record (a journal that sends none), a minimal org named by the school id. */
export function orgOf(schoolId: string, rec: Obj | undefined, modified: string, o: MapOptions): Obj {
  return {
    sourcedId: o.orgOf(schoolId),
    status: rec ? statusOf(rec) : 'active',
    dateLastModified: rec ? modifiedOf(rec) : modified,
    name: str(rec?.name) ?? schoolId,
    type: 'school',
    identifier: str(rec?.inn) ?? schoolId,
    metadata: {
      diaryGateway: Object.fromEntries(Object.entries({
        entity: 'school', schoolId, recordId: rec?.id, shortName: rec?.shortName, timeZone: rec?.timeZone, regionCode: rec?.regionCode,
        municipality: rec?.municipality, inn: rec?.inn, kpp: rec?.kpp, ogrn: rec?.ogrn,
      }).filter(([, v]) => v !== undefined)),
    },
  };
}

export function yearSessionOf(y: Obj): Obj {
  return {
    sourcedId: String(y.id), status: statusOf(y), dateLastModified: modifiedOf(y),
    title: String(y.title), type: 'schoolYear',
    startDate: String(y.startDate), endDate: endExclusive(y.endDate) as string,
    schoolYear: schoolYearOf(String(y.endDate)),
    metadata: metadataOf(y, { isCurrent: y.isCurrent }),
  };
}

/**
 * A reporting period → AcademicSession: a half-year is a `semester`, a period nested in another
 * a `gradingPeriod` (parent: that period), anything else a `term` (parent: the year).
 * `schoolYear` is the year's (given) or derived from the period's end.
 */
export function periodSessionOf(p: Obj, o: MapOptions, schoolYear?: string): Obj {
  const nested = str(p.parentReportingPeriodId);
  const type = nested ? 'gradingPeriod' : p.kind === 'half_year' ? 'semester' : 'term';
  return {
    sourcedId: String(p.id), status: statusOf(p), dateLastModified: modifiedOf(p),
    title: String(p.title), type,
    startDate: String(p.startDate), endDate: endExclusive(p.endDate) as string,
    parent: ref(o, 'academicSession', nested ?? String(p.academicYearId)),
    schoolYear: schoolYear ?? schoolYearOf(String(p.endDate)),
    metadata: metadataOf(p, { kind: p.kind, sequence: p.sequence, isFinalAttestation: p.isFinalAttestation }),
  };
}

/** A subject → Course. `courseCode` is required: the subject's course code, else its code, short title or title. */
export function courseOf(s: Obj, o: MapOptions): Obj {
  const code = str(s.courseCode) ?? str(s.subjectCode) ?? str(s.shortTitle) ?? String(s.title).slice(0, 64);
  return {
    sourcedId: String(s.id), status: statusOf(s), dateLastModified: modifiedOf(s),
    title: String(s.title), courseCode: code,
    ...(str(s.subjectCode) ? { subjectCodes: [s.subjectCode] } : {}),
    org: ref(o, 'org', o.orgOf(String(s.schoolId))),
    metadata: metadataOf(s, { shortTitle: str(s.shortTitle) }),
  };
}

/** The course of homeroom classes (OneRoster requires a course on every class). */
export function homeroomCourseOf(schoolId: string, o: MapOptions): Obj {
  return {
    sourcedId: homeroomCourseIdOf(schoolId), status: 'active', dateLastModified: FIXED_MODIFIED,
    title: 'Классный коллектив', courseCode: 'homeroom', org: ref(o, 'org', o.orgOf(schoolId)),
    metadata: { diaryGateway: { entity: 'homeroom-course' } },
  };
}

const gradesOf = (cg: Obj): string[] => (typeof cg.gradeLevel === 'number' ? [String(cg.gradeLevel).padStart(2, '0')] : []);

/**
 * A class group → Class. A class (8б) is a `homeroom` class of the homeroom course; a subgroup
 * formed for one subject is a `scheduled` class of that subject's course; other kinds keep
 * their kind as `ext:`. `terms` (required, at least one) are the class's year, else `fallbackTerms`.
 */
export function classOf(cg: Obj, fallbackTerms: readonly string[], o: MapOptions): Obj {
  const subjectId = str(cg.subjectId);
  const classType = cg.kind === 'class' ? 'homeroom' : subjectId ? 'scheduled' : orExt(String(cg.kind));
  const schoolId = String(cg.schoolId);
  const year = str(cg.academicYearId);
  const terms = year ? [year] : fallbackTerms;
  const grades = gradesOf(cg);
  return {
    sourcedId: String(cg.id), status: statusOf(cg), dateLastModified: modifiedOf(cg),
    title: String(cg.title), classType,
    course: ref(o, 'course', classType === 'scheduled' ? subjectId as string : homeroomCourseIdOf(schoolId)),
    school: ref(o, 'org', o.orgOf(schoolId)),
    terms: terms.map((t) => ref(o, 'academicSession', t)),
    ...(grades.length > 0 ? { grades } : {}),
    metadata: metadataOf(cg, { kind: cg.kind, parentClassGroupId: str(cg.parentClassGroupId), homeroomTeacherId: str(cg.homeroomTeacherId) }),
  };
}

/** The section of one subject in one class group: the class line items and teachers hang on. */
export function sectionOf(cg: Obj, subject: { id: string; title: string }, fallbackTerms: readonly string[], modified: string, o: MapOptions): Obj {
  const year = str(cg.academicYearId);
  const grades = gradesOf(cg);
  return {
    sourcedId: sectionIdOf(String(cg.id), subject.id), status: 'active', dateLastModified: modified,
    title: `${String(cg.title)} · ${subject.title}`.slice(0, 250), classType: 'scheduled',
    course: ref(o, 'course', subject.id), school: ref(o, 'org', o.orgOf(String(cg.schoolId))),
    terms: (year ? [year] : fallbackTerms).map((t) => ref(o, 'academicSession', t)),
    ...(grades.length > 0 ? { grades } : {}),
    metadata: { diaryGateway: { entity: 'section', classGroupId: cg.id, subjectId: subject.id } },
  };
}

const USER_ROLES: Readonly<Record<string, string>> = { student: 'student', teacher: 'teacher', guardian: 'guardian' };

/** A person's canonical roles → OneRoster roles in the school's org (the first primary, the rest secondary). */
export function rolesOf(p: Obj, o: MapOptions): Obj[] {
  const roles = Array.isArray(p.roles) ? p.roles.map(String) : [];
  return roles.map((r, i) => ({
    roleType: i === 0 ? 'primary' : 'secondary',
    role: USER_ROLES[r] ?? orExt(r),
    org: ref(o, 'org', o.orgOf(String(p.schoolId))),
  }));
}

/** roles.csv rows of a person (1.2 CSV keeps roles in their own file). */
export function roleRowsOf(p: Obj, o: MapOptions): Obj[] {
  return rolesOf(p, o).map((r, i) => ({
    sourcedId: roleIdOf(String(p.id), i), status: statusOf(p), dateLastModified: modifiedOf(p), user: { sourcedId: p.id }, ...r,
  }));
}

/**
 * A person → User. Names and roles; the ESIA id as a `userIds` entry; guardians list their
 * students as `agents` (the side oneroster-source reads by default). Phones, e-mails, birth date
 * and the other external ids are not exported (README, "What is lost").
 */
export function userOf(p: Obj, agents: readonly string[], o: MapOptions): Obj {
  const ext = Array.isArray(p.externalIds) ? p.externalIds as { type?: string; value?: string }[] : [];
  const esia = ext.filter((e) => e.type === 'esia-oid' && typeof e.value === 'string').map((e) => ({ type: 'ESIA', identifier: e.value as string }));
  return {
    sourcedId: String(p.id), status: statusOf(p), dateLastModified: modifiedOf(p),
    enabledUser: 'true', givenName: String(p.givenName), familyName: String(p.familyName),
    ...(str(p.middleName) ? { middleName: p.middleName } : {}),
    roles: rolesOf(p, o),
    ...(esia.length > 0 ? { userIds: esia } : {}),
    ...(agents.length > 0 ? { agents: agents.map((a) => ref(o, 'user', a)) } : {}),
    primaryOrg: ref(o, 'org', o.orgOf(String(p.schoolId))),
    metadata: metadataOf(p, { roles: p.roles }),
  };
}

const enrollmentRole = (r: unknown): string => (r === 'student' || r === 'teacher' ? r : orExt(String(r)));

function enrollment(id: string, rec: Obj, classId: string, userId: string, role: string, primary: boolean, o: MapOptions, extra: Obj): Obj {
  const begin = str(rec.beginDate);
  const end = endExclusive(rec.endDate);
  return {
    sourcedId: id, status: statusOf(rec), dateLastModified: modifiedOf(rec),
    user: ref(o, 'user', userId), class: ref(o, 'class', classId), school: ref(o, 'org', o.orgOf(String(rec.schoolId))),
    role, primary: String(primary),
    ...(begin ? { beginDate: begin } : {}), ...(end ? { endDate: end } : {}),
    metadata: metadataOf(rec, extra),
  };
}

/** A membership → Enrollment in the class group's class. */
export function enrollmentOf(m: Obj, o: MapOptions): Obj {
  return enrollment(String(m.id), m, String(m.classGroupId), String(m.personId), enrollmentRole(m.role), m.primary === true, o, {});
}

/** A student's membership → Enrollment in one section of the class (derived; sourcedId from both). */
export function sectionEnrollmentOf(m: Obj, subjectId: string, o: MapOptions): Obj {
  return enrollment(sectionEnrollmentIdOf(String(m.id), subjectId), m, sectionIdOf(String(m.classGroupId), subjectId), String(m.personId), 'student', false, o, { membershipId: m.id, subjectId });
}

/** A teaching assignment → the teacher's Enrollment in the section of that class and subject. */
export function teacherEnrollmentOf(t: Obj, o: MapOptions): Obj {
  return enrollment(String(t.id), t, sectionIdOf(String(t.classGroupId), String(t.subjectId)), String(t.teacherId), 'teacher', true, o, {
    subjectId: t.subjectId, classGroupId: t.classGroupId, reportingPeriodId: str(t.reportingPeriodId), hoursPerWeek: t.hoursPerWeek,
  });
}
