/** The declarative error table, row by row, and the lossless JSON parser it relies on. */
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { classifyDnevnik, DNEVNIK_ERROR_TABLE, DNEVNIK_FALLBACK, dnevnikError } from '../errors';
import { parseLossless, quoteLongIntegers } from '../json';

describe('dnevnik error table', () => {
  const cases: [Parameters<typeof classifyDnevnik>[0], string][] = [
    [{ status: 401, type: 'authorizationFailed' }, 'GW_SRC_AUTH_FAILED'],
    [{ status: 200, type: 'authorizationFailed' }, 'GW_SRC_AUTH_FAILED'],
    [{ status: 401, type: 'tokenRequired' }, 'GW_SRC_AUTH_FAILED'],
    [{ status: 401, html: true }, 'GW_SRC_AUTH_FAILED'],
    [{ status: 403, html: true }, 'GW_SRC_AUTH_FAILED'],
    [{ status: 404, type: 'parameterInvalid' }, 'GW_SRC_NOT_FOUND'],
    [{ status: 400, type: 'parameterInvalid' }, 'GW_SRC_PROTOCOL'],
    [{ status: 400, type: 'invalidRequest' }, 'GW_SRC_PROTOCOL'],
    [{ status: 500, type: 'apiServerError' }, 'GW_SRC_UNAVAILABLE'],
    [{ status: 500, type: 'apiUnknownError' }, 'GW_SRC_UNAVAILABLE'],
    [{ status: 400, type: 'apiUnknownError' }, 'GW_SRC_PROTOCOL'],
    [{ status: 429, type: 'apiUnknownError' }, 'GW_SRC_RATE_LIMITED'],
    [{ status: 429 }, 'GW_SRC_RATE_LIMITED'],
    [{ status: 550, html: true }, 'GW_SRC_UNAVAILABLE'],
    [{ status: 503, html: true }, 'GW_SRC_UNAVAILABLE'],
    [{ status: 408 }, 'GW_SRC_TIMEOUT'],
    [{ status: 404, html: true }, 'GW_SRC_NOT_FOUND'],
    [{ status: 418 }, 'GW_SRC_PROTOCOL'],
    [{ status: 200, signal: 'bad-body' }, 'GW_SRC_PROTOCOL'],
    [{ status: 302 }, DNEVNIK_FALLBACK],
  ];
  for (const [f, code] of cases) {
    it(`${JSON.stringify(f)} → ${code}`, () => assert.equal(classifyDnevnik(f).code, code));
  }

  it('uses only codes from the catalog, and every row is reachable', () => {
    for (const r of DNEVNIK_ERROR_TABLE) assert.ok(ERROR_CODES[r.code], r.code);
    const hit = new Set(cases.map(([f]) => classifyDnevnik(f).why));
    const unreached = DNEVNIK_ERROR_TABLE.filter((r) => !hit.has(r.why) && r.status !== 401);
    assert.deepEqual(unreached.map((r) => r.why), []);
  });

  it('keeps vendor descriptions out of the message and carries Retry-After', () => {
    const e = dnevnikError({ status: 503, html: true }, { pathTemplate: '/v2/users/me/context', retryAfter: '12' });
    assert.equal(e.code, 'GW_SRC_UNAVAILABLE');
    assert.equal(e.opts.retryAfterMs, 12_000);
    assert.equal(e.opts.httpStatus, 503);
    assert.match(e.message, /\/v2\/users\/me\/context HTTP 503 \(HTML page\)/);
    const odd = dnevnikError({ status: 400, type: '<script>' }, {});
    assert.doesNotMatch(odd.message, /script/, 'an unknown type is not echoed');
  });
});

describe('lossless JSON', () => {
  it('quotes integer literals of 16+ digits outside strings only', () => {
    const text = '{"a":1000000000000000123,"b":"1000000000000000123 \\" 12345678901234567","c":-12345678901234567,"d":1.5e300,"e":123456789012345,"f":[9007199254740993]}';
    const v = parseLossless(text) as Record<string, unknown>;
    assert.equal(v.a, '1000000000000000123');
    assert.equal(v.b, '1000000000000000123 " 12345678901234567');
    assert.equal(v.c, '-12345678901234567');
    assert.equal(v.d, 1.5e300);
    assert.equal(v.e, 123456789012345);
    assert.deepEqual(v.f, ['9007199254740993']);
    assert.equal(quoteLongIntegers('{"x":1}'), '{"x":1}');
    assert.throws(() => parseLossless('{"x":'), SyntaxError);
  });
});
