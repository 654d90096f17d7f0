/**
 * The gateway's clock of the SLA engine against a real SQLite ledger file, for the two ways a
 * record reaches a family without a push:
 *
 * - served by the ФГИС «Моя школа» pull API (the real router over loopback HTTP records what it
 *   served in the ledger's `served` table): served counts as delivered/available, whichever of
 *   the first delivery and the first serve came first; a delivery's СМЭВ SendingTimestamp (with
 *   its +03:00 offset) is the delivery moment when the transport recorded one;
 * - handed over on a weekly paper extract (`paper_extracts` / `paper_extract_records`), for
 *   families the real consent registry lists on paper (a refusal of electronic delivery): the
 *   hand-over, not the printing, meets kamensk-uralsky-19 `paper-weekly`, and only an extract
 *   carrying the judged revision counts (the deferral of a mark is not the mark).
 */
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import type { ConsentInput } from '../../src/core/consent';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger } from '../../src/core/ledger';
import type { MappedRecord } from '../../src/core/records';
import { createTokenIssuer, parseClients } from '../../src/http/fgis/oauth';
import { createFgisRouter } from '../../src/http/fgis/routes';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import type { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { consentFamilyChannels } from '../../src/sla/channels';
import { defaultRegulationDir, loadRegulationProfiles } from '../../src/sla/profiles';
import type { SlaRuntime } from '../../src/sla/runtime';
import { slaFixtures } from '../fixtures/sla/builders';
import {
  deliver, generateExtract, handOverExtract, ingest, local, manualClock, printExtract, registerRefusal, SchoolData, SINK, slaConfig, slaRuntime, tmpLedger,
} from '../fixtures/sla/ledger-kit';

const TZ = 'Asia/Yekaterinburg';
const HOUR = 3_600_000;
const at = (t: string): string => local(TZ, t);

type Row = [string, string, string | undefined, string | undefined];

/** A complete consent (152-ФЗ ст. 9 ч. 4) of a parent for a child, covering every electronic channel. */
function consentInput(schoolId: string, childId: string, guardianId: string): ConsentInput {
  return {
    schoolId, child: { id: childId }, applicant: { kind: 'parent', id: guardianId }, decision: 'consent', channels: ['portal', 'api', 'email', 'sms'], separateDocument: true,
    textVersion: 'edn-2025-09', form: 'paper', signature: 'handwritten', evidenceRef: 'ARCH-C-2026-02-02', signedAt: '2026-02-02',
    items: {
      subject: { fullName: 'Ученик', address: 'г. Каменск-Уральский, ул. Ленина, 1', document: { type: 'свидетельство о рождении', number: 'IV-АИ 123456', issuedAt: '2014-03-10', issuer: 'ЗАГС' } },
      representative: { fullName: 'Родитель', address: 'г. Каменск-Уральский, ул. Ленина, 1', document: { type: 'паспорт', number: '6512 345678', issuedAt: '2015-05-05', issuer: 'ОВД' }, authority: 'свидетельство о рождении IV-АИ 123456' },
      operator: { name: 'МАОУ «СОШ № 7»', address: 'г. Каменск-Уральский, ул. Школьная, 7' },
      purpose: 'предоставление информации о текущей успеваемости (электронный дневник)',
      dataCategories: ['ФИО', 'класс', 'отметки', 'посещаемость'], processors: [{ name: 'ООО «Шлюз»', address: 'г. Екатеринбург' }],
      actions: ['сбор', 'хранение', 'передача'], methods: 'автоматизированная обработка', validity: 'до окончания обучения', withdrawalMethod: 'письменное заявление в школу',
    },
  };
}

async function rowsOf(rt: SlaRuntime, schoolId: string, recordId: string): Promise<Row[]> {
  return (await rt.store.listObligations({ schoolId })).filter((r) => r.recordId === recordId)
    .map((r) => [r.obligation.split('/')[1] as string, r.state, r.metAt, r.dueAt]);
}

describe('sla: served by the ФГИС pull API counts as delivered (real ledger file, real router)', function () {
  this.timeout(30_000);
  const SCHOOL = 'gymnasium-5';
  const s = new SchoolData(SCHOOL, TZ);
  const clock = manualClock(at('2025-11-10 08:00'));
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  let rt: SlaRuntime;
  let app: express.Express;
  const issuer = createTokenIssuer(parseClients('fgis-test:s3cret-value-123'), 'signing-key-0123456789abcdef', 600);

  const kid: MappedRecord = {
    entityType: 'person', sourceId: 's1', fields: { roles: ['student'], familyName: 'Петров', givenName: 'Пётр' }, externalIds: [{ type: 'esia-oid', value: '1000123456' }],
  };

  before(async () => {
    db = await tmpLedger();
    // The school follows its own local act (config/regulations/README.md): absences visible to parents by 12:00 the next day.
    const profiles = loadRegulationProfiles([defaultRegulationDir(), slaFixtures('regulations', 'custom')]);
    rt = slaRuntime(db.ledger, slaConfig([{ id: SCHOOL, name: 'Гимназия № 5', timezone: TZ, sinks: [SINK], sla: { profiles: ['gymnasium-5-2025'] } }]), clock.now, { profiles });
    await ingest(db.ledger, SCHOOL, [s.classGroup('c8b', '8Б'), s.subject('alg', 'Алгебра'), kid, s.membership('s1', 'c8b'),
      s.lesson('L1', 'c8b', 'alg', '2025-11-10'), s.lesson('L2', 'c8b', 'alg', '2025-11-11'), s.lesson('L3', 'c8b', 'alg', '2025-11-12')], at('2025-11-01 00:00'), false);
    app = express();
    app.use('/fgis', createFgisRouter({
      ledger: db.ledger, issuer, accountKey: 'account-key', idNamespace: DEFAULT_ID_NAMESPACE, now: clock.now,
      schoolInfo: (id) => (id === SCHOOL ? { name: 'Гимназия № 5', timezone: TZ } : undefined),
    }));
  });
  after(async () => { await rt?.stop(); await db?.close(); });

  async function pull(start: string, end: string): Promise<void> {
    const tok = await request(app).post('/fgis/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'fgis-test', client_secret: 's3cret-value-123' });
    assert.equal(tok.status, 200, tok.text);
    const res = await request(app).get(`/fgis/Schedule/1000123456?start=${start}&end=${end}`).set('Authorization', `Bearer ${String(tok.body.access_token)}`);
    assert.equal(res.status, 200, res.text);
  }

  it('an absence served by the pull API and never pushed is on time, met at the serve', async () => {
    clock.set(at('2025-11-10 10:05'));
    await ingest(db.ledger, SCHOOL, [s.attendance('A1', { student: 's1', lesson: 'L1', date: '2025-11-10', category: 'absent_illness', sourceCreatedAt: '2025-11-10 10:00' })], clock.now().toISOString());
    await rt.tick();
    const id = s.id('attendance_event', 'A1');
    assert.deepEqual(await rowsOf(rt, SCHOOL, id), [['absences-by-noon', 'pending', undefined, at('2025-11-11 12:00')]], 'lesson Mon 10.11: visible by Tue 12:00');
    clock.set(at('2025-11-10 18:00'));
    await pull('2025-11-10', '2025-11-16');
    const served = await db.ledger.listServed({ recordId: id });
    assert.deepEqual(served.map((r) => [r.consumer, r.servedAt]), [['fgis:fgis-test', at('2025-11-10 18:00')]]);
    clock.set(at('2025-11-10 18:01'));
    await rt.tick();
    assert.deepEqual(await rowsOf(rt, SCHOOL, id), [['absences-by-noon', 'on_time', at('2025-11-10 18:00'), at('2025-11-11 12:00')]]);
    const queued = (await db.ledger.listDeliveries({ schoolId: SCHOOL })).filter((d) => d.recordId === id).map((d) => d.state);
    assert.deepEqual(queued, ['pending'], 'the portal never got it: the serve alone met the deadline');
  });

  it('one served only after its deadline was breached, then late by the time it took', async () => {
    clock.set(at('2025-11-11 10:05'));
    await ingest(db.ledger, SCHOOL, [s.attendance('A2', { student: 's1', lesson: 'L2', date: '2025-11-11', category: 'absent_invalid', sourceCreatedAt: '2025-11-11 10:00' })], clock.now().toISOString());
    await rt.tick();
    const id = s.id('attendance_event', 'A2');
    clock.set(at('2025-11-12 13:00'));
    await rt.tick();
    assert.deepEqual((await rowsOf(rt, SCHOOL, id)).map((r) => r[1]), ['breached'], 'due Wed 12:00, nothing served or delivered');
    clock.set(at('2025-11-12 15:00'));
    await pull('2025-11-10', '2025-11-16');
    clock.set(at('2025-11-12 15:02'));
    await rt.tick();
    const [row] = (await rt.store.listObligations({ schoolId: SCHOOL })).filter((r) => r.recordId === id);
    assert.deepEqual([row?.state, row?.metAt, row?.gatewayStatus, row?.gatewayLateMs, row?.sourceLateMs], ['late', at('2025-11-12 15:00'), 'late', 3 * HOUR, 0]);
  });

  it('the earlier of a push and a serve wins; a СМЭВ SendingTimestamp (+03:00) is the push moment', async () => {
    clock.set(at('2025-11-12 10:05'));
    await ingest(db.ledger, SCHOOL, [s.attendance('A3', { student: 's1', lesson: 'L3', date: '2025-11-12', category: 'absent_valid', sourceCreatedAt: '2025-11-12 10:00' })], clock.now().toISOString());
    const id = s.id('attendance_event', 'A3');
    // Pushed at 11:00 by the gateway's clock; the destination took it at 10:30 Moscow = 12:30 in Yekaterinburg.
    await deliver(db.ledger, [id], at('2025-11-12 11:00'));
    const sqlite = (db.ledger as SqliteLedger).database();
    sqlite.prepare("UPDATE deliveries SET sending_timestamp = '2025-11-12T10:30:00.000+03:00' WHERE record_id = ? AND delivered_at IS NOT NULL").run(id);
    clock.set(at('2025-11-12 13:00'));
    await pull('2025-11-10', '2025-11-16');
    clock.set(at('2025-11-12 13:01'));
    await rt.tick();
    assert.deepEqual(await rowsOf(rt, SCHOOL, id), [['absences-by-noon', 'on_time', at('2025-11-12 12:30'), at('2025-11-13 12:00')]],
      'delivered (by the destination\'s clock) 12:30 local, served 13:00: the push came first');
    // A serve before the push wins: clear the delivery moment to the gateway's own and move the serve earlier.
    sqlite.prepare('UPDATE deliveries SET sending_timestamp = NULL WHERE record_id = ?').run(id);
    sqlite.prepare('UPDATE served SET served_at = ? WHERE record_id = ?').run(at('2025-11-12 10:40'), id);
    await rt.engine.rejudge([id], clock.now());
    assert.deepEqual((await rowsOf(rt, SCHOOL, id))[0]?.[2], at('2025-11-12 10:40'));
  });
});

describe('sla: paper families and the weekly extracts register (kamensk-uralsky-19 paper-weekly, real consent registry)', function () {
  this.timeout(30_000);
  const SCHOOL = 'kamensk-school-7';
  const s = new SchoolData(SCHOOL, TZ);
  const clock = manualClock(at('2025-11-01 00:00'));
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  let rt: SlaRuntime;
  let consent: SqliteConsentStore;
  const extract = (ref: string, week: string, weekStart: string, weekEnd: string, recordIds: string[], generatedAt: string): string => {
    const id = `${SCHOOL}:${week}:${ref}`;
    generateExtract(db.ledger, {
      id, schoolId: SCHOOL, week, weekStart, weekEnd, classGroupId: s.id('class_group', 'c5a'), studentId: s.id('person', 's1'), recordIds,
      dueAt: at(`${weekEnd} 00:00`), generatedAt: at(generatedAt),
    });
    return id;
  };
  const paperRow = async (recordId: string): Promise<Row | undefined> => (await rowsOf(rt, SCHOOL, recordId)).find((r) => r[0] === 'paper-weekly');

  before(async () => {
    db = await tmpLedger();
    consent = new SqliteConsentStore(db.ledger);
    rt = slaRuntime(db.ledger, slaConfig([{ id: SCHOOL, name: 'Школа № 7', timezone: TZ, sinks: [SINK], sla: { profiles: ['kamensk-uralsky-19'] } }]), clock.now,
      { familyChannels: consentFamilyChannels(consent) });
    await ingest(db.ledger, SCHOOL, [s.classGroup('c5a', '5А'), s.subject('math', 'Математика'), s.membership('s1', 'c5a'), s.membership('s2', 'c5a'),
      s.period('q2', '2025-11-05', '2025-12-28', 2), s.lesson('L1', 'c5a', 'math', '2025-11-10'), s.lesson('L2', 'c5a', 'math', '2025-11-11')], at('2025-11-01 00:00'), false);
    await registerRefusal(consent, SCHOOL, s.id('person', 's1'), s.id('person', 'g1'), '2025-09-01', at('2025-11-01 09:00'));
    clock.set(at('2025-11-01 09:01'));
    await rt.tick();
  });
  after(async () => { await rt?.stop(); await db?.close(); });

  it('the consent registry decides who is on paper: only the refusing family\'s records get paper-weekly', async () => {
    clock.set(at('2025-11-11 10:05'));
    await ingest(db.ledger, SCHOOL, [
      s.mark('M1', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-11 10:00', value: 5 }),
      s.mark('M2', { kind: 'current', student: 's1', subject: 'math', lesson: 'L2', markedAt: '2025-11-11 10:00', value: 4 }),
      s.mark('M3', { kind: 'current', student: 's2', subject: 'math', lesson: 'L1', markedAt: '2025-11-11 10:00', value: 3 }),
    ], clock.now().toISOString());
    await rt.tick();
    // Journal had them Tue 11.11: on the paper report of the week of Mon 17.11, due by the end of Sun 23.11.
    assert.deepEqual(await paperRow(s.id('mark', 'M1')), ['paper-weekly', 'pending', undefined, at('2025-11-24 00:00')]);
    assert.deepEqual(await paperRow(s.id('mark', 'M2')), ['paper-weekly', 'pending', undefined, at('2025-11-24 00:00')]);
    assert.equal(await paperRow(s.id('mark', 'M3')), undefined, 's2 is reached electronically');
  });

  it("a mark handed over on the next week's extract is on time (the hand-over, not the printing, meets it)", async () => {
    const x = extract('X46', '2025-W46', '2025-11-10', '2025-11-16', [s.id('mark', 'M1')], '2025-11-17 07:00');
    clock.set(at('2025-11-17 09:00'));
    printExtract(db.ledger, x, at('2025-11-17 08:00'));
    await rt.tick();
    assert.equal((await paperRow(s.id('mark', 'M1')))?.[1], 'pending', 'printed is not yet handed over');
    clock.set(at('2025-11-19 14:00'));
    handOverExtract(db.ledger, x, at('2025-11-19 14:00'));
    clock.set(at('2025-11-19 14:01'));
    await rt.tick();
    assert.deepEqual(await paperRow(s.id('mark', 'M1')), ['paper-weekly', 'on_time', at('2025-11-19 14:00'), at('2025-11-24 00:00')]);
  });

  it('a mark on no extract is overdue after the weekly deadline, and late once an extract carrying it is handed over', async () => {
    clock.set(at('2025-11-23 23:59'));
    await rt.tick();
    assert.equal((await paperRow(s.id('mark', 'M2')))?.[1], 'at_risk', 'the last hours before the end of Sunday');
    clock.set(at('2025-11-24 00:30'));
    await rt.tick();
    assert.equal((await paperRow(s.id('mark', 'M2')))?.[1], 'breached');
    const open = await rt.store.openCounts();
    assert.deepEqual(open.map((o) => [o.obligation, o.breached]), [['kamensk-uralsky-19/paper-weekly', 1]]);
    const x = extract('X47', '2025-W47', '2025-11-17', '2025-11-23', [s.id('mark', 'M2')], '2025-11-24 07:00');
    clock.set(at('2025-11-24 10:00'));
    handOverExtract(db.ledger, x, at('2025-11-24 10:00'));
    clock.set(at('2025-11-24 10:01'));
    await rt.tick();
    const [row] = (await rt.store.listObligations({ schoolId: SCHOOL, obligation: 'kamensk-uralsky-19/paper-weekly' })).filter((r) => r.recordId === s.id('mark', 'M2'));
    assert.deepEqual([row?.state, row?.gatewayLateMs, row?.metAt], ['late', 10 * HOUR, at('2025-11-24 10:00')]);
  });

  it('a deferred mark: the extract carrying the deferral does not count; the week of the final entry sets the deadline', async () => {
    clock.set(at('2025-12-29 10:01'));
    await ingest(db.ledger, SCHOOL, [s.mark('P1', { kind: 'period', student: 's1', subject: 'math', period: 'q2', markedAt: '2025-12-29 10:00', markStatus: 'deferred',
      deferral: { reason: 'illness', dueDate: '2026-01-20' } })], clock.now().toISOString());
    await rt.tick();
    const id = s.id('mark', 'P1');
    const deferredOn = extract('X01', '2026-W01', '2025-12-29', '2026-01-04', [id], '2026-01-05 07:00');
    handOverExtract(db.ledger, deferredOn, at('2026-01-05 09:00'));
    clock.set(at('2026-01-14 11:01'));
    await ingest(db.ledger, SCHOOL, [s.mark('P1', { kind: 'period', student: 's1', subject: 'math', period: 'q2', markedAt: '2026-01-14 11:00', value: 5 })], clock.now().toISOString());
    await rt.tick();
    // Final mark entered Wed 14.01: on the report of the week of Mon 19.01, due by the end of Sun 25.01.
    assert.deepEqual(await paperRow(id), ['paper-weekly', 'pending', undefined, at('2026-01-26 00:00')], 'the deferral on the 2026-W01 extract is not the mark');
    const x = extract('X03', '2026-W03', '2026-01-12', '2026-01-18', [id], '2026-01-19 07:00');
    clock.set(at('2026-01-20 12:00'));
    handOverExtract(db.ledger, x, at('2026-01-20 12:00'));
    await rt.tick();
    assert.deepEqual(await paperRow(id), ['paper-weekly', 'on_time', at('2026-01-20 12:00'), at('2026-01-26 00:00')]);
  });

  it('a family that withdraws its consent goes on paper from then on: the school is judged again, earlier weeks owe nothing on paper', async () => {
    clock.set(at('2026-02-02 09:00'));
    const { consent: c } = await consent.register(consentInput(SCHOOL, s.id('person', 's2'), s.id('person', 'g2')), 'test', clock.now().toISOString());
    clock.set(at('2026-02-02 10:05'));
    await ingest(db.ledger, SCHOOL, [s.lesson('L3', 'c5a', 'math', '2026-02-02'), s.mark('M4', { kind: 'current', student: 's2', subject: 'math', lesson: 'L3', markedAt: '2026-02-02 10:00', value: 4 })],
      clock.now().toISOString());
    assert.deepEqual((await rt.tick()).rebuilt, [], 'a consent in force keeps s2 electronic: nothing to re-judge');
    assert.equal(await paperRow(s.id('mark', 'M4')), undefined);

    clock.set(at('2026-02-11 09:00'));
    await consent.withdraw(c.id, { withdrawnAt: clock.now().toISOString(), evidenceRef: 'ARCH-W-2026-02-11' }, 'test', clock.now().toISOString());
    assert.equal((await consentFamilyChannels(consent)(SCHOOL, clock.now())).get(s.id('person', 's2'))?.since, at('2026-02-11 09:00'));
    await ingest(db.ledger, SCHOOL, [s.mark('M5', { kind: 'current', student: 's2', subject: 'math', lesson: 'L3', markedAt: '2026-02-11 09:00', value: 5 })], at('2026-02-11 09:05'));
    clock.set(at('2026-02-11 09:06'));
    assert.deepEqual((await rt.tick()).rebuilt, [SCHOOL], 'who is on paper changed: the school is judged again');
    // M4: the journal had it in the week of 02.02, so its paper clock would start Mon 09.02 — before the withdrawal.
    assert.equal(await paperRow(s.id('mark', 'M4')), undefined);
    // M5: entered Wed 11.02, on the report of the week of Mon 16.02, due by the end of Sun 22.02.
    assert.deepEqual(await paperRow(s.id('mark', 'M5')), ['paper-weekly', 'pending', undefined, at('2026-02-23 00:00')]);
    assert.deepEqual((await rt.tick()).rebuilt, [], 'an unchanged registry does not re-judge again');
  });
});
