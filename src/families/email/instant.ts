/**
 * Instant notices (absence, final result) from the ledger's new revisions: shared by every family
 * channel's notifier (e-mail, SMS), each with its own outbox and watermark.
 */
import { addDays } from '../../infra/adapter-kit/dates';
import { localDateOf } from '../../sla/local-time';
import type { FamilyDataReader } from './data';
import type { NoticeOutbox } from './outbox';

/** A school's instant-notice settings on one channel. */
export interface InstantRule {
  /** Kinds of instant notice the school sends on this channel ('absence', 'final_mark'). */
  instant: readonly string[];
  /** Older events make no instant notice (a late import must not flood families). */
  instantMaxAgeDays: number;
  timezone: string;
}

const FINAL_KINDS = new Set(['period', 'annual', 'final', 'exam']);
const DAY_MS = 86_400_000;
const PAGE = 500;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Queues the instant notices of the revisions after the outbox's watermark `key` and moves it.
 * The first call only sets the watermark: history makes no notices. `ruleOf` gives a school's
 * settings, or undefined when the channel is off for it. Returns the notices queued (a notice
 * already queued under the same key is not queued again).
 */
export function queueInstantNotices(outbox: NoticeOutbox, reader: FamilyDataReader, key: string,
  ruleOf: (schoolId: string) => InstantRule | undefined, now: Date): number {
  const stored = outbox.getState(key);
  if (stored === undefined) {
    outbox.setState(key, String(reader.latestRevision()));
    return 0;
  }
  let wm = Number(stored);
  let queued = 0;
  for (;;) {
    const rows = reader.newerThan(wm, PAGE);
    for (const row of rows) {
      wm = row.revision;
      const rule = ruleOf(row.school_id);
      if (!rule) continue;
      const b = JSON.parse(row.body) as Record<string, unknown>;
      const child = str(b['studentId']);
      if (b['status'] !== 'active' || child === undefined) continue;
      const maxAge = rule.instantMaxAgeDays;
      const at = now.toISOString();
      if (row.entity_type === 'attendance_event' && rule.instant.includes('absence') && String(b['category'] ?? '').startsWith('absent_')) {
        if ((str(b['date']) ?? '') < addDays(localDateOf(now, rule.timezone), -maxAge)) continue;
        queued += outbox.queue({ key: `absence:${row.id}`, schoolId: row.school_id, childId: child, kind: 'absence', recordId: row.id }, at);
      } else if (row.entity_type === 'mark' && rule.instant.includes('final_mark') && FINAL_KINDS.has(String(b['kind']))) {
        if ((str(b['markedAt']) ?? row.first_seen_at) < new Date(now.getTime() - maxAge * DAY_MS).toISOString()) continue;
        const value = (b['value'] as { raw?: string } | undefined)?.raw ?? '';
        queued += outbox.queue({ key: `final:${row.id}:${String(b['markStatus'])}:${value}`, schoolId: row.school_id, childId: child, kind: 'final_mark', recordId: row.id }, at);
      }
    }
    outbox.setState(key, String(wm));
    if (rows.length < PAGE) return queued;
  }
}
