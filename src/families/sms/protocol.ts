/**
 * The wire format of the generic JSON SMS gateway ("generic-json" dialect), which the built-in
 * simulator speaks. Real aggregators differ; each gets its own dialect (request building and
 * answer parsing) and rows in the error table, and the rest of the gateway does not change.
 *
 *   POST /v1/messages        Authorization: Bearer <token>, Idempotency-Key: <clientRef>
 *        {to, text, sender?, clientRef}  → 202 {id, status: 'accepted', segments, encoding}
 *   GET  /v1/messages/{id}   → 200 {id, status: queued|sent|delivered|undeliverable|expired|opted_out, updatedAt}
 *   GET  /v1/health          → 200 {ok: true} (authenticated; used by `check`)
 *   errors                   → 4xx/5xx {error: {code, message}}; 429 and 503 may carry Retry-After
 *
 * Error codes: UNAUTHORIZED (401), FORBIDDEN (403), BAD_REQUEST (400), INVALID_NUMBER (422),
 * OPT_OUT (422: the subscriber refused mailings through the operator, 126-ФЗ ст. 44.1 п. 1.1),
 * TEXT_TOO_LONG (422), RATE_LIMITED (429), NOT_FOUND (404), UNAVAILABLE (503).
 */
export const SMS_API_PREFIX = '/v1';
export const SEND_PATH = `${SMS_API_PREFIX}/messages`;
export const STATUS_PATH_TEMPLATE = `${SMS_API_PREFIX}/messages/{id}`;
export const HEALTH_PATH = `${SMS_API_PREFIX}/health`;

export interface WireSendRequest {
  to: string;
  text: string;
  sender?: string;
  clientRef: string;
}

export interface WireSendAccepted {
  id: string;
  status: 'accepted';
  segments: number;
  encoding: 'gsm7' | 'ucs2';
}

export const WIRE_DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'undeliverable', 'expired', 'opted_out'] as const;
export type WireDeliveryStatus = (typeof WIRE_DELIVERY_STATUSES)[number];

export interface WireStatus {
  id: string;
  status: WireDeliveryStatus;
  updatedAt: string;
}

export const WIRE_ERROR_CODES = [
  'UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST', 'INVALID_NUMBER', 'OPT_OUT', 'TEXT_TOO_LONG', 'RATE_LIMITED', 'NOT_FOUND', 'UNAVAILABLE',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export interface WireError {
  error: { code: WireErrorCode | string; message: string };
}

/** E.164 as the canonical person schema stores phones (+79001234567). */
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/** A Russian mobile number in E.164: +7 and ten digits starting with 9. */
export const RU_MOBILE = /^\+79[0-9]{9}$/;
