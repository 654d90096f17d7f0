/**
 * Access-code requests: the 5-working-day deadline of kamensk-uralsky-19 from the registered
 * request, with the registration rule (after hours or on a day off → the next working day), the
 * decrees' worked examples (domain reference §3.2) including the New Year holidays and working
 * Saturdays, and what the service refuses. Over a real SQLite ledger.
 */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors';
import type { SlaRuntime } from '../../src/sla/runtime';
import { local, manualClock, slaConfig, slaRuntime, SINK, tmpLedger } from '../fixtures/sla/ledger-kit';

const TZ = 'Asia/Yekaterinburg';
const SCHOOL = 'kamensk-school-3';
const at = (t: string): string => local(TZ, t);

describe('sla access codes: 5 working days from the registered request', function () {
  this.timeout(30_000);
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  let rt: SlaRuntime;
  const clock = manualClock('2026-06-01T00:00:00Z');
  let n = 0;
  const register = async (receivedLocal: string, more: { school?: string } = {}): ReturnType<SlaRuntime['accessCodes']['register']> =>
    rt.accessCodes.register({ schoolId: more.school ?? SCHOOL, familyRef: `REQ-${++n}`, receivedAt: at(receivedLocal), actor: 'test', now: clock.now() });

  before(async () => {
    db = await tmpLedger();
    rt = slaRuntime(db.ledger, slaConfig([
      { id: SCHOOL, name: 'Школа № 3', timezone: TZ, sinks: [SINK], sla: { profiles: ['kamensk-uralsky-19'] } },
      { id: 'early-school', name: 'Школа с короткими часами', timezone: TZ, sinks: [SINK], sla: { profiles: ['kamensk-uralsky-19'], workingHours: { start: '08:00', end: '16:00' } } },
      { id: 'moscow-school', name: 'Московская школа', timezone: 'Europe/Moscow', sinks: [SINK], sla: { profiles: ['moscow-2017'] } },
    ]), clock.now);
  });
  after(async () => { await rt?.stop(); await db?.close(); });

  const cases: Array<[string, string, string, string, boolean]> = [
    // [what, received (local), registered (local), last day, moved to the next working day]
    ['decree example: Thu 30.10.2025 — the working Saturday 01.11 counts, 03–04.11 do not', '2025-10-30 12:00', '2025-10-30 12:00', '2025-11-07', false],
    ['decree example: Tue 30.12.2025 — 31.12 and 01–11.01 are off, 17 calendar days', '2025-12-30 12:00', '2025-12-30 12:00', '2026-01-16', false],
    ['decree example: Thu 26.12.2024 — Sat 28.12.2024 worked, then the New Year holidays', '2024-12-26 12:00', '2024-12-26 12:00', '2025-01-13', false],
    ['after hours (18:30) on Tue 30.12.2025: registered Mon 12.01.2026 at opening', '2025-12-30 18:30', '2026-01-12 09:00', '2026-01-19', true],
    ['at 18:00 sharp the office is closed', '2025-11-05 18:00', '2025-11-06 09:00', '2025-11-13', true],
    ['on a Sunday: registered Monday', '2025-11-09 10:00', '2025-11-10 09:00', '2025-11-17', true],
    ['on the working Saturday 01.11.2025 within hours: registered that day; 03–04.11 are off', '2025-11-01 10:00', '2025-11-01 10:00', '2025-11-11', false],
    ['before opening (07:00) on a working day: that day, from opening', '2025-11-05 07:00', '2025-11-05 09:00', '2025-11-12', false],
  ];
  for (const [what, received, registered, dueDate, moved] of cases) {
    it(what, async () => {
      const v = await register(received);
      const endOfDueDay = new Date(Date.parse(at(`${dueDate} 00:00`)) + 86_400_000).toISOString();
      assert.deepEqual([v.registeredAt, v.dueDate, v.dueAt, v.movedToNextWorkingDay, v.status], [at(registered), dueDate, endOfDueDay, moved, 'overdue']);
    });
  }

  it('the school\'s own office hours decide "after hours" (16:30 is after a 16:00 close)', async () => {
    const v = await register('2025-11-05 16:30', { school: 'early-school' });
    assert.deepEqual([v.registeredAt, v.dueDate], [at('2025-11-06 08:00'), '2025-11-13']);
  });

  it('issued on the last day is on time, the next morning is late; the obligation rows say the same', async () => {
    clock.set(at('2025-11-20 12:00'));
    const a = await register('2025-11-12 10:00');
    const b = await register('2025-11-12 11:00');
    assert.equal(a.dueDate, '2025-11-19');
    const onTime = await rt.accessCodes.issue(a.id, { issuedAt: at('2025-11-19 23:59'), actor: 'secretary', now: clock.now() });
    const late = await rt.accessCodes.issue(b.id, { issuedAt: at('2025-11-20 08:00'), actor: 'secretary', now: clock.now() });
    assert.deepEqual([onTime.status, onTime.issuedBy, late.status], ['issued', 'secretary', 'issued_late']);
    const rows = await rt.store.listObligations({ schoolId: SCHOOL, obligation: 'kamensk-uralsky-19/access-code' });
    const byRef = new Map(rows.map((r) => [r.recordId, r]));
    assert.deepEqual([byRef.get(onTime.ref)?.state, byRef.get(late.ref)?.state, byRef.get(late.ref)?.gatewayLateMs], ['on_time', 'late', 8 * 3_600_000]);
  });

  it('an open request is pending, at risk in the last 4 hours, breached after the deadline', async () => {
    clock.set(at('2026-02-02 10:00'));
    const v = await register('2026-02-02 10:00');
    assert.equal(v.dueDate, '2026-02-09');
    const state = async (): Promise<string | undefined> => (await rt.store.listObligations({ schoolId: SCHOOL })).find((r) => r.recordId === v.ref)?.state;
    assert.equal(await state(), 'pending');
    clock.set(at('2026-02-09 20:00'));
    await rt.tick();
    assert.equal(await state(), 'at_risk');
    clock.set(at('2026-02-10 00:01'));
    await rt.tick();
    assert.equal(await state(), 'breached');
    assert.equal((await rt.accessCodes.get(v.id, clock.now())).status, 'overdue');
  });

  it('refuses names, future or impossible times, a second open request, an unknown request and a school without the obligation', async () => {
    clock.set(at('2026-03-02 10:00'));
    const code = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (e instanceof GatewayError ? `${e.code} ${e.issues.map((i) => i.path).join(',')}` : String(e)));
    const reg = (familyRef: string, receivedAt?: string, schoolId = SCHOOL): Promise<unknown> => rt.accessCodes.register({ schoolId, familyRef, ...(receivedAt ? { receivedAt } : {}), actor: 't', now: clock.now() });
    assert.equal(await code(reg('Петрова Анна')), 'GW_API_BAD_REQUEST /body/familyRef');
    assert.equal(await code(reg('petrova')), 'GW_API_BAD_REQUEST /body/familyRef', 'a reference needs a digit');
    assert.equal(await code(reg('REQ-500', at('2026-03-03 10:00'))), 'GW_API_BAD_REQUEST /body/receivedAt');
    assert.equal(await code(reg('REQ-500', 'yesterday')), 'GW_API_BAD_REQUEST /body/receivedAt');
    assert.equal(await code(reg('REQ-500')), 'ok');
    assert.equal(await code(reg('REQ-500')), 'GW_ACCESS_CODE_CONFLICT /body/familyRef');
    assert.equal(await code(reg('REQ-501', undefined, 'moscow-school')), 'GW_API_BAD_REQUEST /params/schoolId');
    assert.equal(await code(reg('REQ-502', undefined, 'unknown-school')), 'GW_SCHOOL_UNKNOWN ');
    assert.equal(await code(rt.accessCodes.issue(99_999, { actor: 't', now: clock.now() })), 'GW_API_NOT_FOUND ');
    const open = (await rt.accessCodes.list({ schoolId: SCHOOL, open: true }, clock.now())).find((v) => v.familyRef === 'REQ-500');
    assert.equal(await code(rt.accessCodes.issue(open?.id ?? 0, { issuedAt: at('2026-03-01 10:00'), actor: 't', now: clock.now() })), 'GW_API_BAD_REQUEST /body/issuedAt');
  });
});
