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

/** 30 s base, 1 h cap: with 8 attempts a delivery keeps trying for about 2.5 h before it is dead. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 3_600_000, maxRetryAfterMs: 6 * 3_600_000 };

export function backoffDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, policy.maxRetryAfterMs ?? Number.POSITIVE_INFINITY);
  }
  const exp = Math.max(0, attempt - 1);
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exp, 30));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
