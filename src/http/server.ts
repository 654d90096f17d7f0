/**
 * Starts the admin app on a socket. Kept apart from app.ts so tests and the CLI can run the app
 * without a port, and so shutdown (draining keep-alive sockets) lives in one place.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { GatewayError } from '../core/errors';

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** How long `close()` waits for in-flight requests before cutting sockets. Default 5000 ms. */
  closeGraceMs?: number;
}

export interface AdminServer {
  /** `http://host:port` with the actual port. */
  url: string;
  close(): Promise<void>;
}

export function startAdminServer(app: Express, opts: AdminServerOptions): Promise<AdminServer> {
  const server = createServer(app);
  // Headers must arrive quickly; a request as a whole may be long (a 1 GB export uploaded to a
  // file-source inbox streams for minutes), so it is bounded by inactivity instead: a client
  // that sends nothing for a minute is cut off.
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;
  server.timeout = 60_000;
  return new Promise<AdminServer>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new GatewayError('GW_CONFIG_INVALID',
        `Admin API cannot listen on ${opts.host}:${opts.port} (${err.code ?? 'error'}).`,
        {
          cause: err, context: { host: opts.host, port: opts.port },
          issues: [{
            path: '/gateway/admin/port',
            message: err.code === 'EADDRINUSE'
              ? `port ${opts.port} is in use (another gateway running?); stop it or choose another port (0 = any free port)`
              : `cannot listen: ${err.code ?? 'error'}`,
          }],
        }));
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ url: `http://${host}:${addr.port}`, close: () => closeServer(server, opts.closeGraceMs ?? 5000) });
    });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    // Stop accepting, drop idle keep-alive sockets now, and cut busy ones after the grace period.
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
