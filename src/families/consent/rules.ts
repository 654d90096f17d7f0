/**
 * How a child's registrations combine into one status (pure; the store feeds it rows).
 *
 * Per applicant only the registration in force counts (the latest; older ones are superseded).
 * Then, for the child:
 * - any standing withdrawal → `withdrawn` (nothing electronic; the data is purged when due);
 * - else any standing refusal → `refused` (nothing electronic; the family is served on paper);
 * - else any consent in its validity window → `consented`, channels = the union of what those
 *   consents cover;
 * - else a consent that ran out → `expired`; else `none`.
 * The first two rules are deliberately conservative: one parent's objection is not outweighed
 * by the other parent's consent (each legal representative may object, 152-ФЗ ст. 9 ч. 2), and
 * only a new consent of the objecting applicant lifts it.
 */
import type { ApplicantKind, ChildConsentState, ChildConsentStatus, ConsentDecision, ElectronicChannel } from '../../core/consent';
import { ELECTRONIC_CHANNELS } from '../../core/consent';

export interface CurrentRow {
  id: number;
  applicantKind: ApplicantKind;
  applicantId: string;
  decision: ConsentDecision;
  channels: ElectronicChannel[];
  validFrom: string;
  validTo?: string;
  withdrawnAt?: string;
  purgeDueAt?: string;
}

export type ApplicantState = 'consented' | 'refused' | 'withdrawn' | 'expired' | 'pending';

/** The state of one applicant's registration in force at `now`. */
export function applicantState(r: CurrentRow, now: string): ApplicantState {
  if (r.decision === 'refusal') return 'refused';
  if (r.withdrawnAt !== undefined && r.withdrawnAt <= now) return 'withdrawn';
  if (r.validFrom > now) return 'pending';
  if (r.validTo !== undefined && r.validTo <= now) return 'expired';
  return 'consented';
}

export function childStatus(schoolId: string, childId: string, current: readonly CurrentRow[], now: string, purgedAt?: string): ChildConsentStatus {
  const states = current.map((r) => ({ r, s: applicantState(r, now) }));
  let state: ChildConsentState = 'none';
  if (states.some((x) => x.s === 'withdrawn')) state = 'withdrawn';
  else if (states.some((x) => x.s === 'refused')) state = 'refused';
  else if (states.some((x) => x.s === 'consented')) state = 'consented';
  else if (states.some((x) => x.s === 'expired')) state = 'expired';
  const allowed = new Set<ElectronicChannel>();
  if (state === 'consented') for (const x of states) if (x.s === 'consented') x.r.channels.forEach((c) => allowed.add(c));
  const due = states.filter((x) => x.s === 'withdrawn' && x.r.purgeDueAt !== undefined).map((x) => x.r.purgeDueAt as string).sort()[0];
  return {
    schoolId, childId, state,
    channels: ELECTRONIC_CHANNELS.filter((c) => allowed.has(c)),
    current: current.map((r) => ({
      id: r.id, applicantKind: r.applicantKind, applicantId: r.applicantId, decision: r.decision, channels: r.channels,
      ...(r.validTo !== undefined ? { validTo: r.validTo } : {}),
      ...(r.withdrawnAt !== undefined ? { withdrawnAt: r.withdrawnAt } : {}),
    })),
    ...(due !== undefined ? { purgeDueAt: due } : {}),
    ...(purgedAt !== undefined ? { purgedAt } : {}),
  };
}

/** Applicants whose own consent in force covers `channel` (the only ones notified over it). */
export function consentingApplicants(current: readonly CurrentRow[], channel: ElectronicChannel, now: string): Set<string> {
  return new Set(current.filter((r) => applicantState(r, now) === 'consented' && r.channels.includes(channel)).map((r) => r.applicantId));
}
