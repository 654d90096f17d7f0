/**
 * Property: over random schools, families, consents, refusals, expiries and withdrawals over
 * time, with random records flowing through the real pipeline, the real DeliveryWorker (an
 * in-test recording sink), the pull-API helper, the ФГИС «Моя школа» pull API served over
 * loopback HTTP by the intake app (a gateway-issued OAuth2 client-credentials token, every
 * child's and guardian's ЕСИА account asked for its Schedule at every step), the e-mail notifier
 * to a real SMTP server and the SMS notifier to the SMS-gateway simulator (real loopback HTTP),
 * no record of a child reaches an electronic channel at a moment the child lacks a valid
 * consent for it; refusals are listed for paper; a withdrawal's purge leaves nothing of the
 * child; and nothing is over-blocked (a consented child's marks all arrive, pushed and pulled).
 * The oracle (fixtures/families/oracle.ts) and the record → children map are the test's own.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { DeliveryItem, SinkAdapter } from '../../src/core/adapter';
import type { ConsentGate } from '../../src/core/consent';
import { DEFAULT_ID_NAMESPACE, uuidv5 } from '../../src/core/ids';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { MappedRecord } from '../../src/core/records';
import { pick, rngFor, shuffle, type Rng } from '../../src/infra/sim/rng';
import type { NotifierSchool } from '../../src/families/email/config';
import { EmailNotifier } from '../../src/families/email/notifier';
import { createMailTransport, type MailTransport } from '../../src/families/email/transport';
import { childAllowedFor, createConsentGate, gatedRecords } from '../../src/families/gate';
import { createTokenIssuer, parseClients } from '../../src/http/fgis/oauth';
import { createIntakeApp } from '../../src/http/intake-app';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { localDateOf } from '../../src/sla/local-time';
import { DeliveryWorker } from '../../src/pipeline/deliver';
import { createHttpSmsGateway, resolveSmsPolicy, smsGatewaySimulator, SmsNotifier, type SmsNotifierSchool } from '../../src/families/sms';
import { createHttpClient } from '../../src/infra/http-client';
import { loadCalendarSet } from '../../src/sla';
import { consentOf, World } from '../fixtures/families/world';
import { ConsentOracle, type Channel } from '../fixtures/families/oracle';
import { TestSmtp } from '../fixtures/families/smtp';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../support/harness';
import { EMAIL_SCHOOL, SMTP_PASSWORD, SMTP_USER, transportConfig } from '../fixtures/families/email-config';

const SEEDS = [11, 22, 33];
const STEPS = 28;
const SINK = 'portal';
const CODES = ['абв', 'где', 'жзи', 'клм', 'ноп', 'рст', 'уфх', 'цчш', 'щэю', 'яаб', 'вгд', 'еёж', 'зий', 'кло', 'мнп', 'орс', 'тук', 'фхц', 'чшщ', 'эюя'];

interface Kid { school: number; src: string; id: string; name: string; guardians: string[]; guardianSrcs: string[]; older: boolean; esia: string }
/** An ЕСИА account the pull API is asked about: a child's own, or a guardian's (who sees the linked children). */
interface Account { esia: string; school: number; kids: () => Kid[] }
/** A child's own record shown in a Schedule: a mark (as a lesson's score) or an absence (as its attendance). */
interface Personal { id: string; kid: Kid; kind: 'mark' | 'attendance'; raw?: string }

const FGIS_CLIENT = 'fgis-prop';
const FGIS_SECRET = 'prop-fgis-secret-0123';
const DAY = 86_400_000;
/** A person record with its ЕСИА account, as the pull API finds people by it. */
const withEsia = (r: MappedRecord, esia: string): MappedRecord => ({ ...r, externalIds: [{ type: 'esia-oid', value: esia }] });

describe('families: no child\'s record leaks to an electronic channel (property)', function () {
  this.timeout(180_000);
  let smtp: TestSmtp;
  let transport: MailTransport;
  before(async () => {
    smtp = await TestSmtp.start(SMTP_USER, SMTP_PASSWORD);
    transport = createMailTransport(transportConfig(smtp.port));
  });
  after(async () => { transport.close(); await smtp.close(); });

  for (const seed of SEEDS) {
    it(`seed ${seed}: zero leaks over ${STEPS} steps, paper for refusals, complete purges, nothing over-blocked`, async () => {
      const rng = rngFor('families-property', seed);
      const { ledger } = await tmpLedger();
      try {
        await scenario(rng, ledger, smtp, transport);
      } finally {
        await ledger.close();
      }
    });
  }
});

async function scenario(rng: Rng, ledger: Ledger, smtp: TestSmtp, transport: MailTransport): Promise<void> {
  const clock: FakeClock = fakeClock(new Date('2025-11-10T04:00:00Z'));
  const iso = (): string => clock.now().toISOString();
  const oracle = new ConsentOracle();
  const schools = Array.from({ length: 1 + Math.floor(rng() * 2) }, (_, k) => new World(`ps-${k}-${Math.floor(rng() * 1e6)}`));
  const zones = ['Asia/Yekaterinburg', 'Europe/Moscow'];
  const notifierSchools: NotifierSchool[] = schools.map((w, k) => ({ ...EMAIL_SCHOOL, id: w.schoolId, timezone: zones[k % 2] as string }));
  const kids: Kid[] = [];
  const guardianKids = new Map<string, string[]>();
  /** Record id → the children it is about; `any`: a guardian's own record (one allowed child suffices); `viaGuardian`: known through family links. */
  const concern = new Map<string, { kids: string[]; any?: boolean; viaGuardian?: boolean }>();
  const purgedAt = new Map<string, string>();
  const codes = shuffle(rng, CODES);
  const routes = [{ sinkId: SINK, maxAttempts: 3 }];
  let esiaSeq = 0;
  const nextEsia = (): string => String(1_000_000_000 + 7919 * ++esiaSeq);
  const accounts: Account[] = [];

  // Roster: families of 1-2 children and 1-2 guardians per school, one class.
  for (const [si, w] of schools.entries()) {
    const roster: MappedRecord[] = [w.subject('alg', 'Алгебра'), w.classGroup('7a', '7А'), w.teacher('t1', 'Смирнова', 'Ольга'), w.membership('mt1', 't1', '7a', 'teacher')];
    for (let f = 0; f < 3 + Math.floor(rng() * 3); f++) {
      const gs = Array.from({ length: 1 + Math.floor(rng() * 2) }, (_, g) => `g${f}-${g}`);
      for (const g of gs) {
        const esia = nextEsia();
        const gid = w.id('person', g);
        roster.push(withEsia(w.guardian(g, `Родитель${f}`, `Имя${g}`), esia));
        accounts.push({ esia, school: si, kids: () => kids.filter((k) => k.guardians.includes(gid)) });
      }
      for (let c = 0; c < 1 + Math.floor(rng() * 2); c++) {
        const code = codes.pop() as string;
        const kid: Kid = { school: si, src: `k${f}-${c}`, id: w.id('person', `k${f}-${c}`), name: `Реб${code}`, guardians: gs.map((g) => w.id('person', g)), guardianSrcs: gs, older: rng() < 0.4, esia: nextEsia() };
        kids.push(kid);
        accounts.push({ esia: kid.esia, school: si, kids: () => [kid] });
        roster.push(withEsia(w.student(kid.src, `Фам${code}`, kid.name, kid.older ? '2009-02-02' : '2015-02-02'), kid.esia), w.membership(`m-${kid.src}`, kid.src, '7a'));
        gs.forEach((g, gi) => {
          roster.push(w.link(`l-${kid.src}-${gi}`, kid.src, g));
          concern.set(w.id('guardian_link', `l-${kid.src}-${gi}`), { kids: [kid.id] });
          const gid = w.id('person', g);
          guardianKids.set(gid, [...(guardianKids.get(gid) ?? []), kid.id]);
        });
        concern.set(kid.id, { kids: [kid.id] });
        concern.set(w.id('membership', `m-${kid.src}`), { kids: [kid.id] });
      }
    }
    for (const [gid, ks] of guardianKids) if (roster.some((r) => w.id('person', r.sourceId) === gid)) concern.set(gid, { kids: ks, any: true, viaGuardian: true });
    await w.ingest(ledger, roster, routes, clock);
  }
  const address = (kid: Kid, applicant: string): string => `${applicant.slice(0, 8)}.${kid.id.slice(0, 8)}@fam.test`;
  const byAddress = new Map<string, { kid: Kid; applicant: string }>();
  const phones = new Map<string, string>();
  const byPhone = new Map<string, { kid: Kid; applicant: string }>();
  const phone = (kid: Kid, applicant: string): string => {
    const k = `${kid.id}|${applicant}`;
    if (!phones.has(k)) phones.set(k, `+7901${String(10_000_000 + phones.size).slice(1)}`);
    return phones.get(k) as string;
  };

  const store = new SqliteConsentStore(ledger, { purgeAfterDays: 2, purgeIntervalMs: 86_400_000 });
  const gate: ConsentGate = createConsentGate(ledger, store);
  const pushes: Array<{ at: string; item: DeliveryItem }> = [];
  const sink: SinkAdapter = {
    spec: { id: 'rec', system: 'rec', version: '0', kind: 'sink', title: 'recording', configSchema: {} },
    check: async () => ({ ok: true }),
    async push(_ctx, batch) {
      for (const item of batch) pushes.push({ at: iso(), item });
      return batch.map((i) => ({ deliveryId: i.deliveryId, status: 'delivered' as const }));
    },
  };
  const worker = new DeliveryWorker({
    sinkId: SINK, adapter: sink, ctx: makeContext({}, { clock, side: 'sink', schoolId: '*' }), ledger, log: nullLogger, owner: 'prop',
    policy: { batchSize: 25, maxAttempts: 3, backoff: { baseMs: 1000, capMs: 8000 }, leaseMs: 600_000, pollIntervalMs: 20 },
    now: () => clock.now(), sleep: (ms) => clock.sleep(ms), consent: { gate },
  });
  const notifier = new EmailNotifier({
    ledger, store, gate, transport, schools: notifierSchools, log: nullLogger, now: () => clock.now(),
    policy: { maxAttempts: 3, backoffBaseMs: 60_000, backoffCapMs: 600_000 }, random: () => 0.5,
  });
  const sim = await smsGatewaySimulator.start({ token: 'prop-sms-token-123', now: () => clock.now(), deliverAfterMs: 1000 });
  const smsSchools: SmsNotifierSchool[] = notifierSchools.map((s) => ({
    id: s.id, name: s.name, timezone: s.timezone, sms: { enabled: true, instant: ['absence', 'final_mark'], urgent: ['absence'], instantMaxAgeDays: 3 }, policy: resolveSmsPolicy(),
  }));
  const smsNotifier = new SmsNotifier({
    ledger, store, gate, schools: smsSchools, calendar: loadCalendarSet().federal, log: nullLogger, now: () => clock.now(), random: () => 0.5,
    policy: { maxAttempts: 3, backoffBaseMs: 60_000, backoffCapMs: 600_000 },
    sms: createHttpSmsGateway({
      config: { baseUrl: sim.url, token: sim.token, maxAttempts: 1 }, now: () => clock.now(), log: nullLogger,
      http: createHttpClient({ log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), side: 'sink', timeoutMs: 5000 }),
    }),
  });
  // The ФГИС pull API as the gateway serves it: the intake app on loopback, the registry's `api` check per child.
  const info = new Map(schools.map((w, k) => [w.schoolId, { name: `Школа ${k}`, timezone: notifierSchools[k]?.timezone ?? 'Europe/Moscow' }]));
  const intake = http.createServer(createIntakeApp({
    log: nullLogger,
    fgis: {
      basePath: '/fgis/v1', ledger, issuer: createTokenIssuer(parseClients(`${FGIS_CLIENT}:${FGIS_SECRET}`), 'prop-signing-key-0123456789abcdef', 600),
      accountKey: 'prop-account-key', idNamespace: DEFAULT_ID_NAMESPACE, schoolInfo: (id) => info.get(id), now: () => clock.now(),
      maxWindowDays: 120, allowChild: childAllowedFor(store, 'api', () => clock.now()),
    },
  }));
  await new Promise<void>((resolve) => intake.listen(0, '127.0.0.1', resolve));
  const fgisUrl = `http://127.0.0.1:${(intake.address() as AddressInfo).port}/fgis/v1`;
  /** Lesson id as the Schedule shows it → the child's own record shown on that lesson. */
  const pulled = new Map<string, Personal>();
  try {
    const firstMail = smtp.mails.length;
    const violations: string[] = [];
    const purgedKids = new Set<string>();
    let withheldApi = 0;
    const pull = { answers: 0, notFound: 0, shown: 0, withheld: 0 };

    /**
     * Every account's Schedule over HTTP at this moment: a score or an absence shown must be of a
     * child of that account who has a valid `api` consent now; every mark and absence in the ledger
     * of a consented (never purged) child of the account must be shown.
     */
    async function pullCheck(): Promise<void> {
      const t = iso();
      const tok = await fetch(`${fgisUrl}/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: FGIS_CLIENT, client_secret: FGIS_SECRET }).toString(),
      });
      assert.equal(tok.status, 200, await tok.clone().text());
      const auth = { authorization: `Bearer ${String(((await tok.json()) as { access_token: string }).access_token)}` };
      const window = `start=2025-11-01&end=${new Date(clock.now().getTime() + 2 * DAY).toISOString().slice(0, 10)}`;
      const present = new Set<string>();
      for (const w of schools) {
        for (const type of ['mark', 'attendance_event'] as const) {
          for (const r of await ledger.listRecords({ schoolId: w.schoolId, entityType: type })) if (r.status === 'active') present.add(r.id);
        }
      }
      for (const acct of accounts) {
        const res = await fetch(`${fgisUrl}/Schedule/${acct.esia}?${window}`, { headers: auth });
        if (res.status === 404) { pull.notFound++; continue; } // a purged person no longer carries the account
        assert.equal(res.status, 200, await res.clone().text());
        pull.answers++;
        const body = (await res.json()) as { school: Array<{ class: Array<{ lesson: Array<Record<string, unknown>> }> }> };
        const mine = acct.kids();
        const seen = new Set<string>();
        for (const lesson of body.school.flatMap((sc) => sc.class.flatMap((c) => c.lesson))) {
          const score = lesson['score'] as Array<{ score: string }> | undefined;
          const attendance = lesson['attendance'];
          if (score === undefined && attendance === undefined) continue;
          const p = pulled.get(String(lesson['id']));
          if (!p) { violations.push(`api pull: personal data on lesson ${String(lesson['id'])} of no known record at ${t}`); continue; }
          if ((score !== undefined) !== (p.kind === 'mark') || (attendance !== undefined) !== (p.kind === 'attendance')) violations.push(`api pull: lesson of ${p.id} shows the wrong kind of record`);
          if (score !== undefined && (score.length !== 1 || score[0]?.score !== p.raw)) violations.push(`api pull: mark ${p.id} shown as ${JSON.stringify(score)}`);
          if (!mine.includes(p.kid)) violations.push(`api pull: ${p.kind} ${p.id} of ${p.kid.id} shown to an account not of that child at ${t}`);
          if (!oracle.allowed(p.kid.id, 'api', t)) violations.push(`api pull: ${p.kind} ${p.id} of ${p.kid.id} at ${t}`);
          else pull.shown++;
          seen.add(p.id);
        }
        for (const kid of mine) {
          const own = [...pulled.values()].filter((p) => p.kid === kid && present.has(p.id));
          if (!oracle.allowed(kid.id, 'api', t)) { pull.withheld += own.length; continue; }
          if (purgedKids.has(kid.id)) continue;
          for (const p of own) if (!seen.has(p.id)) violations.push(`api pull: ${p.kind} ${p.id} of consented ${kid.id} not shown at ${t}`);
        }
      }
    }
    let documents = 0;

    /** The children a record is about at time t: a family relation destroyed by a purge is no longer known. */
    const kidsOf = (id: string, t: string): { kids: string[]; any: boolean } => {
      const c = concern.get(id) ?? { kids: [] };
      const kids = c.viaGuardian ? c.kids.filter((k) => { const p = purgedAt.get(k); return p === undefined || p > t; }) : c.kids;
      return { kids, any: c.any === true };
    };
    const leaks = (id: string, channel: Channel, t: string): string[] => {
      const { kids, any } = kidsOf(id, t);
      const refused = kids.filter((k) => !oracle.allowed(k, channel, t));
      if (concern.get(id)?.viaGuardian && kids.length === 0) return ['(no known child)'];
      return any ? (refused.length === kids.length ? refused : []) : refused;
    };

    async function consentEvent(): Promise<void> {
      const kid = pick(rng, kids);
      const w = schools[kid.school] as World;
      const applicants = [...kid.guardians, ...(kid.older ? [kid.id] : [])];
      const applicant = pick(rng, applicants);
      const inForce = oracle.consentInForce(kid.id, applicant, iso());
      if (inForce && rng() < 0.5) {
        await store.withdraw(inForce.consentId, { evidenceRef: `W-${inForce.consentId}` }, 'prop', iso());
        oracle.withdraw(kid.id, inForce.consentId, iso());
        return;
      }
      const refusal = !inForce && rng() < 0.3;
      const channels = shuffle(rng, ['portal', 'api', 'email', 'sms'] as Channel[]).slice(0, 1 + Math.floor(rng() * 4));
      const validTo = rng() < 0.3 ? new Date(clock.now().getTime() + (1 + Math.floor(rng() * 6)) * 86_400_000).toISOString() : undefined;
      const input = consentOf(w, kid.src, 'x', {
        signedAt: iso(), decision: refusal ? 'refusal' : 'consent', channels, ...(validTo ? { validTo } : {}),
        kind: applicant === kid.id ? 'student' : 'parent', evidence: `E-${++documents}`,
        contacts: { emails: [address(kid, applicant)], phones: [phone(kid, applicant)], channels: rng() < 0.2 ? ['email', 'sms', 'paper'] : ['email', 'sms'], form: 'paper', evidenceRef: 'C', givenAt: iso() },
      });
      if (applicant !== kid.id) input.applicant = { kind: 'parent', id: applicant };
      else input.child = { ...input.child, birthDate: '2009-02-02' }; // after a purge the ledger no longer knows the age
      const r = await store.register(input, 'prop', iso());
      byAddress.set(address(kid, applicant), { kid, applicant });
      byPhone.set(phone(kid, applicant), { kid, applicant });
      oracle.add(kid.id, { consentId: r.consent.id, applicant, decision: refusal ? 'refusal' : 'consent', channels: new Set(refusal ? [] : channels), signedAt: r.consent.signedAt, ...(validTo ? { validTo } : {}) });
    }

    function randomRecords(step: number, si: number): MappedRecord[] {
      const out: MappedRecord[] = [];
      const w = schools[si] as World;
      const mine = kids.filter((k) => k.school === si);
      for (let i = 0; i < 1 + Math.floor(rng() * 6); i++) {
        const kid = pick(rng, mine);
        const today = localDateOf(clock.now(), notifierSchools[kid.school]?.timezone ?? 'Europe/Moscow');
        const id = `${step}-${i}`;
        const roll = rng();
        let rec: MappedRecord;
        let who: { kids: string[]; viaGuardian?: boolean } = { kids: [kid.id] };
        // Marks and absences on a lesson of their own, so a Schedule shows each of them on exactly one lesson.
        const lesson = (): string => {
          const l = w.lesson(`lx${id}`, '7a', 'alg', today, 1 + (i % 7));
          out.push(l);
          const lessonId = w.id('lesson', l.sourceId);
          return lessonId;
        };
        if (roll < 0.3) {
          const value = 2 + Math.floor(rng() * 4);
          const lessonId = lesson();
          const m = w.mark(`mk${id}`, kid.src, 'alg', value, { date: today, markedAt: iso() });
          rec = { ...m, fields: { ...m.fields, lessonId } };
          const p: Personal = { id: w.id('mark', rec.sourceId), kid, kind: 'mark', raw: String(value) };
          pulled.set(uuidv5(`lesson:${lessonId}`, DEFAULT_ID_NAMESPACE), p);
        } else if (roll < 0.5) {
          const lessonId = lesson();
          rec = w.absence(`ab${id}`, kid.src, today, { lessonSrc: `lx${id}` });
          pulled.set(uuidv5(`lesson:${lessonId}`, DEFAULT_ID_NAMESPACE), { id: w.id('attendance_event', rec.sourceId), kid, kind: 'attendance' });
        }
        else if (roll < 0.55) rec = w.mark(`pm${id}`, kid.src, 'alg', 4, { kind: 'period', periodSrc: 'q1', markedAt: iso() });
        else if (roll < 0.65) {
          const sib = mine.filter((k) => k !== kid);
          const pair = rng() < 0.5 && sib.length > 0 ? [kid, pick(rng, sib)] : [kid];
          rec = w.homework(`ih${id}`, '7a', 'alg', `Индивидуальное задание ${id}`, today, pair.map((k) => k.src));
          who = { kids: pair.map((k) => k.id) };
        } else if (roll < 0.75) { rec = w.homework(`hw${id}`, '7a', 'alg', `Задание ${id}`, today); who = { kids: [] }; }
        else if (roll < 0.8) { rec = w.lesson(`ls${id}`, '7a', 'alg', today, 1 + Math.floor(rng() * 6), 'cancelled'); who = { kids: [] }; }
        else if (roll < 0.9) {
          const g = Math.floor(rng() * kid.guardians.length);
          rec = w.message(`ms${id}`, 't1', [{ type: 'person', src: kid.guardianSrcs[g] as string }], `Сообщение ${id}`);
          who = { kids: guardianKids.get(kid.guardians[g] as string) ?? [], viaGuardian: true };
        } else { rec = withEsia(w.student(kid.src, `Фам-${id}`, kid.name, kid.older ? '2009-02-02' : '2015-02-02'), kid.esia); }
        concern.set(w.id(rec.entityType, rec.sourceId), who);
        out.push(rec);
      }
      return out;
    }

    for (let step = 0; step < STEPS; step++) {
      for (let e = 0; e < 1 + Math.floor(rng() * 3); e++) await consentEvent();
      for (const kid of kids) {
        const st = await store.status((schools[kid.school] as World).schoolId, kid.id, iso());
        for (const c of ['portal', 'api', 'email', 'sms'] as Channel[]) {
          if (st.channels.includes(c) !== oracle.allowed(kid.id, c, iso())) violations.push(`registry and oracle disagree on ${kid.id} ${c} at ${iso()}: ${JSON.stringify(st)} vs ${JSON.stringify(oracle.current(kid.id), (_k, v: unknown) => (v instanceof Set ? [...v] : v))}`);
        }
      }
      const si = Math.floor(rng() * schools.length);
      await (schools[si] as World).ingest(ledger, randomRecords(step, si), routes, clock);
      while ((await worker.tick()) > 0) { /* drain */ }
      smtp.stamp = iso();
      await notifier.tick();
      await smsNotifier.tick();
      for (const w of schools) {
        const res = await gatedRecords(ledger, gate, { schoolId: w.schoolId }, iso());
        withheldApi += res.withheld;
        for (const r of res.items) for (const k of leaks(r.id, 'api', iso())) violations.push(`api ${r.entityType} ${r.id} of ${k} at ${iso()}`);
      }
      await pullCheck();
      const report = await store.purgeWithdrawn(iso());
      report.entries.forEach((e) => { purgedKids.add(e.childId); if (!purgedAt.has(e.childId)) purgedAt.set(e.childId, iso()); });
      for (const kid of kids) {
        const since = oracle.withdrawnSince(kid.id);
        if (since === undefined || Date.parse(since) + 2 * 86_400_000 > clock.now().getTime() + 86_400_000) continue;
        const person = await ledger.getRecord(kid.id);
        if (person && person.record['purged'] === undefined) violations.push(`purge left the person record of ${kid.id}`);
        const marks = await ledger.listRecords({ schoolId: (schools[kid.school] as World).schoolId, entityType: 'mark' });
        if (marks.some((m) => m.record['studentId'] === kid.id)) violations.push(`purge left marks of ${kid.id}`);
      }
      const paper = await store.paperFamilies({}, iso());
      for (const kid of kids) {
        if (oracle.objection(kid.id, iso()) === 'refused' && !paper.some((p) => p.childId === kid.id && p.reason === 'refusal')) violations.push(`refusal of ${kid.id} not routed to paper`);
      }
      clock.advance(pick(rng, [10 * 60_000, 3 * 3_600_000, 9 * 3_600_000, 86_400_000, 2.5 * 86_400_000]));
    }

    for (const p of pushes) {
      if (p.item.payload['purged'] !== undefined) violations.push(`a purged body was pushed (${p.item.entityType})`);
      for (const k of leaks(p.item.recordId, 'portal', p.at)) violations.push(`portal ${p.item.entityType} ${p.item.recordId} of ${k} at ${p.at}`);
    }
    const mails = smtp.mails.slice(firstMail);
    for (const m of mails) {
      for (const to of m.envelopeTo) {
        const who = byAddress.get(to);
        if (!who) { violations.push(`mail to an unknown address at ${m.at}`); continue; }
        if (!oracle.allowed(who.kid.id, 'email', m.at) || !oracle.applicantCovers(who.kid.id, who.applicant, 'email', m.at)) violations.push(`e-mail about ${who.kid.id} at ${m.at}`);
        for (const other of kids) if (other !== who.kid && m.text.includes(other.name)) violations.push(`e-mail about ${who.kid.id} names another child`);
      }
    }
    const texts = sim.messages();
    for (const m of texts) {
      const who = byPhone.get(m.to);
      const at = new Date(m.acceptedAt).toISOString();
      if (!who) { violations.push(`SMS to an unknown number at ${at}`); continue; }
      if (!oracle.allowed(who.kid.id, 'sms', at) || !oracle.applicantCovers(who.kid.id, who.applicant, 'sms', at)) violations.push(`SMS about ${who.kid.id} at ${at}`);
      for (const other of kids) if (other !== who.kid && m.text.includes(other.name)) violations.push(`SMS about ${who.kid.id} names another child`);
    }
    assert.deepEqual(violations.slice(0, 6), [], `${violations.length} violation(s)`);

    // Not vacuous, and not over-blocking: every mark of a child consented for the portal at the end (never purged) arrived.
    assert.ok(pushes.length > 0 && mails.length > 0 && texts.length > 0 && withheldApi > 0, `pushes ${pushes.length}, mails ${mails.length}, sms ${texts.length}, withheld ${withheldApi}`);
    assert.ok(pull.answers > 0 && pull.shown > 0 && pull.withheld > 0, `pull API: ${JSON.stringify(pull)}`);
    const end = iso();
    for (const kid of kids) {
      if (!oracle.allowed(kid.id, 'portal', end) || purgedKids.has(kid.id)) continue;
      const w = schools[kid.school] as World;
      for (const m of await ledger.listRecords({ schoolId: w.schoolId, entityType: 'mark' })) {
        if (m.record['studentId'] !== kid.id) continue;
        assert.ok(pushes.some((p) => p.item.recordId === m.id && p.item.revision === m.revision), `mark ${m.id} of consented ${kid.id} never delivered`);
      }
    }
  } finally {
    await sim.close();
    await new Promise<void>((resolve) => intake.close(() => resolve()));
  }
}
