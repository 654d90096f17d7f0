import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { MESH_ERROR_TABLE, MESH_FALLBACK, classifyMesh, meshError, type MeshFailure } from '../errors';

describe('mesh error table', () => {
  const cases: [MeshFailure, string, string][] = [
    [{ op: 'profile', status: 401, body: 'json', vendorType: 'authentication' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'family', status: 401, body: 'json', signal: 'session-ended' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'family', status: 499, body: 'empty' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'profile', status: 403, body: 'html' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'profile', status: 403, body: 'json', vendorType: 'access_denied' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'family', status: 404, body: 'json', vendorType: 'not_found' }, 'GW_SRC_NOT_FOUND', 'permanent'],
    [{ op: 'family', status: 404, body: 'html' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'events', status: 408 }, 'GW_SRC_TIMEOUT', 'retryable'],
    [{ op: 'events', status: 429, body: 'json' }, 'GW_SRC_RATE_LIMITED', 'retryable'],
    [{ op: 'family', status: 500, body: 'json', vendorType: 'internal_error' }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'family', status: 502, body: 'html' }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'family', status: 400, body: 'json', vendorType: 'validation' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'family', status: 200, body: 'html', signal: 'bad-body' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'family', status: 418 }, MESH_FALLBACK, 'permanent'],
  ];
  for (const [f, code, cls] of cases) {
    it(`${f.op} ${f.status ?? ''} ${f.body ?? ''} ${f.vendorType ?? ''} ${f.signal ?? ''} → ${code}`, () => {
      const e = meshError(f, { pathTemplate: '/family/mobile/v1/x' });
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
      if (f.status !== undefined) assert.equal(e.opts.httpStatus, f.status);
    });
  }

  it('uses only catalog codes', () => {
    for (const r of MESH_ERROR_TABLE) assert.ok(r.code in ERROR_CODES, r.code);
    assert.ok(MESH_FALLBACK in ERROR_CODES);
  });

  it('carries Retry-After on 429 and 5xx only', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    assert.equal(meshError({ op: 'family', status: 429 }, { retryAfter: '7', now }).retryAfterMs, 7000);
    assert.equal(meshError({ op: 'family', status: 503 }, { retryAfter: 'Wed, 01 Jan 2025 00:00:30 GMT', now }).retryAfterMs, 30_000);
    assert.equal(meshError({ op: 'family', status: 401 }, { retryAfter: '7', now }).retryAfterMs, undefined);
  });

  it('a signal row never matches a plain status', () => {
    assert.equal(classifyMesh({ op: 'family', status: 200 }).code, MESH_FALLBACK);
  });
});
