/**
 * Authentication of push requests: an HMAC-SHA256 signature of the raw body, or a bearer token.
 *
 * Everything here is pure and constant-time where a secret is compared:
 * - HMAC: the expected digest of every accepted key is computed and compared with
 *   `timingSafeEqual` against the presented 32 bytes (a malformed signature is compared against
 *   zeros), with no early exit, so neither content nor which key matched leaks through timing;
 * - bearer: tokens are compared as SHA-256 digests (equal length whatever the token length);
 * - an unknown school or source is checked against a throw-away key the same way, so it costs
 *   what a known one costs and is answered the same ("not authenticated").
 * The timestamp is judged only after the signature verified: a caller without the key learns
 * nothing but "not authenticated".
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { acceptedSecrets, type PushSourceConfig } from './spec';

export const TIMESTAMP_HEADER = 'x-diary-timestamp';
export const SIGNATURE_HEADER = 'x-diary-signature';
export const SIGNATURE_PREFIX = 'sha256=';

/** The bytes that are signed: `<timestamp>.` followed by the raw body, exactly as sent. */
function signedPayload(hmac: ReturnType<typeof createHmac>, timestamp: string, body: Buffer | string): Buffer {
  hmac.update(`${timestamp}.`, 'utf8');
  hmac.update(body);
  return hmac.digest();
}

/** `sha256=<hex>` for a body: what a journal puts in X-Diary-Signature (tests and clients use it). */
export function signPushBody(secret: string, timestamp: number | string, body: Buffer | string): string {
  return `${SIGNATURE_PREFIX}${signedPayload(createHmac('sha256', secret), String(timestamp), body).toString('hex')}`;
}

/** What the router needs of the request: headers as received, the raw body and the gateway clock. */
export interface PushCredentials {
  authorization?: string;
  timestamp?: string;
  signature?: string;
  body: Buffer;
  now: Date;
}

/**
 * `unauthenticated`: no credentials, wrong ones, or an unknown school/source (indistinguishable
 * on purpose). `stale_timestamp`: the signature is right but the timestamp is outside the
 * allowed skew (a replay, or the journal's clock is off); only a key holder can get this one.
 */
export type PushAuthResult = { ok: true } | { ok: false; reason: 'unauthenticated' | 'stale_timestamp' };

/** Stands in for the key of an unknown school/source: never matches, costs the same. */
const DECOY_KEY = randomBytes(32).toString('hex');
const ZERO_DIGEST = Buffer.alloc(32);
const SIGNATURE_RE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP_RE = /^\d{1,13}$/; // 13: milliseconds sent by mistake are judged stale, not malformed
const BEARER_RE = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Verifies a push request against an instance config; `config` undefined = unknown school/source. */
export function verifyPushAuth(config: Readonly<PushSourceConfig & { clockSkewSeconds: number }> | undefined, req: PushCredentials): PushAuthResult {
  if (config?.auth === 'bearer') return verifyBearer(acceptedSecrets(config), req.authorization);
  if (config === undefined) {
    // Whatever the caller tried, do the work a known instance would do, then refuse.
    if (req.signature !== undefined) verifyHmac([DECOY_KEY], req);
    else verifyBearer([DECOY_KEY], req.authorization);
    return { ok: false, reason: 'unauthenticated' };
  }
  if (!verifyHmac(acceptedSecrets(config), req)) return { ok: false, reason: 'unauthenticated' };
  const ts = Number(req.timestamp);
  const skewMs = Math.abs(req.now.getTime() - ts * 1000);
  return skewMs <= config.clockSkewSeconds * 1000 ? { ok: true } : { ok: false, reason: 'stale_timestamp' };
}

function verifyHmac(keys: readonly string[], req: PushCredentials): boolean {
  const sig = req.signature === undefined ? undefined : SIGNATURE_RE.exec(req.signature.trim());
  const timestamp = req.timestamp?.trim() ?? '';
  const wellFormed = sig !== undefined && sig !== null && TIMESTAMP_RE.test(timestamp);
  const presented = wellFormed && sig?.[1] ? Buffer.from(sig[1], 'hex') : ZERO_DIGEST;
  let ok = false;
  // Computed even for a malformed request, so its answer takes as long as a wrong signature's.
  const list = keys.length > 0 ? keys : [DECOY_KEY];
  for (const key of list) ok = timingSafeEqual(signedPayload(createHmac('sha256', key), timestamp, req.body), presented) || ok;
  return ok && wellFormed && keys.length > 0;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function verifyBearer(tokens: readonly string[], header: string | undefined): PushAuthResult {
  const token = header === undefined ? undefined : BEARER_RE.exec(header)?.[1];
  const presented = sha256(token ?? '');
  let ok = false;
  const list = tokens.length > 0 ? tokens : [DECOY_KEY];
  for (const t of list) ok = timingSafeEqual(sha256(t), presented) || ok;
  return ok && token !== undefined && tokens.length > 0 ? { ok: true } : { ok: false, reason: 'unauthenticated' };
}
