/**
 * OAuth 2.0 client credentials for the ФГИС pull API (RFC 6749 §4.4): configured clients get
 * short-lived bearer tokens issued by the gateway. Tokens are stateless (HMAC-SHA256 over
 * client id and expiry with a signing key from the environment), so they survive a restart and
 * work across gateway instances that share the key; nothing about them is stored or logged.
 */
import { createHmac } from 'node:crypto';
import { digestEqual } from '../auth';

export interface FgisClient {
  id: string;
  /** Compared in constant time; comes from the environment only. */
  secret: string;
}

export interface TokenIssuer {
  /** Checks the client's credentials and issues a token, or returns undefined. */
  issue(clientId: string, clientSecret: string, now: Date): { token: string; expiresIn: number } | undefined;
  /** The client id the token was issued to, when it is genuine and not expired. */
  verify(token: string, now: Date): string | undefined;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export function createTokenIssuer(clients: readonly FgisClient[], signingKey: string, ttlSeconds: number): TokenIssuer {
  const byId = new Map(clients.map((c) => [c.id, c]));
  const sign = (payload: string): string => b64url(createHmac('sha256', signingKey).update(payload).digest());
  return {
    issue(clientId, clientSecret, now) {
      const c = byId.get(clientId);
      // A made-up id is compared against a dummy, so timing does not reveal which ids exist.
      const ok = digestEqual(clientSecret, c?.secret ?? '\u0000no-such-client');
      if (!c || !ok) return undefined;
      const exp = Math.floor(now.getTime() / 1000) + ttlSeconds;
      const payload = `v1.${b64url(clientId)}.${exp}`;
      return { token: `${payload}.${sign(payload)}`, expiresIn: ttlSeconds };
    },
    verify(token, now) {
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
      const payload = parts.slice(0, 3).join('.');
      if (!digestEqual(parts[3] ?? '', sign(payload))) return undefined;
      const exp = Number(parts[2]);
      if (!Number.isInteger(exp) || exp * 1000 <= now.getTime()) return undefined;
      const clientId = Buffer.from(parts[1] ?? '', 'base64url').toString();
      return byId.has(clientId) ? clientId : undefined;
    },
  };
}

/** `id:secret,id2:secret2` as kept in one environment variable. */
export function parseClients(value: string | undefined): FgisClient[] {
  if (!value) return [];
  return value.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const i = pair.indexOf(':');
    return i > 0 ? { id: pair.slice(0, i), secret: pair.slice(i + 1) } : { id: pair, secret: '' };
  }).filter((c) => c.secret.length > 0);
}
