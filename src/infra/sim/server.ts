/**
 * HTTP plumbing shared by the source simulators: the `/_sim/faults` control endpoint, the
 * middleware that plays `slow` and `status` faults, and start/listen/close of the server.
 * How a status fault looks on the wire is the vendor's, so the simulator passes `sendStatus`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { FaultSpec, SimulatorStartOptions } from '../../core/simulator';
import { parseFault, type SimFaultState, type StatusFault } from './faults';

/**
 * Mounts `POST /_sim/faults`: a FaultSpec body goes to `apply`, anything else gets 400 with
 * `{ [errorKey]: 'not a FaultSpec' }`.
 */
export function mountFaultEndpoint(app: express.Express, apply: (f: FaultSpec) => void, errorKey = 'message'): void {
  app.post('/_sim/faults', express.json(), (req, res) => {
    const f = parseFault(req.body);
    if (!f) { res.status(400).json({ [errorKey]: 'not a FaultSpec' }); return; }
    apply(f);
    res.json({ ok: true });
  });
}

/** Delays the request by a pending `slow` fault, then answers it with a pending `status` fault if one matches. */
export function faultMiddleware(faults: SimFaultState, sendStatus: (res: Response, fault: StatusFault) => void): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const delay = faults.takeDelay();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const st = faults.takeStatus(req.path);
    if (!st) { next(); return; }
    if (st.retryAfterSec !== undefined) res.setHeader('Retry-After', String(st.retryAfterSec));
    sendStatus(res, st);
  };
}

export interface ListeningSim {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `app` on `opts.host`/`opts.port` (127.0.0.1, any free port by default). With `live`,
 * calls `live.tick` every `live.intervalMs` until closed (the timer does not hold the process).
 */
export async function listenSim(
  app: express.Express,
  opts: SimulatorStartOptions,
  live?: { tick: () => void; intervalMs: number },
): Promise<ListeningSim> {
  const server: Server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  const timer = live ? setInterval(live.tick, live.intervalMs) : undefined;
  timer?.unref();
  return {
    url,
    close: async () => {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
