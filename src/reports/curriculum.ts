/**
 * The curriculum plan (учебный план) a lesson report compares against: how many lessons of each
 * subject a class (or subgroup) should have in a period.
 *
 * Two sources: a plan file the school gives (`--plan plan.json`, schema below), or, when there is
 * none, a plan derived from the journal's teaching load: `hoursPerWeek` × study weeks, where study
 * days are Monday–Friday (or –Saturday) of the period minus the school's holiday periods and
 * minus non-working days of the production calendar. The report says which source it used.
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ClassGroup, HolidayPeriod, ReportingPeriod, TeachingAssignment } from '../core/canonical-types';
import { GatewayError } from '../core/errors';
import { addDays, weekdayIndex } from '../infra/adapter-kit/dates';
import type { SchoolView } from './ledger-view';

export interface CurriculumPlanEntry {
  /** Subject: canonical id, journal id or title. */
  subject: string;
  /** Class group (a subgroup's title or id); absent = the class itself. */
  group?: string;
  /** Lessons planned in the period. */
  planned: number;
  /** Control works planned in the period, if the plan says. */
  controlWorks?: number;
}

export interface CurriculumPlan {
  title?: string;
  entries: CurriculumPlanEntry[];
}

export const CURRICULUM_PLAN_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['entries'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 300 },
    entries: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['subject', 'planned'],
        properties: {
          subject: { type: 'string', minLength: 1, maxLength: 200 },
          group: { type: 'string', minLength: 1, maxLength: 200 },
          planned: { type: 'integer', minimum: 0, maximum: 1000 },
          controlWorks: { type: 'integer', minimum: 0, maximum: 200 },
        },
      },
    },
  },
} as const;

let validatePlan: ReturnType<Ajv2020['compile']> | undefined;

/** Validates a plan file's JSON; GW_API_BAD_REQUEST listing every problem. */
export function parseCurriculumPlan(json: unknown): CurriculumPlan {
  validatePlan ??= new Ajv2020({ strict: true, allErrors: true }).compile(CURRICULUM_PLAN_SCHEMA);
  if (!validatePlan(json)) {
    const issues = (validatePlan.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'invalid' }));
    throw new GatewayError('GW_API_BAD_REQUEST', 'curriculum plan file does not match its schema', { issues });
  }
  return json as CurriculumPlan;
}

export interface StudyDaysOptions {
  /** 5 (default) or 6 school days a week. */
  daysPerWeek?: 5 | 6;
  /** Production calendar: weekdays it does not work are not study days. */
  calendar?: { isWorkingDay(date: string): boolean };
}

/** Study days of a class in [from, to]: school days of the week, minus holidays that apply to it. */
export function studyDays(view: SchoolView, cls: ClassGroup, from: string, to: string, o: StudyDaysOptions = {}): string[] {
  const lastWeekday = (o.daysPerWeek ?? 5) - 1;
  const holidays = view.all<HolidayPeriod>('holiday_period').filter((h) =>
    (h.classGroupIds === undefined || h.classGroupIds.includes(cls.id))
    && (h.gradeLevels === undefined || cls.gradeLevel === undefined || h.gradeLevels.includes(cls.gradeLevel)));
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    if (weekdayIndex(d) > lastWeekday) continue;
    if (holidays.some((h) => h.startDate <= d && d <= h.endDate)) continue;
    if (o.calendar && weekdayIndex(d) < 5 && !o.calendar.isWorkingDay(d)) continue;
    out.push(d);
  }
  return out;
}

/** A plan derived from the teaching load of the class and its subgroups during the period. */
export function derivedPlan(view: SchoolView, groups: readonly ClassGroup[], p: ReportingPeriod, days: number, daysPerWeek = 5): CurriculumPlan {
  const ids = new Set(groups.map((g) => g.id));
  const entries = new Map<string, CurriculumPlanEntry>();
  for (const t of view.all<TeachingAssignment>('teaching_assignment')) {
    if (!ids.has(t.classGroupId) || t.hoursPerWeek === undefined) continue;
    if (t.reportingPeriodId !== undefined && t.reportingPeriodId !== p.id) continue;
    if ((t.beginDate && t.beginDate > p.endDate) || (t.endDate && t.endDate < p.startDate)) continue;
    const key = `${t.classGroupId}|${t.subjectId}`;
    // Two teachers of one subject and group share its hours: keep the larger load, not the sum.
    const planned = Math.round((t.hoursPerWeek * days) / daysPerWeek);
    const prev = entries.get(key);
    if (!prev || prev.planned < planned) entries.set(key, { subject: t.subjectId, group: t.classGroupId, planned });
  }
  return { title: `по учебной нагрузке: часов в неделю × учебных недель (${days} учебных дней)`, entries: [...entries.values()] };
}
