/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4), the parts every client of such a token
 * endpoint shares: the form encoding, the request (HTTP Basic or credentials in the body), the
 * freshness rule and taking the token from the answer. Sending the request and mapping its
 * failures stay with each adapter (their error tables differ).
 */

/** The access token kept between calls and runs (by the adapter instance, per school and client). */
export interface TokenState {
  token?: string;
  /** Epoch ms when it was issued. */
  issuedAt?: number;
  /** Epoch ms after which the token is not used (from `expires_in`). */
  expiresAt?: number;
}

/** Never use a token this close to its expiry (a call must not race it); half the lifetime for short tokens. */
export const TOKEN_EXPIRY_MARGIN_MS = 30_000;

/** `application/x-www-form-urlencoded` value (RFC 6749 appendix B, also inside HTTP Basic). */
export function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function tokenIsFresh(state: TokenState, nowMs: number): boolean {
  if (!state.token) return false;
  if (state.expiresAt === undefined) return true;
  const lifetime = state.issuedAt !== undefined ? state.expiresAt - state.issuedAt : Infinity;
  return nowMs < state.expiresAt - Math.min(TOKEN_EXPIRY_MARGIN_MS, Math.max(0, lifetime / 2));
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** `basic`: HTTP Basic; anything else: client_id and client_secret in the form body. */
  clientAuth: string;
  scopes: readonly string[];
}

/** Headers and form body of a client credentials token request. */
export function clientCredentialsRequest(c: ClientCredentials): { headers: Record<string, string>; body: string } {
  const form = ['grant_type=client_credentials'];
  if (c.scopes.length > 0) form.push(`scope=${formEncode(c.scopes.join(' '))}`);
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  if (c.clientAuth === 'basic') {
    headers['Authorization'] = `Basic ${Buffer.from(`${formEncode(c.clientId)}:${formEncode(c.clientSecret)}`).toString('base64')}`;
  } else {
    form.push(`client_id=${formEncode(c.clientId)}`, `client_secret=${formEncode(c.clientSecret)}`);
  }
  return { headers, body: form.join('&') };
}

/**
 * Takes `access_token` and `expires_in` from a successful token answer into `state`. Returns
 * false (state cleared) when the answer has no token; `expiresIn` is the lifetime in seconds.
 */
export function acceptToken(state: TokenState, body: unknown, nowMs: number): { ok: boolean; expiresIn?: number } {
  const rec = typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : undefined;
  const token = typeof rec?.['access_token'] === 'string' && rec['access_token'] !== '' ? rec['access_token'] : undefined;
  if (!token) {
    state.token = undefined;
    state.expiresAt = undefined;
    return { ok: false };
  }
  const expiresIn = Number(rec?.['expires_in']);
  state.token = token;
  state.issuedAt = nowMs;
  state.expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? nowMs + expiresIn * 1000 : undefined;
  return { ok: true, ...(Number.isFinite(expiresIn) ? { expiresIn } : {}) };
}
