/**
 * From the deadline engine's verdicts (due.ts) to the state of one (record, obligation) row.
 *
 * - met (the journal had it for `entered_at_source`; delivered / available / served otherwise):
 *   `late` when either clock is late, else `on_time`; `lateMs` = the journal's share + the
 *   gateway's share.
 * - not met: `breached` past the due time, `at_risk` within the risk window before it,
 *   `pending` before that. A deferred mark (illness) waits for its deferral's due date.
 * - `unresolved`: a fact is missing (the lesson's date, the period's end) or the production
 *   calendar does not cover the year; looked at again while the record is young.
 *
 * `nextCheckAt` is when the row must be judged again even if nothing about the record changes:
 * the start of the risk window, the due time, or the next retry of an unresolved row.
 */
import type { SlaObligationRow, SlaState } from '../core/sla-store';
import { localDateOf } from './local-time';
import type { ClockVerdict, ObligationResult } from './due';

/** How often an unresolved row is retried (a lesson or period may arrive after the mark). */
export const UNRESOLVED_RECHECK_MS = 3_600_000;
/** …and for how long after the gateway first saw the record. */
export const UNRESOLVED_RECHECK_FOR_MS = 7 * 86_400_000;

export interface RowContext {
  recordId: string;
  schoolId: string;
  entityType: string;
  timeZone: string;
  recordRevision?: number;
  /** When the gateway first saw it (or the request was received): the fallback period date. */
  seenAt: string;
  atRiskMs: number;
  now: Date;
  labels?: { classGroupId?: string; classLabel?: string; subjectId?: string; subjectLabel?: string };
}

const isMet = (v: ClockVerdict | null): v is ClockVerdict & { at: string } => v !== null && (v.status === 'on_time' || v.status === 'late') && v.at !== undefined;

/** The stored row of one verdict. */
export function toRow(r: ObligationResult, c: RowContext): SlaObligationRow {
  const evaluatedAt = c.now.toISOString();
  const base = {
    recordId: c.recordId, obligation: r.key, schoolId: c.schoolId, entityType: c.entityType,
    ...(c.recordRevision !== undefined ? { recordRevision: c.recordRevision } : {}),
    recordRef: c.recordId.startsWith('acr:') ? c.recordId : c.recordId.slice(0, 8),
    ...stripUndefined(c.labels ?? {}),
    ...(r.eventDate !== undefined ? { eventDate: r.eventDate } : {}),
    ...(r.startAt !== undefined ? { clockStart: r.startAt } : {}),
    ...(r.dueAt !== undefined ? { dueAt: r.dueAt } : {}),
    ...(r.dueDate !== undefined ? { dueDate: r.dueDate } : {}),
    ...verdictColumns(r.source, r.gateway),
    evaluatedAt,
  };
  const seenDate = localDateOf(new Date(c.seenAt), c.timeZone);

  if (r.state === 'unresolved') {
    const young = c.now.getTime() - Date.parse(c.seenAt) < UNRESOLVED_RECHECK_FOR_MS;
    return {
      ...base, periodDate: r.eventDate ?? seenDate, lateMs: 0, state: 'unresolved',
      detail: `нет данных: ${(r.missing ?? []).join(', ')}`,
      ...(young ? { nextCheckAt: new Date(c.now.getTime() + UNRESOLVED_RECHECK_MS).toISOString() } : {}),
    };
  }

  if (r.state === 'deferred') {
    const due = r.source?.dueAt;
    const open = openState(due, c);
    return {
      ...base, periodDate: r.deferralDueDate ?? seenDate, ...(due !== undefined ? { dueAt: due } : {}),
      ...(r.deferralDueDate !== undefined ? { dueDate: r.deferralDueDate } : {}),
      lateMs: 0, detail: 'отметка отложена (уважительная причина)', ...open,
    };
  }

  const decisive = r.metBy === 'entered_at_source' ? r.source : r.gateway;
  const periodDate = r.dueDate ?? r.eventDate ?? seenDate;
  if (decisive === null || decisive.status === 'unknown') {
    return { ...base, periodDate, lateMs: 0, state: 'unresolved', detail: 'нет данных: когда запись появилась в журнале' };
  }
  if (isMet(decisive)) {
    const sourceLate = r.source?.status === 'late' ? r.source.lateByMs : 0;
    const gatewayLate = r.metBy === 'entered_at_source' ? 0 : decisive.lateByMs;
    const state: SlaState = sourceLate > 0 || gatewayLate > 0 ? 'late' : 'on_time';
    return { ...base, periodDate, metAt: decisive.at, lateMs: sourceLate + gatewayLate, state };
  }
  // Not met yet: judged against the gateway's due time (later than the regulation's when the journal was late).
  return { ...base, periodDate, lateMs: r.source?.status === 'late' ? r.source.lateByMs : 0, ...openState(decisive.dueAt, c) };
}

function openState(dueAt: string | undefined, c: RowContext): { state: SlaState; nextCheckAt?: string } {
  if (dueAt === undefined) return { state: 'pending' };
  const due = Date.parse(dueAt);
  const now = c.now.getTime();
  if (now > due) return { state: 'breached' };
  const riskFrom = due - c.atRiskMs;
  if (now >= riskFrom) return { state: 'at_risk', nextCheckAt: new Date(due + 1).toISOString() };
  return { state: 'pending', nextCheckAt: new Date(riskFrom).toISOString() };
}

function verdictColumns(source: ClockVerdict | null, gateway: ClockVerdict | null): Pick<SlaObligationRow,
  'sourceStatus' | 'sourceLateMs' | 'sourceBasis' | 'sourceApproximate' | 'gatewayStatus' | 'gatewayLateMs' | 'gatewayDueAt'> {
  return {
    ...(source !== null ? { sourceStatus: source.status } : {}),
    sourceLateMs: source?.status === 'late' ? source.lateByMs : 0,
    ...(source?.basis !== undefined ? { sourceBasis: source.basis } : {}),
    sourceApproximate: source?.approximate === true,
    ...(gateway !== null ? { gatewayStatus: gateway.status, gatewayDueAt: gateway.dueAt } : {}),
    gatewayLateMs: gateway?.status === 'late' ? gateway.lateByMs : 0,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
