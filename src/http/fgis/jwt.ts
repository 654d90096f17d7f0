/**
 * Access tokens from a configured OAuth 2.0 issuer for the ФГИС pull API: JWTs (RFC 7519, JWT
 * access tokens per RFC 9068) signed RS256 or ES256, checked against the issuer's published keys
 * (a JWKS URL, fetched on first use and cached) or public keys from the configuration. Checked:
 * the signature with the key of the token's `kid`, `iss`, `aud`, `exp` (required), `nbf`, and
 * that the client (`client_id`, else `azp`, else `sub`) is one of the configured clients. No
 * library: node:crypto reads JWKs and verifies the signatures. Tokens and keys are never logged.
 */
import { createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { GatewayError } from '../../core/errors';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface JwtIssuerOptions {
  /** The `iss` a token must carry, exactly. */
  issuer: string;
  /** The `aud` a token must carry (or contain, when it is a list). */
  audience: string;
  /** The issuer's JWKS (`{ keys: [...] }`), fetched on first use and refreshed per `jwksCacheSeconds`. */
  jwksUrl?: string;
  /** Public keys from the configuration: PEM (SPKI) strings or JWK objects; used besides the JWKS. */
  keys?: ReadonlyArray<string | JsonWebKey>;
  /** Client ids whose tokens are accepted. */
  clients: readonly string[];
  algorithms?: readonly JwtAlgorithm[];
  /** Allowed clock difference for `exp` and `nbf` (default 60 s). */
  clockSkewSeconds?: number;
  /** How long fetched keys are used before the JWKS is read again (default 600 s). */
  jwksCacheSeconds?: number;
  /** Timeout of one JWKS request (default 5000 ms). */
  timeoutMs?: number;
}

/** `unavailable`: the token could not be checked now (the JWKS could not be fetched). */
export type JwtCheck = { ok: true; client: string } | { ok: false; reason: 'invalid' | 'expired' | 'unavailable' };

export interface AccessTokenVerifier {
  verify(token: string, now: Date): Promise<JwtCheck>;
}

interface Key {
  kid?: string;
  alg?: string;
  object: KeyObject;
}

const MAX_JWKS_BYTES = 256 * 1024;
/** An unknown `kid` makes the verifier read the JWKS again (key rotation), at most this often. */
const REFETCH_MIN_MS = 30_000;

/** Looks like a JWT (three base64url parts), as opposed to the gateway's own `v1.` tokens. */
export function isJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export function createJwtVerifier(opts: JwtIssuerOptions): AccessTokenVerifier {
  if (!opts.jwksUrl && (opts.keys ?? []).length === 0) throw new Error('A token issuer needs a JWKS URL or at least one public key');
  const algorithms = new Set<string>(opts.algorithms ?? ['RS256', 'ES256']);
  const skewMs = (opts.clockSkewSeconds ?? 60) * 1000;
  const clients = new Set(opts.clients);
  const ttlMs = (opts.jwksCacheSeconds ?? 600) * 1000;
  const configured = (opts.keys ?? []).map(toKey);
  let fetched: { keys: Key[]; at: number } | undefined;
  let inFlight: Promise<Key[]> | undefined;

  const fetchJwks = (url: string, nowMs: number): Promise<Key[]> => {
    inFlight ??= (async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5000), headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`JWKS answered HTTP ${res.status}`);
        const text = await res.text();
        if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS too large');
        const body = JSON.parse(text) as { keys?: unknown };
        if (!Array.isArray(body.keys)) throw new Error('JWKS without keys');
        const keys = body.keys.flatMap((k: unknown) => {
          try { return [toKey(k as JsonWebKey)]; } catch { return []; } // a key of a kind we cannot read is skipped
        });
        fetched = { keys, at: nowMs };
        return keys;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  /** Keys for a header: configured ones, then the JWKS (read again once for an unknown kid). */
  const keysFor = async (kid: string | undefined, nowMs: number): Promise<Key[]> => {
    const fits = (ks: Key[]): Key[] => ks.filter((k) => kid === undefined || k.kid === undefined || k.kid === kid);
    const own = fits(configured);
    if (!opts.jwksUrl) return own;
    const url = opts.jwksUrl;
    // A failed refresh keeps the keys read before (an issuer outage must not lock every client out).
    const read = async (): Promise<Key[]> => {
      try {
        return await fetchJwks(url, nowMs);
      } catch (e) {
        if (!fetched) throw e;
        // Try again in REFETCH_MIN_MS, not on every request meanwhile.
        fetched = { keys: fetched.keys, at: nowMs - ttlMs + REFETCH_MIN_MS };
        return fetched.keys;
      }
    };
    const fresh = fetched !== undefined && nowMs - fetched.at < ttlMs;
    let remote = fits(fresh && fetched ? fetched.keys : await read());
    const known = remote.some((k) => k.kid === kid);
    if (kid !== undefined && !known && fetched && nowMs - fetched.at >= REFETCH_MIN_MS) remote = fits(await read());
    return [...own, ...remote];
  };

  return {
    async verify(token, now) {
      const parts = token.split('.');
      if (parts.length !== 3 || !isJwt(token)) return { ok: false, reason: 'invalid' };
      const header = decode(parts[0] ?? '');
      const claims = decode(parts[1] ?? '');
      if (!header || !claims) return { ok: false, reason: 'invalid' };
      const alg = header['alg'];
      // `crit` names extensions we would have to understand; `none` and HMAC are never accepted.
      if (typeof alg !== 'string' || !algorithms.has(alg) || header['crit'] !== undefined) return { ok: false, reason: 'invalid' };
      const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
      let keys: Key[];
      try {
        keys = await keysFor(kid, now.getTime());
      } catch {
        return { ok: false, reason: 'unavailable' };
      }
      const data = Buffer.from(`${parts[0]}.${parts[1]}`);
      const signature = Buffer.from(parts[2] ?? '', 'base64url');
      const signed = keys.some((k) => (k.alg === undefined || k.alg === alg) && kindFits(k.object, alg) && check(alg as JwtAlgorithm, data, k.object, signature));
      if (!signed) return { ok: false, reason: 'invalid' };
      const t = now.getTime();
      const aud = claims['aud'];
      const audOk = aud === opts.audience || (Array.isArray(aud) && aud.includes(opts.audience));
      if (claims['iss'] !== opts.issuer || !audOk) return { ok: false, reason: 'invalid' };
      const exp = claims['exp'];
      if (typeof exp !== 'number') return { ok: false, reason: 'invalid' };
      if (exp * 1000 + skewMs <= t) return { ok: false, reason: 'expired' };
      const nbf = claims['nbf'];
      if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 - skewMs > t)) return { ok: false, reason: 'invalid' };
      const client = [claims['client_id'], claims['azp'], claims['sub']].find((c): c is string => typeof c === 'string');
      if (client === undefined || !clients.has(client)) return { ok: false, reason: 'invalid' };
      return { ok: true, client };
    },
  };
}

/** `gateway.fgis.issuer` as in config/gateway.schema.json. */
export interface FgisIssuerConfig {
  issuer: string;
  audience: string;
  jwksUrl?: string;
  publicKeyEnv?: string;
  clients: string[];
  algorithms?: JwtAlgorithm[];
  clockSkewSeconds?: number;
  jwksCacheSeconds?: number;
}

/**
 * The verifier of `gateway.fgis.issuer`; the public key, if any, comes from the environment
 * variable named by `publicKeyEnv` (PEM, one JWK, or a JWKS). Throws GW_CONFIG_* at start-up.
 */
export function jwtVerifierFromConfig(c: FgisIssuerConfig, env: NodeJS.ProcessEnv): AccessTokenVerifier {
  const keys: Array<string | JsonWebKey> = [];
  if (c.publicKeyEnv) {
    const raw = env[c.publicKeyEnv]?.trim();
    if (!raw) throw new GatewayError('GW_CONFIG_SECRET_MISSING', `gateway.fgis.issuer.publicKeyEnv names ${c.publicKeyEnv}, which is unset`);
    try {
      if (raw.startsWith('-----BEGIN')) keys.push(raw);
      else {
        const parsed = JSON.parse(raw) as JsonWebKey & { keys?: JsonWebKey[] };
        keys.push(...(Array.isArray(parsed.keys) ? parsed.keys : [parsed]));
      }
      keys.forEach(toKey);
    } catch (e) {
      throw new GatewayError('GW_CONFIG_INVALID', `${c.publicKeyEnv} does not hold a readable public key (PEM, JWK or JWKS)`, { cause: e });
    }
  }
  if (!c.jwksUrl && keys.length === 0) throw new GatewayError('GW_CONFIG_INVALID', 'gateway.fgis.issuer needs jwksUrl or publicKeyEnv');
  return createJwtVerifier({
    issuer: c.issuer, audience: c.audience, clients: c.clients, keys,
    ...(c.jwksUrl ? { jwksUrl: c.jwksUrl } : {}),
    ...(c.algorithms ? { algorithms: c.algorithms } : {}),
    ...(c.clockSkewSeconds !== undefined ? { clockSkewSeconds: c.clockSkewSeconds } : {}),
    ...(c.jwksCacheSeconds !== undefined ? { jwksCacheSeconds: c.jwksCacheSeconds } : {}),
  });
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toKey(k: string | JsonWebKey): Key {
  if (typeof k === 'string') return { object: createPublicKey(k) };
  if (k['use'] !== undefined && k['use'] !== 'sig') throw new Error('not a signing key');
  // Only the public members: a private JWK pasted by mistake must not become a key we hold.
  const pub: JsonWebKey = k.kty === 'RSA' ? { kty: 'RSA', n: k.n, e: k.e } : { kty: k.kty, crv: k.crv, x: k.x, y: k.y };
  return {
    ...(typeof k['kid'] === 'string' ? { kid: k['kid'] } : {}),
    ...(typeof k['alg'] === 'string' ? { alg: k['alg'] } : {}),
    object: createPublicKey({ key: pub, format: 'jwk' }),
  };
}

function kindFits(key: KeyObject, alg: string): boolean {
  if (alg === 'RS256') return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function check(alg: JwtAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    // JWS carries ECDSA signatures as r || s (IEEE P1363), not DER.
    return alg === 'RS256'
      ? verifySignature('sha256', data, key, signature)
      : verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
