import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { NETSCHOOL_ERROR_TABLE, NETSCHOOL_FALLBACK, classifyNetschool, netschoolError, type NetschoolFailure } from '../errors';

describe('netschool error table', () => {
  const cases: [NetschoolFailure, string, string][] = [
    [{ op: 'login', status: 409 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'login', status: 403 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'login', signal: 'no-access-token', status: 200 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'auth-getdata', signal: 'no-auth-data' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'school-search', status: 403 }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'school-search', signal: 'school-not-found' }, 'GW_SRC_NOT_FOUND', 'permanent'],
    [{ op: 'school-search', signal: 'school-ambiguous' }, 'GW_SRC_NOT_FOUND', 'permanent'],
    [{ op: 'data', status: 401 }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', signal: 'session-expired-after-relogin', status: 401 }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', signal: 'session-collision' }, 'GW_SRC_SESSION_COLLISION', 'retryable'],
    [{ op: 'data', status: 403 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', status: 404 }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'assignment-details', status: 404 }, 'GW_SRC_NOT_FOUND', 'permanent'],
    [{ op: 'mobile', status: 401 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', status: 408 }, 'GW_SRC_TIMEOUT', 'retryable'],
    [{ op: 'data', status: 429 }, 'GW_SRC_RATE_LIMITED', 'retryable'],
    [{ op: 'data', status: 500 }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'login', status: 503 }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'data', signal: 'bad-body', status: 200 }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', status: 418 }, NETSCHOOL_FALLBACK, 'permanent'],
  ];
  for (const [f, code, cls] of cases) {
    it(`${f.op} ${f.status ?? ''} ${f.signal ?? ''} → ${code} (${cls})`, () => {
      const e = netschoolError(f, { pathTemplate: '/webapi/x' });
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
      if (f.status !== undefined) assert.equal(e.opts.httpStatus, f.status);
    });
  }

  it('uses only catalog codes', () => {
    for (const r of NETSCHOOL_ERROR_TABLE) assert.ok(r.code in ERROR_CODES, r.code);
    assert.ok(NETSCHOOL_FALLBACK in ERROR_CODES);
  });

  it('carries Retry-After on 429 and 503 only', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    assert.equal(netschoolError({ op: 'data', status: 429 }, { retryAfter: '7', now }).retryAfterMs, 7000);
    assert.equal(netschoolError({ op: 'data', status: 503 }, { retryAfter: 'Wed, 01 Jan 2025 00:00:30 GMT', now }).retryAfterMs, 30_000);
    assert.equal(netschoolError({ op: 'login', status: 409 }, { retryAfter: '7', now }).retryAfterMs, undefined);
  });

  it('a signal row never matches a plain status, and a status row never matches a signal', () => {
    assert.equal(classifyNetschool({ op: 'data', status: 200 }).code, NETSCHOOL_FALLBACK);
    assert.equal(classifyNetschool({ op: 'data', status: 500, signal: 'session-collision' }).code, 'GW_SRC_SESSION_COLLISION');
  });

  it('names the call and status in the message, never a body', () => {
    const e = netschoolError({ op: 'login', status: 409 }, { pathTemplate: '/webapi/login' });
    assert.match(e.message, /\/webapi\/login HTTP 409/);
  });
});
