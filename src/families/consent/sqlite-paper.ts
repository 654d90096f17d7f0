/**
 * Families served on paper (domain.md §0: the paper channel is a first-class channel, not an
 * error state). Read by the printed-extract builder through `ConsentStore.paperFamilies`.
 *
 * - refused: a standing refusal (the family asked for paper);
 * - withdrawn: a standing withdrawal; `dataPurged` once the gateway destroyed the child's data
 *   (then the school prints from its journal, the gateway has nothing left to print);
 * - consent_expired: the consent ran out and nothing replaced it;
 * - chosen_paper: consented, but an applicant chose paper among the contact channels;
 * - no_consent: registered but not (yet) in force, and, with `includeUnregistered`, students
 *   the ledger knows for whom nothing is registered.
 */
import type { ChildConsentStatus, PaperFamily, PaperFilter } from '../../core/consent';
import type { Db } from '../../ledger/sqlite/connection';

export interface StatusSource {
  statusesSync(schoolId: string, childIds: readonly string[], now: string): Map<string, ChildConsentStatus>;
}

interface ContactPaperRow { school_id: string; child_id: string; applicant_id: string; channels: string; given_at: string }

export function paperFamiliesOf(db: Db, source: StatusSource, filter: PaperFilter, now: string): PaperFamily[] {
  const school = filter.schoolId ?? null;
  const registered = db.prepare<[{ s: string | null }], { school_id: string; child_id: string }>(
    'SELECT DISTINCT school_id, child_id FROM consents WHERE (@s IS NULL OR school_id = @s) ORDER BY school_id, child_id',
  ).all({ s: school });
  const contacts = db.prepare<[{ s: string | null }], ContactPaperRow>(
    'SELECT school_id, child_id, applicant_id, channels, given_at FROM family_contacts WHERE (@s IS NULL OR school_id = @s)',
  ).all({ s: school });
  const paperChoice = new Map<string, ContactPaperRow[]>();
  for (const c of contacts) {
    if (!(JSON.parse(c.channels) as string[]).includes('paper')) continue;
    const k = `${c.school_id}\n${c.child_id}`;
    paperChoice.set(k, [...(paperChoice.get(k) ?? []), c]);
  }
  const bySchool = new Map<string, string[]>();
  for (const r of registered) bySchool.set(r.school_id, [...(bySchool.get(r.school_id) ?? []), r.child_id]);
  const out: PaperFamily[] = [];
  for (const [schoolId, children] of bySchool) {
    const statuses = source.statusesSync(schoolId, children, now);
    for (const childId of children) {
      const s = statuses.get(childId);
      if (!s) continue;
      const entry = paperEntry(s, paperChoice.get(`${schoolId}\n${childId}`) ?? []);
      if (entry) out.push(entry);
    }
  }
  if (filter.includeUnregistered === true) {
    const known = new Set(registered.map((r) => `${r.school_id}\n${r.child_id}`));
    const students = db.prepare<[{ s: string | null }], { school_id: string; id: string }>(`SELECT r.school_id, r.id FROM records r
      JOIN record_versions v ON v.revision = r.revision
      WHERE r.entity_type = 'person' AND r.status = 'active' AND (@s IS NULL OR r.school_id = @s)
        AND json_extract(v.body, '$.purged') IS NULL
        AND EXISTS (SELECT 1 FROM json_each(v.body, '$.roles') WHERE value = 'student') ORDER BY r.school_id, r.id`).all({ s: school });
    for (const p of students) {
      if (!known.has(`${p.school_id}\n${p.id}`)) out.push({ schoolId: p.school_id, childId: p.id, reason: 'no_consent', applicantIds: [], dataPurged: false });
    }
  }
  return out;
}

function paperEntry(s: ChildConsentStatus, chosen: ContactPaperRow[]): PaperFamily | undefined {
  const applicantIds = [...new Set([...s.current.map((c) => c.applicantId), ...chosen.map((c) => c.applicant_id)])].sort();
  const base = { schoolId: s.schoolId, childId: s.childId, applicantIds };
  switch (s.state) {
    case 'withdrawn': {
      const since = s.current.map((c) => c.withdrawnAt).filter((w): w is string => w !== undefined).sort()[0];
      const dataPurged = s.purgedAt !== undefined && (since === undefined || s.purgedAt >= since);
      return { ...base, reason: 'withdrawn', ...(since ? { since } : {}), dataPurged };
    }
    case 'refused':
      return { ...base, reason: 'refusal', dataPurged: false };
    case 'expired': {
      const since = s.current.map((c) => c.validTo).filter((w): w is string => w !== undefined).sort().pop();
      return { ...base, reason: 'consent_expired', ...(since ? { since } : {}), dataPurged: false };
    }
    case 'none':
      return { ...base, reason: 'no_consent', dataPurged: false };
    case 'consented': {
      if (chosen.length === 0) return undefined;
      const since = chosen.map((c) => c.given_at).sort()[0];
      return { ...base, reason: 'chosen_paper', ...(since ? { since } : {}), dataPurged: false };
    }
    default:
      return undefined;
  }
}
