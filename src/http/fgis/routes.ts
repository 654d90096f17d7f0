/**
 * The ФГИС «Моя школа» pull API: `POST /oauth/token` (client credentials) and
 * `GET /Schedule/{ЕСИА id}?start=&end=` with a bearer token issued here or by a configured issuer
 * (jwt.ts), answering FHIR-like `Schedule` resources and
 * `OperationOutcome` errors (portal-and-standards.md §A2). Mounted outside the admin API: its
 * callers hold client credentials, not admin tokens. What was served, to which client and when
 * goes to the ledger (`served`), so the SLA engine can count a served record as delivered.
 */
import { createHmac } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { nullLogger, type Logger } from '../../core/logger';
import { toGatewayError } from '../../core/errors';
import { isJwt, type AccessTokenVerifier } from './jwt';
import type { TokenIssuer } from './oauth';
import { buildSchedule, type ScheduleDeps } from './schedule';

export interface FgisRouterDeps extends ScheduleDeps {
  issuer: TokenIssuer;
  /** Access tokens (JWTs) of a configured OAuth 2.0 issuer, accepted besides the gateway's own. */
  externalTokens?: AccessTokenVerifier;
  /** Key of the account hash kept with what was served (the ЕСИА id itself is never stored or logged). */
  accountKey: string;
  now?: () => Date;
  log?: Logger;
  /** Longest window one request may ask for, in days (default 62). */
  maxWindowDays?: number;
}

type IssueCode = 'security' | 'expired' | 'invalid' | 'structure' | 'not-found' | 'too-costly' | 'exception' | 'transient';

function outcome(res: Response, status: number, code: IssueCode, text: string): void {
  res.status(status).type('application/fhir+json').json({
    resourceType: 'OperationOutcome',
    issue: [{ severity: status >= 500 ? 'fatal' : 'error', code, details: { text } }],
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY = 86_400_000;

/** Monday of the previous week to Sunday of the next one (the contract's default window), in Moscow dates. */
export function defaultWindow(now: Date): { start: string; end: string } {
  const moscow = new Date(now.getTime() + 3 * 3_600_000);
  const dow = (moscow.getUTCDay() + 6) % 7; // 0 = Monday
  const monday = Date.UTC(moscow.getUTCFullYear(), moscow.getUTCMonth(), moscow.getUTCDate()) - dow * DAY;
  const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
  return { start: iso(monday - 7 * DAY), end: iso(monday + 13 * DAY) };
}

export function createFgisRouter(deps: FgisRouterDeps): Router {
  const log = deps.log ?? nullLogger;
  const now = deps.now ?? (() => new Date());
  const maxDays = deps.maxWindowDays ?? 62;
  const router = express.Router();

  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    res.set('Cache-Control', 'no-store');
    const body = (req.body ?? {}) as Record<string, unknown>;
    let id = typeof body['client_id'] === 'string' ? body['client_id'] : undefined;
    let secret = typeof body['client_secret'] === 'string' ? body['client_secret'] : undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (basic?.[1]) {
      const [u, p] = Buffer.from(basic[1], 'base64').toString().split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(p ?? '');
    }
    if (body['grant_type'] !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
      return;
    }
    const issued = id && secret ? deps.issuer.issue(id, secret, now()) : undefined;
    if (!issued) {
      log.warn('fgis token refused', { route: '/oauth/token' });
      res.status(401).set('WWW-Authenticate', 'Basic realm="diary-gateway"').json({ error: 'invalid_client' });
      return;
    }
    log.info('fgis token issued', { client: id });
    res.json({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn });
  });

  router.get('/Schedule/:esiaId', async (req: Request, res: Response) => {
    const started = Date.now();
    const m = /^Bearer[ \t]+(\S+)$/i.exec(req.get('authorization') ?? '');
    const token = m?.[1];
    let client = token ? deps.issuer.verify(token, now()) : undefined;
    if (!client && token && deps.externalTokens && isJwt(token)) {
      const checked = await deps.externalTokens.verify(token, now());
      if (checked.ok) client = checked.client;
      else if (checked.reason === 'unavailable') {
        log.warn('fgis token issuer keys unavailable', { route: '/Schedule' });
        outcome(res, 503, 'transient', 'The access token cannot be checked now (the issuer\'s keys are unavailable); try again later.');
        return;
      }
    }
    if (!client) {
      res.set('WWW-Authenticate', 'Bearer realm="diary-gateway"');
      outcome(res, 401, m ? 'expired' : 'security', m ? 'The access token is invalid or expired; get a new one at /oauth/token.' : 'Authorization: Bearer <token> is required.');
      return;
    }
    const esiaOid = String(req.params['esiaId'] ?? '');
    if (!/^\d{1,20}$/.test(esiaOid)) {
      outcome(res, 400, 'invalid', 'The ЕСИА account id must be the numeric oid.');
      return;
    }
    const q = req.query as Record<string, unknown>;
    const hasStart = q['start'] !== undefined;
    const hasEnd = q['end'] !== undefined;
    if (hasStart !== hasEnd) {
      outcome(res, 400, 'structure', 'start and end must be given together (or neither, for the previous, current and next week).');
      return;
    }
    const win = hasStart ? { start: String(q['start']).slice(0, 10), end: String(q['end']).slice(0, 10) } : defaultWindow(now());
    if (!DATE.test(win.start) || !DATE.test(win.end) || Number.isNaN(Date.parse(win.start)) || Number.isNaN(Date.parse(win.end)) || win.end < win.start) {
      outcome(res, 400, 'invalid', 'start and end must be dates (YYYY-MM-DD), start not after end.');
      return;
    }
    if ((Date.parse(win.end) - Date.parse(win.start)) / DAY + 1 > maxDays) {
      outcome(res, 400, 'too-costly', `A window may cover at most ${maxDays} days.`);
      return;
    }
    const accountHash = createHmac('sha256', deps.accountKey).update(esiaOid).digest('hex').slice(0, 32);
    try {
      const at = now();
      const result = await buildSchedule(deps, { esiaOid, ...win, now: at });
      if (!result.schedule) {
        log.info('fgis schedule', { client, account: accountHash.slice(0, 12), status: 404, ms: Date.now() - started });
        outcome(res, 404, 'not-found', 'No student or parent with this ЕСИА account is known to the gateway.');
        return;
      }
      const first = await deps.ledger.recordServed({ consumer: `fgis:${client}`, accountHash, windowStart: win.start, windowEnd: win.end, records: result.served, now: at.toISOString() });
      log.info('fgis schedule', { client, account: accountHash.slice(0, 12), status: 200, records: result.served.length, firstServed: first, ms: Date.now() - started });
      res.type('application/fhir+json').json(result.schedule);
    } catch (e) {
      const err = toGatewayError(e);
      log.error('fgis schedule failed', { client, code: err.code, err });
      outcome(res, err.code === 'GW_LEDGER_BUSY' ? 503 : 500, 'exception', 'The gateway could not build the schedule; try again later.');
    }
  });

  return router;
}
