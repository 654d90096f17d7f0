/**
 * The consent gate: the one check between a child's record and any electronic channel —
 * portal push (the DeliveryWorker calls it for every claimed batch), the pull API
 * (`gatedRecords`), e-mail (the notifier) and SMS (the SMS notifier calls `check` with `sms`).
 *
 * It decides at send time from the registry, never from a cache, so a withdrawal registered a
 * moment ago already stops the next push. Records about no child (class-level, see
 * consent/subjects.ts) pass; records it cannot tie to a child fail closed.
 */
import type { ChildConsentStatus, ConsentGate, ConsentStore, ElectronicChannel, GateDecision, GateReason, GateSubject } from '../core/consent';
import { GatewayError } from '../core/errors';
import type { Ledger, RecordFilter, StoredRecord } from '../core/ledger';
import { SqliteLedger } from '../ledger/sqlite/sqlite-ledger';
import { resolveConcerns, type SubjectLookups } from './consent/subjects';
import { SqliteSubjectLookups } from './consent/sqlite-lookups';

const REASON_OF_STATE: Record<ChildConsentStatus['state'], GateReason> = {
  none: 'no_consent', refused: 'refused', withdrawn: 'withdrawn', expired: 'expired', consented: 'channel_not_covered',
};

export class RegistryConsentGate implements ConsentGate {
  constructor(private readonly store: ConsentStore, private readonly lookups: SubjectLookups) {}

  async check(subjects: readonly GateSubject[], channel: ElectronicChannel, now: string): Promise<GateDecision[]> {
    if (subjects.length === 0) return [];
    const concerns = await resolveConcerns(subjects, this.lookups);
    const wanted = new Map<string, Set<string>>();
    concerns.forEach((c, i) => {
      if (c.kind !== 'children') return;
      const school = (subjects[i] as GateSubject).schoolId;
      const set = wanted.get(school) ?? new Set<string>();
      c.ids.forEach((id) => set.add(id));
      wanted.set(school, set);
    });
    const statuses = new Map<string, Map<string, ChildConsentStatus>>();
    for (const [school, ids] of wanted) statuses.set(school, await this.store.statuses(school, [...ids], now));
    const decisions = concerns.map((c, i): GateDecision => {
      if (c.kind === 'class') return { allowed: true, childIds: [] };
      if (c.kind === 'purged') return { allowed: false, childIds: [], reason: 'purged' };
      if (c.kind === 'unresolved') return { allowed: false, childIds: [], reason: 'unresolved' };
      const of = statuses.get((subjects[i] as GateSubject).schoolId);
      const refused = c.ids.map((id) => of?.get(id)).filter((s) => !s || !s.channels.includes(channel));
      const allowed = c.any === true ? refused.length < c.ids.length : refused.length === 0;
      if (allowed) return { allowed: true, childIds: c.ids };
      return { allowed: false, childIds: c.ids, reason: REASON_OF_STATE[refused[0]?.state ?? 'none'] };
    });
    const withheld = subjects.flatMap((s, i) => {
      const d = decisions[i] as GateDecision;
      return !d.allowed && s.deliveryId !== undefined && d.reason !== 'purged' ? [{ deliveryId: s.deliveryId, schoolId: s.schoolId, childIds: d.childIds }] : [];
    });
    await this.store.noteWithheld(withheld);
    return decisions;
  }
}

/** The gate over the SQLite ledger and a registry stored in it. */
export function createConsentGate(ledger: Ledger, store: ConsentStore): ConsentGate {
  if (!(ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The consent gate needs the SQLite ledger');
  return new RegistryConsentGate(store, new SqliteSubjectLookups(ledger.database()));
}

/**
 * Records for a pull API: `ledger.listRecords` with every record the gate refuses for `channel`
 * left out, and how many were left out (never which: that would tell whose consent is missing).
 */
export async function gatedRecords(ledger: Ledger, gate: ConsentGate, filter: RecordFilter, now: string, channel: ElectronicChannel = 'api'): Promise<{ items: StoredRecord[]; withheld: number }> {
  const records = await ledger.listRecords(filter);
  const decisions = await gate.check(records.map((r) => ({ entityType: r.entityType, schoolId: r.schoolId, payload: r.record })), channel, now);
  const items = records.filter((_, i) => decisions[i]?.allowed === true);
  return { items, withheld: records.length - items.length };
}

/**
 * For pull APIs that build their answer per child (the ФГИС «Моя школа» Schedule,
 * src/http/fgis/schedule.ts `allowChild`): whether the child's own records may go out over
 * `channel` now. Class-level parts of such an answer need no consent.
 */
export function childAllowedFor(store: ConsentStore, channel: ElectronicChannel, now: () => Date): (schoolId: string, childId: string) => Promise<boolean> {
  return async (schoolId, childId) => (await store.status(schoolId, childId, now().toISOString())).channels.includes(channel);
}
