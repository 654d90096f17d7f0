/**
 * E-mail to families: instant notices (absence, final result) and a daily digest (new marks,
 * homework, schedule changes, upcoming tests, forecast), through an outbox in the ledger file
 * (`family_notices`).
 *
 * One `tick(now)`:
 * 1. queues instant notices for attendance events and final marks stored since the last tick
 *    (a revision watermark; the first tick only sets it, so history is never mailed);
 * 2. queues one digest per child with an e-mail contact once the school's local digest time
 *    has passed (one per local date; its window starts where the previous digest ended);
 * 3. sends what is due. Consent is checked at send time, for the notice and for every record a
 *    digest would mention (the gate, channel `email`), and only applicants whose own consent
 *    covers e-mail and who chose it receive it. A refused notice becomes `withheld` and is
 *    never sent later: news of an absence is worthless a week on, and a late consent should
 *    not release a burst of old letters.
 * The outbox stores no text and no address: letters are composed from the ledger when sent.
 * Failures: the server unreachable or refusing the login → the notice waits (never dead, the
 * tick stops); a 4xx reply → retry with backoff up to maxAttempts; a 5xx reply → dead.
 */
import type { ConsentGate, ConsentStore } from '../../core/consent';
import { GatewayError, toGatewayError } from '../../core/errors';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import { SqliteLedger } from '../../ledger/sqlite/sqlite-ledger';
import { backoffDelay } from '../../pipeline/backoff';
import { localDateOf, parseTimeOfDay, toLocal } from '../../sla/local-time';
import { addDays } from '../../infra/adapter-kit/dates';
import type { NotifierSchool } from './config';
import { FamilyDataReader, type BodyRow } from './data';
import { NoticeOutbox, type NoticeRow } from './outbox';
import { queueInstantNotices } from './instant';
import { PassLoop } from './pass-loop';
import { absenceLetter, digestLetter, finalMarkLetter, type DigestView, type FinalMarkView, type Letter } from './templates';
import type { MailTransport } from './transport';

export interface ForecastLine { subject: string; forecast: string }
/** The forecast section of the digest (src/families/forecast.ts provides it; absent = no section). */
export type ForecastProvider = (schoolId: string, childId: string, now: Date) => Promise<ForecastLine[]>;

export interface EmailPolicy { maxAttempts: number; backoffBaseMs: number; backoffCapMs: number }

export interface EmailNotifierDeps {
  ledger: Ledger;
  store: ConsentStore;
  gate: ConsentGate;
  transport: MailTransport;
  schools: readonly NotifierSchool[];
  policy: EmailPolicy;
  log: Logger;
  now(): Date;
  forecast?: ForecastProvider;
  random?: () => number;
}

export interface TickResult { queued: number; sent: number; withheld: number; empty: number; retry: number; dead: number }

const WATERMARK = 'email.watermark';
const OUTAGES = new Set(['GW_SINK_AUTH_FAILED', 'GW_SINK_TIMEOUT', 'GW_SINK_UNAVAILABLE']);
const DAY_MS = 86_400_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class EmailNotifier extends PassLoop<TickResult> {
  private readonly reader: FamilyDataReader;
  private readonly outbox: NoticeOutbox;
  private readonly schools: Map<string, NotifierSchool>;

  constructor(private readonly d: EmailNotifierDeps) {
    super(d.log, 'family e-mail pass');
    if (!(d.ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The e-mail notifier needs the SQLite ledger');
    this.reader = new FamilyDataReader(d.ledger.database());
    this.outbox = new NoticeOutbox(d.ledger.database(), 'email');
    this.schools = new Map(d.schools.map((s) => [s.id, s]));
  }


  protected async pass(): Promise<TickResult> {
    const now = this.d.now();
    const res: TickResult = { queued: 0, sent: 0, withheld: 0, empty: 0, retry: 0, dead: 0 };
    res.queued += this.queueInstant(now);
    res.queued += await this.queueDigests(now);
    await this.sendDue(now, res);
    if (res.sent + res.withheld + res.retry + res.dead > 0) this.d.log.info('family e-mail notices', { ...res });
    return res;
  }

  private queueInstant(now: Date): number {
    return queueInstantNotices(this.outbox, this.reader, WATERMARK, (id) => {
      const s = this.schools.get(id);
      return s?.email.enabled ? { ...s.email, timezone: s.timezone } : undefined;
    }, now);
  }

  private async queueDigests(now: Date): Promise<number> {
    let queued = 0;
    for (const s of this.schools.values()) {
      if (!s.email.enabled || !s.email.digest) continue;
      const local = toLocal(now, s.timezone);
      if (local.minuteOfDay < parseTimeOfDay(s.email.digestTime)) continue;
      for (const child of await this.d.store.childrenWithChannel(s.id, 'email')) {
        const from = this.outbox.lastDigestEnd(s.id, child) ?? new Date(now.getTime() - DAY_MS).toISOString();
        queued += this.outbox.queue({ key: `digest:${s.id}:${child}:${local.date}`, schoolId: s.id, childId: child, kind: 'digest', windowFrom: from, windowTo: now.toISOString() }, now.toISOString());
      }
    }
    return queued;
  }

  private async sendDue(now: Date, res: TickResult): Promise<void> {
    const iso = now.toISOString();
    for (const n of this.outbox.due(iso, 100)) {
      const composed = await this.compose(n, now);
      if ('withheld' in composed) {
        this.outbox.finish(n, 'withheld', iso, { error: new GatewayError('GW_CONSENT_MISSING', `Notice ${n.id} (${n.kind}, school ${n.school_id}) withheld: ${composed.withheld}`) });
        res.withheld++;
        continue;
      }
      if (composed.letter === undefined) { this.outbox.finish(n, 'empty', iso); res.empty++; continue; }
      const recipients = await this.d.store.recipients(n.school_id, n.child_id, 'email', iso);
      if (recipients.length === 0) {
        this.outbox.finish(n, 'withheld', iso, { error: new GatewayError('GW_CONSENT_MISSING', `Notice ${n.id} (${n.kind}, school ${n.school_id}) withheld: no applicant with an e-mail consent and address`) });
        res.withheld++;
        continue;
      }
      const sent = n.message_ids ? (JSON.parse(n.message_ids) as Record<string, string>) : {};
      let failure: GatewayError | undefined;
      for (const r of recipients) {
        if (sent[r.applicantId] !== undefined) continue;
        try {
          const { messageId } = await this.d.transport.send({
            ...composed.letter, to: r.addresses, headers: { 'X-Diary-Notice': n.kind, 'X-Diary-Notice-Id': String(n.id) },
          });
          sent[r.applicantId] = messageId;
        } catch (e: unknown) {
          failure = toGatewayError(e, 'GW_SINK_UNAVAILABLE');
          break;
        }
      }
      if (!failure) { this.outbox.finish(n, 'sent', iso, { sent, recipients: Object.keys(sent).length }); res.sent++; continue; }
      const attempts = n.attempts + 1;
      // A connection or login failure is the server's, not this notice's: it waits, and the rest of this pass would fail the same way.
      const outage = failure.code === 'GW_SINK_AUTH_FAILED' || (OUTAGES.has(failure.code) && failure.opts.httpStatus === undefined);
      if (!outage && (failure.errorClass === 'invalid_data' || attempts >= this.d.policy.maxAttempts)) {
        this.outbox.finish(n, 'dead', iso, { sent, error: failure, attempts });
        this.d.log.error('family e-mail notice dead', { noticeId: n.id, kind: n.kind, schoolId: n.school_id, code: failure.code, attempts });
        res.dead++;
        continue;
      }
      const delay = backoffDelay(attempts, { baseMs: this.d.policy.backoffBaseMs, capMs: this.d.policy.backoffCapMs }, undefined, this.d.random);
      this.outbox.retry(n, iso, new Date(now.getTime() + delay).toISOString(), failure, sent, outage ? n.attempts : attempts);
      res.retry++;
      if (outage) {
        this.d.log.warn('SMTP server unavailable: family e-mail waits', { code: failure.code });
        return;
      }
    }
  }

  /** The letter for a notice, or why it may not go. */
  private async compose(n: NoticeRow, now: Date): Promise<{ letter: Letter | undefined } | { withheld: string }> {
    const iso = now.toISOString();
    const school = this.schools.get(n.school_id);
    if (!school?.email.enabled) return { withheld: 'e-mail is not enabled for the school' };
    const schoolTitle = school.email.schoolTitle ?? school.name;
    const child = this.reader.childName(n.child_id);
    if (n.kind === 'digest') {
      const status = await this.d.store.status(n.school_id, n.child_id, iso);
      if (!status.channels.includes('email')) return { withheld: `no e-mail consent (${status.state})` };
      if (!child) return { withheld: 'the child is not in the ledger' };
      return { letter: await this.digest(n, school, child, now) };
    }
    const rec = n.record_id ? this.reader.record(n.record_id) : undefined;
    if (!rec || !child) return { withheld: 'the record or the child is no longer held' };
    const [decision] = await this.d.gate.check([{ entityType: rec.row.entity_type, schoolId: rec.row.school_id, payload: rec.body }], 'email', iso);
    if (decision?.allowed !== true) return { withheld: `no e-mail consent (${decision?.reason ?? 'unresolved'})` };
    const b = rec.body;
    if (n.kind === 'absence') {
      const lesson = this.reader.record(str(b['lessonId']) ?? '')?.body;
      const number = typeof lesson?.['number'] === 'number' ? lesson['number'] : undefined;
      const subject = this.reader.title(lesson?.['subjectId']);
      return { letter: absenceLetter({
        child, date: str(b['date']) ?? '', category: str(b['category']) ?? 'unknown', code: str(b['code']) ?? '', schoolTitle,
        ...(lesson ? { lesson: { ...(number !== undefined ? { number } : {}), ...(subject ? { subject } : {}) } } : {}),
      }) };
    }
    const period = this.reader.title(b['reportingPeriodId']);
    const deferral = b['deferral'] as { dueDate?: string } | undefined;
    const view: FinalMarkView = {
      child, kind: String(b['kind']) as FinalMarkView['kind'], subject: this.reader.title(b['subjectId']) ?? 'предмет', markStatus: String(b['markStatus']), schoolTitle,
      ...(period ? { period } : {}), ...((b['value'] as { raw?: string } | undefined)?.raw ? { value: (b['value'] as { raw: string }).raw } : {}),
      ...(deferral?.dueDate ? { deferralDue: deferral.dueDate } : {}),
    };
    return { letter: finalMarkLetter(view) };
  }

  private async digest(n: NoticeRow, school: NotifierSchool, child: DigestView['child'], now: Date): Promise<Letter | undefined> {
    const today = localDateOf(now, school.timezone);
    const found = this.reader.digest(n.school_id, n.child_id, n.window_from ?? '', n.window_to ?? now.toISOString(), today, addDays(today, school.email.upcomingTestsDays));
    const all: BodyRow[] = [...found.marks, ...found.homework, ...found.changes, ...found.tests];
    const decisions = await this.d.gate.check(all.map((r) => ({ entityType: r.entity_type, schoolId: r.school_id, payload: JSON.parse(r.body) as Record<string, unknown> })), 'email', now.toISOString());
    const ok = new Set(all.filter((_, i) => decisions[i]?.allowed === true).map((r) => r.id));
    const bodies = (rows: BodyRow[]): Array<Record<string, unknown>> => rows.filter((r) => ok.has(r.id)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const subj = (b: Record<string, unknown>): string => this.reader.title(b['subjectId']) ?? 'предмет';
    const forecast = this.d.forecast ? await this.d.forecast(n.school_id, n.child_id, now) : [];
    return digestLetter({
      child, date: today, schoolTitle: school.email.schoolTitle ?? school.name, forecast,
      marks: bodies(found.marks).map((b) => ({ subject: subj(b), value: (b['value'] as { raw?: string } | undefined)?.raw ?? '—', ...(str(b['date']) ? { date: str(b['date']) as string } : {}) })),
      homework: bodies(found.homework).map((b) => ({ subject: subj(b), text: str(b['text']) ?? '', ...(str(b['dueDate']) ? { dueDate: str(b['dueDate']) as string } : {}) })),
      changes: bodies(found.changes).map((b) => ({ date: str(b['date']) ?? '', subject: subj(b), state: str(b['state']) ?? '', ...(typeof b['number'] === 'number' ? { number: b['number'] } : {}) })),
      tests: bodies(found.tests).map((b) => ({ date: str(b['plannedDate']) ?? '', subject: subj(b), title: str(b['title']) ?? '' })),
    });
  }
}
