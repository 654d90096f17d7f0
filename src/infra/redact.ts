/**
 * Redaction of anything that may end up in a log line.
 *
 * The gateway carries children's marks and their guardians' contacts, so every log line goes
 * through a redactor that masks:
 *  (a) known secret values (resolved `${ENV}` references, admin tokens), wherever they occur
 *      inside a string — the occurrence is replaced, so `"Bearer abc123"` becomes `"Bearer [REDACTED]"`;
 *  (b) values under denylisted keys (authorization, cookie, password, token, …);
 *  (c) values under personal-data keys (`piiKeys`, from the canonical schemas' `x-pii` tags, plus a
 *      small baseline so a logger built before the schemas are loaded is still safe) as `[PII]`.
 *
 * The output is a fresh, JSON-safe copy: the input is never mutated.
 */
import { createHmac } from 'node:crypto';
import { GatewayError } from '../core/errors';

export const REDACTED = '[REDACTED]';
export const PII_MASK = '[PII]';
const CIRCULAR = '[Circular]';
const TRUNCATED = '[Truncated]';

/**
 * Keys whose values are always masked. A key matches when it contains one of these
 * (case-insensitive; also after dropping `-`, `_`, `.` and `:`, so `X-Api-Key` matches `apikey`).
 */
export const DENYLIST_KEY_PARTS: readonly string[] = [
  'authorization', 'cookie', 'set-cookie', 'password', 'passwd', 'pw', 'pw2', 'token', 'secret',
  'apikey', 'api_key', 'auth_token', 'access_token', 'refresh_token', 'client_secret', 'devkey', 'wsse',
];

/** Keys masked only on an exact (case-insensitive) match: `at` is NetSchool's session token header. */
export const DENYLIST_EXACT_KEYS: readonly string[] = ['at'];

/**
 * Personal-data keys masked even when the caller passes no `piiKeys`. Matching is exact after
 * normalisation (lower case, separators dropped): `name` alone is deliberately absent, since school
 * and adapter names are not personal data; canonical person names come in through `piiKeys`.
 */
export const BASELINE_PII_KEYS: readonly string[] = [
  'firstName', 'lastName', 'middleName', 'patronymic', 'fullName', 'birthDate', 'dateOfBirth',
  'phone', 'phoneNumber', 'mobilePhone', 'email', 'address', 'snils', 'inn', 'passport',
];

/** Secrets shorter than this are ignored: masking every "1" or "ab" would destroy the logs. */
export const MIN_SECRET_LENGTH = 3;
export const DEFAULT_MAX_DEPTH = 10;

export interface RedactorOptions {
  /** Literal secret values; any string containing one has the occurrence replaced by `[REDACTED]`. */
  secretValues?: readonly string[];
  /** Keys holding personal data (e.g. `piiFieldNames()` from src/infra/schemas.ts); added to {@link BASELINE_PII_KEYS}. */
  piiKeys?: ReadonlySet<string>;
  /** More denylisted key parts (contain-match, like {@link DENYLIST_KEY_PARTS}). */
  extraKeys?: readonly string[];
  /** Nesting deeper than this is replaced by `[Truncated]`. */
  maxDepth?: number;
}

/**
 * A redactor is a function; it also learns secrets later (secrets become known only after the
 * config is resolved, while the logger exists from the first line of start-up).
 */
export interface Redactor {
  (value: unknown): unknown;
  /** Adds secret values; applies to every later call. Empty and too-short values are ignored. */
  addSecrets(values: readonly string[]): void;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.:\s]/g, '');
}

/** True when a value under `key` must be masked as a secret, per the built-in denylist and `extraKeys`. */
export function isDenylistedKey(key: string, extraKeys: readonly string[] = []): boolean {
  const lower = key.toLowerCase();
  if (DENYLIST_EXACT_KEYS.includes(lower)) return true;
  const norm = normalizeKey(key);
  for (const part of [...DENYLIST_KEY_PARTS, ...extraKeys]) {
    const p = part.toLowerCase();
    if (lower.includes(p) || norm.includes(normalizeKey(p))) return true;
  }
  return false;
}

export function createRedactor(opts: RedactorOptions = {}): Redactor {
  const secrets = new Set<string>();
  // Longest first, so a secret that contains another is replaced whole.
  let ordered: string[] = [];
  const addSecrets = (values: readonly string[]): void => {
    for (const v of values) {
      if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) secrets.add(v);
    }
    ordered = [...secrets].sort((a, b) => b.length - a.length);
  };
  addSecrets(opts.secretValues ?? []);

  const extraKeys = opts.extraKeys ?? [];
  const pii = new Set<string>(BASELINE_PII_KEYS.map(normalizeKey));
  for (const k of opts.piiKeys ?? []) pii.add(normalizeKey(k));
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const keyVerdict = new Map<string, 'secret' | 'pii' | 'ok'>();

  const verdictOf = (key: string): 'secret' | 'pii' | 'ok' => {
    let v = keyVerdict.get(key);
    if (v === undefined) {
      v = isDenylistedKey(key, extraKeys) ? 'secret' : pii.has(normalizeKey(key)) ? 'pii' : 'ok';
      if (keyVerdict.size < 10_000) keyVerdict.set(key, v);
    }
    return v;
  };

  const maskString = (s: string): string => {
    let out = s;
    for (const secret of ordered) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  };

  const walk = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    switch (typeof value) {
      case 'string': return maskString(value);
      case 'number': case 'boolean': case 'undefined': return value;
      case 'bigint': return value.toString();
      case 'symbol': return value.toString();
      case 'function': return '[Function]';
      default: break;
    }
    if (value === null) return null;
    const obj = value as object;
    if (Buffer.isBuffer(obj) || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      // Binary bodies are payloads: never logged, only their size.
      return `[Binary ${(obj as ArrayBufferLike | ArrayBufferView).byteLength} bytes]`;
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (ancestors.has(obj)) return CIRCULAR;
    if (depth >= maxDepth) return TRUNCATED;
    ancestors.add(obj);
    try {
      if (obj instanceof GatewayError) return walk(obj.toJSON(), depth, ancestors);
      if (obj instanceof Error) return walk(errorFields(obj), depth, ancestors);
      if (Array.isArray(obj)) return obj.map((item) => walk(item, depth + 1, ancestors));
      if (obj instanceof Set) return [...obj].map((item) => walk(item, depth + 1, ancestors));
      const entries: Iterable<[unknown, unknown]> = obj instanceof Map ? obj.entries() : Object.entries(obj);
      const out: Record<string, unknown> = {};
      for (const [rawKey, v] of entries) {
        const key = String(rawKey);
        const verdict = verdictOf(key);
        const safeKey = maskString(key);
        if (v === undefined || v === null) out[safeKey] = v;
        else if (verdict === 'secret') out[safeKey] = REDACTED;
        else if (verdict === 'pii') out[safeKey] = PII_MASK;
        else out[safeKey] = walk(v, depth + 1, ancestors);
      }
      return out;
    } finally {
      ancestors.delete(obj);
    }
  };

  const redact = ((value: unknown) => walk(value, 0, new Set<object>())) as Redactor;
  redact.addSecrets = addSecrets;
  return redact;
}

/** name, message and code of a plain Error; stack, cause and other properties are left out. */
function errorFields(e: Error): Record<string, unknown> {
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}

/**
 * How a person appears in logs: a short keyed hash of `entityType:sourceId`. Stable for one
 * installation (same salt), so lines about the same pupil can be correlated, yet not reversible
 * without the local salt.
 */
export function personRef(salt: string, entityType: string, sourceId: string): string {
  return createHmac('sha256', salt).update(`${entityType}:${sourceId}`).digest('hex').slice(0, 12);
}
