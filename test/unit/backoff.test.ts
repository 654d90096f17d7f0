import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_MAX_RETRY_AFTER_MS, type BackoffPolicy } from '../../src/pipeline/backoff';

const POLICY: BackoffPolicy = { baseMs: 1000, capMs: 8000, maxRetryAfterMs: 60_000 };
const lowest = (): number => 0;
const highest = (): number => 0.999999;

/** A seeded generator, so the spread check is the same on every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('pipeline/backoff backoffDelay', () => {
  it('doubles from the base per attempt and stops at the cap', () => {
    const nominal = [1, 2, 3, 4, 5, 6, 40, 1000].map((a) => backoffDelay(a, POLICY, undefined, highest));
    assert.deepEqual(nominal, [1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
  });

  it('never waits less than half the nominal delay', () => {
    const half = [1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, POLICY, undefined, lowest));
    assert.deepEqual(half, [500, 1000, 2000, 4000, 4000, 4000]);
  });

  it('jitters within [half, full] of the nominal delay and really spreads', () => {
    const rnd = seeded(42);
    for (const attempt of [1, 2, 3, 4, 7]) {
      const nominal = Math.min(POLICY.capMs, POLICY.baseMs * 2 ** (attempt - 1));
      const seen = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const d = backoffDelay(attempt, POLICY, undefined, rnd);
        assert.ok(d >= nominal / 2 && d <= nominal, `attempt ${attempt}: ${d} outside [${nominal / 2}, ${nominal}]`);
        seen.add(d);
      }
      assert.ok(seen.size > 50, `attempt ${attempt}: delays spread (${seen.size} distinct)`);
    }
    // With the real Math.random, too.
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, POLICY);
      assert.ok(d >= 2000 && d <= 4000, String(d));
    }
  });

  it('treats attempt 0 (or less) as the first attempt', () => {
    assert.equal(backoffDelay(0, POLICY, undefined, highest), 1000);
    assert.equal(backoffDelay(-3, POLICY, undefined, lowest), 500);
  });

  it("lets the remote's Retry-After win over the computed delay, below and above it", () => {
    assert.equal(backoffDelay(1, POLICY, 42_000, lowest), 42_000, 'longer than the cap: still honoured');
    assert.equal(backoffDelay(6, POLICY, 250, highest), 250, 'shorter than the backoff: honoured');
    assert.equal(backoffDelay(3, POLICY, 0, highest), 0, 'Retry-After: 0 means now');
  });

  it('caps Retry-After at maxRetryAfterMs', () => {
    assert.equal(backoffDelay(1, POLICY, 10 * 3_600_000), 60_000);
  });

  it('caps Retry-After at the default maximum when the policy sets none (config policies carry none)', () => {
    const fromConfig: BackoffPolicy = { baseMs: 50, capMs: 200 };
    const year = 365 * 24 * 3_600_000;
    assert.equal(backoffDelay(1, fromConfig, year), DEFAULT_MAX_RETRY_AFTER_MS);
    assert.ok(DEFAULT_MAX_RETRY_AFTER_MS <= 24 * 3_600_000, 'a hostile header cannot park a delivery for more than a day');
  });

  it('ignores a negative or non-numeric Retry-After and falls back to backoff', () => {
    assert.equal(backoffDelay(2, POLICY, -5, lowest), 1000);
    assert.equal(backoffDelay(2, POLICY, Number.NaN, lowest), 1000);
  });

  it('default policy: 8 attempts keep a delivery trying for 32–64 minutes, as documented', () => {
    const waits = (rnd: () => number): number => [1, 2, 3, 4, 5, 6, 7].reduce((sum, a) => sum + backoffDelay(a, DEFAULT_BACKOFF, undefined, rnd), 0);
    assert.equal(waits(lowest), 1_905_000);
    assert.ok(Math.abs(waits(highest) - 3_810_000) <= 7);
  });
});
