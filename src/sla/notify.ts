/**
 * Sends queued SLA alerts (the `sla_alerts` outbox) to each school's IT contact: a webhook
 * (JSON POST through the gateway's HTTP client, on axios) and an e-mail (nodemailer, the
 * transport from `gateway.sla.alerts.email`). Each channel is tracked on its own, so a webhook
 * that is down does not resend an e-mail that went out. Failures are retried with capped
 * backoff up to `maxAttempts`, then the channel is `failed` and the alert stays in the outbox
 * for the API to show. Logs name the alert, school, obligation, channel and outcome; never the
 * webhook URL's path, the token or the recipient.
 */
import nodemailer from 'nodemailer';
import type { HttpClient } from '../core/http';
import type { Logger } from '../core/logger';
import type { SlaAlertRow, SlaChannelState, SlaStore } from '../core/sla-store';
import { backoffDelay, type BackoffPolicy } from '../pipeline/backoff';
import type { EmailTransportSettings, ItContact } from './settings';

/** One minute, doubling to an hour: an IT contact's endpoint that is down for a while still gets the alert. */
export const ALERT_BACKOFF: BackoffPolicy = { baseMs: 60_000, capMs: 3_600_000 };

export interface MailMessage { to: string; subject: string; text: string }
export interface Mailer { send(m: MailMessage): Promise<void> }

/** A nodemailer SMTP mailer. */
export function smtpMailer(t: EmailTransportSettings, timeoutMs: number): Mailer {
  const transport = nodemailer.createTransport({
    host: t.host, port: t.port, secure: t.secure,
    ...(t.user !== undefined ? { auth: { user: t.user, pass: t.password ?? '' } } : {}),
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
  });
  return {
    async send(m: MailMessage): Promise<void> {
      await transport.sendMail({ from: t.from, to: m.to, subject: m.subject, text: m.text, headers: { 'Content-Language': 'ru' } });
    },
  };
}

export interface DispatcherDeps {
  store: SlaStore;
  http: HttpClient;
  mailer?: Mailer;
  /** The IT contact of each school (from the configuration, secrets resolved). */
  contactOf(schoolId: string): ItContact | undefined;
  log: Logger;
  maxAttempts: number;
  timeoutMs: number;
  random?: () => number;
}

export interface DispatchResult { sent: number; failed: number; retrying: number }

export class AlertDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /** Sends every alert whose time has come; returns what happened. */
  async flush(now: Date, limit = 100): Promise<DispatchResult> {
    const result: DispatchResult = { sent: 0, failed: 0, retrying: 0 };
    for (const alert of await this.deps.store.dueAlerts(now.toISOString(), limit)) {
      const outcome = await this.sendOne(alert, now);
      result[outcome]++;
    }
    return result;
  }

  private async sendOne(alert: SlaAlertRow, now: Date): Promise<keyof DispatchResult> {
    const contact = this.deps.contactOf(alert.schoolId) ?? {};
    const attempt = alert.attempts + 1;
    const errors: string[] = [];
    const channel = async (state: SlaChannelState, name: 'webhook' | 'email', send: () => Promise<void>): Promise<SlaChannelState> => {
      if (state !== 'pending') return state;
      try {
        await send();
        this.deps.log.info('sla alert sent', { alertId: alert.id, schoolId: alert.schoolId, obligation: alert.obligation, level: alert.level, channel: name, attempt });
        return 'sent';
      } catch (e: unknown) {
        // SMTP replies quote the recipient; keep addresses out of the log and the outbox.
        const why = (e instanceof Error ? e.message : String(e)).replace(/[^\s<>"']+@[^\s<>"']+/g, '<address>').slice(0, 200);
        errors.push(`${name}: ${why}`);
        this.deps.log.warn('sla alert not sent', { alertId: alert.id, schoolId: alert.schoolId, obligation: alert.obligation, channel: name, attempt, error: why });
        return attempt >= this.deps.maxAttempts ? 'failed' : 'pending';
      }
    };
    const webhookState = await channel(alert.webhookState, 'webhook', () => this.postWebhook(contact, alert));
    const emailState = await channel(alert.emailState, 'email', () => this.sendEmail(contact, alert));
    const pending = webhookState === 'pending' || emailState === 'pending';
    const next = pending ? new Date(now.getTime() + backoffDelay(attempt, ALERT_BACKOFF, undefined, this.deps.random)).toISOString() : undefined;
    const anySent = webhookState === 'sent' || emailState === 'sent';
    await this.deps.store.updateAlert(alert.id, {
      webhookState, emailState, attempts: attempt,
      ...(next !== undefined ? { nextAttemptAt: next } : {}),
      ...(errors.length > 0 ? { lastError: errors.join('; ').slice(0, 500) } : {}),
      ...(anySent && alert.sentAt === undefined ? { sentAt: now.toISOString() } : {}),
    });
    if (pending) return 'retrying';
    return webhookState === 'failed' || emailState === 'failed' ? 'failed' : 'sent';
  }

  private async postWebhook(contact: ItContact, alert: SlaAlertRow): Promise<void> {
    if (contact.webhookUrl === undefined) throw new Error('the school has no webhookUrl any more');
    const res = await this.deps.http.request({
      method: 'POST', url: contact.webhookUrl, pathTemplate: '/(sla-webhook)', maxAttempts: 1, timeoutMs: this.deps.timeoutMs, responseType: 'text',
      headers: {
        'Content-Type': 'application/json; charset=utf-8', 'Idempotency-Key': `sla-alert-${alert.id}`,
        ...(contact.webhookToken !== undefined ? { Authorization: `Bearer ${contact.webhookToken}` } : {}),
      },
      body: { ...alert.payload, alertId: alert.id },
    });
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered HTTP ${res.status}`);
  }

  private async sendEmail(contact: ItContact, alert: SlaAlertRow): Promise<void> {
    if (contact.email === undefined) throw new Error('the school has no IT contact e-mail any more');
    if (this.deps.mailer === undefined) throw new Error('no e-mail transport is configured (gateway.sla.alerts.email)');
    const p = alert.payload;
    await this.deps.mailer.send({ to: contact.email, subject: String(p['subject'] ?? 'diary-gateway'), text: `${String(p['text'] ?? '')}\n\n${machineLines(alert)}` });
  }
}

/** The machine fields, for mail filters. */
function machineLines(alert: SlaAlertRow): string {
  const p = alert.payload;
  return ['event', 'schoolId', 'obligation', 'level', 'previousLevel', 'atRisk', 'breached', 'earliestDueAt', 'at']
    .filter((k) => p[k] !== undefined).map((k) => `${k}: ${String(p[k])}`).concat(`alertId: ${alert.id}`).join('\n');
}
