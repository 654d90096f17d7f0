/**
 * Bearer-token authentication of the admin API.
 *
 * Tokens are compared as SHA-256 digests with `crypto.timingSafeEqual`: digests have equal
 * length whatever the token length, so neither content nor length leaks through timing, and
 * every configured token is compared (no early exit) so the position of a match does not leak
 * either. Tokens never appear in logs; an operator is known by a fingerprint of the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { GatewayError } from '../core/errors';
import { sendProblem } from './error-handler';

const ACTOR_PREFIX = 'admin-api:';

function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant time whatever the lengths: compares SHA-256 digests (used for every secret the gateway checks). */
export function digestEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** First 8 hex chars of sha256(token): enough to tell operators apart, useless to an attacker. */
export function tokenFingerprint(token: string): string {
  return sha256(token).toString('hex').slice(0, 8);
}

/** The actor recorded in the ledger for changes made with this token: `admin-api:<fingerprint>`. */
export function actorForToken(token: string): string {
  return `${ACTOR_PREFIX}${tokenFingerprint(token)}`;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/**
 * Returns a constant-time check of a presented token against the configured ones.
 * Empty tokens are ignored, so an empty list (or `DIARY_GATEWAY_ADMIN_TOKENS=""`) denies everyone.
 */
export function createTokenVerifier(tokens: readonly string[]): (presented: string) => boolean {
  const digests = tokens.filter((t) => t.trim().length > 0).map(sha256);
  return (presented: string): boolean => {
    const p = sha256(presented);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(p, d) || ok;
    return ok;
  };
}

/**
 * Middleware that answers 401 problem+json unless the request carries a valid bearer token,
 * and otherwise records the actor for the handlers (see `actorOf`).
 */
export function createBearerAuth(tokens: readonly string[]): RequestHandler {
  const verify = createTokenVerifier(tokens);
  return (req, res, next) => {
    const token = parseBearer(req.get('authorization'));
    if (token === undefined || !verify(token)) {
      sendProblem(res, new GatewayError('GW_API_UNAUTHORIZED', token === undefined
        ? 'Missing or malformed Authorization header; expected "Bearer <token>".'
        : 'The bearer token is not valid.'));
      return;
    }
    res.locals['adminActor'] = actorForToken(token);
    next();
  };
}

/** The actor set by `createBearerAuth` for this request. Throws when auth did not run (a wiring bug). */
export function actorOf(res: Response): string {
  const actor: unknown = res.locals['adminActor'];
  if (typeof actor !== 'string') throw new GatewayError('GW_INTERNAL', 'Admin actor missing: auth middleware did not run.');
  return actor;
}
