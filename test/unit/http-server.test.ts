import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { GatewayError } from '../../src/core/errors';
import { startAdminServer } from '../../src/http/server';
import { harness, TOKEN } from './http-kit.test';

describe('http server', () => {
  it('listens on 127.0.0.1 with port 0, serves the app and closes', async () => {
    const { app } = harness();
    const srv = await startAdminServer(app, { host: '127.0.0.1', port: 0 });
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      const health = await fetch(`${srv.url}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const denied = await fetch(`${srv.url}/api/v1/stats`);
      assert.equal(denied.status, 401);
      const stats = await fetch(`${srv.url}/api/v1/stats`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(stats.status, 200);
    } finally {
      await srv.close();
    }
    await assert.rejects(fetch(`${srv.url}/healthz`));
    await srv.close(); // idempotent
  });

  it('rejects with a GatewayError when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(startAdminServer(harness().app, { host: '127.0.0.1', port }), (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, 'GW_CONFIG_INVALID');
        assert.match(e.message, /EADDRINUSE/);
        return true;
      });
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
