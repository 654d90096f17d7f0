/**
 * The SMTP transport (nodemailer) and the declarative table from SMTP failures to error codes.
 *
 * Error messages are built from the code and the SMTP status only: nodemailer's own messages
 * quote the server's reply, which often repeats the recipient address.
 */
import nodemailer from 'nodemailer';
import type { ErrorCode } from '../../core/error-codes';
import { GatewayError } from '../../core/errors';
import type { EmailTransportConfig } from './config';
import type { Letter } from './templates';

export interface OutgoingMail extends Letter {
  to: string[];
  /** Extra headers (no personal data): notice kind and key, for the school's mail filters and tests. */
  headers: Record<string, string>;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  /** Cheap connection and login check (`diary-gateway check`-style). */
  verify(): Promise<void>;
  close(): void;
}

interface Rule { when: (e: { code?: string; responseCode?: number }) => boolean; code: ErrorCode; what: string }

/**
 * First match wins. 4xx replies are temporary by RFC 5321 (retry); 5xx refuse this message
 * (dead at once: retrying a non-existent mailbox only repeats the bounce); a refused login or
 * an unreachable server is the transport's problem and the notice waits for it.
 */
export const SMTP_ERRORS: readonly Rule[] = [
  { when: (e) => e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 530, code: 'GW_SINK_AUTH_FAILED', what: 'the SMTP server refused the login' },
  { when: (e) => e.code === 'ETIMEDOUT', code: 'GW_SINK_TIMEOUT', what: 'the SMTP server did not answer in time' },
  { when: (e) => e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS' || e.code === 'ETLS' || e.code === 'ECONNREFUSED', code: 'GW_SINK_UNAVAILABLE', what: 'the SMTP server could not be reached' },
  { when: (e) => e.responseCode !== undefined && e.responseCode >= 400 && e.responseCode < 500, code: 'GW_SINK_UNAVAILABLE', what: 'the SMTP server deferred the message' },
  { when: (e) => e.responseCode !== undefined && e.responseCode >= 500, code: 'GW_SINK_REJECTED', what: 'the SMTP server rejected the message' },
];

export function mapSmtpError(e: unknown): GatewayError {
  const info = (typeof e === 'object' && e !== null ? e : {}) as { code?: string; responseCode?: number };
  const rule = SMTP_ERRORS.find((r) => r.when(info));
  const code: ErrorCode = rule?.code ?? 'GW_SINK_UNAVAILABLE';
  const status = info.responseCode !== undefined ? ` (SMTP ${info.responseCode})` : info.code ? ` (${info.code})` : '';
  return new GatewayError(code, `E-mail not sent: ${rule?.what ?? 'the SMTP transport failed'}${status}`, { cause: e, ...(info.responseCode !== undefined ? { httpStatus: info.responseCode } : {}) });
}

export function createMailTransport(cfg: EmailTransportConfig): MailTransport {
  const t = nodemailer.createTransport({
    host: cfg.host, port: cfg.port, secure: cfg.secure, requireTLS: !cfg.secure && cfg.requireTLS,
    ...(cfg.auth ? { auth: { user: cfg.auth.user, pass: cfg.auth.password } } : {}),
    connectionTimeout: cfg.timeoutMs, greetingTimeout: cfg.timeoutMs, socketTimeout: cfg.timeoutMs,
    tls: { rejectUnauthorized: cfg.rejectUnauthorized },
    // Never log envelopes or bodies (they carry addresses and children's data).
    logger: false, debug: false,
  });
  return {
    async send(mail) {
      try {
        const info = await t.sendMail({
          from: cfg.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, headers: mail.headers,
          // Base64 keeps long Cyrillic lines intact through any relay.
          textEncoding: 'base64',
        });
        return { messageId: String(info.messageId) };
      } catch (e: unknown) {
        throw mapSmtpError(e);
      }
    },
    async verify() {
      try {
        await t.verify();
      } catch (e: unknown) {
        throw mapSmtpError(e);
      }
    },
    close() {
      t.close();
    },
  };
}
