import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { ELJUR_ERROR_TABLE, ELJUR_FALLBACK, classifyEljur, eljurError, type EljurFailure } from '../errors';

describe('eljur error table', () => {
  const cases: [EljurFailure, string, string][] = [
    [{ op: 'auth', state: 400, errorText: 'Неверный логин или пароль' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'auth', state: 403 }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'auth', signal: 'no-token' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', state: 400, errorText: 'не удалось авторизовать разработчика' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', state: 401 }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', state: 403 }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', signal: 'token-not-renewable' }, 'GW_SRC_AUTH_FAILED', 'permanent'],
    [{ op: 'data', signal: 'token-refused-after-renew' }, 'GW_SRC_SESSION_EXPIRED', 'retryable'],
    [{ op: 'data', signal: 'bad-body' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', state: 400, errorText: 'Ученик не найден' }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', state: 404 }, 'GW_SRC_PROTOCOL', 'permanent'],
    [{ op: 'data', state: 408 }, 'GW_SRC_TIMEOUT', 'retryable'],
    [{ op: 'data', state: 429 }, 'GW_SRC_RATE_LIMITED', 'retryable'],
    [{ op: 'data', state: 503 }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'auth', state: 500 }, 'GW_SRC_UNAVAILABLE', 'retryable'],
    [{ op: 'data', state: 418 }, ELJUR_FALLBACK, 'permanent'],
  ];
  for (const [f, code, cls] of cases) {
    it(`${f.op} ${f.state ?? ''} ${f.signal ?? ''} ${f.errorText ?? ''} → ${code}`, () => {
      const e = eljurError(f, { method: 'getrules' });
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
    });
  }
  it('uses only catalog codes', () => {
    for (const r of ELJUR_ERROR_TABLE) assert.ok(r.code in ERROR_CODES, r.code);
    assert.ok(ELJUR_FALLBACK in ERROR_CODES);
  });
  it('carries Retry-After on 429 and 5xx only, and never echoes the vendor text', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    assert.equal(eljurError({ op: 'data', state: 429 }, { retryAfter: '7', now }).retryAfterMs, 7000);
    assert.equal(eljurError({ op: 'data', state: 400 }, { retryAfter: '7', now }).retryAfterMs, undefined);
    const e = eljurError({ op: 'auth', state: 400, errorText: 'Неверный логин zavuch' }, { method: 'auth' });
    assert.match(e.message, /ЭлЖур auth state 400/);
    assert.doesNotMatch(e.message, /zavuch/);
  });
  it('a signal row never matches a plain state', () => {
    assert.equal(classifyEljur({ op: 'data', state: 200 }).code, ELJUR_FALLBACK);
  });
});
