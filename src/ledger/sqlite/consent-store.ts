/**
 * The consent registry in the ledger's SQLite file (tables of migration 4, see
 * migrations-families.ts). Reads `records` (current bodies) read-only to resolve children and
 * applicants; writes the ledger's own tables only through `Ledger.replayDeliveries` (re-queue)
 * and, for the withdrawal purge, through src/families/consent/sqlite-purge.ts.
 *
 * Never logs a consent's items, contacts or a child's id: log lines carry the school, the
 * consent number and counts.
 */
import { createHash } from 'node:crypto';
import type {
  ApplicantKind, ChildConsentStatus, ChildRef, ConsentFilter, ConsentInput, ConsentRecord, ConsentStore, ContactChannel, ContactsInput, PurgeHook,
  FamilyContacts, PaperFamily, PaperFilter, PurgeAuditEntry, PurgeReport, Recipient, RegisterResult, WithdrawalInput,
} from '../../core/consent';
import { GatewayError, toGatewayError, type Issue } from '../../core/errors';
import { canonicalId, DEFAULT_ID_NAMESPACE } from '../../core/ids';
import type { Ledger } from '../../core/ledger';
import { nullLogger, type Logger } from '../../core/logger';
import { childStatus, consentingApplicants, type CurrentRow } from '../../families/consent/rules';
import { paperFamiliesOf } from '../../families/consent/sqlite-paper';
import { ConsentPurger, type PurgeOptions } from '../../families/consent/sqlite-purge';
import {
  RESTORE_HASH, sameContent, Statements, toContacts, toCurrentRow, toRecord, type ConsentRow, type ContactRow, type ContactZone,
} from '../../families/consent/sqlite-statements';
import {
  addDaysIso, ageOn, assertNoIssues, consentIssues, contactsIssues, STUDENT_APPLICANT_AGE, toInstant, withdrawalIssues,
} from '../../families/consent/validate';
import { SmsOptOuts } from '../../families/sms/opt-outs';
import type { SmsConsent } from '../../families/sms/policy';
import { guard, type Db } from './connection';
import { SqliteLedger } from './sqlite-ledger';

export { RESTORE_HASH };

/** 152-ФЗ ст. 21 ч. 5: destroy within 30 days of the withdrawal. Shorter may be configured, never longer. */
export const MAX_PURGE_DAYS = 30;
/** Keep the consent document's items this long after the consent ended (3 years is common practice, domain.md §1.4 [2nd]). */
export const DEFAULT_EVIDENCE_RETENTION_DAYS = 1095;
export const DEFAULT_PURGE_INTERVAL_MS = 86_400_000;
/** Withheld deliveries the gate could not tie to a child (fail-closed cases) are noted under this key and retried on any registration of the school. */
export const UNRESOLVED_CHILD = '';

export interface ConsentStoreOptions {
  /** Days from a withdrawal to the destruction of the family's data (default and maximum 30). */
  purgeAfterDays?: number;
  /** How often `purgeWithdrawn` runs: it destroys what falls due before its next run (default one day). */
  purgeIntervalMs?: number;
  evidenceRetentionDays?: number;
  /** UUIDv5 namespace of canonical ids (`gateway.idNamespace`), to resolve a child by its journal id. */
  idNamespace?: string;
  log?: Logger;
  /** Other family stores joining the withdrawal purge (printed extracts…). */
  purgeHooks?: readonly PurgeHook[];
  /**
   * Runs after a purge run has committed (e.g. reprinting the class bundles that carried a purged
   * child's pages). Its failure is logged (code only) and does not fail the purge.
   */
  afterPurge?: (report: PurgeReport) => Promise<unknown>;
}

const bad = (issues: Issue[], what: string): GatewayError =>
  new GatewayError('GW_API_BAD_REQUEST', `${what} is invalid: ${issues.map((i) => i.path || '/').join(', ')}.`, { issues });

export class SqliteConsentStore implements ConsentStore {
  private readonly db: Db;
  private readonly opts: Required<Omit<ConsentStoreOptions, 'log' | 'purgeHooks' | 'afterPurge'>>;
  private readonly hooks: readonly PurgeHook[];
  private readonly afterPurge: ConsentStoreOptions['afterPurge'];
  private readonly log: Logger;
  private st: Statements | undefined;
  private purger: ConsentPurger | undefined;

  constructor(private readonly ledger: Ledger, opts: ConsentStoreOptions = {}) {
    if (!(ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The SQLite consent store needs the SQLite ledger');
    const purgeAfterDays = opts.purgeAfterDays ?? MAX_PURGE_DAYS;
    if (!Number.isInteger(purgeAfterDays) || purgeAfterDays < 0 || purgeAfterDays > MAX_PURGE_DAYS) {
      throw new GatewayError('GW_CONFIG_INVALID', `families purgeAfterDays must be a whole number from 0 to ${MAX_PURGE_DAYS} (152-ФЗ ст. 21 ч. 5)`, {
        issues: [{ path: '/gateway/families/purgeAfterDays', message: `must be 0..${MAX_PURGE_DAYS}` }],
      });
    }
    this.db = ledger.database();
    this.opts = {
      purgeAfterDays, purgeIntervalMs: opts.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS,
      evidenceRetentionDays: opts.evidenceRetentionDays ?? DEFAULT_EVIDENCE_RETENTION_DAYS, idNamespace: opts.idNamespace ?? DEFAULT_ID_NAMESPACE,
    };
    this.log = opts.log ?? nullLogger;
    this.hooks = opts.purgeHooks ?? [];
    this.afterPurge = opts.afterPurge;
  }

  private get s(): Statements {
    this.st ??= new Statements(this.db);
    return this.st;
  }

  async register(input: ConsentInput, actor: string, now: string): Promise<RegisterResult> {
    assertNoIssues(consentIssues(input, now), 'Consent registration');
    const { childId, applicantId } = this.resolveParties(input.schoolId, input.child, input.applicant, input.signedAt);
    const signedAt = toInstant(input.signedAt);
    const key = createHash('sha256').update(JSON.stringify([input.schoolId, childId, applicantId, input.decision, signedAt, input.evidenceRef, input.textVersion])).digest('hex');
    const tx = this.db.transaction((): { row: ConsentRow; created: boolean; restored: number } => {
      const existing = this.s.byDedup.get(key);
      if (existing) {
        if (!sameContent(existing, input)) {
          throw bad([{ path: '/evidenceRef', message: `registration #${existing.id} has this evidence reference and signing time with different content; a document is registered once` }], 'Consent registration');
        }
        return { row: existing, created: false, restored: 0 };
      }
      const current = this.s.currentOf.get(input.schoolId, childId, applicantId);
      if (input.decision === 'refusal' && current?.decision === 'consent' && current.withdrawn_at === null && (current.valid_to === null || current.valid_to > now)) {
        throw bad([{ path: '/decision', message: `this applicant's consent #${current.id} is in force: register its withdrawal instead of a refusal` }], 'Consent registration');
      }
      const id = Number(this.s.insert.run(
        input.schoolId, childId, input.applicant.kind, applicantId, input.decision, JSON.stringify(input.channels ?? []), input.textVersion,
        input.textSha256 ?? null, input.form, input.signature ?? null, input.evidenceRef, signedAt, toInstant(input.validFrom ?? input.signedAt),
        input.validTo !== undefined ? toInstant(input.validTo, true) : null, input.items !== undefined ? JSON.stringify(input.items) : null,
        key, now, actor,
      ).lastInsertRowid);
      if (current) {
        // The later signature is in force; an older document imported late is history at once.
        if (signedAt >= current.signed_at) this.s.supersede.run(id, current.id);
        else this.s.supersede.run(current.id, id);
      }
      if (input.contacts) this.upsertContacts(input.schoolId, childId, applicantId, input.applicant.kind, input.contacts, actor, now);
      this.s.event.run(now, actor, input.decision === 'consent' ? 'consent_registered' : 'refusal_registered', input.schoolId, childId, id,
        JSON.stringify({ channels: input.channels ?? [], form: input.form, textVersion: input.textVersion }));
      const restored = input.decision === 'consent' ? this.markPurgedForRestore(input.schoolId, childId) : 0;
      const row = this.s.byId.get(id);
      if (!row) throw new GatewayError('GW_INTERNAL', `consent #${id} vanished while it was registered`);
      return { row, created: true, restored };
    });
    const { row, created, restored } = await guard(() => tx.immediate());
    if (created) this.log.info('consent registered', { schoolId: row.school_id, consentId: row.id, decision: row.decision, restoredRecords: restored });
    let requeued = 0;
    if (created && row.decision === 'consent') {
      const status = await this.status(row.school_id, row.child_id, now);
      if (status.channels.length > 0) requeued = await this.requeueWithheld(row.school_id, [row.child_id], actor, now);
    }
    return { consent: toRecord(row, false), created, requeued };
  }

  async withdraw(consentId: number, input: WithdrawalInput, actor: string, now: string): Promise<ConsentRecord> {
    assertNoIssues(withdrawalIssues(input, now), 'Withdrawal');
    const withdrawnAt = input.withdrawnAt !== undefined ? toInstant(input.withdrawnAt) : now;
    const tx = this.db.transaction((): ConsentRow => {
      const row = this.s.byId.get(consentId);
      if (!row) throw new GatewayError('GW_API_NOT_FOUND', `Consent ${consentId} does not exist.`);
      if (row.decision !== 'consent') throw bad([{ path: '/params/id', message: `#${consentId} is a refusal; there is nothing to withdraw` }], 'Withdrawal');
      if (row.superseded_by !== null) throw bad([{ path: '/params/id', message: `#${consentId} was replaced by #${row.superseded_by}; withdraw that one` }], 'Withdrawal');
      if (row.withdrawn_at !== null) return row;
      const due = addDaysIso(withdrawnAt, this.opts.purgeAfterDays);
      this.s.withdraw.run(withdrawnAt, input.evidenceRef, actor, due, consentId);
      this.s.event.run(now, actor, 'consent_withdrawn', row.school_id, row.child_id, consentId, JSON.stringify({ withdrawnAt, purgeDueAt: due }));
      return this.s.byId.get(consentId) as ConsentRow;
    });
    const row = await guard(() => tx.immediate());
    this.log.warn('consent withdrawn: electronic delivery stopped, purge scheduled', { schoolId: row.school_id, consentId, purgeDueAt: row.purge_due_at });
    return toRecord(row, false);
  }

  async setContacts(input: ContactsInput, actor: string, now: string): Promise<FamilyContacts> {
    assertNoIssues(contactsIssues(input), 'Contacts');
    const { childId, applicantId } = this.resolveParties(input.schoolId, input.child, input.applicant, input.givenAt);
    const tx = this.db.transaction(() => {
      this.upsertContacts(input.schoolId, childId, applicantId, input.applicant.kind, input, actor, now);
      this.s.event.run(now, actor, 'contacts_set', input.schoolId, childId, null, JSON.stringify({ channels: input.channels, form: input.form }));
      return this.s.contactOf.get(input.schoolId, childId, applicantId) as ContactRow;
    });
    return toContacts(await guard(() => tx.immediate()));
  }

  get(id: number): Promise<ConsentRecord | undefined> {
    return guard(() => { const r = this.s.byId.get(id); return r ? toRecord(r, true) : undefined; });
  }

  list(f: ConsentFilter): Promise<ConsentRecord[]> {
    return guard(() => this.s.list.all({ s: f.schoolId ?? null, c: f.childId ?? null, limit: f.limit ?? 100, offset: f.offset ?? 0 }).map((r) => toRecord(r, false)));
  }

  async status(schoolId: string, childId: string, now: string): Promise<ChildConsentStatus> {
    const m = await this.statuses(schoolId, [childId], now);
    return m.get(childId) as ChildConsentStatus;
  }

  statuses(schoolId: string, childIds: readonly string[], now: string): Promise<Map<string, ChildConsentStatus>> {
    return guard(() => this.statusesSync(schoolId, childIds, now));
  }

  statusesSync(schoolId: string, childIds: readonly string[], now: string): Map<string, ChildConsentStatus> {
    const ids = JSON.stringify([...new Set(childIds)]);
    const rows = new Map<string, CurrentRow[]>();
    for (const r of this.s.currentOfMany.all(schoolId, ids)) rows.set(r.child_id, [...(rows.get(r.child_id) ?? []), toCurrentRow(r)]);
    const purged = new Map(this.s.lastPurgeOfMany.all(schoolId, ids).map((p) => [p.child_id, p.at]));
    return new Map(childIds.map((c) => [c, childStatus(schoolId, c, rows.get(c) ?? [], now, purged.get(c))]));
  }

  /** As ConsentStore.recipients, each with the applicant's own time zone when the contact statement gives one. */
  recipients(schoolId: string, childId: string, channel: 'email' | 'sms', now: string): Promise<Array<Recipient & ContactZone>> {
    return guard(() => this.recipientsSync(schoolId, childId, channel, now));
  }

  private recipientsSync(schoolId: string, childId: string, channel: 'email' | 'sms', now: string): Array<Recipient & ContactZone> {
    const rows = this.s.currentOfMany.all(schoolId, JSON.stringify([childId])).map(toCurrentRow);
    const status = childStatus(schoolId, childId, rows, now);
    if (!status.channels.includes(channel)) return [];
    const consenting = consentingApplicants(rows, channel, now);
    return this.s.contactsOfChild.all(schoolId, childId).map(toContacts)
      .filter((c) => consenting.has(c.applicantId) && c.channels.includes(channel))
      .map((c) => ({ applicantId: c.applicantId, applicantKind: c.applicantKind, addresses: channel === 'email' ? c.emails : c.phones, ...(c.timezone ? { timezone: c.timezone } : {}) }))
      .filter((r) => r.addresses.length > 0);
  }

  /**
   * E-mail addresses of one applicant for a fallback from SMS (operator opt-out…): the child's
   * status allows e-mail and the applicant's own consent covers it, whether or not they chose
   * e-mail for notices. Empty when not.
   */
  emailFallbackOf(schoolId: string, childId: string, applicantId: string, now: string): Promise<string[]> {
    return guard(() => {
      const rows = this.s.currentOfMany.all(schoolId, JSON.stringify([childId])).map(toCurrentRow);
      if (!childStatus(schoolId, childId, rows, now).channels.includes('email') || !consentingApplicants(rows, 'email', now).has(applicantId)) return [];
      return this.s.contactsOfChild.all(schoolId, childId).map(toContacts).filter((c) => c.applicantId === applicantId).flatMap((c) => c.emails);
    });
  }

  paperFamilies(filter: PaperFilter, now: string): Promise<PaperFamily[]> {
    return guard(() => paperFamiliesOf(this.db, this, filter, now));
  }

  /**
   * Children of a school whose consent is in force but reaches them nowhere: it covers neither
   * the portal nor the pull API, and no applicant has an e-mail address or phone for a channel
   * their own consent covers and they chose. They get the weekly extract on paper (no access).
   */
  unreachable(schoolId: string, now: string): Promise<string[]> {
    return guard(() => {
      const children = this.db.prepare<[string], string>('SELECT DISTINCT child_id FROM consents WHERE school_id = ? ORDER BY child_id').pluck().all(schoolId);
      const statuses = this.statusesSync(schoolId, children, now);
      return children.filter((c) => {
        const st = statuses.get(c);
        if (st?.state !== 'consented' || st.channels.includes('portal') || st.channels.includes('api')) return false;
        if (this.recipientsSync(schoolId, c, 'email', now).length > 0) return false;
        // A phone counts only with its own SMS consent and no operator opt-out on record.
        const optOuts = new SmsOptOuts(this.db);
        return !this.recipientsSync(schoolId, c, 'sms', now)
          .some((r) => r.addresses.some((p) => this.smsConsentSync(schoolId, p)?.state === 'granted' && optOuts.since(schoolId, p) === undefined));
      });
    });
  }

  /**
   * The per-phone SMS consent (126-ФЗ ст. 44.1), kept apart from the personal-data consent: the
   * family's contact statement that lists the phone and chooses `sms` grants it from the day
   * it was given (with that statement's evidence); a statement of the same applicant that
   * lists the phone without `sms` refuses it. Undefined when no contact statement names the phone.
   */
  smsConsentOf(schoolId: string, phone: string): Promise<SmsConsent | undefined> {
    return guard(() => this.smsConsentSync(schoolId, phone));
  }

  private smsConsentSync(schoolId: string, phone: string): SmsConsent | undefined {
    const named = this.s.contactsOfSchool.all(schoolId).map(toContacts).filter((c) => c.phones.includes(phone));
    if (named.length === 0) return undefined;
    const granted = named.filter((c) => c.channels.includes('sms'));
    // Any statement refusing SMS for the number wins over one granting it (the subscriber said no).
    const refused = named.filter((c) => !c.channels.includes('sms'));
    const latest = (l: FamilyContacts[]): FamilyContacts => [...l].sort((a, b) => (a.givenAt < b.givenAt ? 1 : -1))[0] as FamilyContacts;
    if (refused.length > 0) return { phone, state: 'refused', at: toInstant(latest(refused).givenAt) };
    return { phone, state: 'granted', at: toInstant(latest(granted).givenAt) };
  }

  noteWithheld(entries: ReadonlyArray<{ deliveryId: number; schoolId: string; childIds: readonly string[] }>): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const tx = this.db.transaction(() => {
      for (const e of entries) for (const c of e.childIds.length > 0 ? e.childIds : [UNRESOLVED_CHILD]) this.s.noteWithheld.run(e.schoolId, c, e.deliveryId);
    });
    return guard(() => tx.immediate());
  }

  async requeueWithheld(schoolId: string, childIds: readonly string[], actor: string, now: string): Promise<number> {
    const ids = await guard(() => this.s.withheldOf.all(schoolId, JSON.stringify([...childIds, UNRESOLVED_CHILD])).map((r) => r.id));
    if (ids.length === 0) return 0;
    let replayed = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      replayed += (await this.ledger.replayDeliveries({ ids: chunk, state: 'rejected' }, actor, now)).replayed;
      await guard(() => this.s.forgetWithheld.run(JSON.stringify(chunk)));
    }
    if (replayed > 0) this.log.info('withheld deliveries re-queued after a consent', { schoolId, count: replayed });
    return replayed;
  }

  async purgeWithdrawn(now: string): Promise<PurgeReport> {
    this.purger ??= new ConsentPurger(this.db, this.purgeOptions(), this.log);
    const report = await this.purger.run(now);
    if (this.afterPurge) {
      await this.afterPurge(report).catch((e: unknown) => {
        this.log.error('after-purge step failed (the purge itself is done)', { code: toGatewayError(e).code });
      });
    }
    return report;
  }

  purgeLog(f: { schoolId?: string; childId?: string; limit?: number }): Promise<PurgeAuditEntry[]> {
    return guard(() => this.s.purges.all({ s: f.schoolId ?? null, c: f.childId ?? null, limit: f.limit ?? 100 }).map((r) => ({
      id: r.id, schoolId: r.school_id, childId: r.child_id, consentIds: JSON.parse(r.consent_ids) as number[], withdrawnAt: r.withdrawn_at,
      dueAt: r.due_at, purgedAt: r.purged_at, basis: r.basis, destroyed: JSON.parse(r.destroyed) as PurgeAuditEntry['destroyed'],
    })));
  }

  resolveChild(schoolId: string, child: ChildRef): Promise<string> {
    return guard(() => this.resolveParties(schoolId, child, { kind: 'parent', id: '-' }, '1970-01-01').childId);
  }

  /** Contacts of one child (all applicants); for the notifiers. */
  contactsOf(schoolId: string, childId: string): Promise<FamilyContacts[]> {
    return guard(() => this.s.contactsOfChild.all(schoolId, childId).map(toContacts));
  }

  /** Children of a school with contacts choosing `channel` (digest recipients are found from here). */
  childrenWithChannel(schoolId: string, channel: ContactChannel): Promise<string[]> {
    return guard(() => this.s.contactsOfSchool.all(schoolId).map(toContacts).filter((c) => c.channels.includes(channel))
      .map((c) => c.childId).filter((c, i, a) => a.indexOf(c) === i));
  }

  private purgeOptions(): PurgeOptions {
    return { horizonMs: this.opts.purgeIntervalMs, evidenceRetentionDays: this.opts.evidenceRetentionDays, hooks: this.hooks };
  }

  private upsertContacts(schoolId: string, childId: string, applicantId: string, kind: ApplicantKind, c: ConsentInput['contacts'] & ContactZone & object, actor: string, now: string): void {
    this.s.upsertContact.run(schoolId, childId, applicantId, kind, JSON.stringify(c.emails), JSON.stringify(c.phones), JSON.stringify(c.channels),
      c.form, c.evidenceRef, toInstant(c.givenAt), now, actor, c.timezone ?? null);
  }

  /**
   * A consent after a purge: the journal still sends the child's records with the content the
   * ledger remembers by hash, so unchanged data would never come back. Marking the purged
   * records' hashes lets the next sync (`sync <school> --since <date>` for old weeks) store them again.
   */
  private markPurgedForRestore(schoolId: string, childId: string): number {
    const ids = new Set<string>();
    for (const p of this.s.purgesOfChild.all(schoolId, childId)) (JSON.parse(p.destroyed) as PurgeAuditEntry['destroyed']).recordIds.forEach((i) => ids.add(i));
    if (ids.size === 0) return 0;
    const json = JSON.stringify([...ids]);
    const versions = this.s.restoreHash.run(json).changes;
    this.s.restoreRecordHash.run(json);
    return versions;
  }

  /** The child's canonical id and the applicant's id, or GW_API_BAD_REQUEST naming what is missing. */
  private resolveParties(schoolId: string, child: ChildRef, applicant: { kind: ApplicantKind; id?: string }, signedAt: string): { childId: string; applicantId: string } {
    const issues: Issue[] = [];
    let childId = child.id;
    if (childId === undefined && child.sourceId !== undefined) {
      if (child.sourceSystem !== undefined) childId = canonicalId(this.opts.idNamespace, child.sourceSystem, schoolId, 'person', child.sourceId);
      else {
        const found = this.s.personBySource.all(schoolId, child.sourceId);
        if (found.length === 1) childId = (found[0] as { id: string }).id;
        else issues.push({ path: '/child/sourceId', message: found.length === 0
          ? `the ledger knows no person with this journal id in school ${schoolId}; give sourceSystem or the canonical id`
          : 'several journals use this id in the school; give sourceSystem' });
      }
    }
    const applicantId = applicant.id ?? (applicant.kind === 'student' ? childId : undefined);
    if (applicantId === undefined && childId !== undefined) issues.push({ path: '/applicant/id', message: 'required for a parent or legal representative' });
    if (childId !== undefined && applicant.kind === 'student') {
      const p = this.s.personFacts.get(childId);
      const birth = child.birthDate ?? p?.birth ?? undefined;
      if (birth !== undefined) {
        if (ageOn(birth, toInstant(signedAt)) < STUDENT_APPLICANT_AGE) issues.push({ path: '/applicant/kind', message: `the student was under ${STUDENT_APPLICANT_AGE} when signing; a parent or legal representative signs` });
      } else if (p?.applicant !== 1) {
        issues.push({ path: '/child/birthDate', message: `needed to show the student is ${STUDENT_APPLICANT_AGE} or older (the ledger does not know it)` });
      }
    }
    if (issues.length > 0 || childId === undefined || applicantId === undefined) throw bad(issues, 'Registration');
    return { childId, applicantId };
  }
}
