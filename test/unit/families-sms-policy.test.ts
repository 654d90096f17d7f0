/**
 * The SMS sending decision: quiet hours in the recipient's zone on working days, days off and
 * a transferred working Saturday (production calendar 2025, ПП № 1335: Sat 1 Nov worked,
 * Mon 3 and Tue 4 Nov off), the urgent rule, the per-phone consent, operator opt-out and the
 * fallback to e-mail or paper.
 */
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { GatewayError, isGatewayError } from '../../src/core/errors';
import {
  decideAfterFailure, decideAfterReport, DEFAULT_QUIET_HOURS, planSms, resolveSmsPolicy, sendSlot, SMS_GATEWAY_CONFIG_SCHEMA, SMS_SCHOOL_CONFIG_SCHEMA, smsGatewayConfigOf,
  type QuietHoursPolicy, type SmsConsent, type SmsPlanInput,
} from '../../src/families/sms';
import { loadCalendarSet } from '../../src/sla';
import type { GatewayConfig } from '../../src/infra/config';
import { smsSchools } from '../../src/families/consent/runtime';
import type { SmsNotifierSchool } from '../../src/families/sms';

const cal = loadCalendarSet().federal;
const VL = 'Asia/Vladivostok'; // UTC+10
const MSK = 'Europe/Moscow'; // UTC+3
const utc = (s: string): Date => new Date(s);
const iso = (d: Date): string => d.toISOString();

describe('families/sms: quiet hours', () => {
  const p = DEFAULT_QUIET_HOURS;

  it('working day: 07:30 local waits until 08:00; the same instant is 14:30 in Vladivostok and goes at once', () => {
    const now = utc('2025-10-15T04:30:00Z'); // Wed: 07:30 MSK, 14:30 VL
    const msk = sendSlot(now, MSK, p, cal);
    assert.deepEqual([msk.allowedNow, msk.dayKind, iso(msk.sendAt)], [false, 'working_day', '2025-10-15T05:00:00.000Z']);
    const vl = sendSlot(now, VL, p, cal);
    assert.deepEqual([vl.allowedNow, iso(vl.sendAt)], [true, iso(now)]);
  });

  it('working day: 22:00 local is already quiet; the next day is a working day, so 08:00', () => {
    const s = sendSlot(utc('2025-10-15T12:00:00Z'), VL, p, cal); // Wed 22:00 VL
    assert.deepEqual([s.allowedNow, iso(s.sendAt)], [false, '2025-10-15T22:00:00.000Z']); // Thu 08:00 VL
    assert.equal(sendSlot(utc('2025-10-15T11:59:00Z'), VL, p, cal).allowedNow, true, '21:59 still sends');
  });

  it('day off (Sunday): 08:30 waits until 09:00, 20:30 waits until Monday 08:00', () => {
    const morning = sendSlot(utc('2025-10-18T22:30:00Z'), VL, p, cal); // Sun 19 Oct 08:30 VL
    assert.deepEqual([morning.dayKind, morning.localDate, morning.allowedNow, iso(morning.sendAt)], ['day_off', '2025-10-19', false, '2025-10-18T23:00:00.000Z']);
    const evening = sendSlot(utc('2025-10-19T10:30:00Z'), VL, p, cal); // Sun 20:30 VL
    assert.deepEqual([evening.allowedNow, iso(evening.sendAt)], [false, '2025-10-19T22:00:00.000Z']); // Mon 08:00 VL
  });

  it('a transferred working Saturday (1 Nov 2025) uses the working-day window; an ordinary Saturday does not', () => {
    const sat = sendSlot(utc('2025-10-31T22:30:00Z'), VL, p, cal); // Sat 1 Nov 08:30 VL
    assert.deepEqual([sat.localDate, sat.dayKind, sat.allowedNow], ['2025-11-01', 'working_day', true]);
    const late = sendSlot(utc('2025-11-01T11:30:00Z'), VL, p, cal); // Sat 1 Nov 21:30 VL
    assert.equal(late.allowedNow, true, 'until 22:00 on a working Saturday');
    const ordinary = sendSlot(utc('2025-10-24T22:30:00Z'), VL, p, cal); // Sat 25 Oct 08:30 VL
    assert.deepEqual([ordinary.dayKind, ordinary.allowedNow, iso(ordinary.sendAt)], ['day_off', false, '2025-10-24T23:00:00.000Z']);
  });

  it('after a working Saturday evening, the holiday Monday (3 Nov) opens at 09:00, not 08:00', () => {
    const s = sendSlot(utc('2025-11-02T10:30:00Z'), VL, p, cal); // Sun 2 Nov 20:30 VL
    assert.deepEqual([s.allowedNow, iso(s.sendAt)], [false, '2025-11-02T23:00:00.000Z']); // Mon 3 Nov 09:00 VL
    const mon = sendSlot(utc('2025-11-02T22:30:00Z'), VL, p, cal); // Mon 3 Nov 08:30 VL
    assert.deepEqual([mon.dayKind, mon.allowedNow], ['day_off', false]);
  });

  it('urgent notices: respected by default, bypass sends at 03:00, an own window applies on every day', () => {
    const night = utc('2025-10-18T17:00:00Z'); // Sun 19 Oct 03:00 VL
    assert.deepEqual([sendSlot(night, VL, p, cal, true).allowedNow, iso(sendSlot(night, VL, p, cal, true).sendAt)], [false, '2025-10-18T23:00:00.000Z']);
    const bypass: QuietHoursPolicy = { ...p, urgent: { mode: 'bypass' } };
    assert.equal(sendSlot(night, VL, bypass, cal, true).allowedNow, true);
    assert.equal(sendSlot(night, VL, bypass, cal, false).allowedNow, false, 'only urgent notices bypass');
    const own: QuietHoursPolicy = { ...p, urgent: { mode: 'window', window: { start: '07:00', end: '23:00' } } };
    const s = sendSlot(utc('2025-10-18T21:30:00Z'), VL, own, cal, true); // Sun 07:30 VL
    assert.deepEqual([s.allowedNow, s.window], [true, { start: '07:00', end: '23:00' }]);
    assert.equal(iso(sendSlot(night, VL, own, cal, true).sendAt), '2025-10-18T21:00:00.000Z');
  });

  it('a year the production calendar does not cover fails loudly', () => {
    const e = (() => { try { sendSlot(utc('2031-03-03T10:00:00Z'), MSK, p, cal); return undefined; } catch (x) { return x; } })();
    assert.ok(e instanceof GatewayError && e.code === 'GW_SLA_CALENDAR_MISSING', String(e));
  });
});

describe('families/sms: sending decision', () => {
  const granted: SmsConsent = { phone: '+79001234567', state: 'granted', at: '2025-09-01T08:00:00Z' };
  const base = (over: Partial<SmsPlanInput> = {}): SmsPlanInput => ({
    notice: { phone: '+79001234567', text: 'Иванов И.: алгебра 5, 12.03', timeZone: VL },
    consent: granted, operatorOptOut: false, channels: { email: true, paper: true },
    policy: resolveSmsPolicy(), calendar: cal, now: utc('2025-10-15T04:30:00Z'), ...over,
  });

  it('sends now inside the window, defers outside it, with the text and its parts', () => {
    const d = planSms(base());
    assert.equal(d.action, 'send');
    if (d.action === 'send') assert.deepEqual([d.text, d.count.encoding, d.count.segments, iso(d.at)], ['Иванов И.: алгебра 5, 12.03', 'ucs2', 1, '2025-10-15T04:30:00.000Z']);
    const late = planSms(base({ now: utc('2025-10-15T12:30:00Z') }));
    assert.equal(late.action, 'defer');
    if (late.action === 'defer') assert.equal(iso(late.until), '2025-10-15T22:00:00.000Z');
  });

  it('a regional holiday is a day off: a Tatarstan school (sla.calendarRegion 16) on 6 Nov 2025 at 08:30 waits for 09:00, a federal one sends', () => {
    const config = { schools: [
      { id: 'kazan', name: 'Школа Казани', timezone: MSK, sla: { profiles: ['x'], calendarRegion: '16' } },
      { id: 'moscow', name: 'Школа Москвы', timezone: MSK },
    ] } as unknown as GatewayConfig;
    const [kazan, moscow] = smsSchools(config, {}, loadCalendarSet());
    const at = utc('2025-11-06T05:30:00Z'); // Thursday 08:30 in Moscow
    const plan = (s: SmsNotifierSchool | undefined) => planSms(base({ notice: { phone: '+79001234567', text: 'Тест', timeZone: MSK }, now: at, calendar: s?.calendar ?? cal }));
    const k = plan(kazan);
    assert.equal(k.action, 'defer');
    if (k.action === 'defer') assert.equal(iso(k.until), '2025-11-06T06:00:00.000Z', '09:00, the day-off window');
    assert.equal(moscow?.calendar, undefined, 'no region: the notifier\'s federal calendar');
    assert.equal(plan(moscow).action, 'send');
    assert.throws(() => smsSchools({ schools: [{ id: 'x', name: 'x', timezone: MSK, sla: { calendarRegion: '99' } }] } as unknown as GatewayConfig, {}, loadCalendarSet()),
      (e: unknown) => isGatewayError(e) && e.code === 'GW_CONFIG_INVALID');
  });

  it('no consent, or a refused one, falls back to e-mail; without e-mail to paper; with neither it is unreachable', () => {
    assert.deepEqual(planSms(base({ consent: undefined })), { action: 'fallback', channel: 'email', reason: 'no_sms_consent' });
    const refused: SmsConsent = { ...granted, state: 'withdrawn', at: '2025-10-01T08:00:00Z' };
    assert.deepEqual(planSms(base({ consent: refused, channels: { email: false, paper: true } })), { action: 'fallback', channel: 'paper', reason: 'sms_consent_refused' });
    assert.deepEqual(planSms(base({ consent: undefined, channels: { email: false, paper: false } })), { action: 'unreachable', reason: 'no_sms_consent' });
  });

  it('an operator opt-out on record, an invalid number and a too-long text fall back; the school order wins', () => {
    assert.deepEqual(planSms(base({ operatorOptOut: true })), { action: 'fallback', channel: 'email', reason: 'operator_opt_out' });
    const paperFirst = resolveSmsPolicy({}, { fallbackOrder: ['paper', 'email'] });
    assert.deepEqual(planSms(base({ operatorOptOut: true, policy: paperFirst })), { action: 'fallback', channel: 'paper', reason: 'operator_opt_out' });
    assert.deepEqual(planSms(base({ notice: { ...base().notice, phone: '89001234567' } })), { action: 'fallback', channel: 'email', reason: 'invalid_number' });
    const oneSms = resolveSmsPolicy({ maxSegments: 1 });
    const long = 'Иванов И.: алгебра 5, геометрия 4, 12.03; пропуск — 2 урока по болезни.';
    assert.deepEqual(planSms(base({ notice: { ...base().notice, text: long }, policy: oneSms })), { action: 'fallback', channel: 'email', reason: 'too_long' });
    const translit = resolveSmsPolicy({ maxSegments: 1, transliterate: 'when_fewer_segments' });
    const d = planSms(base({ notice: { ...base().notice, text: long }, policy: translit }));
    assert.ok(d.action === 'send' && d.transliterated && d.count.segments === 1, JSON.stringify(d));
  });

  it('after a refusal: opt-out falls back and is remembered, overload retries at Retry-After, bad credentials hold', () => {
    const now = utc('2025-10-15T04:30:00Z');
    const ch = { email: false, paper: true };
    const err = new GatewayError('GW_SINK_REJECTED', 'x');
    assert.deepEqual(decideAfterFailure({ reason: 'opted_out', error: err }, ch, resolveSmsPolicy(), now, 1000), { action: 'fallback', channel: 'paper', reason: 'operator_opt_out', rememberOptOut: true });
    assert.deepEqual(decideAfterFailure({ reason: 'invalid_number', error: err }, { email: false, paper: false }, resolveSmsPolicy(), now, 1000), { action: 'unreachable', reason: 'invalid_number', rememberOptOut: false });
    const retry = decideAfterFailure({ reason: 'rate_limited', error: err, retryAfterMs: 7000 }, ch, resolveSmsPolicy(), now, 1000);
    assert.deepEqual(retry, { action: 'retry', at: new Date(now.getTime() + 7000) });
    const auth = new GatewayError('GW_SINK_AUTH_FAILED', 'x');
    assert.deepEqual(decideAfterFailure({ reason: 'auth', error: auth }, ch, resolveSmsPolicy(), now, 1000), { action: 'hold', error: auth });
    assert.deepEqual(decideAfterReport('opted_out', { email: true, paper: true }, resolveSmsPolicy()), { action: 'fallback', channel: 'email', reason: 'operator_opt_out', rememberOptOut: true });
    assert.deepEqual(decideAfterReport('delivered', ch, resolveSmsPolicy()), { action: 'done' });
  });

  it('school overrides win over the gateway defaults', () => {
    const pol = resolveSmsPolicy({ transliterate: 'always', quietHours: { dayOff: { start: '10:00', end: '19:00' } } }, { transliterate: 'never' });
    assert.deepEqual([pol.transliterate, pol.quietHours.dayOff, pol.quietHours.workingDay, pol.maxSegments], ['never', { start: '10:00', end: '19:00' }, { start: '08:00', end: '22:00' }, 4]);
  });
});

describe('families/sms: config schema fragments', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  const gateway = ajv.compile(SMS_GATEWAY_CONFIG_SCHEMA);
  const school = ajv.compile(SMS_SCHOOL_CONFIG_SCHEMA);

  it('compile under ajv strict; defaults fill in; an enabled channel needs baseUrl and token', () => {
    const cfg: Record<string, unknown> = { enabled: true, baseUrl: 'https://sms.example.ru/api', token: '${SMS_TOKEN}', quietHours: { urgent: { mode: 'window', window: { start: '07:00', end: '23:00' } } } };
    assert.ok(gateway(cfg), JSON.stringify(gateway.errors));
    assert.deepEqual([cfg.dialect, cfg.timeoutMs, cfg.maxAttempts], ['generic-json', 10000, 3]);
    assert.ok(!gateway({ enabled: true }), 'baseUrl and token required when enabled');
    assert.ok(gateway({}), 'disabled by default');
    assert.ok(!gateway({ enabled: false, quietHours: { workingDay: { start: '8:00', end: '22:00' } } }), 'HH:MM only');
    assert.ok(school({ transliterate: 'when_fewer_segments', fallbackOrder: ['paper'] }));
    assert.ok(!school({ token: 'x' }), 'a school cannot set the gateway token');
  });

  it('baseUrl is an http(s) URL or a whole ${ENV} reference; the resolved value is checked again', () => {
    assert.ok(gateway({ enabled: true, baseUrl: '${SMS_URL}', token: '${SMS_TOKEN}' }), JSON.stringify(gateway.errors));
    assert.ok(!gateway({ enabled: true, baseUrl: 'ftp://sms.example.ru', token: '${SMS_TOKEN}' }), 'not http(s)');
    assert.ok(!gateway({ enabled: true, baseUrl: 'sms.example.ru/${PATH}', token: '${SMS_TOKEN}' }), 'only a whole reference');
    const resolved = { enabled: true, dialect: 'generic-json' as const, timeoutMs: 1000, maxAttempts: 1, token: 't' };
    assert.equal(smsGatewayConfigOf({ ...resolved, baseUrl: 'http://127.0.0.1:8080/sms' })?.baseUrl, 'http://127.0.0.1:8080/sms');
    assert.throws(() => smsGatewayConfigOf({ ...resolved, baseUrl: 'sms.example.ru' }),
      (e: unknown) => isGatewayError(e) && e.code === 'GW_CONFIG_INVALID' && !e.message.includes('sms.example.ru'));
  });
});
