/**
 * Declarative error tables of the СМЭВ 3 sink: СМЭВ signal → action and ErrorCode.
 *
 * - FAULT_TABLE: every fault element the WSDL declares (first match wins; a row with
 *   `signatureCode` matches only that SignatureVerificationFault code). `action` says what the
 *   sink does beyond failing: treat as delivered, renew the MessageID, or split the message to
 *   isolate the refused records. A test checks the table covers exactly the WSDL's faults.
 * - FAULTCODE_FALLBACK: a fault without a СМЭВ detail element, by `faultcode`.
 * - HTTP_STATUS_TABLE: answers that are not SOAP at all (a proxy's 429/503, a 404 page).
 * - SIGNER_STATUS_TABLE: answers of the external signing service.
 * - TRANSPORT_ERROR_TABLE: codes the shared HTTP client throws.
 * The README's "Error mapping" section mirrors these rows (a test keeps them in step).
 * Behaviour follows fault names and codes only, never the Russian faultstring.
 */
import { GatewayError, type Issue } from '../../src/core/errors';
import type { ErrorCode } from '../../src/core/error-codes';
import { parseRetryAfter } from '../../src/core/http';
import type { ParsedFault } from './faults';
import type { Operation, SignatureFaultCode, SmevFaultName } from './protocol';
import { redactXsdMessage } from './xsd';

export type FaultAction =
  /** The message is already in СМЭВ: success (outcome `delivered`, duplicate). */
  | 'duplicate'
  /** Generate a fresh MessageID and resend once; `code` if СМЭВ refuses the fresh one too. */
  | 'renew-id'
  /** The content is refused: split the message and resend the halves; a lone record fails with `code`. */
  | 'isolate'
  /** Ack of a message СМЭВ no longer holds: nothing left to acknowledge. */
  | 'ack-gone'
  /** Fail with `code`. */
  | 'fail';

export interface FaultRule {
  fault: SmevFaultName;
  signatureCode?: SignatureFaultCode;
  action: FaultAction;
  code: ErrorCode;
  why: string;
}

export const FAULT_TABLE: readonly FaultRule[] = [
  { fault: 'MessageIsAlreadySent', action: 'duplicate', code: 'GW_SINK_PROTOCOL', why: 'СМЭВ already took this MessageID (the connection dropped after a successful send): success, stop resending' },
  { fault: 'StaleMessageId', action: 'renew-id', code: 'GW_SINK_PROTOCOL', why: 'the MessageID timestamp is too old: a fresh id, resent once; refused again means the gateway clock is wrong' },
  { fault: 'SMEVFailure', action: 'fail', code: 'GW_SINK_UNAVAILABLE', why: 'СМЭВ infrastructure failure: retry with no limit' },
  { fault: 'DestinationOverflow', action: 'fail', code: 'GW_SINK_UNAVAILABLE', why: 'the recipient queue is full: keep retrying until it succeeds' },
  { fault: 'EndOfLifeReached', action: 'fail', code: 'GW_SINK_UNAVAILABLE', why: 'EOL passed: retry, EOL is computed again from the next send time' },
  { fault: 'QuoteLimitExceeded', action: 'fail', code: 'GW_SINK_RATE_LIMITED', why: 'the attachment quota is used up until СМЭВ frees it: retry later with backoff' },
  { fault: 'InvalidContent', action: 'isolate', code: 'GW_SINK_REJECTED', why: 'the payload failed the XSD registered in СМЭВ: the failing records are rejected, the rest resent' },
  { fault: 'AttachmentSizeLimitExceeded', action: 'isolate', code: 'GW_SINK_REJECTED', why: 'attachments over the СМЭВ limit: resent in smaller messages; a lone record still too large is rejected' },
  { fault: 'BusinessDataTypeIsNotSupported', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'the payload root element is not registered: wrong payloadNamespace, or the вид сведений is not registered' },
  { fault: 'SignatureVerificationFault', signatureCode: 'CertificateIsNotFound', action: 'fail', code: 'GW_SINK_AUTH_FAILED', why: 'the signing certificate is unknown to СМЭВ (ЕСИА)' },
  { fault: 'SignatureVerificationFault', signatureCode: 'CertificateIsExpired', action: 'fail', code: 'GW_SINK_AUTH_FAILED', why: 'the signing certificate expired: get a new one' },
  { fault: 'SignatureVerificationFault', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'envelope or signature malformed (no Header, no signature, wrong target, invalid value): a signing defect' },
  { fault: 'AccessDenied', action: 'fail', code: 'GW_SINK_AUTH_FAILED', why: 'this sender may not send this вид сведений: never retried blindly' },
  { fault: 'SenderIsNotRegistered', action: 'fail', code: 'GW_SINK_AUTH_FAILED', why: 'the sender is not registered in СМЭВ (e.g. after a certificate change)' },
  { fault: 'RecipientIsNotFound', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'СМЭВ has no recipient for this request: registration problem' },
  { fault: 'TransactionCodeInvalid', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'the configured transactionCode is refused' },
  { fault: 'InvalidMessageIdFormat', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'the MessageID is not an RFC 4122 version-1 UUID: a gateway defect' },
  { fault: 'AttachmentContentMiscoordination', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'attachment headers and bodies do not match: a gateway defect' },
  { fault: 'UnknownMessageType', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'the GetResponse selector names a type СМЭВ does not know: fix responseSelector' },
  { fault: 'TargetMessageIsNotFound', action: 'ack-gone', code: 'GW_SINK_PROTOCOL', why: 'Ack of a message СМЭВ no longer holds unacknowledged: already acknowledged' },
  { fault: 'RequestIsNotFound', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'Cancel of an unknown request (the sink does not cancel)' },
  { fault: 'IncorrectResponseContentType', action: 'fail', code: 'GW_SINK_PROTOCOL', why: 'SendResponse with a request payload (the sink does not send responses)' },
];

/** A fault without a СМЭВ fault element: SOAP `Server` is the peer's failure, anything else ours. */
export const FAULTCODE_FALLBACK: Readonly<Record<'Server' | 'other', ErrorCode>> = {
  Server: 'GW_SINK_UNAVAILABLE',
  other: 'GW_SINK_PROTOCOL',
};

export interface StatusRule { status: number | readonly [number, number]; code: ErrorCode; why: string }

export const HTTP_STATUS_TABLE: readonly StatusRule[] = [
  { status: 401, code: 'GW_SINK_AUTH_FAILED', why: 'a proxy in front of СМЭВ wants credentials' },
  { status: 403, code: 'GW_SINK_AUTH_FAILED', why: 'the gateway address is not allowed through' },
  { status: 404, code: 'GW_SINK_PROTOCOL', why: 'wrong endpoint URL' },
  { status: 408, code: 'GW_SINK_TIMEOUT', why: 'the proxy gave up waiting' },
  { status: 413, code: 'GW_SINK_PROTOCOL', why: 'message larger than the proxy takes: lower maxAttachmentBytes' },
  { status: 429, code: 'GW_SINK_RATE_LIMITED', why: 'slow down; Retry-After says for how long' },
  { status: [500, 599], code: 'GW_SINK_UNAVAILABLE', why: 'СМЭВ or its proxy failing without a SOAP fault' },
];
/** 200 with a body that is not SOAP, or any other status. */
export const HTTP_STATUS_FALLBACK: ErrorCode = 'GW_SINK_PROTOCOL';

export const SIGNER_STATUS_TABLE: readonly StatusRule[] = [
  { status: 400, code: 'GW_SINK_PROTOCOL', why: 'the signing service refused the request shape' },
  { status: 401, code: 'GW_SINK_AUTH_FAILED', why: 'signing-service token missing or wrong' },
  { status: 403, code: 'GW_SINK_AUTH_FAILED', why: 'the token may not use this key alias' },
  { status: 404, code: 'GW_SINK_AUTH_FAILED', why: 'unknown key alias' },
  { status: 429, code: 'GW_SINK_RATE_LIMITED', why: 'the signing service asks to slow down' },
  { status: [500, 599], code: 'GW_SINK_UNAVAILABLE', why: 'the signing service or its crypto provider failing' },
];
export const SIGNER_STATUS_FALLBACK: ErrorCode = 'GW_SINK_PROTOCOL';

/** The shared HTTP client throws source-flavoured codes; a sink reports them as sink codes. */
export const TRANSPORT_ERROR_TABLE: Readonly<Partial<Record<ErrorCode, ErrorCode>>> = {
  GW_SRC_NETWORK: 'GW_SINK_UNAVAILABLE',
  GW_SRC_TIMEOUT: 'GW_SINK_TIMEOUT',
};

/** The rule for a parsed fault, or undefined when it carries no СМЭВ fault element. */
export function faultRule(f: ParsedFault): FaultRule | undefined {
  if (!f.name) return undefined;
  return FAULT_TABLE.find((r) => r.fault === f.name && (r.signatureCode === undefined || r.signatureCode === f.signatureCode));
}

/** The GatewayError for a fault of `op` (safe to log: fault name and СМЭВ code, never faultstring). */
export function faultError(f: ParsedFault, op: Operation, httpStatus: number): GatewayError {
  const rule = faultRule(f);
  const code = rule?.code ?? (f.faultcode === 'Server' ? FAULTCODE_FALLBACK.Server : FAULTCODE_FALLBACK.other);
  const what = f.name ? `${f.name}${f.signatureCode ? `/${f.signatureCode}` : ''}` : `SOAP ${f.faultcode || 'fault'}`;
  const issues: Issue[] = f.validationErrors.map((v) => ({ path: `ValidationError[@errorPosition=${v.position}]`, message: redactXsdMessage(v.message) }));
  return new GatewayError(code, `СМЭВ answered ${what} to ${op}${f.smevCode ? ` (${f.smevCode})` : ''}`, {
    httpStatus,
    ...(issues.length > 0 ? { issues } : {}),
    context: { op, fault: f.name ?? f.faultcode, smevCode: f.smevCode },
  });
}

function statusCode(table: readonly StatusRule[], fallback: ErrorCode, status: number): ErrorCode {
  const hit = table.find((r) => (typeof r.status === 'number' ? r.status === status : status >= r.status[0] && status <= r.status[1]));
  return hit?.code ?? fallback;
}

export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/** A non-SOAP answer from the СМЭВ endpoint (or a 200 that is not a SOAP envelope). */
export function httpError(op: Operation, status: number, headers: Record<string, string>, now: Date): GatewayError {
  const code = statusCode(HTTP_STATUS_TABLE, HTTP_STATUS_FALLBACK, status);
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  return new GatewayError(code, `СМЭВ endpoint answered HTTP ${status} without a SOAP envelope to ${op}`, {
    httpStatus: status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), context: { op },
  });
}

/** A non-200 answer of the signing service. */
export function signerError(status: number, headers: Record<string, string>, now: Date): GatewayError {
  const code = statusCode(SIGNER_STATUS_TABLE, SIGNER_STATUS_FALLBACK, status);
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  return new GatewayError(code, `signing service answered HTTP ${status}`, {
    httpStatus: status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** Maps what the HTTP client threw to a sink error. A non-gateway throwable stays GW_INTERNAL (a bug). */
export function transportError(e: unknown, what: string): GatewayError {
  if (!(e instanceof GatewayError)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new GatewayError('GW_INTERNAL', `${what}: unexpected error ${msg}`, { cause: e });
  }
  const mapped = TRANSPORT_ERROR_TABLE[e.code];
  if (!mapped) return e;
  return new GatewayError(mapped, `${what} unreachable: ${e.message}`, { ...e.opts, cause: e });
}
