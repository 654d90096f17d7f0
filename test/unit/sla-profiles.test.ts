import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../src/core/errors';
import { composeSchoolSla, defaultRegulationDir, loadRegulationProfiles } from '../../src/sla/profiles';
import { packageCalendars, packageProfiles, repoRoot, schoolSla, slaFixtures } from '../fixtures/sla/builders';
import { thrownGatewayError, tmpDir } from '../support/harness';

const configError = thrownGatewayError;

/** A folder holding only the given fixture profile, under the given file name. */
function dirWith(fixture: string, as: string): string {
  const dir = tmpDir('dgw-sla-reg-');
  fs.copyFileSync(fixture, path.join(dir, as));
  return dir;
}

describe('sla/profiles: the shipped regulation profiles', () => {
  it('loads moscow-2017, rabitickaya-2018 and kamensk-uralsky-19', () => {
    assert.deepEqual(packageProfiles().ids(), ['kamensk-uralsky-19', 'moscow-2017', 'rabitickaya-2018']);
  });

  it('moscow-2017: final and exam results available within 1 calendar day; access around the clock', () => {
    const p = packageProfiles().get('moscow-2017');
    assert.deepEqual(p.obligations.map((o) => [o.id, o.covers.where, o.startEvent, o.allowed, o.metBy, o.deferredStartEvent]), [
      ['final-results', [{ field: 'kind', in: ['final', 'exam'] }], 'result_date', { amount: 1, unit: 'calendar_days' }, 'available', 'mark_entered'],
    ]);
    assert.deepEqual(p.availability?.map((a) => a.schedule), ['24x7']);
  });

  it('rabitickaya-2018: the same within 3 calendar days', () => {
    const p = packageProfiles().get('rabitickaya-2018');
    assert.deepEqual(p.obligations.map((o) => [o.id, o.allowed.amount, o.allowed.unit, o.metBy]), [['final-results', 3, 'calendar_days', 'available']]);
  });

  it('kamensk-uralsky-19: marks 3 days, period marks 2 days, absences 1 day, access code 5 working days, paper weekly', () => {
    const p = packageProfiles().get('kamensk-uralsky-19');
    assert.deepEqual(
      p.obligations.map((o) => [o.id, o.covers.entityTypes.join('+'), o.startEvent, `${o.allowed.amount} ${o.allowed.unit}`, o.metBy]),
      [
        ['marks-entered', 'mark', 'lesson_date', '3 calendar_days', 'entered_at_source'],
        ['period-marks', 'mark', 'period_end', '2 calendar_days', 'available'],
        ['absences-entered', 'attendance_event', 'lesson_date', '1 calendar_days', 'entered_at_source'],
        ['access-code', 'access_code_request', 'request_registered', '5 working_days', 'served'],
        ['paper-weekly', 'mark+attendance_event', 'week_start', '7 calendar_days', 'served'],
      ],
    );
    const paper = p.obligations.find((o) => o.id === 'paper-weekly');
    assert.deepEqual(paper?.covers.channels, ['paper']);
    assert.equal(p.obligations.find((o) => o.id === 'access-code')?.registration, 'working_hours');
  });

  it('every title a family or official reads is Russian', () => {
    for (const id of packageProfiles().ids()) {
      const p = packageProfiles().get(id);
      for (const t of [p.title, ...p.obligations.map((o) => o.title), ...(p.availability ?? []).map((a) => a.title)]) {
        assert.match(t, /[А-Яа-яЁё]/, `${id}: ${t}`);
      }
    }
  });
});

describe('sla/profiles: writing one\'s own (config/regulations/README.md)', () => {
  it('a school\'s own profile from another folder loads beside the shipped ones and composes', () => {
    const profiles = loadRegulationProfiles([defaultRegulationDir(), slaFixtures('regulations', 'custom')]);
    assert.ok(profiles.ids().includes('gymnasium-5-2025'));
    const sla = composeSchoolSla(
      { schoolId: 'g5', timeZone: 'Asia/Omsk', sla: { profiles: ['gymnasium-5-2025', 'moscow-2017'] } },
      { profiles, calendars: packageCalendars() },
    );
    assert.deepEqual(sla.obligations.map((o) => [o.key, o.lateSourceAllowanceHours]), [
      ['gymnasium-5-2025/marks-next-working-day', 2],
      ['gymnasium-5-2025/absences-by-noon', 2],
      ['moscow-2017/final-results', 0],
    ]);
  });

  it('the README shows the same example profile as the fixture', () => {
    const readme = fs.readFileSync(path.join(repoRoot(), 'config', 'regulations', 'README.md'), 'utf8');
    const fixture = JSON.parse(fs.readFileSync(slaFixtures('regulations', 'custom', 'gymnasium-5-2025.json'), 'utf8')) as Record<string, unknown>;
    const block = /```json\n([\s\S]*?)\n```/.exec(readme.slice(readme.indexOf('## Writing your own')));
    assert.ok(block, 'a json block under "Writing your own"');
    const shown = JSON.parse(block[1] as string) as Record<string, unknown>;
    delete shown['$schema'];
    delete fixture['$schema'];
    assert.deepEqual(shown, fixture);
  });

  it('the same id twice is an error, not a silent override', () => {
    const dir = dirWith(path.join(defaultRegulationDir(), 'moscow-2017.json'), 'moscow-2017.json');
    const e = configError(() => loadRegulationProfiles([defaultRegulationDir(), dir]));
    assert.match(e.message, /moscow-2017 is defined twice/);
  });

  it('a file name that differs from the id is rejected', () => {
    const e = configError(() => loadRegulationProfiles([dirWith(slaFixtures('regulations', 'broken', 'wrong-id.json'), 'wrong-id.json')]));
    assert.ok(e.issues.some((i) => i.path === '/id' && i.message.includes('wrong-id')), JSON.stringify(e.issues));
  });

  it('a request clock on marks and a journal deadline on a request are rejected', () => {
    const e = configError(() => loadRegulationProfiles([dirWith(slaFixtures('regulations', 'broken', 'request-on-marks.json'), 'request-on-marks.json')]));
    assert.deepEqual(e.issues.map((i) => i.path).sort(), ['/obligations/0/metBy', '/obligations/0/startEvent']);
  });

  it('endOfDay false on a date event, a duplicate obligation id and period_end on attendance are rejected', () => {
    const e = configError(() =>
      loadRegulationProfiles([dirWith(slaFixtures('regulations', 'broken', 'end-of-day-false-on-date.json'), 'end-of-day-false-on-date.json')]),
    );
    assert.deepEqual(e.issues.map((i) => i.path).sort(), ['/obligations/0/endOfDay', '/obligations/1/id', '/obligations/1/startEvent']);
  });

  it('schema violations (unknown unit, missing metBy, two conditions in one filter) are listed', () => {
    const e = configError(() => loadRegulationProfiles([dirWith(slaFixtures('regulations', 'broken', 'schema-violation.json'), 'schema-violation.json')]));
    const paths = e.issues.map((i) => i.path);
    assert.ok(paths.includes('/obligations/0/allowed/unit'), JSON.stringify(paths));
    assert.ok(paths.includes('/obligations/0'), JSON.stringify(paths));
    assert.ok(paths.includes('/obligations/0/covers/where/0'), JSON.stringify(paths));
  });
});

describe('sla/profiles: composition per school', () => {
  it('a school can follow two profiles; each keeps its own deadline', () => {
    const sla = schoolSla('s1', 'Europe/Moscow', { profiles: ['moscow-2017', 'rabitickaya-2018'] });
    assert.deepEqual(sla.obligations.map((o) => [o.key, o.allowed.amount]), [['moscow-2017/final-results', 1], ['rabitickaya-2018/final-results', 3]]);
    assert.deepEqual(sla.availability.map((a) => a.key), ['moscow-2017/around-the-clock', 'rabitickaya-2018/around-the-clock']);
  });

  it('overrides change one deadline (final results 1 → 3 days) and can disable one', () => {
    const sla = schoolSla('s2', 'Asia/Yekaterinburg', {
      profiles: ['kamensk-uralsky-19', 'moscow-2017'],
      overrides: {
        'moscow-2017/final-results': { allowed: { amount: 3, unit: 'calendar_days' } },
        'kamensk-uralsky-19/paper-weekly': { enabled: false },
      },
    });
    const byKey = new Map(sla.obligations.map((o) => [o.key, o]));
    assert.deepEqual(byKey.get('moscow-2017/final-results')?.allowed, { amount: 3, unit: 'calendar_days' });
    assert.equal(byKey.get('moscow-2017/final-results')?.overridden, true);
    assert.equal(byKey.has('kamensk-uralsky-19/paper-weekly'), false);
    assert.equal(byKey.get('kamensk-uralsky-19/marks-entered')?.overridden, false);
    assert.deepEqual(packageProfiles().get('moscow-2017').obligations[0]?.allowed, { amount: 1, unit: 'calendar_days' }, 'the profile itself is untouched');
  });

  it('an unknown profile, an override of a missing obligation, bad hours and a bad zone are config errors', () => {
    assert.match(configError(() => schoolSla('s3', 'Europe/Moscow', { profiles: ['tomsk-2030'] })).message, /unknown regulation profile tomsk-2030/);
    const ov = configError(() => schoolSla('s3', 'Europe/Moscow', { profiles: ['moscow-2017'], overrides: { 'kamensk-uralsky-19/access-code': { enabled: false } } }));
    assert.deepEqual(ov.issues.map((i) => i.path), ['/overrides/kamensk-uralsky-19~1access-code']);
    const hours = configError(() => schoolSla('s3', 'Europe/Moscow', { profiles: ['moscow-2017'], workingHours: { start: '18:00', end: '09:00' } }));
    assert.deepEqual(hours.issues.map((i) => i.path), ['/workingHours/end']);
    configError(() => schoolSla('s3', 'Mars/Olympus', { profiles: ['moscow-2017'] }));
    const shape = configError(() => schoolSla('s3', 'Europe/Moscow', { profiles: [], calendarRegion: 'TA' }));
    assert.deepEqual(shape.issues.map((i) => i.path).sort(), ['/calendarRegion', '/profiles']);
  });

  it('endOfDay false is allowed by override only on an instant start event', () => {
    const ok = schoolSla('s4', 'Europe/Moscow', { profiles: ['kamensk-uralsky-19'], overrides: { 'kamensk-uralsky-19/access-code': { endOfDay: false } } });
    assert.equal(ok.obligations.find((o) => o.id === 'access-code')?.endOfDay, false);
    const bad = configError(() => schoolSla('s4', 'Europe/Moscow', { profiles: ['kamensk-uralsky-19'], overrides: { 'kamensk-uralsky-19/absences-entered': { endOfDay: false } } }));
    assert.deepEqual(bad.issues.map((i) => i.path), ['/overrides/kamensk-uralsky-19~1absences-entered/endOfDay']);
  });

  it('the school\'s settings object is not modified by validation defaults', () => {
    const settings = { profiles: ['moscow-2017'], workingHours: { start: '08:00', end: '17:00' } };
    const sla = schoolSla('s5', 'Europe/Moscow', settings);
    assert.deepEqual(settings.workingHours, { start: '08:00', end: '17:00' });
    assert.deepEqual(sla.workingHours, { start: '08:00', end: '17:00', shortenedByMinutes: 60 });
  });
});
