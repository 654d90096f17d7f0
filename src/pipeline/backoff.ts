/**
 * Capped exponential backoff with jitter (pg-boss / AWS "equal jitter").
 *
 * delay(attempt) = half of min(cap, base * 2^(attempt-1)) plus a random part of the other half,
 * so retries spread out but never come sooner than half the nominal delay.
 * A remote's Retry-After wins (capped at `maxRetryAfterMs` so a hostile header cannot park a
 * delivery for a year).
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Longest Retry-After honoured as given. */
  maxRetryAfterMs?: number;
}

/** Longest Retry-After honoured when a policy does not say (config policies carry none). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 6 * 3_600_000;

/**
 * 30 s base, 1 h cap: 8 attempts leave 7 waits of nominally 30 s … 32 min (63.5 min in all);
 * with jitter a delivery keeps trying for 32–64 min before it is dead.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 3_600_000, maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS };

export function backoffDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
  }
  const exp = Math.max(0, attempt - 1);
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exp, 30));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
