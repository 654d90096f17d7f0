/**
 * The forecast section of the daily e-mail digest from the ledger: per subject of the child's
 * current period (school-local date of `now`), the forecast by the school's policy
 * (`schools[].families.forecast`), worded as on the paper extract and always under the heading
 * «Прогноз … (не является официальной отметкой)» of the letter template.
 *
 * The school's records are loaded once per school and kept for `cacheMs` (a digest pass asks
 * for every child of the school within seconds); records whose body the withdrawal purge
 * destroyed are never loaded (`loadSchoolView` skips them).
 */
import type { Ledger } from '../core/ledger';
import type { GatewayConfig } from '../infra/config';
import { loadSchoolView, type SchoolView } from '../reports/ledger-view';
import { periodOn } from '../reports/roster';
import { localDateOf } from '../sla/local-time';
import type { ForecastProvider } from './email/notifier';
import { studentForecasts } from './extract/assemble';
import { forecastText, resolveForecastPolicy, type ForecastConfig, type ForecastPolicy } from './forecast';

const FORECAST_ENTITIES = ['reporting_period', 'subject', 'lesson', 'assessment', 'mark'] as const;

export interface ForecastSchool { id: string; timezone: string; forecast?: ForecastConfig }

export function forecastSchools(config: GatewayConfig): ForecastSchool[] {
  return config.schools.map((s) => {
    const f = ((s as unknown as { families?: { forecast?: ForecastConfig } }).families ?? {}).forecast;
    return { id: s.id, timezone: s.timezone, ...(f ? { forecast: f } : {}) };
  });
}

export function ledgerForecastProvider(ledger: Ledger, schools: readonly ForecastSchool[], cacheMs = 5 * 60_000): ForecastProvider {
  const bySchool = new Map<string, { tz: string; policy: ForecastPolicy }>(schools.map((s) => [s.id, { tz: s.timezone, policy: resolveForecastPolicy(s.forecast) }]));
  const cache = new Map<string, { at: number; view: Promise<SchoolView> }>();
  return async (schoolId, childId, now) => {
    const school = bySchool.get(schoolId);
    if (!school) return [];
    let hit = cache.get(schoolId);
    if (!hit || now.getTime() - hit.at > cacheMs || now.getTime() < hit.at) {
      hit = { at: now.getTime(), view: loadSchoolView(ledger, schoolId, FORECAST_ENTITIES) };
      cache.set(schoolId, hit);
    }
    const view = await hit.view;
    const today = localDateOf(now, school.tz);
    const period = periodOn(view, today);
    if (!period) return [];
    return studentForecasts(view, childId, period, today, school.policy, school.tz)
      .filter((l) => l.official === undefined)
      .map((l) => ({ subject: l.subject, forecast: forecastText(l.forecast) }));
  };
}
