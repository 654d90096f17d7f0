/**
 * E-mail to families end to end: records through the real pipeline into a real SQLite ledger,
 * the consent registry, the notifier, nodemailer over STARTTLS with AUTH to a real SMTP server
 * (smtp-server on loopback), and the raw RFC 822 messages read back. Fake clock for the
 * school-local digest time and the retry backoff.
 */
import assert from 'node:assert/strict';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import { EmailNotifier, type ForecastProvider } from '../../src/families/email/notifier';
import { createMailTransport, type MailTransport } from '../../src/families/email/transport';
import { createConsentGate } from '../../src/families/gate';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { consentOf, World } from '../fixtures/families/world';
import { TestSmtp } from '../fixtures/families/smtp';
import { EMAIL_SCHOOL as SCHOOL, SMTP_PASSWORD as PASSWORD, SMTP_USER as USER, transportConfig } from '../fixtures/families/email-config';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';

describe('families e-mail through a real SMTP server', function () {
  this.timeout(60_000);
  let smtp: TestSmtp;
  let ledger: Ledger;
  let store: SqliteConsentStore;
  let clock: FakeClock;
  let transport: MailTransport;
  const w = new World('school-5');
  const iso = (): string => clock.now().toISOString();
  const contacts = (email: string): { emails: string[]; phones: string[]; channels: Array<'email'>; form: 'paper'; evidenceRef: string; givenAt: string } =>
    ({ emails: [email], phones: [], channels: ['email'], form: 'paper', evidenceRef: `C-${email}`, givenAt: '2025-09-02' });

  const notifier = (t: MailTransport = transport, forecast?: ForecastProvider): EmailNotifier => new EmailNotifier({
    ledger, store, gate: createConsentGate(ledger, store), transport: t, schools: [SCHOOL], log: nullLogger, now: () => clock.now(),
    policy: { maxAttempts: 3, backoffBaseMs: 60_000, backoffCapMs: 600_000 }, random: () => 0.5, ...(forecast ? { forecast } : {}),
  });

  before(async () => {
    smtp = await TestSmtp.start(USER, PASSWORD);
    transport = createMailTransport(transportConfig(smtp.port));
  });
  after(async () => {
    transport.close();
    await smtp.close();
  });

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z')); // 10:00 in Yekaterinburg
    smtp.mails.length = 0;
    await w.ingest(ledger, [
      w.student('s1', 'Петров', 'Иван'), w.student('s2', 'Орлова', 'Вера'), w.student('s3', 'Лосева', 'Дарья'),
      w.guardian('g1', 'Петрова', 'Анна'), w.guardian('g2', 'Орлов', 'Павел'), w.guardian('g3', 'Лосев', 'Кирилл'),
      w.link('l1', 's1', 'g1'), w.link('l2', 's2', 'g2'), w.link('l3', 's3', 'g3'), w.teacher('t1', 'Смирнова', 'Ольга'),
      w.subject('alg', 'Алгебра'), w.subject('rus', 'Русский язык'), w.classGroup('7a', '7А'), w.period('q1', 'I четверть'),
      w.membership('m1', 's1', '7a'), w.membership('m2', 's2', '7a'), w.membership('m3', 's3', '7a'),
      w.lesson('les3', '7a', 'alg', '2025-11-13', 3),
    ], [], clock);
    store = new SqliteConsentStore(ledger);
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal', 'email'], contacts: contacts('anna@family.test') }), 'op', iso());
    await store.register(consentOf(w, 's2', 'g2', { channels: ['portal'], contacts: contacts('pavel@family.test') }), 'op', iso());
    await store.register({ ...consentOf(w, 's3', 'g3', { decision: 'refusal' }), contacts: contacts('kirill@family.test') }, 'op', iso());
  });
  afterEach(() => ledger.close());

  it('sends instant notices only where consent and the chosen channel allow, once each, in Russian text and HTML', async () => {
    const n = notifier();
    assert.equal((await n.tick()).queued, 0, 'the first pass only sets the watermark: history is never mailed');
    await w.ingest(ledger, [
      w.absence('ab1', 's1', '2025-11-13', { lessonSrc: 'les3' }), w.absence('ab2', 's2', '2025-11-13'), w.absence('ab3', 's3', '2025-11-13'),
      w.absence('late1', 's1', '2025-11-13', { category: 'late', code: 'оп' }), w.absence('old1', 's1', '2025-11-01'),
      w.mark('fm1', 's1', 'alg', 5, { kind: 'period', periodSrc: 'q1', markedAt: '2025-11-13T04:00:00Z' }), w.mark('cm1', 's1', 'alg', 3),
    ], [], clock);
    smtp.stamp = iso();
    const res = await n.tick();
    assert.deepEqual({ sent: res.sent, withheld: res.withheld }, { sent: 2, withheld: 2 });
    assert.equal(smtp.mails.length, 2);
    for (const m of smtp.mails) {
      assert.deepEqual(m.envelopeTo, ['anna@family.test']);
      assert.match(m.headers.get('from') ?? '', /diary@school5\.test/);
    }
    const absence = smtp.mails.find((m) => m.headers.get('x-diary-notice') === 'absence');
    assert.ok(absence);
    assert.equal(absence.subject, 'Отсутствие: Иван П., 13.11.2025');
    assert.match(absence.text, /Иван П\. отсутствует 13\.11\.2025 на уроке «Алгебра» \(3-й урок\)\. Отметка в журнале: «н» \(без уважительной причины\)/);
    assert.match(absence.text, /Отозвать согласие/);
    assert.match(absence.html, /<h2>Отсутствие: Иван П\., 13\.11\.2025<\/h2>/);
    assert.match(absence.html, /на уроке «Алгебра»/);
    const final = smtp.mails.find((m) => m.headers.get('x-diary-notice') === 'final_mark');
    assert.equal(final?.subject, 'Отметка за период: Иван П., Алгебра (I четверть)');
    assert.match(final?.text ?? '', /по предмету «Алгебра» \(I четверть\): «5»/);
    for (const m of smtp.mails) for (const other of ['Вера', 'Дарья', 'Петров ']) assert.ok(!m.raw.includes(other) && !m.text.includes(other), `no ${other}`);
    assert.deepEqual(await n.tick(), { queued: 0, sent: 0, withheld: 0, empty: 0, retry: 0, dead: 0 }, 'nothing twice');
  });

  it('sends one daily digest after the school-local digest time with only what the consent covers', async () => {
    const forecast: ForecastProvider = async (_s, child) => (child === w.id('person', 's1') ? [{ subject: 'Алгебра', forecast: '4 (средний балл 4,25)' }] : []);
    const n = notifier(transport, forecast);
    await n.tick();
    clock.advance(60_000);
    await w.ingest(ledger, [
      w.mark('cm1', 's1', 'alg', 4, { date: '2025-11-13' }), w.mark('cm2', 's2', 'alg', 2, { date: '2025-11-13' }),
      w.homework('hw1', '7a', 'alg', '№ 312, 315', '2025-11-14'), w.homework('hw2', '7a', 'rus', 'Упражнение 7 (для двоих)', '2025-11-14', ['s1', 's2']),
      w.homework('hw3', '7a', 'rus', 'Карточка для Ивана', '2025-11-15', ['s1']), w.lesson('les5', '7a', 'alg', '2025-11-14', 5, 'cancelled'),
      w.test('cw2', '7a', 'alg', '2025-11-18', 'Контрольная работа № 2'), w.test('cw9', '7a', 'rus', '2025-12-20', 'Диктант'),
    ], [], clock);
    assert.equal((await n.tick()).sent, 0, 'at 10:01 local no digest yet');
    clock.advance(8 * 3_600_000 + 4 * 60_000); // 18:05 local
    smtp.stamp = iso();
    const res = await n.tick();
    assert.equal(res.sent, 1);
    const [digest] = smtp.mails;
    assert.ok(digest);
    assert.deepEqual(digest.envelopeTo, ['anna@family.test']);
    assert.equal(digest.subject, 'Дневник за 13.11.2025: Иван П.');
    assert.match(digest.text, /Новые отметки:\n {2}• Алгебра: 4 \(13\.11\.2025\)/);
    assert.match(digest.text, /Алгебра \(к 14\.11\.2025\): № 312, 315/);
    assert.match(digest.text, /Русский язык \(к 15\.11\.2025\): Карточка для Ивана/);
    assert.ok(!digest.text.includes('для двоих'), 'homework shared with a child without an e-mail consent stays out');
    assert.match(digest.text, /Изменения в расписании:\n {2}• 14\.11\.2025, 5-й урок, Алгебра: отменён/);
    assert.match(digest.text, /Ближайшие контрольные:\n {2}• 18\.11\.2025, Алгебра: Контрольная работа № 2/);
    assert.ok(!digest.text.includes('Диктант'), 'tests beyond the 7-day horizon are not listed');
    assert.match(digest.text, /Прогноз отметок за текущий период \(не является официальной отметкой\):\n {2}• Алгебра: 4 \(средний балл 4,25\)/);
    assert.match(digest.html, /<h3>Новые отметки<\/h3><ul><li>Алгебра: 4 \(13\.11\.2025\)<\/li><\/ul>/);
    clock.advance(3_600_000);
    assert.equal((await n.tick()).sent, 0, 'one digest per local day');
  });

  it('stops e-mail at once when the consent is withdrawn', async () => {
    const n = notifier();
    await n.tick();
    await w.ingest(ledger, [w.absence('ab1', 's1', '2025-11-13')], [], clock);
    const consent = (await store.list({ childId: w.id('person', 's1') }))[0];
    assert.ok(consent);
    await store.withdraw(consent.id, { evidenceRef: 'ZAYAV-5' }, 'op', iso());
    const res = await n.tick();
    assert.equal(res.withheld, 1);
    assert.equal(smtp.mails.length, 0);
  });

  it('retries a deferred message with backoff, gives up on a rejected one, and waits out a refused login without spending attempts', async () => {
    const n = notifier();
    await n.tick();
    await w.ingest(ledger, [w.absence('ab1', 's1', '2025-11-13')], [], clock);
    smtp.failures.push(451);
    assert.equal((await n.tick()).retry, 1);
    assert.equal(smtp.mails.length, 0);
    assert.equal((await n.tick()).sent, 0, 'not due before the backoff');
    clock.advance(120_000);
    assert.equal((await n.tick()).sent, 1);

    await w.ingest(ledger, [w.absence('ab9', 's1', '2025-11-13', { category: 'absent_illness', code: 'б' })], [], clock);
    smtp.failures.push(550);
    assert.equal((await n.tick()).dead, 1);

    const bad = createMailTransport(transportConfig(smtp.port, 'wrong-password'));
    try {
      await w.ingest(ledger, [w.absence('ab10', 's1', '2025-11-13', { category: 'absent_valid', code: 'у' })], [], clock);
      assert.equal((await notifier(bad).tick()).retry, 1);
      const db = (ledger as SqliteLedger).database();
      const row = db.prepare("SELECT state, attempts, json_extract(last_error, '$.code') AS code FROM family_notices WHERE notice_key LIKE 'absence:%' ORDER BY id DESC LIMIT 1").get();
      assert.deepEqual(row, { state: 'retry_wait', attempts: 0, code: 'GW_SINK_AUTH_FAILED' });
    } finally {
      bad.close();
    }
    clock.advance(120_000);
    const before = smtp.mails.length;
    assert.equal((await n.tick()).sent, 1);
    assert.equal(smtp.mails.length, before + 1);
    assert.match(smtp.mails[smtp.mails.length - 1]?.text ?? '', /по уважительной причине/);
  });
});
