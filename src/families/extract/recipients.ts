/**
 * Who gets the weekly extract on paper, from the consent registry (domain.md §0: paper is a
 * first-class channel). A family gets one when, at the run:
 * - the child's status blocks every electronic channel: a refusal, a withdrawal (until the
 *   purge has destroyed the data — then the gateway has nothing to print and the school prints
 *   from its journal), an expired consent, or nothing registered at all (a student the ledger
 *   knows without any registration) → `refused_electronic` / `no_access`;
 * - an applicant chose paper among the contact channels → `requested_paper`;
 * - the consent in force reaches the family nowhere (no portal or API, and no e-mail address or
 *   phone for a covered, chosen channel) → `no_access`.
 * A family with a valid electronic consent that reaches it gets no extract.
 */
import type { PaperFamily, PaperReason } from '../../core/consent';
import type { SqliteConsentStore } from '../../ledger/sqlite/consent-store';
import type { PaperRecipient, PaperRecipients } from './run';

/** What the recipients need of the registry (SqliteConsentStore has it). */
export type PaperRegistry = Pick<SqliteConsentStore, 'paperFamilies' | 'unreachable'>;

const REASON: Record<PaperReason, NonNullable<PaperRecipient['reason']>> = {
  refusal: 'refused_electronic', withdrawn: 'refused_electronic', consent_expired: 'no_access', no_consent: 'no_access', chosen_paper: 'requested_paper',
};

export function consentPaperRecipients(registry: PaperRegistry, now: () => Date): PaperRecipients {
  return {
    async paperFamilies(schoolId) {
      const at = now().toISOString();
      const listed: PaperFamily[] = await registry.paperFamilies({ schoolId, includeUnregistered: true }, at);
      const out = new Map<string, PaperRecipient>();
      for (const f of listed) if (!f.dataPurged) out.set(f.childId, { studentId: f.childId, reason: REASON[f.reason] });
      for (const c of await registry.unreachable(schoolId, at)) if (!out.has(c)) out.set(c, { studentId: c, reason: 'no_access' });
      return [...out.values()];
    },
  };
}
