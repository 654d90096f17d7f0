/** Express app of the simulated SMS gateway (generic-json protocol, see ../protocol.ts). */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../core/logger';
import { faultMiddleware, mountFaultEndpoint } from '../../../infra/sim/server';
import { E164, HEALTH_PATH, RU_MOBILE, SEND_PATH, type WireErrorCode } from '../protocol';
import { countSegments } from '../segments';
import type { SmsSimState } from './state';

export interface SmsSimAppDeps {
  state: SmsSimState;
  token: string;
  /** Texts longer than this many parts are refused (TEXT_TOO_LONG). */
  maxSegments: number;
  now(): Date;
  log: Logger;
}

function fail(res: Response, status: number, code: WireErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createSmsSimApp(d: SmsSimAppDeps): express.Express {
  const { state } = d;
  const app = express();
  mountFaultEndpoint(app, (f) => state.faults.apply(f));
  app.get('/_sim/messages', (_req, res) => { res.json({ messages: [...state.messages.values()] }); });

  const authed = (req: Request, res: Response): boolean => {
    if (req.get('authorization') === `Bearer ${d.token}`) return true;
    fail(res, 401, 'UNAUTHORIZED', 'missing or unknown token');
    return false;
  };

  app.use('/v1', faultMiddleware(state.faults, (res, f) => {
    fail(res, f.status, f.status === 429 ? 'RATE_LIMITED' : f.status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST', 'simulated fault');
  }));

  app.get(HEALTH_PATH, (req, res) => {
    state.hit(HEALTH_PATH);
    if (authed(req, res)) res.json({ ok: true });
  });

  app.post(SEND_PATH, express.json({ limit: '64kb' }), (req, res) => {
    state.hit(SEND_PATH);
    if (!authed(req, res)) return;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const clientRef = req.get('idempotency-key') ?? (typeof b.clientRef === 'string' ? b.clientRef : undefined);
    if (typeof b.to !== 'string' || typeof b.text !== 'string' || b.text.length === 0 || !clientRef) {
      fail(res, 400, 'BAD_REQUEST', 'to, text and clientRef are required'); return;
    }
    const known = state.byClientRef.get(clientRef);
    if (known !== undefined) {
      const m = state.messages.get(known)!;
      res.status(202).json({ id: m.id, status: 'accepted', segments: m.segments, encoding: m.encoding }); return;
    }
    if (!E164.test(b.to) || (b.to.startsWith('+7') && !RU_MOBILE.test(b.to))) { fail(res, 422, 'INVALID_NUMBER', 'not a mobile number'); return; }
    if (state.optOut.has(b.to)) { fail(res, 422, 'OPT_OUT', 'the subscriber refused mailings'); return; }
    const count = countSegments(b.text);
    if (count.segments > d.maxSegments) { fail(res, 422, 'TEXT_TOO_LONG', `more than ${d.maxSegments} parts`); return; }
    if (state.faults.takeMalformed()) { res.status(202).type('text/plain').send('OK'); return; }
    const id = state.nextId();
    state.messages.set(id, {
      id, to: b.to, text: b.text, clientRef, segments: count.segments, encoding: count.encoding, acceptedAt: d.now().getTime(),
      ...(typeof b.sender === 'string' ? { sender: b.sender } : {}),
    });
    state.byClientRef.set(clientRef, id);
    d.log.debug('sms simulator accepted', { segments: count.segments, encoding: count.encoding });
    res.status(202).json({ id, status: 'accepted', segments: count.segments, encoding: count.encoding });
  });

  app.get(`${SEND_PATH}/:id`, (req, res) => {
    state.hit(`${SEND_PATH}/{id}`);
    if (!authed(req, res)) return;
    const m = state.messages.get(String(req.params.id));
    if (!m) { fail(res, 404, 'NOT_FOUND', 'no such message'); return; }
    res.json({ id: m.id, status: state.statusOf(m, d.now().getTime()), updatedAt: d.now().toISOString() });
  });

  app.use((_req, res) => { fail(res, 404, 'NOT_FOUND', 'no such endpoint'); });
  return app;
}
