/**
 * Operator opt-outs remembered per phone (126-ФЗ ст. 44.1 п. 1.1): once the operator said a
 * subscriber refuses mailings (an OPT_OUT answer, or an `opted_out` delivery report), the next
 * notice to that phone falls back to another channel without trying.
 *
 * Kept in `family_state` (no schema change) under `sms-optout|<school>|<phone ref>|<child>`:
 * the phone only as an SHA-256 prefix (the table holds no address), the child so the
 * withdrawal purge can drop the family's entries (`purgeHook`).
 */
import { createHash } from 'node:crypto';
import type { PurgeHook } from '../../core/consent';
import type { Db } from '../../ledger/sqlite/connection';

const PREFIX = 'sms-optout|';
export const SMS_OPT_OUT_PURGE = 'sms_opt_outs';

export const phoneRef = (phone: string): string => createHash('sha256').update(`sms-phone|${phone}`).digest('hex').slice(0, 32);

export class SmsOptOuts {
  constructor(private readonly db: Db) {}

  remember(schoolId: string, childId: string, phone: string, at: string): void {
    this.db.prepare('INSERT INTO family_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
      .run(`${PREFIX}${schoolId}|${phoneRef(phone)}|${childId}`, at);
  }

  /** When the operator reported the phone opted out (for any child of the school), if it did. */
  since(schoolId: string, phone: string): string | undefined {
    const v = this.db.prepare("SELECT MIN(value) FROM family_state WHERE name >= ? AND name < ?").pluck()
      .get(`${PREFIX}${schoolId}|${phoneRef(phone)}|`, `${PREFIX}${schoolId}|${phoneRef(phone)}|\uffff`) as string | null;
    return v ?? undefined;
  }

  /** The withdrawal purge's share: the child's remembered opt-outs. */
  purgeHook(): PurgeHook {
    return {
      name: SMS_OPT_OUT_PURGE,
      destroy: (schoolId, childId) => this.db.prepare("DELETE FROM family_state WHERE name LIKE ? ESCAPE '\\'")
        .run(`${PREFIX}${schoolId.replace(/[\\%_]/g, (c) => `\\${c}`)}|%|${childId.replace(/[\\%_]/g, (c) => `\\${c}`)}`).changes,
    };
  }
}
