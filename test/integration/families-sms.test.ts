/**
 * SMS to families end to end: records through the real pipeline into a real SQLite ledger, the
 * consent registry and gate, the SMS notifier, the HTTP client against the SMS-gateway
 * simulator on loopback (opt-out numbers, delivery reports moving with the fake clock), and the
 * e-mail fallback over nodemailer to a real SMTP server (smtp-server), read back.
 *
 * Families of school-5 (Asia/Yekaterinburg): Иван (SMS, in hours), Вера (number refused by the
 * operator at submission, e-mail consent → e-mail), Дарья (refused number, no e-mail → paper),
 * Олег (a refusal of consent → nothing), Глеб (accepted, then reported opted out → e-mail).
 */
import assert from 'node:assert/strict';
import type { ContactDetails, ElectronicChannel } from '../../src/core/consent';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import { createMailTransport, type MailTransport } from '../../src/families/email/transport';
import { consentPaperRecipients } from '../../src/families/extract';
import { createConsentGate } from '../../src/families/gate';
import {
  createHttpSmsGateway, resolveSmsPolicy, smsGatewaySimulator, SmsNotifier, type SmsNotifierSchool, type SmsSimulatorHandle,
} from '../../src/families/sms';
import { createHttpClient } from '../../src/infra/http-client';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { loadCalendarSet } from '../../src/sla';
import { consentOf, World } from '../fixtures/families/world';
import { TestSmtp } from '../fixtures/families/smtp';
import { SMTP_PASSWORD, SMTP_USER, transportConfig } from '../fixtures/families/email-config';
import { isoWeekOf } from '../../src/families/extract';
import { Gateway } from '../../src/runtime/gateway';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';

const PHONE = { ivan: '+79001234567', vera: '+79990000001', darya: '+79990000002', gleb: '+79990000010' };

describe('families SMS through the SMS-gateway simulator, with e-mail and paper fallback', function () {
  this.timeout(60_000);
  let smtp: TestSmtp;
  let transport: MailTransport;
  let sim: SmsSimulatorHandle;
  let ledger: Ledger;
  let store: SqliteConsentStore;
  let clock: FakeClock;
  let notifier: SmsNotifier;
  const w = new World('school-5');
  const iso = (): string => clock.now().toISOString();
  const contacts = (c: Partial<ContactDetails>): ContactDetails => ({ emails: [], phones: [], channels: [], form: 'paper', evidenceRef: 'C-1', givenAt: '2025-09-02', ...c });
  const school: SmsNotifierSchool = {
    id: 'school-5', name: 'СОШ № 5', timezone: 'Asia/Yekaterinburg',
    sms: { enabled: true, instant: ['absence', 'final_mark'], urgent: ['absence'], instantMaxAgeDays: 3 },
    // Urgent notices (absences) ignore quiet hours at this school; final marks keep them.
    policy: resolveSmsPolicy({}, { quietHours: { urgent: { mode: 'bypass' } } }),
  };
  const posts = (): number => sim.hits('/v1/messages');

  before(async () => {
    smtp = await TestSmtp.start(SMTP_USER, SMTP_PASSWORD);
    transport = createMailTransport(transportConfig(smtp.port));
    clock = fakeClock(new Date('2025-11-13T05:00:00Z')); // Thursday 10:00 in Yekaterinburg
    sim = await smsGatewaySimulator.start({ token: 'sms-sim-token-1234', now: () => clock.now(), deliverAfterMs: 2000 });
    ({ ledger } = await tmpLedger());
    await w.ingest(ledger, [
      w.student('s1', 'Петров', 'Иван'), w.student('s2', 'Орлова', 'Вера'), w.student('s3', 'Лосева', 'Дарья'), w.student('s4', 'Зуев', 'Олег'), w.student('s5', 'Носов', 'Глеб'),
      ...['g1', 'g2', 'g3', 'g4', 'g5'].map((g) => w.guardian(g, 'Родитель', g)), ...['1', '2', '3', '4', '5'].map((k) => w.link(`l${k}`, `s${k}`, `g${k}`)),
      w.teacher('t1', 'Смирнова', 'Ольга'), w.subject('alg', 'Алгебра'), w.classGroup('7a', '7А'), w.period('q1', 'I четверть'),
      ...['1', '2', '3', '4', '5'].map((k) => w.membership(`m${k}`, `s${k}`, '7a')), w.lesson('les3', '7a', 'alg', '2025-11-13', 3),
    ], [], clock);
    store = new SqliteConsentStore(ledger);
    const reg = async (k: string, channels: ElectronicChannel[], c: Partial<ContactDetails>): Promise<void> => {
      await store.register(consentOf(w, `s${k}`, `g${k}`, { channels, contacts: contacts(c) }), 'op', iso());
    };
    await reg('1', ['portal', 'sms'], { phones: [PHONE.ivan], channels: ['sms'] });
    await reg('2', ['sms', 'email'], { phones: [PHONE.vera], emails: ['vera.parent@family.test'], channels: ['sms'] });
    await reg('3', ['sms'], { phones: [PHONE.darya], channels: ['sms'] });
    await store.register({ ...consentOf(w, 's4', 'g4', { decision: 'refusal' }), contacts: contacts({ phones: ['+79005556677'], channels: ['sms'] }) }, 'op', iso());
    await reg('5', ['sms', 'email'], { phones: [PHONE.gleb], emails: ['gleb.parent@family.test'], channels: ['sms'] });
    const sms = createHttpSmsGateway({
      config: { baseUrl: sim.url, token: sim.token, maxAttempts: 2 }, now: () => clock.now(), log: nullLogger,
      http: createHttpClient({ log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), side: 'sink', timeoutMs: 5000 }),
    });
    notifier = new SmsNotifier({
      ledger, store, gate: createConsentGate(ledger, store), sms, mail: { transport }, schools: [school], calendar: loadCalendarSet().federal,
      policy: { maxAttempts: 3, backoffBaseMs: 60_000, backoffCapMs: 600_000 }, log: nullLogger, now: () => clock.now(), random: () => 0.5,
    });
  });
  after(async () => {
    await ledger.close();
    await sim.close();
    transport.close();
    await smtp.close();
  });

  it('the first pass only sets the watermark: history is never texted', async () => {
    assert.equal((await notifier.tick()).queued, 0);
    assert.equal(posts(), 0);
  });

  it('absences: SMS where consented and possible, e-mail after an operator opt-out, paper without e-mail, nothing without consent', async () => {
    await w.ingest(ledger, ['1', '2', '3', '4', '5'].map((k) => w.absence(`ab${k}`, `s${k}`, '2025-11-13', { lessonSrc: 'les3' })), [], clock);
    smtp.stamp = iso();
    const res = await notifier.tick();
    assert.deepEqual({ queued: res.queued, sms: res.sms, email: res.email, paper: res.paper, withheld: res.withheld }, { queued: 5, sms: 2, email: 1, paper: 1, withheld: 1 });
    const texts = sim.messages();
    assert.deepEqual(texts.map((m) => m.to).sort(), [PHONE.ivan, PHONE.gleb].sort(), 'only accepted numbers; nothing to the refused family');
    const ivan = texts.find((m) => m.to === PHONE.ivan)!;
    assert.equal(ivan.text, 'СОШ № 5: Иван П. отсутствует 13.11, 3-й урок, Алгебра.');
    assert.deepEqual([ivan.encoding, ivan.segments], ['ucs2', 1], 'Cyrillic: UCS-2, one part (≤ 70)');
    assert.ok(!ivan.text.includes('уважительн'), 'no absence reason in an SMS');
    assert.equal(smtp.mails.length, 1);
    const mail = smtp.mails[0]!;
    assert.deepEqual(mail.envelopeTo, ['vera.parent@family.test']);
    assert.equal(mail.headers.get('x-diary-fallback'), 'operator_opt_out');
    assert.equal(mail.subject, 'Отсутствие: Вера О., 13.11.2025');
    assert.match(mail.text, /Вера О\. отсутствует 13\.11\.2025 на уроке «Алгебра» \(3-й урок\)/);
    assert.match(mail.html, /<h2>Отсутствие: Вера О\., 13\.11\.2025<\/h2>/);
    // Дарья's family: SMS refused by the operator, no e-mail consent → paper; the weekly extract lists it.
    const paper = await consentPaperRecipients(store, () => clock.now()).paperFamilies('school-5', isoWeekOf('2025-11-13'));
    assert.deepEqual(paper.filter((p) => [w.id('person', 's3'), w.id('person', 's4')].includes(p.studentId)).map((p) => [p.studentId, p.reason]).sort(), [
      [w.id('person', 's3'), 'no_access'], [w.id('person', 's4'), 'refused_electronic'],
    ].sort());
    assert.ok(!paper.some((p) => p.studentId === w.id('person', 's1')), 'Иван is reached by SMS and the portal');
  });

  it('a delivery report «opted out» falls back to e-mail and is remembered; the next notice skips SMS for those numbers', async () => {
    clock.advance(3000);
    smtp.stamp = iso();
    const res = await notifier.tick();
    assert.equal(res.reports, 2, 'Иван delivered, Глеб opted out');
    assert.equal(res.email, 1);
    const gleb = smtp.mails.find((m) => m.envelopeTo.includes('gleb.parent@family.test'));
    assert.ok(gleb, 'the late opt-out fell back to e-mail');
    assert.equal(gleb.headers.get('x-diary-fallback'), 'operator_opt_out');
    const db = (ledger as SqliteLedger).database();
    const progress = db.prepare("SELECT message_ids FROM family_notices WHERE channel = 'sms' AND state = 'sent'").pluck().all() as string[];
    assert.ok(progress.some((p) => p.includes('"report":"delivered"')) && progress.some((p) => p.includes('"report":"opted_out"')));
    assert.ok(progress.every((p) => !p.includes(PHONE.ivan) && !p.includes(PHONE.gleb) && !p.includes('family.test')), 'the outbox holds no number and no address');

    const before = posts();
    const mailsBefore = smtp.mails.length;
    await w.ingest(ledger, [w.absence('ab2b', 's2', '2025-11-13'), w.absence('ab5b', 's5', '2025-11-13')], [], clock);
    const again = await notifier.tick();
    assert.deepEqual([again.sms, again.email, posts() - before], [0, 2, 0], 'both straight to e-mail, no SMS attempt');
    assert.equal(smtp.mails.length - mailsBefore, 2);
  });

  it('quiet hours: at 22:30 local an urgent absence goes at once, a final mark waits for 08:00 without costing an attempt', async () => {
    clock.advance(Date.parse('2025-11-13T17:30:00Z') - clock.now().getTime()); // 22:30 in Yekaterinburg
    const before = sim.messages().length;
    await w.ingest(ledger, [
      w.absence('ab1n', 's1', '2025-11-13'),
      w.mark('fm1', 's1', 'alg', 5, { kind: 'period', periodSrc: 'q1', markedAt: '2025-11-13T17:00:00Z' }),
    ], [], clock);
    const night = await notifier.tick();
    assert.deepEqual([night.sms, night.deferred], [1, 1]);
    assert.equal(sim.messages().length - before, 1);
    assert.match(sim.messages().at(-1)!.text, /Иван П\. отсутствует 13\.11\./);
    const db = (ledger as SqliteLedger).database();
    const waiting = db.prepare("SELECT state, attempts, next_attempt_at FROM family_notices WHERE channel = 'sms' AND kind = 'final_mark'").get() as { state: string; attempts: number; next_attempt_at: string };
    assert.deepEqual(waiting, { state: 'retry_wait', attempts: 0, next_attempt_at: '2025-11-14T03:00:00.000Z' }, '08:00 local on Friday, a working day');
    clock.advance(Date.parse('2025-11-14T03:00:00Z') - clock.now().getTime());
    const morning = await notifier.tick();
    assert.equal(morning.sms, 1);
    assert.equal(sim.messages().at(-1)!.text, 'СОШ № 5: Иван П., Алгебра (I четверть): отметка за период «5».');
  });

  it('the per-phone SMS consent: a contact statement listing the number without SMS refuses it', async () => {
    assert.equal((await store.smsConsentOf('school-5', PHONE.ivan))?.state, 'granted');
    await store.setContacts({ schoolId: 'school-5', child: { id: w.id('person', 's1') }, applicant: { kind: 'parent', id: w.id('person', 'g1') }, ...contacts({ phones: [PHONE.ivan], channels: ['paper'], givenAt: '2025-11-14' }) }, 'op', iso());
    assert.equal((await store.smsConsentOf('school-5', PHONE.ivan))?.state, 'refused');
    assert.equal(await store.smsConsentOf('school-5', '+79000000000'), undefined);
  });
});

describe("families SMS quiet hours by the recipient's own clock", function () {
  this.timeout(60_000);
  const PHONES = { moscow: '+79001110001', vladivostok: '+79001110002', other: '+79001110003' };

  it('a parent in Asia/Vladivostok of a Moscow school is texted by their own clock; a parent without a zone by the school\'s', async () => {
    const w = new World('school-msk');
    const clock = fakeClock(new Date('2025-11-13T12:30:00Z')); // Thursday: 15:30 in Moscow, 22:30 in Vladivostok
    const iso = (): string => clock.now().toISOString();
    const sim = await smsGatewaySimulator.start({ token: 'sms-sim-token-5678', now: () => clock.now(), deliverAfterMs: 2000 });
    const { ledger } = await tmpLedger();
    try {
      await w.ingest(ledger, [
        w.student('s1', 'Ким', 'Алина'), w.student('s2', 'Белов', 'Павел'), w.guardian('g1', 'Ким', 'Ирина'), w.guardian('g2', 'Ким', 'Сергей'), w.guardian('g3', 'Белова', 'Нина'),
        w.link('l1', 's1', 'g1'), w.link('l2', 's1', 'g2'), w.link('l3', 's2', 'g3'), w.subject('alg', 'Алгебра'), w.classGroup('7a', '7А'),
        w.membership('m1', 's1', '7a'), w.membership('m2', 's2', '7a'), w.lesson('les4', '7a', 'alg', '2025-11-13', 4),
      ], [], clock);
      const store = new SqliteConsentStore(ledger);
      const contacts = (phone: string, timezone?: string): ContactDetails => ({ emails: [], phones: [phone], channels: ['sms'], form: 'paper', evidenceRef: `C-${phone}`, givenAt: '2025-09-02', ...(timezone ? { timezone } : {}) });
      await store.register(consentOf(w, 's1', 'g1', { channels: ['sms'], contacts: contacts(PHONES.moscow) }), 'op', iso());
      await store.register(consentOf(w, 's1', 'g2', { channels: ['sms'], evidence: 'ARCH-g2', contacts: contacts(PHONES.vladivostok, 'Asia/Vladivostok') }), 'op', iso());
      await store.register(consentOf(w, 's2', 'g3', { channels: ['sms'], contacts: contacts(PHONES.other) }), 'op', iso());
      const school: SmsNotifierSchool = {
        id: 'school-msk', name: 'Школа № 1', timezone: 'Europe/Moscow',
        // Urgent notices keep quiet hours (the default): an absence at night waits like anything else.
        sms: { enabled: true, instant: ['absence'], urgent: ['absence'], instantMaxAgeDays: 3 }, policy: resolveSmsPolicy(),
      };
      const notifier = new SmsNotifier({
        ledger, store, gate: createConsentGate(ledger, store), schools: [school], calendar: loadCalendarSet().federal,
        sms: createHttpSmsGateway({
          config: { baseUrl: sim.url, token: sim.token, maxAttempts: 1 }, now: () => clock.now(), log: nullLogger,
          http: createHttpClient({ log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), side: 'sink', timeoutMs: 5000 }),
        }),
        policy: { maxAttempts: 3, backoffBaseMs: 60_000, backoffCapMs: 600_000 }, log: nullLogger, now: () => clock.now(), random: () => 0.5,
      });
      const db = (ledger as SqliteLedger).database();
      const notice = (): { state: string; attempts: number; next_attempt_at: string } => db.prepare(
        "SELECT state, attempts, next_attempt_at FROM family_notices WHERE channel = 'sms' AND record_id = ?").get(w.id('attendance_event', 'ab1')) as { state: string; attempts: number; next_attempt_at: string };
      await notifier.tick(); // the watermark

      await w.ingest(ledger, [w.absence('ab1', 's1', '2025-11-13', { lessonSrc: 'les4' })], [], clock);
      const afternoon = await notifier.tick();
      assert.deepEqual([afternoon.sms, afternoon.deferred], [1, 1]);
      assert.deepEqual(sim.messages().map((m) => m.to), [PHONES.moscow], '15:30 in Moscow: the parent without a zone at once, not the one where it is 22:30');
      assert.deepEqual(notice(), { state: 'retry_wait', attempts: 0, next_attempt_at: '2025-11-13T22:00:00.000Z' }, '08:00 on Friday in Vladivostok (01:00 in Moscow), no attempt spent');

      clock.advance(Date.parse('2025-11-13T21:59:00Z') - clock.now().getTime());
      assert.equal((await notifier.tick()).sms, 0, '07:59 in Vladivostok');
      clock.advance(60_000);
      await w.ingest(ledger, [w.absence('ab2', 's2', '2025-11-13', { lessonSrc: 'les4' })], [], clock);
      const night = await notifier.tick();
      assert.deepEqual([night.sms, night.deferred], [1, 1]);
      assert.deepEqual(sim.messages().map((m) => m.to), [PHONES.moscow, PHONES.vladivostok], "Vladivostok's morning although it is 01:00 at the school");
      assert.equal(sim.messages()[1]?.text, sim.messages()[0]?.text, 'the same notice');
      assert.equal(notice().state, 'sent');
      const other = db.prepare("SELECT state, next_attempt_at FROM family_notices WHERE channel = 'sms' AND record_id = ?").get(w.id('attendance_event', 'ab2'));
      assert.deepEqual(other, { state: 'retry_wait', next_attempt_at: '2025-11-14T05:00:00.000Z' }, 'a parent without a zone waits for 08:00 in Moscow');
    } finally {
      await ledger.close();
      await sim.close();
    }
  });
});

describe('families SMS in the assembled gateway (gateway.sms, schools[].families.sms)', function () {
  this.timeout(60_000);

  it('builds the SMS notifier from the config and texts an absence through the gate', async () => {
    const clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    const sim = await smsGatewaySimulator.start({ token: 'gw-sms-token-123456', now: () => clock.now() });
    const dir = (await tmpLedger()).dir;
    const gw = await Gateway.create({
      rawConfig: {
        gateway: {
          ledger: { path: `${dir}/gw.sqlite` }, admin: { enabled: false, port: 0 },
          // baseUrl from the environment too: the schema takes a whole ${ENV} reference there.
          sms: { enabled: true, baseUrl: '${SMS_URL}', token: '${SMS_TOKEN}', sender: 'SHKOLA5' },
        },
        sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: 'http://127.0.0.1:9/', token: '${PORTAL_TOKEN}' } }],
        schools: [
          { id: 'school-5', name: 'СОШ № 5', timezone: 'Asia/Yekaterinburg', sinks: ['portal'], families: { sms: { enabled: true, instant: ['absence'] } } },
          { id: 'school-6', name: 'СОШ № 6', timezone: 'Europe/Moscow', sinks: ['portal'] },
        ],
      },
      log: nullLogger, clock, simulators: false,
      env: { PORTAL_TOKEN: 'portal-token-0123456789', SMS_TOKEN: sim.token, SMS_URL: sim.url },
    });
    try {
      const n = gw.families.smsNotifier;
      assert.ok(n, 'gateway.sms enabled: the SMS notifier is built');
      const w = new World('school-5');
      await w.ingest(gw.ledger, [w.student('s1', 'Петров', 'Иван'), w.guardian('g1', 'Петрова', 'Анна'), w.link('l1', 's1', 'g1')], [], clock);
      await gw.families.store.register(consentOf(w, 's1', 'g1', { channels: ['sms'], contacts: { emails: [], phones: ['+79007654321'], channels: ['sms'], form: 'paper', evidenceRef: 'C', givenAt: '2025-09-02' } }), 'op', clock.now().toISOString());
      await n.tick();
      await w.ingest(gw.ledger, [w.absence('ab1', 's1', '2025-11-13')], [], clock);
      const res = await n.tick();
      assert.equal(res.sms, 1);
      const [m] = sim.messages();
      assert.deepEqual([m?.to, m?.sender, m?.text], ['+79007654321', 'SHKOLA5', 'СОШ № 5: Иван П. отсутствует 13.11.']);
    } finally {
      await gw.stop();
      await sim.close();
    }
  });
});
