/**
 * Requests for a family's personal access code to the e-diary: the school registers the request,
 * later records that the code was issued, and the deadline of its regulation is tracked
 * (kamensk-uralsky-19: 5 working days from registration; a request received after working hours
 * or on a day off counts as received on the next working day).
 *
 * The gateway does not make codes: the journal or portal does, and the school hands them over.
 * The family is known only by the school's reference (an application number or a canonical id,
 * with at least one digit, so a name cannot be typed in by mistake); logs show the request id.
 */
import { GatewayError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { AccessCodeRequestRow, SlaStore } from '../core/sla-store';
import { evaluateRecord, type AccessCodeRequest } from './due';
import { ACCESS_REQUEST_PREFIX, type SlaEngine } from './engine';
import { localDateOf } from './local-time';

/** Application number or id: Latin letters, digits and . _ : / -, at least one digit, up to 64. */
export const FAMILY_REF_PATTERN = /^(?=.*[0-9])[A-Za-z0-9._:/-]{1,64}$/;
/** Clock skew tolerated for a receivedAt slightly in the future. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export type AccessCodeStatus = 'open' | 'overdue' | 'issued' | 'issued_late';

export interface AccessCodeView extends AccessCodeRequestRow {
  /** The obligation row's key, e.g. 'acr:12'. */
  ref: string;
  status: AccessCodeStatus;
  /** The request came after hours or on a day off and counts from the next working day. */
  movedToNextWorkingDay: boolean;
}

export class AccessCodeService {
  constructor(private readonly deps: { store: SlaStore; engine: SlaEngine; log: Logger }) {}

  /** Registers a request; its deadline follows the school's regulations. */
  async register(input: { schoolId: string; familyRef: string; receivedAt?: string; actor: string; now: Date }): Promise<AccessCodeView> {
    const school = this.deps.engine.schools.get(input.schoolId);
    if (school === undefined) throw new GatewayError('GW_SCHOOL_UNKNOWN', `School ${input.schoolId} has no SLA settings (schools[].sla).`);
    if (!FAMILY_REF_PATTERN.test(input.familyRef)) {
      throw new GatewayError('GW_API_BAD_REQUEST', 'The family reference must be an application number or id, not a name.', {
        issues: [{ path: '/body/familyRef', message: 'Latin letters, digits and . _ : / - only, with at least one digit, up to 64 characters' }],
      });
    }
    const receivedAt = input.receivedAt === undefined ? input.now : new Date(input.receivedAt);
    if (Number.isNaN(receivedAt.getTime())) throw badTime('receivedAt', 'must be an ISO 8601 date-time');
    if (receivedAt.getTime() > input.now.getTime() + FUTURE_TOLERANCE_MS) throw badTime('receivedAt', 'must not be in the future');
    const probe: AccessCodeRequest = { entityType: 'access_code_request', id: 'acr:new', schoolId: input.schoolId, receivedAt: receivedAt.toISOString() };
    const clocks = evaluateRecord(school.sla, probe, {}, input.now).filter((r) => r.dueAt !== undefined);
    if (clocks.length === 0) {
      throw new GatewayError('GW_API_BAD_REQUEST', `School ${input.schoolId} follows no regulation with an access-code deadline.`, {
        issues: [{ path: '/params/schoolId', message: `profiles ${school.sla.profileIds.join(', ')} have no access_code_request obligation` }],
      });
    }
    const first = clocks.reduce((a, b) => ((a.dueAt as string) <= (b.dueAt as string) ? a : b));
    const row = await this.deps.store.insertAccessRequest({
      schoolId: input.schoolId, familyRef: input.familyRef, receivedAt: receivedAt.toISOString(),
      registeredAt: first.registration?.at ?? first.startAt ?? receivedAt.toISOString(),
      dueAt: first.dueAt as string, dueDate: first.dueDate as string, registeredBy: input.actor, now: input.now.toISOString(),
    });
    await this.deps.engine.writeRequest(row, input.now);
    this.deps.log.info('access-code request registered', { schoolId: row.schoolId, requestId: row.id, dueAt: row.dueAt, actor: input.actor });
    return this.view(row, input.now);
  }

  /** Records that the code was handed over (default: now). */
  async issue(id: number, input: { issuedAt?: string; actor: string; now: Date }): Promise<AccessCodeView> {
    const before = await this.deps.store.getAccessRequest(id);
    if (before === undefined) throw new GatewayError('GW_API_NOT_FOUND', `Access-code request ${id} does not exist.`);
    const issuedAt = input.issuedAt === undefined ? input.now : new Date(input.issuedAt);
    if (Number.isNaN(issuedAt.getTime())) throw badTime('issuedAt', 'must be an ISO 8601 date-time');
    if (issuedAt.getTime() > input.now.getTime() + FUTURE_TOLERANCE_MS) throw badTime('issuedAt', 'must not be in the future');
    if (issuedAt.getTime() < Date.parse(before.receivedAt)) throw badTime('issuedAt', 'must not be before the request was received');
    const row = await this.deps.store.issueAccessRequest(id, issuedAt.toISOString(), input.actor, input.now.toISOString());
    await this.deps.engine.writeRequest(row, input.now);
    this.deps.log.info('access code issued', { schoolId: row.schoolId, requestId: row.id, late: (row.issuedAt ?? '') > row.dueAt, actor: input.actor });
    return this.view(row, input.now);
  }

  async list(filter: { schoolId?: string; open?: boolean; limit?: number }, now: Date): Promise<AccessCodeView[]> {
    return (await this.deps.store.listAccessRequests(filter)).map((r) => this.view(r, now));
  }

  async get(id: number, now: Date): Promise<AccessCodeView> {
    const row = await this.deps.store.getAccessRequest(id);
    if (row === undefined) throw new GatewayError('GW_API_NOT_FOUND', `Access-code request ${id} does not exist.`);
    return this.view(row, now);
  }

  private view(row: AccessCodeRequestRow, now: Date): AccessCodeView {
    return view(row, now, this.deps.engine.schools.get(row.schoolId)?.sla.timeZone ?? 'Europe/Moscow');
  }
}

function view(row: AccessCodeRequestRow, now: Date, timeZone: string): AccessCodeView {
  const moved = localDateOf(new Date(row.registeredAt), timeZone) !== localDateOf(new Date(row.receivedAt), timeZone);
  const status: AccessCodeStatus = row.issuedAt !== undefined
    ? (row.issuedAt > row.dueAt ? 'issued_late' : 'issued')
    : (now.toISOString() > row.dueAt ? 'overdue' : 'open');
  return { ...row, ref: `${ACCESS_REQUEST_PREFIX}${row.id}`, status, movedToNextWorkingDay: moved };
}

function badTime(field: string, message: string): GatewayError {
  return new GatewayError('GW_API_BAD_REQUEST', `Invalid ${field}.`, { issues: [{ path: `/body/${field}`, message }] });
}
