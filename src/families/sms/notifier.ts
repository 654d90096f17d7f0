/**
 * Instant notices to families by SMS (absence, final result) through the pluggable HTTP SMS
 * gateway, with the outbox `family_notices` (channel `sms`) in the ledger file.
 *
 * One `tick()`:
 * 1. queues a notice per new attendance event or final mark since the last tick (a revision
 *    watermark; the first tick only sets it, so history is never texted);
 * 2. sends what is due. At send time: the consent gate for the record (channel `sms`); the
 *    applicants from the registry whose own consent covers SMS and who chose it, with their
 *    phones; per phone `planSms` (the per-phone SMS consent, a remembered operator opt-out,
 *    the length, quiet hours in the applicant's own zone when the contact statement gives one,
 *    the school's otherwise — urgent kinds follow `quietHours.urgent`).
 *    A quiet-hours deferral waits without costing an attempt. When SMS is not possible for an
 *    applicant (no SMS consent for the phone, operator opt-out, too long, refused number) the
 *    notice falls back to e-mail — only to an applicant with an e-mail address whose own
 *    consent covers e-mail, and only when the gate allows the record by e-mail — else to
 *    paper (the family then is listed for the weekly paper extract, `unreachable()`);
 * 3. reads the delivery reports of SMS sent in the last `reportWindowMs`: an `opted_out`
 *    report is remembered and falls back like a refusal at submission.
 * The outbox stores no text and no address: per applicant it keeps the channel used, the
 * gateway's message id and the report state. Texts are composed from the ledger when sent.
 */
import type { ConsentGate, GateSubject } from '../../core/consent';
import { GatewayError, toGatewayError } from '../../core/errors';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import type { SqliteConsentStore } from '../../ledger/sqlite/consent-store';
import { SqliteLedger } from '../../ledger/sqlite/sqlite-ledger';
import { backoffDelay } from '../../pipeline/backoff';
import { isIanaZone } from '../consent/validate';
import { FamilyDataReader } from '../email/data';
import { NoticeOutbox, type NoticeRow } from '../email/outbox';
import { queueInstantNotices } from '../email/instant';
import { PassLoop } from '../email/pass-loop';
import { absenceLetter, finalMarkLetter, ruDate, shortName, type AbsenceView, type FinalMarkView, type Letter } from '../email/templates';
import type { MailTransport } from '../email/transport';
import type { SmsGateway } from './client';
import type { SchoolSmsSettings, SmsInstantKind } from './config';
import { decideAfterFailure, decideAfterReport, planSms, type FallbackReason, type FamilyChannels, type SmsDecision, type SmsPolicy } from './policy';
import type { DayCalendar } from './quiet-hours';
import { phoneRef, SmsOptOuts } from './opt-outs';

/** A school as the SMS notifier sees it. */
export interface SmsNotifierSchool {
  id: string;
  name: string;
  timezone: string;
  sms: SchoolSmsSettings;
  policy: SmsPolicy;
  /** The production calendar of the school's region (`schools[].sla.calendarRegion`); absent = `SmsNotifierDeps.calendar`. */
  calendar?: DayCalendar;
}

/** What the notifier needs of the consent registry (SqliteConsentStore has it). */
export type SmsRegistry = Pick<SqliteConsentStore, 'recipients' | 'smsConsentOf' | 'emailFallbackOf'>;

export interface SmsRetryPolicy { maxAttempts: number; backoffBaseMs: number; backoffCapMs: number }

export interface SmsNotifierDeps {
  ledger: Ledger;
  store: SmsRegistry;
  gate: ConsentGate;
  sms: SmsGateway;
  /** The e-mail fallback; absent = a failed SMS falls back to paper. */
  mail?: { transport: MailTransport };
  schools: readonly SmsNotifierSchool[];
  /** The production calendar (working day or day off) for quiet hours. */
  calendar: DayCalendar;
  policy: SmsRetryPolicy;
  log: Logger;
  now(): Date;
  /** Delivery reports are read this long after sending (default 72 h). */
  reportWindowMs?: number;
  random?: () => number;
}

export interface SmsTickResult {
  queued: number;
  /** SMS accepted by the gateway. */
  sms: number;
  deferred: number;
  email: number;
  paper: number;
  withheld: number;
  retry: number;
  dead: number;
  reports: number;
}

/** Per applicant: how the notice went out. `report` only for SMS. */
export interface Progress {
  via: 'sms' | 'email' | 'paper';
  id?: string;
  /** `phoneRef` of the number texted (a hash, not the number). */
  phone?: string;
  report?: 'pending' | 'delivered' | 'failed' | 'opted_out';
  reason?: FallbackReason;
}

const WATERMARK = 'watermark';
const DAY_MS = 86_400_000;
const DEFAULT_REPORT_WINDOW_MS = 3 * DAY_MS;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const KIND_SHORT: Record<FinalMarkView['kind'], string> = { period: 'отметка за период', annual: 'годовая отметка', final: 'итоговая отметка', exam: 'экзамен' };

/** The SMS text of an absence: no reason category (it may reveal health data), no family name. */
export function absenceSms(v: AbsenceView): string {
  const where = v.lesson?.subject ? `, ${v.lesson.number !== undefined ? `${v.lesson.number}-й урок, ` : ''}${v.lesson.subject}` : '';
  return `${v.schoolTitle}: ${shortName(v.child)} отсутствует ${ruDate(v.date).slice(0, 5)}${where}.`;
}

export function finalMarkSms(v: FinalMarkView): string {
  const outcome = v.markStatus === 'graded' ? `«${v.value ?? '—'}»` : v.markStatus === 'not_attested' ? 'н/а' : v.markStatus === 'exempt' ? 'освобождён(а)' : v.markStatus === 'deferred' ? 'аттестация перенесена' : v.markStatus === 'debt' ? 'задолженность' : (v.value ?? v.markStatus);
  return `${v.schoolTitle}: ${shortName(v.child)}, ${v.subject}${v.period ? ` (${v.period})` : ''}: ${KIND_SHORT[v.kind]} ${outcome}.`;
}

type Composed = { kind: SmsInstantKind; text: string; letter: Letter; record: GateSubject };

export class SmsNotifier extends PassLoop<SmsTickResult> {
  private readonly reader: FamilyDataReader;
  private readonly outbox: NoticeOutbox;
  private readonly optOuts: SmsOptOuts;
  private readonly schools: Map<string, SmsNotifierSchool>;

  constructor(private readonly d: SmsNotifierDeps) {
    super(d.log, 'family sms pass');
    if (!(d.ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The SMS notifier needs the SQLite ledger');
    const db = d.ledger.database();
    this.reader = new FamilyDataReader(db);
    this.outbox = new NoticeOutbox(db, 'sms');
    this.optOuts = new SmsOptOuts(db);
    this.schools = new Map(d.schools.map((s) => [s.id, s]));
  }


  protected async pass(): Promise<SmsTickResult> {
    const now = this.d.now();
    const res: SmsTickResult = { queued: 0, sms: 0, deferred: 0, email: 0, paper: 0, withheld: 0, retry: 0, dead: 0, reports: 0 };
    res.queued += this.queueInstant(now);
    await this.sendDue(now, res);
    await this.readReports(now, res);
    if (res.sms + res.email + res.paper + res.withheld + res.retry + res.dead + res.reports > 0) this.d.log.info('family sms notices', { ...res });
    return res;
  }

  private queueInstant(now: Date): number {
    return queueInstantNotices(this.outbox, this.reader, WATERMARK, (id) => {
      const s = this.schools.get(id);
      return s?.sms.enabled ? { ...s.sms, timezone: s.timezone } : undefined;
    }, now);
  }

  /** The notice's texts from the ledger, or why it may not go. */
  private compose(n: NoticeRow, school: SmsNotifierSchool): Composed | { withheld: string } {
    const rec = n.record_id ? this.reader.record(n.record_id) : undefined;
    const child = this.reader.childName(n.child_id);
    if (!rec || !child) return { withheld: 'the record or the child is no longer held' };
    const b = rec.body;
    const schoolTitle = school.sms.schoolTitle ?? school.name;
    const record: GateSubject = { entityType: rec.row.entity_type, schoolId: rec.row.school_id, payload: b };
    if (n.kind === 'absence') {
      const lesson = this.reader.record(str(b['lessonId']) ?? '')?.body;
      const number = typeof lesson?.['number'] === 'number' ? lesson['number'] : undefined;
      const subject = this.reader.title(lesson?.['subjectId']);
      const v: AbsenceView = {
        child, date: str(b['date']) ?? '', category: str(b['category']) ?? 'unknown', code: str(b['code']) ?? '', schoolTitle,
        ...(lesson ? { lesson: { ...(number !== undefined ? { number } : {}), ...(subject ? { subject } : {}) } } : {}),
      };
      return { kind: 'absence', text: absenceSms(v), letter: absenceLetter(v), record };
    }
    const period = this.reader.title(b['reportingPeriodId']);
    const deferral = b['deferral'] as { dueDate?: string } | undefined;
    const v: FinalMarkView = {
      child, kind: String(b['kind']) as FinalMarkView['kind'], subject: this.reader.title(b['subjectId']) ?? 'предмет', markStatus: String(b['markStatus']), schoolTitle,
      ...(period ? { period } : {}), ...((b['value'] as { raw?: string } | undefined)?.raw ? { value: (b['value'] as { raw: string }).raw } : {}),
      ...(deferral?.dueDate ? { deferralDue: deferral.dueDate } : {}),
    };
    return { kind: 'final_mark', text: finalMarkSms(v), letter: finalMarkLetter(v), record };
  }

  /** E-mail addresses of the applicant usable for a fallback right now (own e-mail consent, gate allows the record). */
  private async emailFallback(n: NoticeRow, c: Composed, applicantId: string, iso: string): Promise<string[]> {
    if (!this.d.mail) return [];
    const addresses = await this.d.store.emailFallbackOf(n.school_id, n.child_id, applicantId, iso);
    if (addresses.length === 0) return [];
    const [decision] = await this.d.gate.check([c.record], 'email', iso);
    return decision?.allowed === true ? addresses : [];
  }

  /** Sends the fallback for one applicant; the progress to keep, or a failure to retry. */
  private async fallBack(n: NoticeRow, c: Composed, applicantId: string, reason: FallbackReason, iso: string, res: SmsTickResult): Promise<Progress | GatewayError> {
    const emails = await this.emailFallback(n, c, applicantId, iso);
    if (emails.length === 0 || !this.d.mail) {
      res.paper++;
      return { via: 'paper', reason };
    }
    try {
      const { messageId } = await this.d.mail.transport.send({ ...c.letter, to: emails, headers: { 'X-Diary-Notice': n.kind, 'X-Diary-Notice-Id': `sms-${n.id}`, 'X-Diary-Fallback': reason } });
      res.email++;
      return { via: 'email', id: messageId, reason };
    } catch (e: unknown) {
      return toGatewayError(e, 'GW_SINK_UNAVAILABLE');
    }
  }

  private async sendDue(now: Date, res: SmsTickResult): Promise<void> {
    const iso = now.toISOString();
    for (const n of this.outbox.due(iso, 100)) {
      const school = this.schools.get(n.school_id);
      if (!school?.sms.enabled) { this.finishWithheld(n, iso, 'SMS is not enabled for the school', res); continue; }
      const c = this.compose(n, school);
      if ('withheld' in c) { this.finishWithheld(n, iso, c.withheld, res); continue; }
      const [decision] = await this.d.gate.check([c.record], 'sms', iso);
      if (decision?.allowed !== true) { this.finishWithheld(n, iso, `no SMS consent (${decision?.reason ?? 'unresolved'})`, res); continue; }
      const recipients = await this.d.store.recipients(n.school_id, n.child_id, 'sms', iso);
      if (recipients.length === 0) { this.finishWithheld(n, iso, 'no applicant with an SMS consent and phone', res); continue; }
      const progress = n.message_ids ? (JSON.parse(n.message_ids) as Record<string, Progress>) : {};
      let deferUntil: Date | undefined;
      let failure: GatewayError | undefined;
      let retryAt: Date | undefined;
      let hold = false;
      for (const r of recipients) {
        if (progress[r.applicantId] !== undefined) continue;
        // A zone the registry accepted but this Node's time-zone data lacks (after a downgrade) falls back to the school's.
        const zone = r.timezone !== undefined && isIanaZone(r.timezone) ? r.timezone : school.timezone;
        const plan = await this.planFor(n, c, school, r.addresses, zone, now);
        if (plan.decision.action === 'defer') {
          deferUntil = deferUntil && deferUntil < plan.decision.until ? deferUntil : plan.decision.until;
          continue;
        }
        if (plan.decision.action === 'fallback' || plan.decision.action === 'unreachable') {
          const p = await this.fallBack(n, c, r.applicantId, plan.decision.reason, iso, res);
          if (p instanceof GatewayError) { failure = p; break; }
          progress[r.applicantId] = p;
          continue;
        }
        const out = await this.d.sms.send({ to: plan.phone, text: plan.decision.text, clientRef: `sms-notice-${n.id}-${r.applicantId}` });
        if (out.status === 'accepted') {
          progress[r.applicantId] = { via: 'sms', id: out.messageId, phone: phoneRef(plan.phone), report: 'pending' };
          res.sms++;
          continue;
        }
        const delay = backoffDelay(n.attempts + 1, { baseMs: this.d.policy.backoffBaseMs, capMs: this.d.policy.backoffCapMs }, undefined, this.d.random);
        const next = decideAfterFailure(out, { email: true, paper: true }, school.policy, now, delay);
        if (next.action === 'fallback' || next.action === 'unreachable') {
          if (next.rememberOptOut) this.optOuts.remember(n.school_id, n.child_id, plan.phone, iso);
          const p = await this.fallBack(n, c, r.applicantId, next.reason, iso, res);
          if (p instanceof GatewayError) { failure = p; break; }
          progress[r.applicantId] = p;
          continue;
        }
        failure = next.action === 'hold' ? next.error : out.error;
        if (next.action === 'retry') retryAt = next.at;
        hold = next.action === 'hold';
        break;
      }
      const done = recipients.every((r) => progress[r.applicantId] !== undefined);
      if (done) { this.outbox.finish(n, 'sent', iso, { sent: progress, recipients: recipients.length }); continue; }
      if (failure) {
        const attempts = n.attempts + 1;
        if (!hold && attempts >= this.d.policy.maxAttempts) {
          this.outbox.finish(n, 'dead', iso, { sent: progress, error: failure, attempts });
          this.d.log.error('family sms notice dead', { noticeId: n.id, kind: n.kind, schoolId: n.school_id, code: failure.code, attempts });
          res.dead++;
          continue;
        }
        const delay = backoffDelay(attempts, { baseMs: this.d.policy.backoffBaseMs, capMs: this.d.policy.backoffCapMs }, undefined, this.d.random);
        this.outbox.retry(n, iso, (retryAt ?? new Date(now.getTime() + delay)).toISOString(), failure, progress, hold ? n.attempts : attempts);
        res.retry++;
        if (hold) {
          // Credentials or protocol: the channel is broken, not this notice; the rest of the pass would fail the same way.
          this.d.log.warn('SMS gateway unusable: family SMS wait for the operator', { code: failure.code });
          return;
        }
        continue;
      }
      // Only quiet-hours deferrals are left: wait for the window, at no cost of an attempt.
      this.outbox.retry(n, iso, (deferUntil ?? now).toISOString(), undefined, progress, n.attempts);
      res.deferred++;
    }
  }

  /**
   * The phone and decision for one applicant: the first phone SMS may go to, else the reason none
   * can. `timeZone` is the applicant's (quiet hours are the recipient's night, not the school's).
   */
  private async planFor(n: NoticeRow, c: Composed, school: SmsNotifierSchool, phones: readonly string[], timeZone: string, now: Date): Promise<{ phone: string; decision: SmsDecision }> {
    let last: { phone: string; decision: SmsDecision } | undefined;
    for (const phone of phones) {
      const decision = planSms({
        notice: { phone, text: c.text, urgent: school.sms.urgent.includes(c.kind), timeZone },
        consent: await this.d.store.smsConsentOf(n.school_id, phone), operatorOptOut: this.optOuts.since(n.school_id, phone) !== undefined,
        // Which fallback is possible is decided per applicant when falling back (fallBack); here only "SMS or not".
        channels: { email: true, paper: true }, policy: school.policy, calendar: school.calendar ?? this.d.calendar, now,
      });
      last = { phone, decision };
      if (decision.action === 'send' || decision.action === 'defer') return last;
    }
    return last ?? { phone: '', decision: { action: 'unreachable', reason: 'invalid_number' } };
  }

  private finishWithheld(n: NoticeRow, iso: string, why: string, res: SmsTickResult): void {
    this.outbox.finish(n, 'withheld', iso, { error: new GatewayError('GW_CONSENT_MISSING', `Notice ${n.id} (${n.kind}, school ${n.school_id}) withheld: ${why}`) });
    res.withheld++;
  }

  /** Delivery reports of SMS still pending; a late operator opt-out falls back like a refusal at submission. */
  private async readReports(now: Date, res: SmsTickResult): Promise<void> {
    const iso = now.toISOString();
    const since = new Date(now.getTime() - (this.d.reportWindowMs ?? DEFAULT_REPORT_WINDOW_MS)).toISOString();
    for (const n of this.outbox.sentWith('"report":"pending"', since, 200)) {
      const school = this.schools.get(n.school_id);
      const progress = JSON.parse(n.message_ids ?? '{}') as Record<string, Progress>;
      let changed = false;
      for (const [applicantId, p] of Object.entries(progress)) {
        if (p.via !== 'sms' || p.report !== 'pending' || p.id === undefined) continue;
        const st = await this.d.sms.status(p.id);
        if (st.status !== 'known') continue;
        res.reports++;
        const next = decideAfterReport(st.state, { email: true, paper: true }, school?.policy ?? { fallbackOrder: ['email', 'paper'] });
        if (next.action === 'wait') continue;
        changed = true;
        if (next.action === 'done') { progress[applicantId] = { ...p, report: 'delivered' }; continue; }
        if (next.action === 'retry' || next.action === 'hold') continue;
        progress[applicantId] = { ...p, report: st.state === 'opted_out' ? 'opted_out' : 'failed' };
        if (next.rememberOptOut) {
          // The outbox has only the number's hash: find the number among the applicant's phones.
          for (const r of await this.d.store.recipients(n.school_id, n.child_id, 'sms', iso)) {
            for (const phone of r.addresses) if (phoneRef(phone) === p.phone) this.optOuts.remember(n.school_id, n.child_id, phone, iso);
          }
        }
        const c = school ? this.compose(n, school) : { withheld: 'school' };
        if ('withheld' in c) continue;
        const fb = await this.fallBack(n, c, applicantId, next.reason, iso, res);
        if (!(fb instanceof GatewayError)) progress[`${applicantId}:fallback`] = fb;
      }
      if (changed) this.outbox.setProgress(n, iso, progress);
    }
  }
}
