import assert from 'node:assert/strict';
import path from 'node:path';
import { GatewayError } from '../../src/core/errors';
import { loadCalendarSet } from '../../src/sla/calendar-load';
import { evaluateRecord } from '../../src/sla/due';
import { calendarDirWith, packageCalendars, repoRoot, schoolSla, slaFixtures } from '../fixtures/sla/builders';
import { thrownGatewayError, tmpDir } from '../support/harness';

const configError = thrownGatewayError;

describe('sla/calendar: regional overlay (config/calendars/regions/16.json, Tatarstan)', () => {
  const federal = (): ReturnType<typeof packageCalendars>['federal'] => packageCalendars().federal;
  const tatarstan = (): ReturnType<typeof packageCalendars>['federal'] => packageCalendars().forRegion('16');

  it('is found by its code and covers the years it lists (2025, 2026)', () => {
    assert.deepEqual(packageCalendars().regionCodes(), ['16']);
    assert.equal(tatarstan().id, 'RU+16');
    assert.deepEqual(tatarstan().coveredYears(), [2025, 2026]);
  });

  it('adds the regional holidays on weekdays: Курбан-байрам 2025-06-06, День Конституции РТ 2025-11-06, Ураза-байрам 2026-03-20', () => {
    for (const d of ['2025-06-06', '2025-11-06', '2026-03-20', '2026-05-27', '2026-11-06']) {
      assert.equal(federal().isWorkingDay(d), true, `${d} is worked federally`);
      assert.equal(tatarstan().isWorkingDay(d), false, `${d} is off in Tatarstan`);
    }
  });

  it('gives no extra day for a regional holiday on a weekend (Ураза-байрам Sun 2025-03-30 → Mon 31 Mar is worked)', () => {
    assert.equal(tatarstan().isWorkingDay('2025-03-31'), true);
  });

  it('keeps every federal day off and working Saturday', () => {
    assert.equal(tatarstan().isWorkingDay('2025-11-01'), true);
    assert.equal(tatarstan().isWorkingDay('2025-11-03'), false);
    assert.equal(tatarstan().isWorkingDay('2026-01-09'), false);
  });

  it('working days: 245 in 2025 (the republic\'s published figure) and 244 in 2026', () => {
    assert.deepEqual([tatarstan().workingDaysIn(2025), tatarstan().workingDaysIn(2026)], [245, 244]);
  });

  it('regional pre-holiday days are shortened (2026-03-19 before Ураза-байрам)', () => {
    assert.equal(tatarstan().isShortenedDay('2026-03-19'), true);
    assert.equal(federal().isShortenedDay('2026-03-19'), false);
  });

  it('a year the overlay lacks is an explicit error for the region, though the federal calendar has it', () => {
    assert.equal(federal().isWorkingDay('2024-04-10'), true);
    const e = configError(() => tatarstan().isWorkingDay('2024-04-10'), 'GW_SLA_CALENDAR_MISSING');
    assert.match(e.message, /RU\+16 does not cover 2024/);
    assert.match(e.message, /regions\/16\.json/);
  });

  it('a region without an overlay file is an explicit error, never the federal calendar in disguise', () => {
    const e = configError(() => packageCalendars().forRegion('02'));
    assert.match(e.message, /no regional calendar overlay for region 02/);
  });

  it('an overlay listing a day off that no holiday or transfer explains is rejected at load', () => {
    const dir = calendarDirWith(tmpDir('dgw-sla-region-'), {
      'ru-2025.json': path.join(repoRoot(), 'config', 'calendars', 'ru-2025.json'),
      'regions/16.json': slaFixtures('calendars', '16.unexplained-day-off.json'),
    });
    const e = configError(() => loadCalendarSet(dir));
    assert.match(e.message, /regions\/16\.json is inconsistent/);
    assert.ok(e.issues.some((i) => i.path === '/years/2025/nonWorkingWeekdays' && i.message.includes('2025-03-31')), JSON.stringify(e.issues));
  });

  it('a school that names the region gets regional deadlines: access code clock across Курбан-байрам 2026', () => {
    const settings = (region?: string): Record<string, unknown> => ({ profiles: ['kamensk-uralsky-19'], ...(region ? { calendarRegion: region } : {}) });
    const request = { entityType: 'access_code_request' as const, id: 'req-1', schoolId: 's', receivedAt: '2026-05-20T07:00:00Z' };
    const now = new Date('2026-05-20T08:00:00Z');
    const dueIn = (region?: string): string | undefined =>
      evaluateRecord(schoolSla('kazan-school-1', 'Europe/Moscow', settings(region)), request, {}, now)[0]?.dueDate;
    assert.equal(dueIn(), '2026-05-27', 'federal: Thu 21, Fri 22, Mon 25, Tue 26, Wed 27');
    assert.equal(dueIn('16'), '2026-05-28', 'Tatarstan: Wed 27 is Курбан-байрам');
  });
});
