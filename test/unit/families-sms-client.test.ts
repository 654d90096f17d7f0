/**
 * The HTTP SMS gateway client against the simulator on loopback: acceptance and delivery
 * reports, idempotent re-sends, operator opt-out (at submission and in a report) leading to a
 * fallback decision, invalid numbers, 429 with Retry-After honoured through the injected
 * clock, 5xx retried then reported retryable, bad credentials, a malformed answer and a
 * timeout. Plus the declarative error table row by row.
 */
import assert from 'node:assert/strict';
import { nullLogger } from '../../src/core/logger';
import {
  classifySms, createHttpSmsGateway, decideAfterFailure, decideAfterReport, resolveSmsPolicy, SMS_ERROR_TABLE,
  smsGatewaySimulator, type SmsGateway, type SmsSimulatorHandle,
} from '../../src/families/sms';
import { createHttpClient } from '../../src/infra/http-client';
import { fakeClock, type FakeClock } from '../support/harness';

describe('families/sms: HTTP gateway client against the simulator', () => {
  let sim: SmsSimulatorHandle;
  let clock: FakeClock;
  let gw: SmsGateway;
  const build = (over: { token?: string; timeoutMs?: number; maxAttempts?: number } = {}): SmsGateway => createHttpSmsGateway({
    config: { baseUrl: sim.url, token: over.token ?? sim.token, sender: 'SHKOLA7', maxAttempts: over.maxAttempts ?? 3, ...(over.timeoutMs ? { timeoutMs: over.timeoutMs } : {}) },
    http: createHttpClient({ log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), side: 'sink', timeoutMs: 5000 }),
    now: () => clock.now(), log: nullLogger,
  });

  beforeEach(async () => {
    clock = fakeClock(new Date('2025-10-15T05:00:00Z'));
    sim = await smsGatewaySimulator.start({ token: 'sim-token-123456', now: () => clock.now(), deliverAfterMs: 2000 });
    gw = build();
  });
  afterEach(async () => sim.close());

  it('check passes with the token and fails permanent with a wrong one', async () => {
    assert.deepEqual(await gw.check(), { ok: true });
    const bad = await build({ token: 'wrong' }).check();
    assert.ok(!bad.ok && bad.error.code === 'GW_SINK_AUTH_FAILED' && bad.error.errorClass === 'permanent', JSON.stringify(bad));
  });

  it('accepts a Cyrillic message as 1 UCS-2 part; the report goes sent → delivered with the clock', async () => {
    const out = await gw.send({ to: '+79001234567', text: 'Иванов И.: алгебра 5, 12.03', clientRef: 'notice:1:sms' });
    assert.ok(out.status === 'accepted', JSON.stringify(out));
    assert.deepEqual([out.segments, out.attempts], [1, 1]);
    const [m] = sim.messages();
    assert.deepEqual([m?.encoding, m?.sender, m?.clientRef], ['ucs2', 'SHKOLA7', 'notice:1:sms']);
    const first = await gw.status(out.messageId);
    assert.ok(first.status === 'known' && first.state === 'pending' && first.vendorStatus === 'sent', JSON.stringify(first));
    clock.advance(2000);
    const later = await gw.status(out.messageId);
    assert.ok(later.status === 'known' && later.state === 'delivered', JSON.stringify(later));
  });

  it('re-sending the same clientRef does not send twice', async () => {
    const a = await gw.send({ to: '+79001234567', text: 'Пропуск: 2 урока', clientRef: 'notice:2:sms' });
    const b = await gw.send({ to: '+79001234567', text: 'Пропуск: 2 урока', clientRef: 'notice:2:sms' });
    assert.ok(a.status === 'accepted' && b.status === 'accepted' && a.messageId === b.messageId);
    assert.equal(sim.messages().length, 1);
  });

  it('operator opt-out at submission: refused, not retried, and the decision falls back to e-mail', async () => {
    const out = await gw.send({ to: '+79990000001', text: 'Отметка: 5', clientRef: 'notice:3:sms' });
    assert.ok(out.status === 'failed', JSON.stringify(out));
    assert.deepEqual([out.reason, out.error.code, out.error.errorClass, out.attempts], ['opted_out', 'GW_SINK_REJECTED', 'invalid_data', 1]);
    assert.ok(!out.error.message.includes('+7999'), 'no phone number in the message');
    assert.equal(sim.hits('/v1/messages'), 1);
    assert.deepEqual(decideAfterFailure(out, { email: true, paper: true }, resolveSmsPolicy(), clock.now(), 1000),
      { action: 'fallback', channel: 'email', reason: 'operator_opt_out', rememberOptOut: true });
  });

  it('an opt-out added at run time (POST /_sim/faults), and one reported only at delivery, both end in a fallback', async () => {
    const posted = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'custom', name: 'opt-out:+79001112233' }) });
    assert.equal(posted.status, 200);
    const now = await gw.send({ to: '+79001112233', text: 'Отметка: 4', clientRef: 'n4' });
    assert.ok(now.status === 'failed' && now.reason === 'opted_out');
    const late = await gw.send({ to: '+79990000010', text: 'Отметка: 4', clientRef: 'n5' });
    assert.ok(late.status === 'accepted');
    clock.advance(5000);
    const report = await gw.status(late.messageId);
    assert.ok(report.status === 'known' && report.state === 'opted_out', JSON.stringify(report));
    assert.deepEqual(decideAfterReport(report.state, { email: false, paper: true }, resolveSmsPolicy()),
      { action: 'fallback', channel: 'paper', reason: 'operator_opt_out', rememberOptOut: true });
  });

  it('an invalid number is refused as invalid_number', async () => {
    const out = await gw.send({ to: '+7900123', text: 'Отметка: 5', clientRef: 'n6' });
    assert.ok(out.status === 'failed' && out.reason === 'invalid_number' && out.error.opts.httpStatus === 422, JSON.stringify(out));
  });

  it('429 with Retry-After: 7 is waited out on the injected clock, then accepted', async () => {
    sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 7 });
    const out = await gw.send({ to: '+79001234567', text: 'Отметка: 5', clientRef: 'n7' });
    assert.ok(out.status === 'accepted' && out.attempts === 2, JSON.stringify(out));
    assert.deepEqual(clock.sleeps, [7000]);
    assert.equal(sim.hits('/v1/messages'), 1, 'the 429 was answered by the fault layer before the route');
    assert.equal(sim.messages().length, 1);
  });

  it('429 on every attempt: failed rate_limited, retryable, with the Retry-After for the caller', async () => {
    sim.inject({ kind: 'status', status: 429, count: 5, retryAfterSec: 30 });
    const out = await gw.send({ to: '+79001234567', text: 'Отметка: 5', clientRef: 'n8' });
    assert.ok(out.status === 'failed', JSON.stringify(out));
    assert.deepEqual([out.reason, out.error.code, out.error.errorClass, out.retryAfterMs, out.attempts], ['rate_limited', 'GW_SINK_RATE_LIMITED', 'retryable', 30000, 3]);
    assert.deepEqual(clock.sleeps, [30000, 30000]);
  });

  it('503 twice then accepted; 503 three times is unavailable (retryable); a 500 is not retried inside the call', async () => {
    sim.inject({ kind: 'status', status: 503, count: 2 });
    const ok = await gw.send({ to: '+79001234567', text: 'Отметка: 5', clientRef: 'n9' });
    assert.ok(ok.status === 'accepted' && ok.attempts === 3, JSON.stringify(ok));
    sim.inject({ kind: 'status', status: 503, count: 3 });
    const out = await gw.send({ to: '+79001234567', text: 'Отметка: 4', clientRef: 'n10' });
    assert.ok(out.status === 'failed' && out.reason === 'unavailable' && out.error.code === 'GW_SINK_UNAVAILABLE' && out.attempts === 3, JSON.stringify(out));
    assert.equal(decideAfterFailure(out, { email: true, paper: true }, resolveSmsPolicy(), clock.now(), 60_000).action, 'retry');
    sim.inject({ kind: 'status', status: 500, count: 1 });
    const once = await gw.send({ to: '+79001234567', text: 'Отметка: 3', clientRef: 'n11' });
    assert.ok(once.status === 'failed' && once.reason === 'unavailable' && once.attempts === 1, '500 is not retried in the call (the POST may have been applied)');
  });

  it('a malformed answer is a protocol failure (hold), a slow gateway a timeout (retry)', async () => {
    sim.inject({ kind: 'malformed', count: 1 });
    const bad = await gw.send({ to: '+79001234567', text: 'Отметка: 5', clientRef: 'n12' });
    assert.ok(bad.status === 'failed' && bad.reason === 'protocol' && bad.error.code === 'GW_SINK_PROTOCOL', JSON.stringify(bad));
    assert.equal(decideAfterFailure(bad, { email: true, paper: true }, resolveSmsPolicy(), clock.now(), 1000).action, 'hold');
    sim.inject({ kind: 'slow', ms: 400, count: 1 });
    const slow = await build({ timeoutMs: 100, maxAttempts: 1 }).send({ to: '+79001234567', text: 'Отметка: 5', clientRef: 'n13' });
    assert.ok(slow.status === 'failed' && slow.reason === 'timeout' && slow.error.code === 'GW_SINK_TIMEOUT', JSON.stringify(slow));
  });
});

describe('families/sms: error table', () => {
  it('maps every row as declared, vendor codes before statuses', () => {
    const cases: [number, string | undefined, string, string][] = [
      [422, 'OPT_OUT', 'GW_SINK_REJECTED', 'opted_out'],
      [403, 'OPT_OUT', 'GW_SINK_REJECTED', 'opted_out'],
      [422, 'INVALID_NUMBER', 'GW_SINK_REJECTED', 'invalid_number'],
      [422, 'TEXT_TOO_LONG', 'GW_SINK_REJECTED', 'rejected'],
      [401, undefined, 'GW_SINK_AUTH_FAILED', 'auth'],
      [403, undefined, 'GW_SINK_AUTH_FAILED', 'auth'],
      [404, undefined, 'GW_SINK_PROTOCOL', 'protocol'],
      [408, undefined, 'GW_SINK_TIMEOUT', 'timeout'],
      [429, 'RATE_LIMITED', 'GW_SINK_RATE_LIMITED', 'rate_limited'],
      [502, undefined, 'GW_SINK_UNAVAILABLE', 'unavailable'],
      [400, 'BAD_REQUEST', 'GW_SINK_REJECTED', 'rejected'],
      [302, undefined, 'GW_SINK_PROTOCOL', 'protocol'],
    ];
    for (const [status, vendorCode, code, reason] of cases) {
      const got = classifySms({ status, ...(vendorCode ? { vendorCode } : {}) });
      assert.deepEqual([got.code, got.reason], [code, reason], `${status} ${vendorCode ?? ''}`);
    }
    assert.ok(SMS_ERROR_TABLE.every((r) => r.why.length > 0));
  });
});
