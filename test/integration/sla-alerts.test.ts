/**
 * At risk → breached → recovered, end to end: a period mark of a Kamensk school is taken in and
 * not delivered; the SLA runtime ticks as the clock moves; each transition reaches the school's
 * IT contact exactly once, by webhook (a real HTTP server on loopback) and by e-mail (a real
 * smtp-server on loopback), and ticks in between send nothing.
 */
import assert from 'node:assert/strict';
import type { Ledger } from '../../src/core/ledger';
import type { SlaRuntime } from '../../src/sla/runtime';
import { deliver, ingest, local, manualClock, SchoolData, slaConfig, slaRuntime, SINK, tmpLedger } from '../fixtures/sla/ledger-kit';
import { mailReceiver, webhookReceiver, type MailReceiver, type WebhookReceiver } from '../fixtures/sla/receivers';

const TZ = 'Asia/Yekaterinburg';
const SCHOOL = 'kamensk-school-3';
const KEY = 'kamensk-uralsky-19/period-marks';
const at = (t: string): string => local(TZ, t);

describe('sla alerts: at risk → breached → recovered, once per transition (webhook + e-mail on loopback)', function () {
  this.timeout(30_000);
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  let ledger: Ledger;
  let hook: WebhookReceiver;
  let smtp: MailReceiver;
  let rt: SlaRuntime;
  const clock = manualClock(at('2025-10-27 09:00'));
  const s = new SchoolData(SCHOOL, TZ);
  const markId = s.id('mark', 'P1');

  before(async () => {
    db = await tmpLedger();
    ledger = db.ledger;
    hook = await webhookReceiver();
    smtp = await mailReceiver();
    rt = slaRuntime(ledger, slaConfig([{
      id: SCHOOL, name: 'МАОУ «Средняя школа № 3»', timezone: TZ, sinks: [SINK],
      sla: { profiles: ['kamensk-uralsky-19'], atRiskMinutes: 240, itContact: { email: 'it@school3.example.ru', webhookUrl: hook.url, webhookToken: 'hook-secret-123' } },
    }], { recoveryHoldMinutes: 30, alerts: { email: { host: smtp.host, port: smtp.port, secure: false, from: 'Шлюз дневника <gateway@example.ru>' } } }), clock.now);
    await ingest(ledger, SCHOOL, [s.classGroup('c5a', '5А'), s.subject('math', 'Математика'), s.membership('s1', 'c5a'), s.period('q1', '2025-09-01', '2025-10-26', 1)], at('2025-09-01 00:00'), false);
    // Quarter 1 ends Sun 26.10: available by the end of Tue 28.10 (school time). Entered Mon 27.10, not delivered.
    await ingest(ledger, SCHOOL, [s.mark('P1', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00', value: 5 })], at('2025-10-27 10:01'));
  });
  after(async () => { await rt?.stop(); await hook?.close(); await smtp?.close(); await db?.close(); });

  async function tickAt(t: string): Promise<void> {
    clock.set(at(t));
    await rt.tick();
  }
  const levels = (): unknown[] => hook.calls.map((c) => c.body['level']);

  it('pending the day before: no alert', async () => {
    await tickAt('2025-10-27 10:02');
    await tickAt('2025-10-28 12:00');
    const [row] = await rt.store.listObligations({ schoolId: SCHOOL, obligation: KEY });
    assert.deepEqual([row?.state, row?.dueAt, row?.nextCheckAt], ['pending', at('2025-10-29 00:00'), at('2025-10-28 20:00')]);
    assert.deepEqual([hook.calls.length, smtp.mails.length], [0, 0]);
  });

  it('4 hours before the due time it is at risk: one webhook call and one e-mail, in Russian, with machine fields', async () => {
    await tickAt('2025-10-28 20:00');
    await tickAt('2025-10-28 21:00');
    await tickAt('2025-10-28 23:59');
    assert.deepEqual(levels(), ['at_risk']);
    const call = hook.calls[0];
    assert.equal(call?.headers['authorization'], 'Bearer hook-secret-123');
    assert.equal(call?.headers['idempotency-key'], `sla-alert-${String(call?.body['alertId'])}`);
    assert.deepEqual(
      [call?.body['event'], call?.body['schoolId'], call?.body['obligation'], call?.body['previousLevel'], call?.body['atRisk'], call?.body['breached'], call?.body['earliestDueAt']],
      ['sla.at_risk', SCHOOL, KEY, 'ok', 1, 0, at('2025-10-29 00:00')],
    );
    assert.match(String(call?.body['text']), /^Школа «МАОУ «Средняя школа № 3»»: под угрозой срок «Отметки промежуточной аттестации .*»\. Не доставлено и скоро истекает: 1 запись\. Ближайший срок: 29\.10\.2025 00:00 \(Asia\/Yekaterinburg\)\./);
    assert.equal(smtp.mails.length, 1);
    const mail = smtp.mails[0];
    assert.deepEqual(mail?.to, ['it@school3.example.ru']);
    assert.match(mail?.subject ?? '', /^\[diary-gateway\] Под угрозой срок: Отметки промежуточной аттестации/);
    assert.match(mail?.text ?? '', /под угрозой срок/);
    assert.match(mail?.text ?? '', /\nlevel: at_risk\n/);
    for (const leak of [markId, s.id('person', 's1')]) {
      assert.ok(!JSON.stringify(call?.body).includes(leak) && !(mail?.raw ?? '').includes(leak), 'no record or child ids in alerts');
    }
  });

  it('past the due time it is breached: one more alert; later ticks send nothing', async () => {
    await tickAt('2025-10-29 00:00');
    assert.deepEqual(levels(), ['at_risk'], 'due at 24:00 exactly is still met in time');
    await tickAt('2025-10-29 00:01');
    await tickAt('2025-10-29 08:00');
    assert.deepEqual(levels(), ['at_risk', 'breached']);
    assert.equal(smtp.mails.length, 2);
    assert.match(String(hook.calls[1]?.body['text']), /нарушен срок «Отметки промежуточной аттестации.*»\. Не выполнено в срок: 1 запись\./);
    const [row] = await rt.store.listObligations({ schoolId: SCHOOL, obligation: KEY });
    assert.equal(row?.state, 'breached');
  });

  it('delivered late: the row becomes late; "recovered" is sent once, only after the school stayed clear for the hold', async () => {
    await deliver(ledger, [markId], at('2025-10-29 09:00'));
    await tickAt('2025-10-29 09:01');
    const [row] = await rt.store.listObligations({ schoolId: SCHOOL, obligation: KEY });
    assert.deepEqual([row?.state, row?.gatewayLateMs, row?.metAt], ['late', 9 * 3_600_000, at('2025-10-29 09:00')]);
    await tickAt('2025-10-29 09:20');
    assert.deepEqual(levels(), ['at_risk', 'breached'], 'not before 30 minutes of calm');
    await tickAt('2025-10-29 09:31');
    await tickAt('2025-10-29 12:00');
    await tickAt('2025-11-05 12:00');
    assert.deepEqual(levels(), ['at_risk', 'breached', 'ok']);
    assert.equal(hook.calls[2]?.body['event'], 'sla.recovered');
    assert.deepEqual(smtp.mails.map((m) => m.subject.replace(/:.*/, '')), ['[diary-gateway] Под угрозой срок', '[diary-gateway] Нарушен срок', '[diary-gateway] Срок снова соблюдается']);
    const history = await rt.store.listAlerts({ schoolId: SCHOOL });
    assert.deepEqual(history.map((a) => [a.previousLevel, a.level, a.webhookState, a.emailState]).reverse(), [
      ['ok', 'at_risk', 'sent', 'sent'], ['at_risk', 'breached', 'sent', 'sent'], ['breached', 'ok', 'sent', 'sent'],
    ]);
  });
});

describe('sla alerts: a webhook that is down is retried without resending the e-mail', function () {
  this.timeout(30_000);

  it('503 twice, then 200: the webhook gets the alert on the third attempt, the e-mail went out once', async () => {
    const db = await tmpLedger();
    const hook = await webhookReceiver();
    const smtp = await mailReceiver();
    const s = new SchoolData(SCHOOL, TZ);
    const clock = manualClock(at('2025-10-28 21:00'));
    const rt = slaRuntime(db.ledger, slaConfig([{
      id: SCHOOL, name: 'Школа № 3', timezone: TZ, sinks: [SINK], sla: { profiles: ['kamensk-uralsky-19'], itContact: { email: 'it@school3.example.ru', webhookUrl: hook.url } },
    }], { alerts: { maxAttempts: 5, email: { host: smtp.host, port: smtp.port, from: 'gateway@example.ru' } } }), clock.now);
    try {
      await ingest(db.ledger, SCHOOL, [s.period('q1', '2025-09-01', '2025-10-26', 1)], at('2025-09-01 00:00'), false);
      await ingest(db.ledger, SCHOOL, [s.mark('P1', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00' })], at('2025-10-27 10:01'));
      hook.failWith.push(503, 503);
      const first = await rt.tick();
      assert.deepEqual([first.alerts, first.dispatched], [1, { sent: 0, failed: 0, retrying: 1 }]);
      const [queued] = await rt.store.listAlerts({ schoolId: SCHOOL });
      assert.deepEqual([queued?.webhookState, queued?.emailState, queued?.attempts], ['pending', 'sent', 1]);
      assert.match(queued?.lastError ?? '', /webhook: webhook answered HTTP 503/);
      assert.ok((queued?.nextAttemptAt ?? '') > clock.now().toISOString(), 'backs off');
      assert.deepEqual((await rt.tick()).dispatched, { sent: 0, failed: 0, retrying: 0 }, 'nothing before the backoff ends');
      clock.advance(60 * 60_000);
      await rt.tick();
      clock.advance(60 * 60_000);
      const last = await rt.tick();
      assert.deepEqual(last.dispatched, { sent: 1, failed: 0, retrying: 0 });
      assert.deepEqual([hook.calls.length, smtp.mails.length], [1, 1]);
      const [done] = await rt.store.listAlerts({ schoolId: SCHOOL });
      assert.deepEqual([done?.webhookState, done?.emailState, done?.attempts, done?.nextAttemptAt], ['sent', 'sent', 3, undefined]);
    } finally {
      await rt.stop(); await hook.close(); await smtp.close(); await db.close();
    }
  });
});
