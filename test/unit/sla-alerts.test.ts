/**
 * The alert state machine (src/sla/alerts.ts) as a pure function: one alert per transition,
 * escalations at once, recovery only after the hold, no storm from a flapping scope, the
 * channels a school has, and Russian texts without personal data.
 */
import assert from 'node:assert/strict';
import type { SlaAlertState, SlaOpenCounts } from '../../src/core/sla-store';
import { planAlerts, records, type AlertScope } from '../../src/sla/alerts';

const KEY = 'kamensk-uralsky-19/period-marks';
const scope: AlertScope = {
  schoolId: 'school-3', schoolName: 'Школа № 3', timeZone: 'Asia/Yekaterinburg', itContact: { webhookUrl: 'https://it.example.ru/hook', email: 'it@example.ru' },
  obligations: new Map([[KEY, 'Отметки за период доступны не позднее 2 дней'], ['kamensk-uralsky-19/access-code', 'Код доступа за 5 рабочих дней']]),
};
const HOLD = 30 * 60_000;

/** Runs the machine over a sequence of (minute, atRisk, breached) observations; returns the alerts as 'from→to@minute'. */
function run(steps: Array<[number, number, number]>, opts: { emailEnabled?: boolean; scopes?: AlertScope[] } = {}): { alerts: string[]; states: Map<string, SlaAlertState> } {
  const states = new Map<string, SlaAlertState>();
  const alerts: string[] = [];
  for (const [minute, atRisk, breached] of steps) {
    const now = new Date(Date.UTC(2025, 9, 28, 10, 0) + minute * 60_000);
    const open: SlaOpenCounts[] = atRisk + breached > 0 ? [{ schoolId: scope.schoolId, obligation: KEY, atRisk, breached, earliestDueAt: '2025-10-28T19:00:00.000Z' }] : [];
    const plan = planAlerts({ open, states: [...states.values()], scopes: opts.scopes ?? [scope], now, recoveryHoldMs: HOLD, emailEnabled: opts.emailEnabled ?? true });
    for (const s of plan.states) states.set(`${s.schoolId}/${s.obligation}`, s);
    for (const a of plan.alerts) alerts.push(`${a.previousLevel}→${a.level}@${minute}`);
  }
  return { alerts, states };
}

describe('sla alerts: the state machine per school and obligation', () => {
  it('at risk → breached → recovered: one alert per transition, recovery after 30 minutes clear', () => {
    const { alerts } = run([[0, 0, 0], [10, 1, 0], [20, 1, 0], [30, 0, 1], [40, 0, 1], [50, 0, 0], [70, 0, 0], [80, 0, 0], [81, 0, 0], [200, 0, 0]]);
    assert.deepEqual(alerts, ['ok→at_risk@10', 'at_risk→breached@30', 'breached→ok@80']);
  });

  it('a flapping scope does not storm: ten at-risk episodes within the hold cost one alert and one recovery', () => {
    const steps: Array<[number, number, number]> = [];
    for (let i = 0; i < 10; i++) steps.push([i * 4, 1, 0], [i * 4 + 2, 0, 0]);
    steps.push([60, 0, 0], [80, 0, 0]);
    assert.deepEqual(run(steps).alerts, ['ok→at_risk@0', 'at_risk→ok@80'], 'clear since minute 38; not yet at 60');
  });

  it('breached → at risk is not news; breached again within the hold is not either', () => {
    const { alerts, states } = run([[0, 0, 2], [10, 1, 0], [20, 0, 1], [25, 1, 0]]);
    assert.deepEqual(alerts, ['ok→breached@0']);
    assert.deepEqual([states.get(`school-3/${KEY}`)?.alertedLevel, states.get(`school-3/${KEY}`)?.observedLevel], ['breached', 'at_risk']);
  });

  it('after a recovery the next breach is alerted again', () => {
    assert.deepEqual(run([[0, 0, 1], [10, 0, 0], [40, 0, 0], [50, 0, 1]]).alerts, ['ok→breached@0', 'breached→ok@40', 'ok→breached@50']);
  });

  it('a scope that never left ok stores nothing; channels follow the school\'s contact and the e-mail transport', () => {
    const quiet = planAlerts({ open: [], states: [], scopes: [scope], now: new Date(), recoveryHoldMs: HOLD, emailEnabled: true });
    assert.deepEqual([quiet.states.length, quiet.alerts.length], [0, 0]);
    const open = [{ schoolId: 'school-3', obligation: KEY, atRisk: 1, breached: 0 }];
    const both = planAlerts({ open, states: [], scopes: [scope], now: new Date(), recoveryHoldMs: HOLD, emailEnabled: true }).alerts[0];
    const noMail = planAlerts({ open, states: [], scopes: [scope], now: new Date(), recoveryHoldMs: HOLD, emailEnabled: false }).alerts[0];
    const none = planAlerts({ open, states: [], scopes: [{ ...scope, itContact: {} }], now: new Date(), recoveryHoldMs: HOLD, emailEnabled: true }).alerts[0];
    assert.deepEqual([both?.webhook, both?.email, noMail?.webhook, noMail?.email, none?.webhook, none?.email], [true, true, true, false, false, false]);
  });

  it('texts are Russian, with counts, the obligation\'s title, the due time in school time, and no ids of records or people', () => {
    const open = [{ schoolId: 'school-3', obligation: KEY, atRisk: 2, breached: 3, earliestDueAt: '2025-10-28T19:00:00.000Z' }];
    const [a] = planAlerts({ open, states: [], scopes: [scope], now: new Date('2025-10-29T01:00:00Z'), recoveryHoldMs: HOLD, emailEnabled: true }).alerts;
    assert.equal(a?.payload['text'], 'Школа «Школа № 3»: нарушен срок «Отметки за период доступны не позднее 2 дней». Не выполнено в срок: 3 записи, '
      + 'ещё 2 записи под угрозой. Самый ранний срок: 29.10.2025 00:00 (Asia/Yekaterinburg). Подробности: diary-gateway report sla --school school-3.');
    assert.deepEqual(Object.keys(a?.payload ?? {}).sort(), ['at', 'atRisk', 'breached', 'earliestDueAt', 'event', 'level', 'obligation', 'obligationId', 'obligationTitle',
      'previousLevel', 'profileId', 'schoolId', 'schoolName', 'subject', 'text']);
    assert.deepEqual([records(1), records(2), records(5), records(11), records(21), records(22), records(112)], ['1 запись', '2 записи', '5 записей', '11 записей', '21 запись', '22 записи', '112 записей']);
  });
});
