/**
 * The family notice outbox (`family_notices`, one channel per instance) and small named values
 * (`family_state`). Rows hold keys, states and error codes only: no text, no address.
 * States: pending → sent | withheld | empty | retry_wait → … | dead.
 */
import type Database from 'better-sqlite3';
import type { GatewayError } from '../../core/errors';
import type { Db } from '../../ledger/sqlite/connection';

export interface NoticeRow {
  id: number; channel: string; notice_key: string; school_id: string; child_id: string; kind: string; record_id: string | null;
  window_from: string | null; window_to: string | null; state: string; attempts: number; next_attempt_at: string | null;
  last_error: string | null; message_ids: string | null; recipients: number | null; created_at: string; updated_at: string; sent_at: string | null;
}

export interface NewNotice {
  key: string;
  schoolId: string;
  childId: string;
  kind: string;
  recordId?: string;
  windowFrom?: string;
  windowTo?: string;
}

export class NoticeOutbox {
  private readonly get: Database.Statement<[string], { value: string }>;
  private readonly set: Database.Statement<[string, string]>;
  private readonly insert: Database.Statement<unknown[]>;
  private readonly lastDigest: Database.Statement<[string, string, string], { t: string | null }>;
  private readonly dueRows: Database.Statement<[{ channel: string; now: string; limit: number }], NoticeRow>;
  private readonly update: Database.Statement<unknown[]>;
  private readonly sentWithRows: Database.Statement<[{ channel: string; marker: string; since: string; limit: number }], NoticeRow>;

  constructor(db: Db, private readonly channel: string) {
    this.get = db.prepare('SELECT value FROM family_state WHERE name = ?');
    this.set = db.prepare('INSERT INTO family_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    this.insert = db.prepare(`INSERT OR IGNORE INTO family_notices (channel, notice_key, school_id, child_id, kind, record_id, window_from, window_to,
      state, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`);
    this.lastDigest = db.prepare("SELECT MAX(window_to) AS t FROM family_notices WHERE channel = ? AND school_id = ? AND child_id = ? AND kind = 'digest'");
    this.dueRows = db.prepare(`SELECT * FROM family_notices WHERE channel = @channel
      AND (state = 'pending' OR (state = 'retry_wait' AND next_attempt_at <= @now)) ORDER BY id LIMIT @limit`);
    this.update = db.prepare(`UPDATE family_notices SET state = ?, attempts = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
      message_ids = ?, recipients = ?, updated_at = ?, sent_at = ? WHERE id = ?`);
    this.sentWithRows = db.prepare(`SELECT * FROM family_notices WHERE channel = @channel AND state = 'sent' AND sent_at >= @since
      AND message_ids LIKE @marker ORDER BY id LIMIT @limit`);
  }

  getState(name: string): string | undefined {
    return this.get.get(`${this.channel}:${name}`)?.value;
  }

  setState(name: string, value: string): void {
    this.set.run(`${this.channel}:${name}`, value);
  }

  /** 1 when queued, 0 when a notice with this key exists already. */
  queue(n: NewNotice, now: string): number {
    return this.insert.run(this.channel, n.key, n.schoolId, n.childId, n.kind, n.recordId ?? null, n.windowFrom ?? null, n.windowTo ?? null, now, now).changes;
  }

  lastDigestEnd(schoolId: string, childId: string): string | undefined {
    return this.lastDigest.get(this.channel, schoolId, childId)?.t ?? undefined;
  }

  due(now: string, limit: number): NoticeRow[] {
    return this.dueRows.all({ channel: this.channel, now, limit });
  }

  finish(n: NoticeRow, state: 'sent' | 'withheld' | 'empty' | 'dead', now: string, o: { sent?: Record<string, unknown>; recipients?: number; error?: GatewayError; attempts?: number } = {}): void {
    this.update.run(state, o.attempts ?? n.attempts + (state === 'sent' ? 1 : 0), null, o.error ? JSON.stringify(o.error.toJSON()) : null,
      o.sent ? JSON.stringify(o.sent) : n.message_ids, o.recipients ?? n.recipients, now, state === 'sent' ? now : n.sent_at, n.id);
  }

  /** Waits until `next`; `error` absent for a planned wait (SMS quiet hours), which costs no attempt. */
  retry(n: NoticeRow, now: string, next: string, error: GatewayError | undefined, sent: Record<string, unknown>, attempts: number): void {
    this.update.run('retry_wait', attempts, next, error ? JSON.stringify(error.toJSON()) : null, JSON.stringify(sent), n.recipients, now, n.sent_at, n.id);
  }

  /** Replaces the per-recipient progress of a notice without changing its state (delivery reports). */
  setProgress(n: NoticeRow, now: string, sent: Record<string, unknown>): void {
    this.update.run(n.state, n.attempts, n.next_attempt_at, null, JSON.stringify(sent), n.recipients, now, n.sent_at, n.id);
  }

  /** Sent notices of this channel since `since` whose progress still contains `marker` (e.g. a pending delivery report). */
  sentWith(marker: string, since: string, limit: number): NoticeRow[] {
    return this.sentWithRows.all({ channel: this.channel, marker: `%${marker}%`, since, limit });
  }
}
