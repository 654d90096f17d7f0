/**
 * The HTTP client contract adapters use (`src/infra/http-client.ts` implements it on axios).
 *
 * It retries what is safe to retry (network errors, timeouts and the statuses in
 * `retryOn`, by default 429, 502, 503, 504) with capped, jittered backoff, honouring
 * `Retry-After`, and sleeps through the injected clock. After the last attempt it returns
 * the final response (any status) so the adapter's error table decides what it means;
 * only network failures and timeouts throw (as GatewayError with the `errorCodes` given).
 * It logs method, host, path template, status and duration, never headers or bodies.
 */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** Route template for logs and metrics, e.g. `/webapi/student/diary` (no ids, no query). */
  pathTemplate?: string;
  headers?: Record<string, string>;
  params?: Record<string, string | number | boolean | undefined>;
  /** JSON-serialisable body, a string, or a Buffer. */
  body?: unknown;
  responseType?: 'json' | 'text' | 'buffer';
  timeoutMs?: number;
  /** Attempts including the first (default from the client, usually 4). 1 disables retries. */
  maxAttempts?: number;
  /** Statuses to retry (default [429, 502, 503, 504]). */
  retryOn?: number[];
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  data: T;
  /** Attempts made (1 if it succeeded at once). */
  attempts: number;
}

export interface HttpClient {
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now.getTime());
}
