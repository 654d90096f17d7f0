/**
 * Whether, when and how a notice goes out by SMS to one phone — as a decision object; the
 * channels themselves (e-mail, paper) are wired elsewhere.
 *
 * Order of the checks: a valid mobile number → the per-phone SMS consent (126-ФЗ ст. 44.1: a
 * mailing needs the subscriber's prior consent, kept separately from the personal-data
 * consent) → no operator opt-out on record (ст. 44.1 п. 1.1) → the text fits `maxSegments`
 * (Cyrillic, or transliterated when the school allows it) → quiet hours in the recipient's time
 * zone. Any "no" falls back to the first channel of `fallbackOrder` the family has.
 */
import type { GatewayError } from '../../core/errors';
import type { SmsFailureReason } from './errors';
import { E164 } from './protocol';
import { sendSlot, type DayCalendar, type QuietHoursPolicy, type SendSlot } from './quiet-hours';
import { countSegments, type SegmentCount, type SmsLimits } from './segments';
import { transliterate } from './translit';

export type TranslitMode = 'never' | 'when_fewer_segments' | 'always';
export type FallbackChannel = 'email' | 'paper';

export interface SmsPolicy {
  limits: SmsLimits;
  /** Longer texts are not sent by SMS (they fall back). */
  maxSegments: number;
  transliterate: TranslitMode;
  quietHours: QuietHoursPolicy;
  fallbackOrder: readonly FallbackChannel[];
}

/** The per-phone SMS consent as the registry keeps it. */
export interface SmsConsent {
  phone: string;
  state: 'granted' | 'refused' | 'withdrawn';
  /** When it was given, refused or withdrawn (UTC ISO). */
  at: string;
}

/** Where the caller gets consents from (the consent registry implements it). */
export interface SmsConsentLookup {
  smsConsentOf(schoolId: string, phone: string): Promise<SmsConsent | undefined>;
}

/** Which other channels this family can be reached by. */
export interface FamilyChannels {
  email: boolean;
  paper: boolean;
}

export interface SmsNotice {
  phone: string;
  text: string;
  /** Urgent notices (absence alerts) follow the quiet-hours `urgent` rule. */
  urgent?: boolean;
  /** The recipient's IANA zone (the school's unless the family said otherwise). */
  timeZone: string;
}

export interface SmsPlanInput {
  notice: SmsNotice;
  consent: SmsConsent | undefined;
  /** The operator told us this phone refused mailings (an earlier OPT_OUT answer or report). */
  operatorOptOut: boolean;
  channels: FamilyChannels;
  policy: SmsPolicy;
  calendar: DayCalendar;
  now: Date;
}

export type FallbackReason =
  | 'invalid_number' | 'no_sms_consent' | 'sms_consent_refused' | 'operator_opt_out' | 'too_long' | 'rejected';

export type SmsDecision =
  | { action: 'send'; at: Date; text: string; transliterated: boolean; count: SegmentCount; slot: SendSlot }
  | { action: 'defer'; until: Date; text: string; transliterated: boolean; count: SegmentCount; slot: SendSlot }
  | { action: 'fallback'; channel: FallbackChannel; reason: FallbackReason }
  /** No SMS and no other channel: the caller records it for the school. */
  | { action: 'unreachable'; reason: FallbackReason };

function fallback(reason: FallbackReason, channels: FamilyChannels, order: readonly FallbackChannel[]): SmsDecision {
  const channel = order.find((c) => channels[c]);
  return channel ? { action: 'fallback', channel, reason } : { action: 'unreachable', reason };
}

/** The text to send: as written, or transliterated when the policy says so. */
export function composeText(text: string, policy: Pick<SmsPolicy, 'limits' | 'transliterate'>): { text: string; transliterated: boolean; count: SegmentCount } {
  const plain = countSegments(text, policy.limits);
  if (policy.transliterate === 'never' || plain.encoding === 'gsm7') return { text, transliterated: false, count: plain };
  const lat = transliterate(text);
  const latCount = countSegments(lat, policy.limits);
  if (policy.transliterate === 'always' || latCount.segments < plain.segments) return { text: lat, transliterated: true, count: latCount };
  return { text, transliterated: false, count: plain };
}

/** Plans one SMS notice. Pure: consent, opt-out and channels are looked up by the caller. */
export function planSms(i: SmsPlanInput): SmsDecision {
  const { notice, policy } = i;
  if (!E164.test(notice.phone)) return fallback('invalid_number', i.channels, policy.fallbackOrder);
  if (i.consent === undefined) return fallback('no_sms_consent', i.channels, policy.fallbackOrder);
  if (i.consent.state !== 'granted') return fallback('sms_consent_refused', i.channels, policy.fallbackOrder);
  if (i.operatorOptOut) return fallback('operator_opt_out', i.channels, policy.fallbackOrder);
  const composed = composeText(notice.text, policy);
  if (composed.count.segments > policy.maxSegments) return fallback('too_long', i.channels, policy.fallbackOrder);
  const slot = sendSlot(i.now, notice.timeZone, policy.quietHours, i.calendar, notice.urgent === true);
  return slot.allowedNow
    ? { action: 'send', at: slot.sendAt, ...composed, slot }
    : { action: 'defer', until: slot.sendAt, ...composed, slot };
}

export type AfterFailure =
  /** Not by SMS again; `rememberOptOut` asks the caller to store the operator opt-out for the phone. */
  | { action: 'fallback'; channel: FallbackChannel; reason: FallbackReason; rememberOptOut: boolean }
  | { action: 'unreachable'; reason: FallbackReason; rememberOptOut: boolean }
  /** Try the SMS again at `at` (Retry-After, else the caller's backoff). */
  | { action: 'retry'; at: Date }
  /** The SMS channel itself is broken (credentials, protocol): wait for the operator. */
  | { action: 'hold'; error: GatewayError };

const FALLBACK_REASON: Partial<Record<SmsFailureReason, FallbackReason>> = {
  opted_out: 'operator_opt_out', invalid_number: 'invalid_number', rejected: 'rejected',
};

/**
 * What to do after the gateway refused a message or reported it undeliverable: an operator
 * opt-out or a bad number falls back (never retried); overload and outages are retried; broken
 * credentials or an unknown answer hold the channel for the operator.
 */
export function decideAfterFailure(
  f: { reason: SmsFailureReason; error: GatewayError; retryAfterMs?: number },
  channels: FamilyChannels, policy: Pick<SmsPolicy, 'fallbackOrder'>, now: Date, backoffMs: number,
): AfterFailure {
  const fb = FALLBACK_REASON[f.reason];
  if (fb !== undefined) {
    const d = fallback(fb, channels, policy.fallbackOrder);
    const rememberOptOut = f.reason === 'opted_out';
    return d.action === 'fallback' ? { ...d, rememberOptOut } : { action: 'unreachable', reason: fb, rememberOptOut };
  }
  if (f.reason === 'rate_limited' || f.reason === 'unavailable' || f.reason === 'timeout') {
    return { action: 'retry', at: new Date(now.getTime() + (f.retryAfterMs ?? backoffMs)) };
  }
  return { action: 'hold', error: f.error };
}

/** After a delivery report: `opted_out` is handled as a refusal at submission would be. */
export function decideAfterReport(state: 'pending' | 'delivered' | 'failed' | 'opted_out', channels: FamilyChannels, policy: Pick<SmsPolicy, 'fallbackOrder'>): AfterFailure | { action: 'done' } | { action: 'wait' } {
  if (state === 'delivered') return { action: 'done' };
  if (state === 'pending') return { action: 'wait' };
  const reason: FallbackReason = state === 'opted_out' ? 'operator_opt_out' : 'rejected';
  const d = fallback(reason, channels, policy.fallbackOrder);
  const rememberOptOut = state === 'opted_out';
  return d.action === 'fallback' ? { ...d, rememberOptOut } : { action: 'unreachable', reason, rememberOptOut };
}
