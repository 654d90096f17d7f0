/**
 * Regulation profiles: each regulation's deadlines as data (`config/regulations/<id>.json`,
 * schema `regulation.schema.json`), and their composition per school — one or more profiles,
 * a calendar region, office hours and per-deadline overrides (`school-sla.schema.json`).
 *
 * Loading checks the schema (ajv, defaults applied) and what a schema cannot say: the file name
 * equals the id, obligation ids are unique, start events fit the records covered. Composition
 * checks that every profile and override exists. Everything fails as GW_CONFIG_INVALID with
 * the offending paths, at start-up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GatewayError, type Issue } from '../core/errors';
import { DEFAULT_WORKING_HOURS, type WorkingCalendar, type WorkingHours } from './calendar';
import type { CalendarSet } from './calendar-load';
import { assertNoIssues, compileValidator, createSlaAjv, packageConfigDir, readJsonObject, type JsonValidator } from './json-config';
import { assertTimeZone, parseTimeOfDay } from './local-time';

export type StartEvent =
  | 'lesson_date' | 'work_date' | 'period_end' | 'result_date' | 'mark_entered' | 'request_registered' | 'week_start';
export type MetBy = 'entered_at_source' | 'delivered' | 'available' | 'served';
export type AllowedUnit = 'calendar_days' | 'working_days' | 'hours';
export type Channel = 'electronic' | 'paper';
export type Scalar = string | number | boolean;

/** How long an obligation allows. */
export interface Allowed {
  amount: number;
  unit: AllowedUnit;
}

/** A condition on one (dotted) field of the record; exactly one of in / notIn / exists. */
export interface CoverFilter {
  field: string;
  in?: Scalar[];
  notIn?: Scalar[];
  exists?: boolean;
}

/** Service events that are not canonical records but start a clock. */
export const SERVICE_EVENT_TYPES = ['access_code_request'] as const;
export type ServiceEventType = (typeof SERVICE_EVENT_TYPES)[number];

/** One deadline of a regulation (defaults of the schema already applied). */
export interface Obligation {
  id: string;
  /** What the act requires, in Russian. */
  title: string;
  basis?: string;
  covers: { entityTypes: string[]; where?: CoverFilter[]; channels?: Channel[] };
  startEvent: StartEvent;
  deferredStartEvent: 'mark_entered' | 'unchanged';
  allowed: Allowed;
  endOfDay: boolean;
  rollToWorkingDay: boolean;
  registration: 'working_hours' | 'on_receipt';
  metBy: MetBy;
}

export interface AvailabilityRequirement {
  id: string;
  title: string;
  schedule: '24x7' | 'working_hours';
}

/** One `config/regulations/<id>.json`, validated. */
export interface RegulationProfile {
  id: string;
  title: string;
  jurisdiction: { level: string; name: string; regionCode?: string };
  sources: { title: string; url?: string; tag: string }[];
  verification: { status: 'primary_text_checked' | 'primary_text_not_found' | 'unverified'; note?: string };
  availability?: AvailabilityRequirement[];
  lateSourceAllowanceHours?: number;
  obligations: Obligation[];
}

/** The profiles found, and the validator of a school's SLA settings. */
export interface ProfileSet {
  readonly dirs: readonly string[];
  ids(): string[];
  /** The profile; GW_CONFIG_INVALID naming the id when there is none. */
  get(id: string): RegulationProfile;
  /** Checks a school's SLA settings against school-sla.schema.json (defaults applied in place). */
  validateSchoolSettings(settings: unknown): Issue[];
}

const SCHEMA_FILES = new Set(['regulation.schema.json', 'school-sla.schema.json']);
const INSTANT_EVENTS: ReadonlySet<StartEvent> = new Set(['mark_entered', 'request_registered']);
const MARK_ONLY_EVENTS: ReadonlySet<StartEvent> = new Set(['period_end', 'result_date', 'mark_entered']);

/** Default folder: the package's `config/regulations`. */
export function defaultRegulationDir(): string {
  return path.join(packageConfigDir(), 'regulations');
}

/**
 * Loads every `<id>.json` of the given folders (the package's own first, then a deployment's
 * folders of its own profiles). An id defined twice is an error, not an override: schools
 * override single deadlines in their settings instead.
 */
export function loadRegulationProfiles(dirs: readonly string[] = [defaultRegulationDir()]): ProfileSet {
  const schemaDir = defaultRegulationDir();
  const ajv = createSlaAjv();
  const regulationSchema = readJsonObject(path.join(schemaDir, 'regulation.schema.json'), 'regulation schema');
  const schoolSchema = readJsonObject(path.join(schemaDir, 'school-sla.schema.json'), 'school SLA schema');
  const validateProfile = compileValidator(ajv, regulationSchema);
  const validateSchool = compileValidator(ajv, schoolSchema, [regulationSchema]);
  const profiles = new Map<string, RegulationProfile>();
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) throw new GatewayError('GW_CONFIG_INVALID', `regulation folder ${dir} does not exist`);
    for (const f of fs.readdirSync(dir).sort()) {
      if (!f.endsWith('.json') || SCHEMA_FILES.has(f)) continue;
      const profile = readProfile(path.join(dir, f), validateProfile);
      if (profiles.has(profile.id)) {
        throw new GatewayError('GW_CONFIG_INVALID', `regulation profile ${profile.id} is defined twice (again in ${dir})`, { context: { profile: profile.id } });
      }
      profiles.set(profile.id, profile);
    }
  }
  return {
    dirs: [...dirs],
    ids: () => [...profiles.keys()].sort(),
    get(id: string): RegulationProfile {
      const p = profiles.get(id);
      if (p === undefined) {
        throw new GatewayError('GW_CONFIG_INVALID', `unknown regulation profile ${id} (have: ${[...profiles.keys()].sort().join(', ')})`, { context: { profile: id } });
      }
      return p;
    },
    validateSchoolSettings: validateSchool,
  };
}

function readProfile(file: string, validate: JsonValidator): RegulationProfile {
  const name = path.basename(file);
  const data = readJsonObject(file, 'regulation profile');
  assertNoIssues(validate(data), `regulation profile ${name} does not match regulation.schema.json`, { file: name });
  const profile = data as unknown as RegulationProfile;
  assertNoIssues(checkProfile(profile, name.replace(/\.json$/, '')), `regulation profile ${name} is inconsistent`, { file: name });
  return profile;
}

/** What the schema cannot check (exported for tests of broken profiles). */
export function checkProfile(p: RegulationProfile, idInName: string): Issue[] {
  const issues: Issue[] = [];
  if (p.id !== idInName) issues.push({ path: '/id', message: `must equal the file name (${idInName})` });
  const seen = new Set<string>();
  p.obligations.forEach((o, i) => {
    const at = `/obligations/${i}`;
    if (seen.has(o.id)) issues.push({ path: `${at}/id`, message: `${o.id} is used twice` });
    seen.add(o.id);
    const types = o.covers.entityTypes;
    const isRequest = o.startEvent === 'request_registered';
    const requestTypes = types.filter((t) => (SERVICE_EVENT_TYPES as readonly string[]).includes(t));
    if (isRequest !== (requestTypes.length > 0) || (isRequest && requestTypes.length !== types.length)) {
      issues.push({ path: `${at}/startEvent`, message: 'request_registered goes with access_code_request records only, and they with it' });
    }
    if (isRequest && o.metBy === 'entered_at_source') {
      issues.push({ path: `${at}/metBy`, message: 'a request has no journal entry; use served or delivered' });
    }
    if (MARK_ONLY_EVENTS.has(o.startEvent) && types.some((t) => t !== 'mark')) {
      issues.push({ path: `${at}/startEvent`, message: `${o.startEvent} applies to marks only` });
    }
    if (!o.endOfDay && !INSTANT_EVENTS.has(o.startEvent)) {
      issues.push({ path: `${at}/endOfDay`, message: `false needs a start event that is an instant (mark_entered, request_registered), not ${o.startEvent}` });
    }
    if (o.startEvent === 'week_start' && o.metBy === 'entered_at_source') {
      issues.push({ path: `${at}/metBy`, message: 'week_start counts from when the journal had the record; entered_at_source would always be met' });
    }
  });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Per-school composition

export interface ObligationOverride {
  enabled?: boolean;
  allowed?: Allowed;
  endOfDay?: boolean;
  rollToWorkingDay?: boolean;
}

/** A school's SLA settings (school-sla.schema.json). */
export interface SchoolSlaSettings {
  profiles: string[];
  calendarRegion?: string;
  workingHours?: WorkingHours;
  lateSourceAllowanceHours?: number;
  overrides?: Record<string, ObligationOverride>;
}

/** An obligation as it applies to one school, overrides merged. */
export interface ResolvedObligation extends Obligation {
  /** '<profile id>/<obligation id>', unique within the school. */
  key: string;
  profileId: string;
  /** Hours the gateway gets after a record the journal entered late (see regulation.schema.json). */
  lateSourceAllowanceHours: number;
  /** True when a school override changed this obligation. */
  overridden: boolean;
}

/** Everything the deadline engine needs about one school. */
export interface SchoolSla {
  schoolId: string;
  /** IANA zone of the school, e.g. Asia/Novosibirsk. */
  timeZone: string;
  calendar: WorkingCalendar;
  workingHours: WorkingHours;
  profileIds: string[];
  obligations: ResolvedObligation[];
  availability: (AvailabilityRequirement & { key: string; profileId: string })[];
}

export interface SchoolSlaInput {
  schoolId: string;
  /** From the school's block of the gateway configuration. */
  timeZone: string;
  /** The school's SLA settings, unvalidated. */
  sla: unknown;
}

/**
 * Builds a school's SLA from its settings: the chosen profiles' obligations (disabled ones
 * dropped, overrides applied), the calendar of its region, its office hours.
 */
export function composeSchoolSla(input: SchoolSlaInput, deps: { profiles: ProfileSet; calendars: CalendarSet }): SchoolSla {
  const settingsCopy: unknown = structuredClone(input.sla);
  assertNoIssues(deps.profiles.validateSchoolSettings(settingsCopy), `SLA settings of school ${input.schoolId} are invalid`, { school: input.schoolId });
  const settings = settingsCopy as SchoolSlaSettings;
  assertTimeZone(input.timeZone);
  const hours = settings.workingHours ?? { ...DEFAULT_WORKING_HOURS };
  if (parseTimeOfDay(hours.end) <= parseTimeOfDay(hours.start)) {
    throw new GatewayError('GW_CONFIG_INVALID', `SLA settings of school ${input.schoolId}: working hours end before they start`, {
      issues: [{ path: '/workingHours/end', message: 'must be after start' }],
    });
  }
  const profiles = settings.profiles.map((id) => deps.profiles.get(id));
  const overrides = new Map(Object.entries(settings.overrides ?? {}));
  const obligations: ResolvedObligation[] = [];
  for (const p of profiles) {
    for (const o of p.obligations) {
      const key = `${p.id}/${o.id}`;
      const ov = overrides.get(key);
      overrides.delete(key);
      if (ov?.enabled === false) continue;
      obligations.push({
        ...o,
        ...(ov?.allowed !== undefined ? { allowed: { ...ov.allowed } } : {}),
        ...(ov?.endOfDay !== undefined ? { endOfDay: ov.endOfDay } : {}),
        ...(ov?.rollToWorkingDay !== undefined ? { rollToWorkingDay: ov.rollToWorkingDay } : {}),
        key,
        profileId: p.id,
        lateSourceAllowanceHours: settings.lateSourceAllowanceHours ?? p.lateSourceAllowanceHours ?? 0,
        overridden: ov !== undefined,
      });
    }
  }
  if (overrides.size > 0) {
    throw new GatewayError('GW_CONFIG_INVALID', `SLA settings of school ${input.schoolId} override obligations its profiles do not have`, {
      issues: [...overrides.keys()].map((k) => ({ path: `/overrides/${k.replace('/', '~1')}`, message: 'no such profile/obligation among the school\'s profiles' })),
    });
  }
  const endOfDayIssues = obligations
    .filter((o) => !o.endOfDay && !INSTANT_EVENTS.has(o.startEvent))
    .map((o) => ({ path: `/overrides/${o.key.replace('/', '~1')}/endOfDay`, message: `false needs an instant start event, not ${o.startEvent}` }));
  assertNoIssues(endOfDayIssues, `SLA settings of school ${input.schoolId} are invalid`, { school: input.schoolId });
  return {
    schoolId: input.schoolId,
    timeZone: input.timeZone,
    calendar: deps.calendars.forRegion(settings.calendarRegion),
    workingHours: hours,
    profileIds: profiles.map((p) => p.id),
    obligations,
    availability: profiles.flatMap((p) => (p.availability ?? []).map((a) => ({ ...a, key: `${p.id}/${a.id}`, profileId: p.id }))),
  };
}
