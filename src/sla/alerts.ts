/**
 * The alert state machine, one per (school, obligation), and the alert texts.
 *
 * Level of a scope: `breached` when any of its records is past due and not met, else `at_risk`
 * when any is within the risk window, else `ok`. What the school was last told
 * (`alertedLevel`) changes, and one alert is queued, only on these transitions:
 *
 * | from \ to  | at_risk        | breached       | ok (recovered)                          |
 * |------------|----------------|----------------|-----------------------------------------|
 * | ok         | alert at once  | alert at once  | —                                       |
 * | at_risk    | —              | alert at once  | after `recoveryHoldMs` of ok            |
 * | breached   | nothing (stays breached) | —    | after `recoveryHoldMs` of ok            |
 *
 * Escalations are urgent and cannot storm: a scope escalates again only after a recovery,
 * and a recovery needs the scope to stay clear for the hold. So a flapping scope costs at
 * most two alerts per hold period, and a breach that clears and returns within the hold costs
 * none. Everything here is pure; the engine saves the states and the alerts in one transaction.
 */
import type { SlaAlertInput, SlaAlertLevel, SlaAlertState, SlaOpenCounts } from '../core/sla-store';
import { formatMoment } from '../infra/report/model';
import type { ItContact } from './settings';

const RANK: Record<SlaAlertLevel, number> = { ok: 0, at_risk: 1, breached: 2 };

export interface AlertScope {
  schoolId: string;
  schoolName: string;
  timeZone: string;
  itContact: ItContact;
  /** Obligation key → Russian title, for the obligations the school follows. */
  obligations: ReadonlyMap<string, string>;
}

export interface AlertPlan {
  /** State machines that changed. */
  states: SlaAlertState[];
  alerts: SlaAlertInput[];
}

export function levelOf(c: Pick<SlaOpenCounts, 'atRisk' | 'breached'> | undefined): SlaAlertLevel {
  if (c === undefined) return 'ok';
  return c.breached > 0 ? 'breached' : c.atRisk > 0 ? 'at_risk' : 'ok';
}

/** Decides the transitions of every scope of the configured schools at `now`. */
export function planAlerts(input: {
  open: readonly SlaOpenCounts[];
  states: readonly SlaAlertState[];
  scopes: readonly AlertScope[];
  now: Date;
  recoveryHoldMs: number;
  emailEnabled: boolean;
}): AlertPlan {
  const nowIso = input.now.toISOString();
  const key = (s: string, o: string): string => `${s}\u0000${o}`;
  const open = new Map(input.open.map((c) => [key(c.schoolId, c.obligation), c]));
  const states = new Map(input.states.map((s) => [key(s.schoolId, s.obligation), s]));
  const plan: AlertPlan = { states: [], alerts: [] };
  for (const scope of input.scopes) {
    const obligations = new Set<string>(scope.obligations.keys());
    for (const s of input.states) if (s.schoolId === scope.schoolId) obligations.add(s.obligation);
    for (const obligation of [...obligations].sort()) {
      const counts = open.get(key(scope.schoolId, obligation));
      const level = levelOf(counts);
      const before = states.get(key(scope.schoolId, obligation));
      const st: SlaAlertState = before ? { ...before } : { schoolId: scope.schoolId, obligation, alertedLevel: 'ok', observedLevel: 'ok', observedSince: nowIso };
      if (level !== st.observedLevel) {
        st.observedLevel = level;
        st.observedSince = nowIso;
      }
      let alertTo: SlaAlertLevel | undefined;
      if (RANK[level] > RANK[st.alertedLevel]) alertTo = level;
      else if (level === 'ok' && st.alertedLevel !== 'ok' && input.now.getTime() - Date.parse(st.observedSince) >= input.recoveryHoldMs) alertTo = 'ok';
      if (alertTo !== undefined) {
        plan.alerts.push({
          schoolId: scope.schoolId, obligation, level: alertTo, previousLevel: st.alertedLevel, createdAt: nowIso,
          payload: alertPayload(scope, obligation, st.alertedLevel, alertTo, counts, input.now),
          webhook: scope.itContact.webhookUrl !== undefined,
          email: scope.itContact.email !== undefined && input.emailEnabled,
        });
        st.alertedLevel = alertTo;
        st.alertedAt = nowIso;
      }
      const changed = before === undefined ? level !== 'ok' : JSON.stringify(before) !== JSON.stringify(st);
      if (changed) plan.states.push(st);
    }
  }
  return plan;
}

const EVENT: Record<SlaAlertLevel, string> = { at_risk: 'sla.at_risk', breached: 'sla.breached', ok: 'sla.recovered' };

/** The JSON body of the webhook; `text` and `subject` are also the e-mail's. No personal data. */
export function alertPayload(scope: AlertScope, obligation: string, from: SlaAlertLevel, to: SlaAlertLevel, counts: SlaOpenCounts | undefined, now: Date): Record<string, unknown> {
  const title = scope.obligations.get(obligation) ?? obligation;
  const [profileId, obligationId] = obligation.split('/');
  const atRisk = counts?.atRisk ?? 0;
  const breached = counts?.breached ?? 0;
  const earliest = counts?.earliestDueAt;
  const when = earliest !== undefined ? formatMoment(earliest, scope.timeZone) : undefined;
  let subject: string;
  let text: string;
  if (to === 'breached') {
    subject = `Нарушен срок: ${title}`;
    text = `Школа «${scope.schoolName}»: нарушен срок «${title}». Не выполнено в срок: ${records(breached)}`
      + `${atRisk > 0 ? `, ещё ${records(atRisk)} под угрозой` : ''}.${when ? ` Самый ранний срок: ${when}.` : ''}`;
  } else if (to === 'at_risk') {
    subject = `Под угрозой срок: ${title}`;
    text = `Школа «${scope.schoolName}»: под угрозой срок «${title}». Не доставлено и скоро истекает: ${records(atRisk)}.`
      + `${when ? ` Ближайший срок: ${when}.` : ''}`;
  } else {
    subject = `Срок снова соблюдается: ${title}`;
    text = `Школа «${scope.schoolName}»: по обязательству «${title}» нет просроченных записей и записей под угрозой.`;
  }
  text += ' Подробности: diary-gateway report sla --school ' + scope.schoolId + '.';
  return {
    event: EVENT[to], schoolId: scope.schoolId, schoolName: scope.schoolName, obligation, profileId, obligationId, obligationTitle: title,
    level: to, previousLevel: from, atRisk, breached, ...(earliest !== undefined ? { earliestDueAt: earliest } : {}),
    at: now.toISOString(), subject: `[diary-gateway] ${subject}`, text,
  };
}

/** «3 записи», «1 запись», «5 записей». */
export function records(n: number): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  const word = mod10 === 1 && mod100 !== 11 ? 'запись' : mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14) ? 'записи' : 'записей';
  return `${n} ${word}`;
}
