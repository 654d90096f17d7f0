import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../src/core/errors';
import { addDays, weekdayIndex } from '../../src/infra/adapter-kit/dates';
import { DEFAULT_WORKING_HOURS, nextWorkingDayStart, registrationOf } from '../../src/sla/calendar';
import { loadCalendarSet } from '../../src/sla/calendar-load';
import { addCalendarDaysAt, assertTimeZone, endOfLocalDay, localDateOf, localToInstant, offsetMsAt } from '../../src/sla/local-time';
import { calendarDirWith, HOUR, packageCalendars, repoRoot, slaFixtures } from '../fixtures/sla/builders';
import { tmpDir } from '../support/harness';

const cal = (): ReturnType<typeof packageCalendars>['federal'] => packageCalendars().federal;

/** Expands 'MM-DD' shorthand of the reference table to dates of `year`. */
const days = (year: number, list: string[]): string[] => list.map((d) => `${year}-${d}`);

/** Weekdays off and weekend days worked in a year, as the calendar computes them. */
function computed(year: number): { off: string[]; workingWeekends: string[] } {
  const off: string[] = [];
  const workingWeekends: string[] = [];
  for (let d = `${year}-01-01`; d <= `${year}-12-31`; d = addDays(d, 1)) {
    const weekend = weekdayIndex(d) >= 5;
    if (!weekend && !cal().isWorkingDay(d)) off.push(d);
    if (weekend && cal().isWorkingDay(d)) workingWeekends.push(d);
  }
  return { off, workingWeekends };
}

function expectConfigError(fn: () => unknown, ...mustMention: string[]): GatewayError {
  return expectCodedError('GW_CONFIG_INVALID', fn, ...mustMention);
}

/** A year the calendar does not cover: its own code, whose remedy says which file to add. */
function expectYearMissing(fn: () => unknown, ...mustMention: string[]): GatewayError {
  return expectCodedError('GW_SLA_CALENDAR_MISSING', fn, ...mustMention);
}

function expectCodedError(code: string, fn: () => unknown, ...mustMention: string[]): GatewayError {
  try {
    fn();
  } catch (e: unknown) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, code);
    for (const m of mustMention) assert.ok(e.message.includes(m) || JSON.stringify(e.issues).includes(m), `"${m}" not in: ${e.message} ${JSON.stringify(e.issues)}`);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('sla/calendar: federal production calendar data', () => {
  it('covers exactly 2024–2026', () => {
    assert.deepEqual(cal().coveredYears(), [2024, 2025, 2026]);
  });

  it('domain.md §3.2 table, 2024 (ПП № 1314): weekdays off and working Saturdays', () => {
    assert.deepEqual(computed(2024), {
      off: days(2024, ['01-01', '01-02', '01-03', '01-04', '01-05', '01-08', '02-23', '03-08', '04-29', '04-30', '05-01', '05-09', '05-10', '06-12', '11-04', '12-30', '12-31']),
      workingWeekends: days(2024, ['04-27', '11-02', '12-28']),
    });
  });

  it('domain.md §3.2 table, 2025 (ПП № 1335): weekdays off and the working Saturday 1 Nov', () => {
    assert.deepEqual(computed(2025), {
      off: days(2025, ['01-01', '01-02', '01-03', '01-06', '01-07', '01-08', '05-01', '05-02', '05-08', '05-09', '06-12', '06-13', '11-03', '11-04', '12-31']),
      workingWeekends: ['2025-11-01'],
    });
  });

  it('domain.md §3.2 table, 2026 (ПП № 1466): weekdays off, no working Saturday; ТК ст. 112 ч. 2 moves 8 Mar and 9 May to Mondays', () => {
    assert.deepEqual(computed(2026), {
      off: days(2026, ['01-01', '01-02', '01-05', '01-06', '01-07', '01-08', '01-09', '02-23', '03-09', '05-01', '05-11', '06-12', '11-04', '12-31']),
      workingWeekends: [],
    });
  });

  it('domain.md §3.2 check: 248 / 247 / 247 working days', () => {
    assert.deepEqual([2024, 2025, 2026].map((y) => cal().workingDaysIn(y)), [248, 247, 247]);
  });

  it('knows the shortened pre-holiday days, including a shortened working Saturday (2025-11-01)', () => {
    assert.equal(cal().isShortenedDay('2025-11-01'), true);
    assert.equal(cal().isShortenedDay('2025-12-30'), false, '31 Dec 2025 is off, 30 Dec is not shortened by the decree');
    assert.equal(cal().isShortenedDay('2025-11-05'), false);
  });
});

describe('sla/calendar: working-day arithmetic (domain.md §3.2 worked examples, 5 working days)', () => {
  it('§3.2 example 1: request Thu 2025-10-30 → due Fri 2025-11-07; the working Saturday 1 Nov counts', () => {
    assert.equal(cal().addWorkingDays('2025-10-30', 5), '2025-11-07');
    assert.equal(cal().isWorkingDay('2025-11-01'), true);
    // The reference's counter-example: counting only Saturdays and Sundays as days off.
    let weekendsOnly = '2025-10-30';
    for (let n = 0; n < 5; ) {
      weekendsOnly = addDays(weekendsOnly, 1);
      if (weekdayIndex(weekendsOnly) < 5) n++;
    }
    assert.equal(weekendsOnly, '2025-11-06', 'a weekends-only calculation gives Thu 2025-11-06 (domain.md §3.2)');
    assert.notEqual(cal().addWorkingDays('2025-10-30', 5), weekendsOnly);
  });

  it('§3.2 example 2: request Tue 2025-12-30 → due Fri 2026-01-16, 17 calendar days across the New Year holidays', () => {
    const due = cal().addWorkingDays('2025-12-30', 5);
    assert.equal(due, '2026-01-16');
    assert.equal((Date.parse(due) - Date.parse('2025-12-30')) / 86_400_000, 17);
    assert.equal(cal().countWorkingDays('2025-12-31', '2026-01-11'), 0, '31 Dec and 1–11 Jan are all off');
  });

  it('§3.2 example 3: request Thu 2024-12-26 → due Mon 2025-01-13; Sat 28 Dec 2024 was a working day', () => {
    assert.equal(cal().addWorkingDays('2024-12-26', 5), '2025-01-13');
    assert.equal(cal().isWorkingDay('2024-12-28'), true);
  });

  it('nextWorkingDay / workingDayOnOrAfter skip holidays and ordinary weekends', () => {
    assert.equal(cal().nextWorkingDay('2026-05-08'), '2026-05-12');
    assert.equal(cal().workingDayOnOrAfter('2026-05-12'), '2026-05-12');
    assert.equal(cal().workingDayOnOrAfter('2025-11-02'), '2025-11-05');
    assert.equal(cal().addWorkingDays('2025-06-10', 0), '2025-06-10');
  });
});

describe('sla/calendar: a year that is not covered is an explicit error', () => {
  it('asking about 2027 names 2027 and how to add it; context carries the year', () => {
    const e = expectYearMissing(() => cal().isWorkingDay('2027-01-11'), '2027', 'ru-2027.json', '2024, 2025, 2026');
    assert.equal(e.opts.context?.['year'], 2027);
  });

  it('counting that runs past the last covered year fails instead of guessing weekends', () => {
    expectYearMissing(() => cal().addWorkingDays('2026-12-28', 5), '2027');
    expectYearMissing(() => cal().workingDaysIn(2023), '2023');
  });

  it('an empty calendar folder covers nothing and says so', () => {
    const dir = calendarDirWith(tmpDir('dgw-sla-cal-'), {});
    expectYearMissing(() => loadCalendarSet(dir).federal.isWorkingDay('2025-05-05'), 'covered years: none');
  });
});

describe('sla/calendar: loading checks every file', () => {
  const broken = (fixture: string, as = 'ru-2025.json'): string =>
    calendarDirWith(tmpDir('dgw-sla-cal-'), { [as]: slaFixtures('calendars', fixture) });

  it('a third-party draft that contradicts ПП № 1335 (domain.md §3.3) is rejected with the unexplained days', () => {
    expectConfigError(() => loadCalendarSet(broken('ru-2025.third-party-draft.json')), 'ru-2025.json is inconsistent', '2025-02-24', '2025-05-02');
  });

  it('a transfer target missing from the list is named', () => {
    expectConfigError(() => loadCalendarSet(broken('ru-2025.missing-transfer-target.json')), 'misses 2025-05-02');
  });

  it('a total that the lists do not give is rejected', () => {
    expectConfigError(() => loadCalendarSet(broken('ru-2025.wrong-total.json')), 'the lists give 247 working days, the file says 248');
  });

  it('schema violations are listed by path', () => {
    const e = expectConfigError(() => loadCalendarSet(broken('ru-2025.schema-violation.json')), 'does not match calendar.schema.json');
    const paths = e.issues.map((i) => i.path);
    assert.ok(paths.includes('/workingWeekends/0'), JSON.stringify(paths));
    assert.ok(paths.includes('/week'), JSON.stringify(paths));
    assert.ok(e.issues.some((i) => i.message.includes('totals')), JSON.stringify(e.issues));
  });

  it('a file whose year differs from its name is rejected', () => {
    const dir = calendarDirWith(tmpDir('dgw-sla-cal-'), { 'ru-2026.json': path.join(repoRoot(), 'config', 'calendars', 'ru-2025.json') });
    expectConfigError(() => loadCalendarSet(dir), 'must equal the year in the file name (2026)');
  });

  it('every shipped year file passes the same checks when loaded alone', () => {
    for (const f of fs.readdirSync(path.join(repoRoot(), 'config', 'calendars')).filter((x) => /^ru-\d{4}\.json$/.test(x))) {
      const dir = calendarDirWith(tmpDir('dgw-sla-cal-'), { [f]: path.join(repoRoot(), 'config', 'calendars', f) });
      assert.deepEqual(loadCalendarSet(dir).federal.coveredYears(), [Number(f.slice(3, 7))]);
    }
  });
});

describe('sla/calendar: time zones', () => {
  it('end of the same local day is 4 hours earlier in Novosibirsk (UTC+7) than in Moscow (UTC+3)', () => {
    const msk = endOfLocalDay('2025-11-13', 'Europe/Moscow');
    const nsk = endOfLocalDay('2025-11-13', 'Asia/Novosibirsk');
    assert.equal(msk.toISOString(), '2025-11-13T21:00:00.000Z');
    assert.equal(nsk.toISOString(), '2025-11-13T17:00:00.000Z');
    assert.equal(offsetMsAt(msk, 'Asia/Novosibirsk'), 7 * HOUR);
  });

  it('the same instant is a different school-local date east of Moscow', () => {
    const t = new Date('2025-12-31T19:30:00Z');
    assert.equal(localDateOf(t, 'Europe/Moscow'), '2025-12-31');
    assert.equal(localDateOf(t, 'Asia/Vladivostok'), '2026-01-01');
    assert.equal(localDateOf(t, 'Europe/Kaliningrad'), '2025-12-31');
  });

  it('addCalendarDaysAt keeps the wall clock; localToInstant round-trips', () => {
    const t = localToInstant('2025-10-30', 14 * 60 + 5, 'Asia/Yekaterinburg');
    assert.equal(t.toISOString(), '2025-10-30T09:05:00.000Z');
    assert.equal(addCalendarDaysAt(t, 3, 'Asia/Yekaterinburg').toISOString(), '2025-11-02T09:05:00.000Z');
  });

  it('an unknown time zone is a config error', () => {
    expectConfigError(() => assertTimeZone('Europe/Atlantis'), 'Europe/Atlantis');
  });
});

describe('sla/calendar: registration after working hours (domain.md §1.1)', () => {
  const hours = DEFAULT_WORKING_HOURS; // 09:00–18:00
  const at = (date: string, hhmm: string, tz: string): Date => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    return localToInstant(date, h * 60 + m, tz);
  };

  it('within hours: registered that day, at the receipt', () => {
    const received = at('2025-10-30', '14:00', 'Europe/Moscow');
    const r = registrationOf(received, 'Europe/Moscow', hours, cal());
    assert.deepEqual({ ...r, at: r.at.toISOString() }, { date: '2025-10-30', at: received.toISOString(), movedToNextWorkingDay: false });
  });

  it('after hours on Thu 2025-10-30: counts from Fri 2025-10-31 09:00, so 5 working days end Mon 2025-11-10', () => {
    const r = registrationOf(at('2025-10-30', '19:30', 'Europe/Moscow'), 'Europe/Moscow', hours, cal());
    assert.equal(r.date, '2025-10-31');
    assert.equal(r.movedToNextWorkingDay, true);
    assert.equal(r.at.toISOString(), '2025-10-31T06:00:00.000Z');
    assert.equal(cal().addWorkingDays(r.date, 5), '2025-11-10');
  });

  it('on a day off (Sun 2025-11-02, before the 3–4 Nov holidays): next working day is Wed 2025-11-05', () => {
    const r = registrationOf(at('2025-11-02', '11:00', 'Europe/Moscow'), 'Europe/Moscow', hours, cal());
    assert.equal(r.date, '2025-11-05');
    assert.equal(r.movedToNextWorkingDay, true);
  });

  it('before opening on a working day: that day, from opening', () => {
    const r = registrationOf(at('2025-11-05', '07:40', 'Asia/Yekaterinburg'), 'Asia/Yekaterinburg', hours, cal());
    assert.equal(r.date, '2025-11-05');
    assert.equal(r.at.toISOString(), '2025-11-05T04:00:00.000Z');
    assert.equal(r.movedToNextWorkingDay, false);
  });

  it('the working Saturday 2025-11-01 is shortened: 17:30 is already after hours', () => {
    assert.equal(registrationOf(at('2025-11-01', '16:59', 'Europe/Moscow'), 'Europe/Moscow', hours, cal()).date, '2025-11-01');
    assert.equal(registrationOf(at('2025-11-01', '17:30', 'Europe/Moscow'), 'Europe/Moscow', hours, cal()).date, '2025-11-05');
  });

  it('nextWorkingDayStart crosses the New Year holidays in the school\'s zone', () => {
    const t = nextWorkingDayStart(at('2025-12-30', '20:00', 'Asia/Novosibirsk'), 'Asia/Novosibirsk', hours, cal());
    assert.equal(t.toISOString(), '2026-01-12T02:00:00.000Z');
  });
});
