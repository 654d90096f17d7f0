/**
 * Builds the FHIR-like `Schedule` that ФГИС «Моя школа» pulls for one ЕСИА account
 * (portal-and-standards.md §A2, "REST API для запроса расписания и журнала"): schools → classes →
 * lessons with substitution, topic, homework, the child's attendance code and scores. Read
 * from the ledger's current records; nothing is cached, so every pull is as fresh as the ledger.
 * The reads are bounded by the account's class groups and the window (lookup.ts), so the cost of
 * a pull follows the size of the answer, not of the school.
 */
import { createHash } from 'node:crypto';
import type { Ledger, StoredRecord } from '../../core/ledger';
import { uuidv5 } from '../../core/ids';
import { recordLookup, type RecordLookup } from './lookup';

export interface SchoolInfo {
  name: string;
  timezone: string;
}

export interface ScheduleRequest {
  esiaOid: string;
  /** Inclusive dates, YYYY-MM-DD. */
  start: string;
  end: string;
  now: Date;
}

export interface ScheduleDeps {
  ledger: Ledger;
  schoolInfo(schoolId: string): SchoolInfo | undefined;
  idNamespace: string;
  /** False when the child's data may not go to this channel (no valid consent). Absent = allowed. */
  allowChild?(schoolId: string, studentId: string): Promise<boolean>;
}

export interface ScheduleResult {
  /** Undefined when no person carries this ЕСИА id. */
  schedule?: Record<string, unknown>;
  /** Every record revision the answer was built from (what was served). */
  served: Array<{ recordId: string; revision: number }>;
}

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const ATTENDANCE_CODE: Record<string, string> = {
  absent_illness: 'б', absent_valid: 'у', absent_invalid: 'н', late: 'о', early_departure: 'у', unknown: 'н',
};

export async function buildSchedule(deps: ScheduleDeps, req: ScheduleRequest): Promise<ScheduleResult> {
  const persons = (await deps.ledger.findByExternalId('person', 'esia-oid', req.esiaOid)).filter((p) => p.status === 'active');
  if (persons.length === 0) return { served: [] };
  const look = recordLookup(deps.ledger);
  const served = new Map<string, StoredRecord>();
  const use = (r: StoredRecord): Body => {
    served.set(r.id, r);
    return r.record;
  };
  const schools: Body[] = [];
  for (const schoolId of [...new Set(persons.map((p) => p.schoolId))]) {
    const info = deps.schoolInfo(schoolId);
    if (!info) continue;
    const students = await studentsOf(look, schoolId, persons.filter((p) => p.schoolId === schoolId));
    const memberships = await look.find(schoolId, 'membership', [{ field: 'personId', in: students.map((s) => s.id) }]);
    const plan: StudentPlan[] = [];
    for (const student of students) {
      const allowed = deps.allowChild ? await deps.allowChild(schoolId, student.id) : true;
      const classIds = memberships
        .filter((m) => m.record['personId'] === student.id && m.record['role'] === 'student' && inRange(m.record, req.start, req.end))
        .map((m) => String(m.record['classGroupId']));
      plan.push({ student, allowed, classIds: [...new Set(classIds)] });
    }
    const k = await loadWindow(look, schoolId, plan, req);
    const classes: Body[] = [];
    for (const { student, allowed, classIds } of plan) {
      for (const classId of classIds) {
        const cls = k.byId.get(classId);
        if (!cls) continue;
        const lessons = [...(k.lessonsOf.get(classId) ?? [])]
          .sort((a, b) => `${a.record['date']} ${a.record['startTime']}`.localeCompare(`${b.record['date']} ${b.record['startTime']}`));
        classes.push({
          class: String(use(cls)['title']),
          ...(cls.record['gradeLevel'] !== undefined ? { grade: String(cls.record['gradeLevel']) } : {}),
          lesson: lessons.map((l) => lessonOf(l, student.id, allowed, k, info.timezone, deps.idNamespace, use)),
        });
      }
    }
    schools.push({
      id: uuidv5(`school:${schoolId}`, deps.idNamespace), name: info.name,
      period: { start: req.start, end: req.end }, academYear: academicYear(req.start), class: classes,
    });
  }
  let lastUpdated = '';
  for (const r of served.values()) if (r.dateLastModified > lastUpdated) lastUpdated = r.dateLastModified;
  const schedule = {
    resourceType: 'Schedule',
    id: uuidv5(`schedule:${createHash('sha256').update(req.esiaOid).digest('hex')}:${req.start}:${req.end}`, deps.idNamespace),
    meta: { lastUpdated: lastUpdated || req.now.toISOString() },
    school: schools,
  };
  return { schedule, served: [...served.values()].map((r) => ({ recordId: r.id, revision: r.revision })) };
}

interface StudentPlan {
  student: StoredRecord;
  /** False when the child's own data (marks, absences) may not go to this channel. */
  allowed: boolean;
  classIds: string[];
}

/** What one school's part of the answer is built from: only the rows of the window and its students. */
interface WindowRecords {
  /** Class groups, subjects, substituted teachers and assessments referenced by the window. */
  byId: Map<string, StoredRecord>;
  lessonsOf: Map<string, StoredRecord[]>;
  /** Homework due in the window, by lesson or by (class group, date). */
  homework: StoredRecord[];
  marksOf: Map<string, StoredRecord[]>;
  attendanceOf: Map<string, StoredRecord[]>;
}

const strings = (values: Iterable<unknown>): string[] => [...new Set([...values].filter((v): v is string => typeof v === 'string'))];

/**
 * Reads led by the ledger's indexes (migration 11): lessons by class group and date, homework by
 * due lesson or by class group and due date, each student's marks and attendance by lesson, and
 * the class groups, subjects, teachers and assessments they name, by id.
 */
async function loadWindow(look: RecordLookup, schoolId: string, plan: readonly StudentPlan[], req: ScheduleRequest): Promise<WindowRecords> {
  const classes = await look.byIds(schoolId, 'class_group', plan.flatMap((p) => p.classIds));
  const classIds = [...classes.keys()];
  const lessons = await look.find(schoolId, 'lesson', [{ field: 'classGroupId', in: classIds }, { field: 'date', from: req.start, to: req.end }]);
  const lessonsOf = new Map<string, StoredRecord[]>();
  for (const l of lessons) {
    const c = String(l.record['classGroupId']);
    lessonsOf.set(c, [...(lessonsOf.get(c) ?? []), l]);
  }
  const lessonIds = lessons.map((l) => l.id);
  const [subjects, teachers, byLesson, byDate] = await Promise.all([
    look.byIds(schoolId, 'subject', strings(lessons.map((l) => l.record['subjectId']))),
    look.byIds(schoolId, 'person', strings(lessons.map((l) => l.record['replacedTeacherId']))),
    look.find(schoolId, 'homework', [{ field: 'dueLessonId', in: lessonIds }]),
    look.find(schoolId, 'homework', [{ field: 'classGroupId', in: classIds }, { field: 'dueDate', from: req.start, to: req.end }]),
  ]);
  const homework = [...new Map([...byLesson, ...byDate].map((h) => [h.id, h])).values()].sort((a, b) => a.revision - b.revision);
  const marksOf = new Map<string, StoredRecord[]>();
  const attendanceOf = new Map<string, StoredRecord[]>();
  for (const p of plan) {
    if (!p.allowed || marksOf.has(p.student.id)) continue;
    const own = p.classIds.flatMap((c) => (lessonsOf.get(c) ?? []).map((l) => l.id));
    const where = [{ field: 'studentId', eq: p.student.id }, { field: 'lessonId', in: own }] as const;
    const [marks, attendance] = await Promise.all([look.find(schoolId, 'mark', where), look.find(schoolId, 'attendance_event', where)]);
    marksOf.set(p.student.id, marks);
    attendanceOf.set(p.student.id, attendance);
  }
  const assessments = await look.byIds(schoolId, 'assessment', strings([...marksOf.values()].flat().map((m) => m.record['assessmentId'])));
  const byId = new Map<string, StoredRecord>([...classes, ...subjects, ...teachers, ...assessments]);
  return { byId, lessonsOf, homework, marksOf, attendanceOf };
}

/** A student account sees itself; a guardian sees the children linked to it (of the same school). */
async function studentsOf(look: RecordLookup, schoolId: string, people: StoredRecord[]): Promise<StoredRecord[]> {
  const links = await look.find(schoolId, 'guardian_link', [{ field: 'guardianId', in: people.map((p) => p.id) }]);
  const children = await look.byIds(schoolId, 'person', strings(links.map((g) => g.record['studentId'])));
  const out = new Map<string, StoredRecord>();
  for (const p of people) {
    const roles = (p.record['roles'] as string[] | undefined) ?? [];
    if (roles.includes('student')) out.set(p.id, p);
    for (const link of links.filter((g) => g.record['guardianId'] === p.id)) {
      const child = children.get(String(link.record['studentId']));
      if (child) out.set(child.id, child);
    }
  }
  return [...out.values()];
}

function lessonOf(
  l: StoredRecord, studentId: string, allowed: boolean, k: WindowRecords, tz: string, ns: string, use: (r: StoredRecord) => Body,
): Body {
  const b = use(l);
  const subject = k.byId.get(String(b['subjectId']));
  const date = String(b['date']);
  const out: Body = {
    id: uuidv5(`lesson:${l.id}`, ns),
    subject: subject ? String(use(subject)['title']) : '',
    period: { start: withOffset(date, String(b['startTime']), tz), end: withOffset(date, String(b['endTime']), tz) },
    classroom: str(b['room']) ?? '',
  };
  if (b['state'] === 'substituted' && typeof b['replacedTeacherId'] === 'string') {
    const t = k.byId.get(b['replacedTeacherId']);
    out['insteadOf'] = t ? shortName(use(t)) : 'замена';
  }
  if (typeof b['topic'] === 'string') out['topic'] = b['topic'];
  if (b['isDistant'] === true) out['distant'] = str(b['distantUrl']) ?? true;
  if (b['state'] === 'cancelled') out['note'] = `Урок отменён${typeof b['cancelReason'] === 'string' ? `: ${b['cancelReason']}` : ''}`;
  if (b['state'] === 'moved') out['note'] = 'Урок перенесён';
  const hw = k.homework.filter((h) => h.record['dueLessonId'] === l.id
    || (h.record['dueLessonId'] === undefined && h.record['classGroupId'] === b['classGroupId'] && h.record['subjectId'] === b['subjectId'] && h.record['dueDate'] === date))
    // Individual homework is the child's own data: only where consent allows this channel.
    .filter((h) => h.record['isIndividual'] !== true || (allowed && ((h.record['studentIds'] as string[] | undefined) ?? []).includes(studentId)));
  if (hw.length > 0) out['homework'] = hw.map((h) => String(use(h)['text'])).join('\n');
  // The child's own data (attendance, marks) only where consent allows this channel.
  if (allowed) {
    const att = (k.attendanceOf.get(studentId) ?? []).find((a) => a.record['lessonId'] === l.id && a.record['category'] !== 'present');
    if (att) out['attendance'] = { code: ATTENDANCE_CODE[String(use(att)['category'])] ?? String(att.record['code']) };
    const scores = (k.marksOf.get(studentId) ?? []).filter((m) => m.record['lessonId'] === l.id && m.record['markStatus'] !== 'deferred');
    if (scores.length > 0) {
      out['score'] = scores.map((m) => {
        const mb = use(m);
        const v = (mb['value'] ?? {}) as Body;
        const workType = k.byId.get(String(mb['assessmentId']))?.record['workType'] as Body | undefined;
        return {
          ...(workType?.['code'] ? { code: String(workType['code']) } : {}),
          ...(typeof mb['weight'] === 'number' ? { weight: mb['weight'] } : {}),
          score: String(v['raw'] ?? ''),
          scoreSystem: String(v['scale'] ?? 'five_point'),
        };
      });
    }
  }
  return out;
}

function shortName(p: Body): string {
  const initial = (s: unknown): string => (typeof s === 'string' && s.length > 0 ? `${s[0]}.` : '');
  return `${String(p['familyName'] ?? '')} ${initial(p['givenName'])}${initial(p['middleName'])}`.trim();
}

function inWindow(date: string | undefined, start: string, end: string): boolean {
  return date !== undefined && date >= start && date <= end;
}

function inRange(r: Body, start: string, end: string): boolean {
  const begin = str(r['beginDate']) ?? '0000-01-01';
  const finish = str(r['endDate']) ?? '9999-12-31';
  return begin <= end && finish >= start;
}

/** "2025/26" for a window starting between September and August. */
function academicYear(date: string): string {
  const y = Number(date.slice(0, 4));
  const first = Number(date.slice(5, 7)) >= 9 ? y : y - 1;
  return `${first}/${String((first + 1) % 100).padStart(2, '0')}`;
}

/**
 * Building an Intl.DateTimeFormat costs about 0.3 ms and formatToParts about 15 µs, more than
 * the rest of a lesson: one format per zone, and the stamps of recent (zone, date, time) kept, as
 * the pulls of one school share their lesson dates and times.
 */
const STAMPS = new Map<string, string>();
const STAMPS_MAX = 20_000;
const ZONE_FORMATS = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(tz: string): Intl.DateTimeFormat {
  let f = ZONE_FORMATS.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
    ZONE_FORMATS.set(tz, f);
  }
  return f;
}

/** A local date and time in a zone as ISO 8601 with that zone's offset on that day. */
export function withOffset(date: string, time: string, tz: string): string {
  const hhmm = /^\d{2}:\d{2}/.exec(time)?.[0] ?? '00:00';
  const key = `${tz} ${date} ${hhmm}`;
  const known = STAMPS.get(key);
  if (known !== undefined) return known;
  const guess = new Date(`${date}T${hhmm}:00Z`);
  const parts = Object.fromEntries(zoneFormat(tz).formatToParts(guess).map((p) => [p.type, p.value]));
  const asLocal = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']));
  const offsetMin = Math.round((asLocal - guess.getTime()) / 60_000);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const stamp = `${date}T${hhmm}:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  if (STAMPS.size >= STAMPS_MAX) STAMPS.clear();
  STAMPS.set(key, stamp);
  return stamp;
}
