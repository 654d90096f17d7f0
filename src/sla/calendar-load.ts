/**
 * Loading the production calendar data: `config/calendars/ru-<year>.json` (federal, one file a
 * year) and `config/calendars/regions/<code>.json` (regional overlays).
 *
 * Each file is checked twice: against its JSON Schema, then for consistency — the listed days
 * off and working Saturdays must be exactly what the holidays and transfers give, and the
 * working-day total must match the official one. A typo in a new year's file therefore fails at
 * start-up, not in a deadline months later.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GatewayError, type Issue } from '../core/errors';
import { weekdayIndex } from '../infra/adapter-kit/dates';
import { WorkingCalendar, type YearDays } from './calendar';
import { assertNoIssues, compileValidator, createSlaAjv, packageConfigDir, readJsonObject, type JsonValidator } from './json-config';

interface NamedDay { date: string; name: string }
interface Transfer { from: string; to: string; basis: string }

/** One year of `ru-<year>.json`, as validated. */
export interface CalendarYearFile {
  country: 'RU';
  year: number;
  sources: { title: string; url?: string; tag: string; covers?: string }[];
  holidays: NamedDay[];
  transfers: Transfer[];
  nonWorkingWeekdays: string[];
  workingWeekends: string[];
  shortenedDays: string[];
  totals: { workingDays: number; hours40?: number };
}

/** One year of a regional overlay, as validated. */
export interface RegionYear {
  holidays: NamedDay[];
  transfers?: Transfer[];
  nonWorkingWeekdays: string[];
  workingWeekends: string[];
  shortenedDays: string[];
  totals: { workingDays: number };
}

/** `regions/<code>.json`, as validated. */
export interface RegionOverlayFile {
  region: string;
  name: string;
  years: Record<string, RegionYear>;
}

const YEAR_FILE_RE = /^ru-([0-9]{4})\.json$/;
const REGION_FILE_RE = /^([0-9]{2})\.json$/;
const ADD_YEAR_HINT = 'add config/calendars/ru-{year}.json from the Government decree on transferring days off (see config/calendars/README.md)';

/** The federal calendar and the regional overlays found in one folder. */
export interface CalendarSet {
  readonly dir: string;
  /** The federal calendar (no regional days). */
  readonly federal: WorkingCalendar;
  /** Codes of the regional overlays found, e.g. ['16']. */
  regionCodes(): string[];
  /** The calendar of a region: federal days plus the overlay. No code → federal. Unknown code → GW_CONFIG_INVALID. */
  forRegion(code?: string): WorkingCalendar;
}

/** Default folder: the package's `config/calendars`. */
export function defaultCalendarDir(): string {
  return path.join(packageConfigDir(), 'calendars');
}

/**
 * Loads and checks every `ru-<year>.json` and `regions/<code>.json` under `dir`.
 * Throws GW_CONFIG_INVALID (with issues) on the first bad file.
 */
export function loadCalendarSet(dir: string = defaultCalendarDir()): CalendarSet {
  const validators = schemaValidators(dir);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  const federalYears: YearDays[] = [];
  for (const f of files) {
    const m = YEAR_FILE_RE.exec(f);
    if (m === null) continue;
    federalYears.push(toYearDays(readYearFile(path.join(dir, f), Number(m[1]), validators.year)));
  }
  const federal = new WorkingCalendar('RU', federalYears, ADD_YEAR_HINT);
  const overlays = new Map<string, RegionOverlayFile>();
  const regionDir = path.join(dir, 'regions');
  const regionFiles = fs.existsSync(regionDir) ? fs.readdirSync(regionDir).sort() : [];
  for (const f of regionFiles) {
    const m = REGION_FILE_RE.exec(f);
    if (m === null) continue;
    overlays.set(m[1] as string, readRegionFile(path.join(regionDir, f), m[1] as string, validators.region, federal));
  }
  const built = new Map<string, WorkingCalendar>();
  return {
    dir,
    federal,
    regionCodes: () => [...overlays.keys()],
    forRegion(code?: string): WorkingCalendar {
      if (code === undefined) return federal;
      const cached = built.get(code);
      if (cached !== undefined) return cached;
      const overlay = overlays.get(code);
      if (overlay === undefined) {
        throw new GatewayError(
          'GW_CONFIG_INVALID',
          `no regional calendar overlay for region ${code} in config/calendars/regions (have: ${[...overlays.keys()].join(', ') || 'none'})`,
          { context: { region: code } },
        );
      }
      const cal = applyOverlay(federal, overlay);
      built.set(code, cal);
      return cal;
    },
  };
}

function schemaValidators(dir: string): { year: JsonValidator; region: JsonValidator } {
  const ajv = createSlaAjv();
  const yearSchema = readJsonObject(path.join(dir, 'calendar.schema.json'), 'calendar schema');
  const regionSchema = readJsonObject(path.join(dir, 'region.schema.json'), 'calendar region schema');
  return { year: compileValidator(ajv, yearSchema), region: compileValidator(ajv, regionSchema, [yearSchema]) };
}

function readYearFile(file: string, yearInName: number, validate: JsonValidator): CalendarYearFile {
  const data = readJsonObject(file, 'production calendar');
  const name = path.basename(file);
  assertNoIssues(validate(data), `production calendar ${name} does not match calendar.schema.json`, { file: name });
  const y = data as unknown as CalendarYearFile;
  assertNoIssues(checkYear(y, yearInName), `production calendar ${name} is inconsistent`, { file: name, year: yearInName });
  return y;
}

/** Consistency checks of one federal year (exported for tests of broken fixtures). */
export function checkYear(y: CalendarYearFile, yearInName: number): Issue[] {
  const issues: Issue[] = [];
  if (y.year !== yearInName) issues.push({ path: '/year', message: `must equal the year in the file name (${yearInName})` });
  const inYear = (d: string): boolean => d.startsWith(`${y.year}-`);
  const weekend = (d: string): boolean => weekdayIndex(d) >= 5;
  checkDates(issues, '/holidays', y.holidays.map((h) => h.date), inYear);
  checkDates(issues, '/nonWorkingWeekdays', y.nonWorkingWeekdays, inYear, (d) => (weekend(d) ? 'is a Saturday or Sunday' : undefined));
  checkDates(issues, '/workingWeekends', y.workingWeekends, inYear, (d) => (weekend(d) ? undefined : 'is not a Saturday or Sunday'));
  checkTransfers(issues, y.transfers, inYear);
  const holidayDates = new Set(y.holidays.map((h) => h.date));
  const derivedOff = new Set([...holidayDates].filter((d) => !weekend(d)));
  for (const t of y.transfers) derivedOff.add(t.to);
  const derivedWorking = new Set(y.transfers.filter((t) => !holidayDates.has(t.from)).map((t) => t.from));
  compareSets(issues, '/nonWorkingWeekdays', y.nonWorkingWeekdays, derivedOff, 'holidays on weekdays and transfer targets');
  compareSets(issues, '/workingWeekends', y.workingWeekends, derivedWorking, 'transferred ordinary weekend days');
  const days = toYearDays(y);
  const cal = new WorkingCalendar('check', [days], '');
  y.shortenedDays.forEach((d, i) => {
    if (!inYear(d)) issues.push({ path: `/shortenedDays/${i}`, message: `is not in ${y.year}` });
    else if (!cal.isWorkingDay(d)) issues.push({ path: `/shortenedDays/${i}`, message: `${d} is not a working day` });
  });
  if (issues.length > 0) return issues;
  const counted = cal.workingDaysIn(y.year);
  if (counted !== y.totals.workingDays) {
    issues.push({ path: '/totals/workingDays', message: `the lists give ${counted} working days, the file says ${y.totals.workingDays}` });
  }
  const hours = counted * 8 - y.shortenedDays.length;
  if (y.totals.hours40 !== undefined && hours !== y.totals.hours40) {
    issues.push({ path: '/totals/hours40', message: `the lists give ${hours} hours at a 40-hour week, the file says ${y.totals.hours40}` });
  }
  return issues;
}

function checkDates(issues: Issue[], at: string, dates: readonly string[], inYear: (d: string) => boolean, bad?: (d: string) => string | undefined): void {
  const seen = new Set<string>();
  dates.forEach((d, i) => {
    if (!inYear(d)) issues.push({ path: `${at}/${i}`, message: `${d} is not in the file's year` });
    if (seen.has(d)) issues.push({ path: `${at}/${i}`, message: `${d} is listed twice` });
    seen.add(d);
    const why = bad?.(d);
    if (why !== undefined) issues.push({ path: `${at}/${i}`, message: `${d} ${why}` });
  });
}

function checkTransfers(issues: Issue[], transfers: readonly Transfer[], inYear: (d: string) => boolean): void {
  transfers.forEach((t, i) => {
    if (!inYear(t.from) || !inYear(t.to)) issues.push({ path: `/transfers/${i}`, message: 'both dates must be in the file\'s year' });
    if (weekdayIndex(t.from) < 5) issues.push({ path: `/transfers/${i}/from`, message: `${t.from} is not a Saturday or Sunday` });
    if (weekdayIndex(t.to) >= 5) issues.push({ path: `/transfers/${i}/to`, message: `${t.to} is a Saturday or Sunday` });
  });
}

function compareSets(issues: Issue[], at: string, listed: readonly string[], derived: ReadonlySet<string>, what: string): void {
  const l = new Set(listed);
  const missing = [...derived].filter((d) => !l.has(d)).sort();
  const extra = [...l].filter((d) => !derived.has(d)).sort();
  if (missing.length > 0) issues.push({ path: at, message: `misses ${missing.join(', ')} (from ${what})` });
  if (extra.length > 0) issues.push({ path: at, message: `has ${extra.join(', ')} that no holiday or transfer explains` });
}

function toYearDays(y: CalendarYearFile): YearDays {
  return {
    year: y.year,
    nonWorkingWeekdays: new Set(y.nonWorkingWeekdays),
    workingWeekends: new Set(y.workingWeekends),
    shortenedDays: new Set(y.shortenedDays),
    origin: `ru-${y.year}.json`,
  };
}

// ---------------------------------------------------------------------------------------------
// Regional overlays

function readRegionFile(file: string, codeInName: string, validate: JsonValidator, federal: WorkingCalendar): RegionOverlayFile {
  const data = readJsonObject(file, 'regional calendar');
  const name = `regions/${path.basename(file)}`;
  assertNoIssues(validate(data), `regional calendar ${name} does not match region.schema.json`, { file: name });
  const o = data as unknown as RegionOverlayFile;
  assertNoIssues(checkOverlay(o, codeInName, federal), `regional calendar ${name} is inconsistent`, { file: name });
  return o;
}

/** Consistency checks of an overlay against the federal calendar (years the federal data covers). */
export function checkOverlay(o: RegionOverlayFile, codeInName: string, federal: WorkingCalendar): Issue[] {
  const issues: Issue[] = [];
  if (o.region !== codeInName) issues.push({ path: '/region', message: `must equal the code in the file name (${codeInName})` });
  for (const [yearKey, ry] of Object.entries(o.years)) {
    const at = `/years/${yearKey}`;
    const year = Number(yearKey);
    const inYear = (d: string): boolean => d.startsWith(`${yearKey}-`);
    const weekend = (d: string): boolean => weekdayIndex(d) >= 5;
    checkDates(issues, `${at}/holidays`, ry.holidays.map((h) => h.date), inYear);
    checkDates(issues, `${at}/nonWorkingWeekdays`, ry.nonWorkingWeekdays, inYear, (d) => (weekend(d) ? 'is a Saturday or Sunday' : undefined));
    checkDates(issues, `${at}/workingWeekends`, ry.workingWeekends, inYear, (d) => (weekend(d) ? undefined : 'is not a Saturday or Sunday'));
    if (!federal.covers(year)) continue; // checked against the federal days once that year is added
    const federalOff = (d: string): boolean => !federal.isWorkingDay(d);
    const derivedOff = new Set(ry.holidays.map((h) => h.date).filter((d) => !weekend(d) && !federalOff(d)));
    for (const t of ry.transfers ?? []) derivedOff.add(t.to);
    compareSets(issues, `${at}/nonWorkingWeekdays`, ry.nonWorkingWeekdays, derivedOff, 'regional holidays on federal working weekdays and transfer targets');
    if (issues.length > 0) continue;
    const merged = new WorkingCalendar('check', [mergeYear(federal.yearOf(`${yearKey}-01-01`), ry, o.region)], '');
    ry.shortenedDays.forEach((d, i) => {
      if (!merged.isWorkingDay(d)) issues.push({ path: `${at}/shortenedDays/${i}`, message: `${d} is not a working day in the region` });
    });
    const counted = merged.workingDaysIn(year);
    if (counted !== ry.totals.workingDays) {
      issues.push({ path: `${at}/totals/workingDays`, message: `federal and regional lists give ${counted} working days, the file says ${ry.totals.workingDays}` });
    }
  }
  return issues;
}

function mergeYear(base: YearDays, ry: RegionYear, region: string): YearDays {
  const nonWorking = new Set([...base.nonWorkingWeekdays, ...ry.nonWorkingWeekdays]);
  return {
    year: base.year,
    nonWorkingWeekdays: nonWorking,
    workingWeekends: new Set([...base.workingWeekends, ...ry.workingWeekends]),
    shortenedDays: new Set([...base.shortenedDays, ...ry.shortenedDays].filter((d) => !nonWorking.has(d))),
    origin: `${base.origin} + regions/${region}.json`,
  };
}

/**
 * The federal calendar with a region's days added. Only years both cover are kept, so a year
 * the overlay lacks is an explicit error for the region's schools.
 */
export function applyOverlay(federal: WorkingCalendar, overlay: RegionOverlayFile): WorkingCalendar {
  const years: YearDays[] = [];
  for (const [yearKey, ry] of Object.entries(overlay.years)) {
    const year = Number(yearKey);
    if (federal.covers(year)) years.push(mergeYear(federal.yearOf(`${yearKey}-01-01`), ry, overlay.region));
  }
  const hint = `add year {year} to config/calendars/regions/${overlay.region}.json (and config/calendars/ru-{year}.json if missing) from the regional and federal decrees`;
  return new WorkingCalendar(`RU+${overlay.region}`, years, hint);
}
