import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { codeMinorOf, classifyOneRoster, ONEROSTER_ERROR_TABLE, ONEROSTER_FALLBACK, oauthErrorOf, oneRosterError, type OneRosterFailure } from '../errors';

describe('oneroster error table', () => {
  const cases: [OneRosterFailure, string, string][] = [
    [{ op: 'token', status: 401, oauthError: 'invalid_client' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'token', status: 400, oauthError: 'invalid_scope' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'token', status: 400, oauthError: 'unsupported_grant_type' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'token', status: 403 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'token', status: 404 }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'token', status: 503 }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'token', signal: 'no-token' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', status: 401, codeMinor: 'unauthorisedrequest' }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', signal: 'token-refused-after-renew' }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', status: 403, codeMinor: 'forbidden' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', status: 403 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', status: 400, codeMinor: 'invalid_filter_field' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', status: 400, codeMinor: 'invalid_selection_field' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', status: 503, codeMinor: 'server_busy' }, 'GW_SRC_RATE_LIMITED', 'retryable'],
    [{ op: 'data', status: 404, codeMinor: 'unknownobject' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', status: 408 }, 'GW_SRC_TIMEOUT', 'retryable'],
    [{ op: 'data', status: 429 }, 'GW_SRC_RATE_LIMITED', 'retryable'],
    [{ op: 'data', status: 500, codeMinor: 'internal_server_error' }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'data', status: 422, codeMinor: 'invaliddata' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', signal: 'bad-body' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', signal: 'paging-stuck' }, 'GW_SRC_PROTOCOL', 'permanent'],
  ];
  for (const [f, code, cls] of cases) {
    it(`${f.op} ${f.status ?? ''} ${f.codeMinor ?? f.oauthError ?? f.signal ?? ''} → ${code}`, () => {
      const e = oneRosterError(f, { where: '/rostering/users' });
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
    });
  }

  it('uses only catalog codes', () => {
    for (const r of ONEROSTER_ERROR_TABLE) assert.ok(r.code in ERROR_CODES, r.code);
    assert.ok(ONEROSTER_FALLBACK in ERROR_CODES);
    assert.equal(classifyOneRoster({ op: 'data', status: 302 }).code, ONEROSTER_FALLBACK);
    assert.equal(classifyOneRoster({ op: 'data' }).code, ONEROSTER_FALLBACK, 'a signal row never matches a failure without one');
  });

  it('reads codeMinor from imsx_StatusInfo (also wrapped), and the OAuth error; ignores anything else', () => {
    const info = { imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'forbidden' }] } };
    assert.equal(codeMinorOf(info), 'forbidden');
    assert.equal(codeMinorOf({ imsx_statusInfo: info }), 'forbidden');
    assert.equal(codeMinorOf({ imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'Ученик Иванов не найден' }] } }), undefined);
    assert.equal(codeMinorOf('<html>'), undefined);
    assert.equal(oauthErrorOf({ error: 'invalid_client' }), 'invalid_client');
    assert.equal(oauthErrorOf({ error: 'Bad secret for client X' }), undefined);
  });

  it('carries Retry-After on 429 and 5xx only, and names the call, status and code, never a body', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    assert.equal(oneRosterError({ op: 'data', status: 429 }, { retryAfter: '7', now }).retryAfterMs, 7000);
    assert.equal(oneRosterError({ op: 'data', status: 400 }, { retryAfter: '7', now }).retryAfterMs, undefined);
    const e = oneRosterError({ op: 'data', status: 403, codeMinor: 'forbidden' }, { where: '/rostering/demographics' });
    assert.equal(e.message, 'OneRoster /rostering/demographics HTTP 403 (forbidden): scope not granted for this collection');
    assert.equal(e.opts.httpStatus, 403);
  });
});
