/**
 * Builds the FHIR-like `Schedule` that ФГИС «Моя школа» pulls for one ЕСИА account
 * (portal-and-standards.md §A2, "REST API для запроса расписания и журнала"): schools → classes →
 * lessons with substitution, topic, homework, the child's attendance code and scores. Read
 * from the ledger's current records; nothing is cached, so every pull is as fresh as the ledger.
 */
import { createHash } from 'node:crypto';
import type { Ledger, StoredRecord } from '../../core/ledger';
import { uuidv5 } from '../../core/ids';

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
  const served = new Map<string, number>();
  const use = (r: StoredRecord): Body => {
    served.set(r.id, r.revision);
    return r.record;
  };
  const schools: Body[] = [];
  let lastUpdated = '';
  for (const schoolId of [...new Set(persons.map((p) => p.schoolId))]) {
    const info = deps.schoolInfo(schoolId);
    if (!info) continue;
    const kinds = await loadSchool(deps.ledger, schoolId);
    const students = studentsOf(persons.filter((p) => p.schoolId === schoolId), kinds);
    const classes: Body[] = [];
    for (const student of students) {
      const allowed = deps.allowChild ? await deps.allowChild(schoolId, student.id) : true;
      const classIds = kinds.membership
        .filter((m) => m.record['personId'] === student.id && m.record['role'] === 'student' && inRange(m.record, req.start, req.end))
        .map((m) => String(m.record['classGroupId']));
      for (const classId of new Set(classIds)) {
        const cls = kinds.byId.get(classId);
        if (!cls) continue;
        const lessons = kinds.lesson
          .filter((l) => l.record['classGroupId'] === classId && inWindow(str(l.record['date']), req.start, req.end))
          .sort((a, b) => `${a.record['date']} ${a.record['startTime']}`.localeCompare(`${b.record['date']} ${b.record['startTime']}`));
        classes.push({
          class: String(use(cls)['title']),
          ...(cls.record['gradeLevel'] !== undefined ? { grade: String(cls.record['gradeLevel']) } : {}),
          lesson: lessons.map((l) => lessonOf(l, student.id, allowed, kinds, info.timezone, deps.idNamespace, use)),
        });
      }
    }
    for (const r of [...served.keys()].map((id) => kinds.byId.get(id)).filter((r): r is StoredRecord => r !== undefined)) {
      if (r.dateLastModified > lastUpdated) lastUpdated = r.dateLastModified;
    }
    schools.push({
      id: uuidv5(`school:${schoolId}`, deps.idNamespace), name: info.name,
      period: { start: req.start, end: req.end }, academYear: academicYear(req.start), class: classes,
    });
  }
  const schedule = {
    resourceType: 'Schedule',
    id: uuidv5(`schedule:${createHash('sha256').update(req.esiaOid).digest('hex')}:${req.start}:${req.end}`, deps.idNamespace),
    meta: { lastUpdated: lastUpdated || req.now.toISOString() },
    school: schools,
  };
  return { schedule, served: [...served].map(([recordId, revision]) => ({ recordId, revision })) };
}

interface SchoolRecords {
  byId: Map<string, StoredRecord>;
  lesson: StoredRecord[];
  membership: StoredRecord[];
  guardian_link: StoredRecord[];
  homework: StoredRecord[];
  mark: StoredRecord[];
  attendance_event: StoredRecord[];
}

async function loadSchool(ledger: Ledger, schoolId: string): Promise<SchoolRecords> {
  const all = async (entityType: Parameters<Ledger['listRecords']>[0]['entityType']): Promise<StoredRecord[]> =>
    (await ledger.listRecords({ schoolId, ...(entityType ? { entityType } : {}) })).filter((r) => r.status === 'active');
  const [classGroups, subjects, persons, lesson, membership, guardianLink, homework, mark, attendance, assessments] = await Promise.all([
    all('class_group'), all('subject'), all('person'), all('lesson'), all('membership'), all('guardian_link'), all('homework'), all('mark'),
    all('attendance_event'), all('assessment'),
  ]);
  const byId = new Map<string, StoredRecord>();
  for (const r of [...classGroups, ...subjects, ...persons, ...lesson, ...homework, ...mark, ...attendance, ...assessments]) byId.set(r.id, r);
  return { byId, lesson, membership, guardian_link: guardianLink, homework, mark, attendance_event: attendance };
}

/** A student account sees itself; a guardian sees the children linked to it. */
function studentsOf(people: StoredRecord[], k: SchoolRecords): StoredRecord[] {
  const out = new Map<string, StoredRecord>();
  for (const p of people) {
    const roles = (p.record['roles'] as string[] | undefined) ?? [];
    if (roles.includes('student')) out.set(p.id, p);
    for (const link of k.guardian_link.filter((g) => g.record['guardianId'] === p.id)) {
      const child = k.byId.get(String(link.record['studentId']));
      if (child) out.set(child.id, child);
    }
  }
  return [...out.values()];
}

function lessonOf(
  l: StoredRecord, studentId: string, allowed: boolean, k: SchoolRecords, tz: string, ns: string, use: (r: StoredRecord) => Body,
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
    .filter((h) => h.record['isIndividual'] !== true || ((h.record['studentIds'] as string[] | undefined) ?? []).includes(studentId));
  if (hw.length > 0) out['homework'] = hw.map((h) => String(use(h)['text'])).join('\n');
  // The child's own data (attendance, marks) only where consent allows this channel.
  if (allowed) {
    const att = k.attendance_event.find((a) => a.record['studentId'] === studentId && a.record['lessonId'] === l.id && a.record['category'] !== 'present');
    if (att) out['attendance'] = { code: ATTENDANCE_CODE[String(use(att)['category'])] ?? String(att.record['code']) };
    const scores = k.mark.filter((m) => m.record['studentId'] === studentId && m.record['lessonId'] === l.id && m.record['markStatus'] !== 'deferred');
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

/** A local date and time in a zone as ISO 8601 with that zone's offset on that day. */
export function withOffset(date: string, time: string, tz: string): string {
  const hhmm = /^\d{2}:\d{2}/.exec(time)?.[0] ?? '00:00';
  const guess = new Date(`${date}T${hhmm}:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(guess).map((p) => [p.type, p.value]));
  const asLocal = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']));
  const offsetMin = Math.round((asLocal - guess.getTime()) / 60_000);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${date}T${hhmm}:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
