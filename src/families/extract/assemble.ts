/**
 * What goes on one family's weekly paper extract, assembled from the school's records in the
 * ledger (a SchoolView) for one student and one ISO week: the week's marks (with the teacher's
 * comments), absences and lateness, homework due this week or next, teacher remarks meant for
 * the family, tests planned in the coming weeks, and the forecast of the current period's marks.
 *
 * Pure over the view; dates are the school's local dates. Each item keeps the id and revision of
 * the record it came from, so the register can tell which records an extract served (SLA
 * `servedAt`) and whether a regenerated extract changed.
 */
import { createHash } from 'node:crypto';
import type {
  Assessment, AssessmentScheduleEntry, AttendanceEvent, ClassGroup, GuardianLink, Homework, Lesson, Mark, Person, Recommendation, ReportingPeriod,
} from '../../core/canonical-types';
import type { SchoolView } from '../../reports/ledger-view';
import { ATTENDANCE_RU, fullNameRu, markCell, ru, SCHEDULE_KIND_RU, shortNameRu, WORK_TYPE_RU } from '../../reports/labels';
import { groupsOfStudent, mainClassOf, periodOn, subjectTitle } from '../../reports/roster';
import { addDays } from '../../infra/adapter-kit/dates';
import { localDateOf } from '../../sla/local-time';
import { forecastMark, type Forecast, type ForecastInput, type ForecastPolicy } from '../forecast';
import type { IsoWeek } from './week';

export interface RecordRef { id: string; revision: number }

export interface ExtractMarkLine { date: string; subject: string; work: string; mark: string; weight?: number; comment?: string; kind: string }
export interface ExtractAbsenceLine { date: string; subject: string; lesson?: number; code: string; category: string; minutes?: number }
export interface ExtractHomeworkLine { due: string; subject: string; text: string }
export interface ExtractRemarkLine { date: string; author: string; text: string }
export interface ExtractUpcomingLine { date: string; subject: string; kind: string; title: string }
export interface ExtractForecastLine { subject: string; forecast: Forecast; official?: string }

export interface FamilyExtractData {
  schoolId: string;
  schoolName: string;
  timeZone: string;
  week: IsoWeek;
  /** ISO instant the extract is due (end of the hand-over week). */
  dueAt: string;
  student: { id: string; name: string };
  classGroup: { id: string; title: string };
  guardians: string[];
  period?: { id: string; title: string; start: string; end: string };
  marks: ExtractMarkLine[];
  absences: ExtractAbsenceLine[];
  homework: ExtractHomeworkLine[];
  remarks: ExtractRemarkLine[];
  upcoming: ExtractUpcomingLine[];
  forecasts: ExtractForecastLine[];
  forecastPolicyId: string;
  refs: RecordRef[];
}

export interface AssembleOptions {
  schoolName: string;
  timeZone: string;
  week: IsoWeek;
  dueAt: Date;
  forecastPolicy: ForecastPolicy;
  /** How far after the week's end planned tests are listed (default 14 days). */
  upcomingDays?: number;
  /** Homework due up to this many days after the week's end is listed (default 7: the next week). */
  homeworkAheadDays?: number;
}

const HOMEWORK_TEXT_MAX = 600;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** «Контрольная работа: Дроби», or just the title when it already names the kind of work. */
function workTitle(a: Assessment | undefined): string {
  if (!a) return '';
  const kind = a.workType.title || WORK_TYPE_RU[a.workType.code] || '';
  if (!a.title) return kind;
  return a.title.toLowerCase().startsWith(kind.toLowerCase()) ? a.title : `${kind}: ${a.title}`;
}

/** The date a mark is for: its own, else its lesson's, else the day it was entered. */
function markDate(view: SchoolView, m: Mark, tz: string): string {
  return m.date ?? view.get<Lesson>(m.lessonId)?.date ?? localDateOf(new Date(m.markedAt), tz);
}

export function assembleFamilyExtract(view: SchoolView, studentId: string, o: AssembleOptions): FamilyExtractData | undefined {
  const { week, timeZone: tz } = o;
  const student = view.get<Person>(studentId);
  const cls = mainClassOf(view, studentId, week.start, week.end);
  if (!student || !cls) return undefined;
  const groups = groupsOfStudent(view, studentId, week.start, week.end);
  const inWeek = (d: string | undefined): boolean => d !== undefined && d >= week.start && d <= week.end;
  const refs = new Map<string, number>();
  const ref = (id: string): void => { const r = view.revisionOf(id); if (r !== undefined) refs.set(id, r); };
  const bySubjectThenDate = <T extends { date?: string; due?: string; subject: string }>(a: T, b: T): number =>
    ((a.date ?? a.due ?? '') < (b.date ?? b.due ?? '') ? -1 : (a.date ?? a.due ?? '') > (b.date ?? b.due ?? '') ? 1 : ru.compare(a.subject, b.subject));

  const studentMarks = view.all<Mark>('mark').filter((m) => m.studentId === studentId);
  const marks: ExtractMarkLine[] = [];
  for (const m of studentMarks) {
    const date = m.kind === 'current' ? markDate(view, m, tz) : localDateOf(new Date(m.markedAt), tz);
    if (!inWeek(date)) continue;
    const a = view.get<Assessment>(m.assessmentId);
    const work = m.kind === 'current'
      ? workTitle(a)
      : `Отметка за ${m.kind === 'period' ? view.get<ReportingPeriod>(m.reportingPeriodId)?.title ?? 'период' : m.kind === 'annual' ? 'год' : 'итог'}`;
    ref(m.id);
    marks.push({ date, subject: subjectTitle(view, m.subjectId), work: work || '—', mark: markCell(m), kind: m.kind,
      ...(m.weight ?? a?.weight ? { weight: m.weight ?? a?.weight } : {}), ...(m.teacherComment ? { comment: m.teacherComment } : {}) });
  }

  const absences: ExtractAbsenceLine[] = [];
  for (const e of view.all<AttendanceEvent>('attendance_event')) {
    if (e.studentId !== studentId || e.category === 'present' || !inWeek(e.date)) continue;
    const lesson = view.get<Lesson>(e.lessonId);
    ref(e.id);
    absences.push({ date: e.date, subject: lesson ? subjectTitle(view, lesson.subjectId) : 'весь день', code: e.code, category: ATTENDANCE_RU[e.category] ?? e.category,
      ...(lesson?.number !== undefined ? { lesson: lesson.number } : {}), ...(e.minutesMissed !== undefined ? { minutes: e.minutesMissed } : {}) });
  }

  const hwUntil = addDays(week.end, o.homeworkAheadDays ?? 7);
  const homework: ExtractHomeworkLine[] = [];
  for (const h of view.all<Homework>('homework')) {
    if (!groups.has(h.classGroupId) || (h.isIndividual && !(h.studentIds ?? []).includes(studentId))) continue;
    const due = h.dueDate ?? view.get<Lesson>(h.dueLessonId)?.date;
    if (due === undefined || due < week.start || due > hwUntil) continue;
    ref(h.id);
    const files = (h.attachments ?? []).length;
    homework.push({ due, subject: subjectTitle(view, h.subjectId), text: clip(h.text.trim() || (files > 0 ? `файлы: ${files}` : '—'), HOMEWORK_TEXT_MAX) });
  }

  const remarks: ExtractRemarkLine[] = [];
  for (const r of view.all<Recommendation>('recommendation')) {
    if (r.studentId !== studentId || r.visibility === 'student') continue;
    const date = r.writtenAt ? localDateOf(new Date(r.writtenAt), tz) : undefined;
    if (!inWeek(date)) continue;
    ref(r.id);
    remarks.push({ date: date!, author: shortNameRu(view.get<Person>(r.authorId)), text: r.text });
  }

  const upTo = addDays(week.end, o.upcomingDays ?? 14);
  const upcoming: ExtractUpcomingLine[] = [];
  for (const t of view.all<AssessmentScheduleEntry>('assessment_schedule_entry')) {
    if (!groups.has(t.classGroupId) || t.plannedDate <= week.end || t.plannedDate > upTo) continue;
    ref(t.id);
    upcoming.push({ date: t.plannedDate, subject: subjectTitle(view, t.subjectId), kind: SCHEDULE_KIND_RU[t.kind] ?? 'Контрольная работа', title: t.title ?? '' });
  }

  const period = periodOn(view, week.end);
  const forecasts = period ? forecastsOf(view, studentMarks, period, week.end, o.forecastPolicy, tz) : [];
  const guardians = view.all<GuardianLink>('guardian_link')
    .filter((g) => g.studentId === studentId && (g.validTo === undefined || g.validTo >= week.start) && (g.validFrom === undefined || g.validFrom <= week.end))
    .map((g) => fullNameRu(view.get<Person>(g.guardianId))).sort(ru.compare);

  return {
    schoolId: view.schoolId, schoolName: o.schoolName, timeZone: tz, week, dueAt: o.dueAt.toISOString(),
    student: { id: studentId, name: fullNameRu(student) }, classGroup: { id: cls.id, title: (cls as ClassGroup).title }, guardians,
    ...(period ? { period: { id: period.id, title: period.title, start: period.startDate, end: period.endDate } } : {}),
    marks: marks.sort(bySubjectThenDate), absences: absences.sort(bySubjectThenDate), homework: homework.sort((a, b) => bySubjectThenDate(a, b) || ru.compare(a.text, b.text)),
    remarks: remarks.sort((a, b) => (a.date < b.date ? -1 : 1)), upcoming: upcoming.sort(bySubjectThenDate),
    forecasts, forecastPolicyId: o.forecastPolicy.id, refs: [...refs].map(([id, revision]) => ({ id, revision })).sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

/**
 * Per subject with current marks of one student in period `p` up to `until`: the forecast, and
 * the teacher's period mark if set. Also the e-mail digest's forecast section (forecast-provider.ts).
 */
export function studentForecasts(view: SchoolView, studentId: string, p: ReportingPeriod, until: string, policy: ForecastPolicy, tz: string): ExtractForecastLine[] {
  return forecastsOf(view, view.all<Mark>('mark').filter((m) => m.studentId === studentId), p, until, policy, tz);
}

function forecastsOf(view: SchoolView, marks: readonly Mark[], p: ReportingPeriod, until: string, policy: ForecastPolicy, tz: string): ExtractForecastLine[] {
  const bySubject = new Map<string, ForecastInput[]>();
  const official = new Map<string, string>();
  for (const m of marks) {
    if (m.kind === 'period' && m.reportingPeriodId === p.id) { official.set(m.subjectId, markCell(m)); continue; }
    if (m.kind !== 'current') continue;
    const d = markDate(view, m, tz);
    if (d < p.startDate || d > until) continue;
    const a = view.get<Assessment>(m.assessmentId);
    const list = bySubject.get(m.subjectId) ?? [];
    list.push({ markStatus: m.markStatus, ...(m.value ? { value: m.value } : {}), ...(m.weight !== undefined ? { weight: m.weight } : {}),
      ...(a ? { assessmentWeight: a.weight, workType: a.workType.code } : {}) });
    bySubject.set(m.subjectId, list);
  }
  return [...bySubject].map(([subjectId, list]) => ({
    subject: subjectTitle(view, subjectId), forecast: forecastMark(list, policy), ...(official.has(subjectId) ? { official: official.get(subjectId)! } : {}),
  })).sort((a, b) => ru.compare(a.subject, b.subject));
}

/** Hash of the extract's content (not of when it was made): an unchanged week is not printed again. */
export function extractContentHash(d: FamilyExtractData): string {
  const { dueAt: _due, ...content } = d;
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}
