/**
 * How each student's family is reached, for obligations that cover only some channels
 * (kamensk-uralsky-19 `paper-weekly`: families who refused electronic delivery are informed on
 * paper at least weekly).
 *
 * The engine asks once per school and evaluation pass (`FamilyChannelsSource`), never per
 * record, so a store behind it (the consent registry in the ledger) is read once per tick. A
 * change of the answer changes the school's fingerprint, and the engine judges that school
 * again from scratch: a family that moved to paper gets the weekly obligation for what comes
 * next, and one that left paper loses it.
 */
import { createHash } from 'node:crypto';
import type { PaperFamily, PaperFilter } from '../core/consent';
import type { Channel } from './profiles';

/** The channels of one student's family, and since when (a paper family owes nothing for weeks before it went on paper). */
export interface FamilyChannels {
  channels: readonly Channel[];
  /** UTC ISO: when the family started being reached this way; absent = always. */
  since?: string;
}

/** Students of one school whose family is not (only) electronic; every other family is electronic. */
export type SchoolChannels = ReadonlyMap<string, FamilyChannels>;

/** Asked once per school and pass. */
export type FamilyChannelsSource = (schoolId: string, now: Date) => Promise<SchoolChannels>;

/**
 * The consent registry's paper families as channels: a refusal, a withdrawal, an ended or
 * missing consent means paper only; a consent whose applicant chose paper among the contact
 * channels means both. Only families registered in the consent registry are listed (a student
 * with nothing registered is electronic here, as the gate decides for the school); `since` is
 * the registry's moment the reason arose.
 */
export function consentFamilyChannels(store: { paperFamilies(filter: PaperFilter, now: string): Promise<PaperFamily[]> }): FamilyChannelsSource {
  return async (schoolId, now) => {
    const out = new Map<string, FamilyChannels>();
    for (const f of await store.paperFamilies({ schoolId }, now.toISOString())) {
      const channels: readonly Channel[] = f.reason === 'chosen_paper' ? ['electronic', 'paper'] : ['paper'];
      out.set(f.childId, { channels, ...(f.since !== undefined ? { since: f.since } : {}) });
    }
    return out;
  };
}

/** A fingerprint of a school's channels (sorted), folded into its configuration hash. */
export function channelsFingerprint(c: SchoolChannels): string {
  const entries = [...c].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, f]) => [id, [...f.channels].sort(), f.since ?? null]);
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}
