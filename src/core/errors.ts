import { ERROR_CODES, type Actor, type ErrorClass, type ErrorCode } from './error-codes';

/** One problem with one field: `path` is a JSON pointer (ajv instancePath) or a SOAP detail element. */
export interface Issue {
  path: string;
  message: string;
}

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Set when the remote said when to come back (Retry-After). Wins over computed backoff. */
  retryAfterMs?: number;
  issues?: Issue[];
  /** HTTP status the remote answered with, if any. */
  httpStatus?: number;
  /** Extra safe-to-log context (ids, counts). Never payloads or personal data. */
  context?: Record<string, string | number | boolean | undefined>;
}

/**
 * The only error type that crosses module boundaries.
 *
 * `message` must be safe to log: no payloads, no personal data, no secrets.
 * The class comes from the catalog, so behaviour is decided by `code`, never by message text.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly opts: GatewayErrorOptions;

  constructor(code: ErrorCode, message: string, opts: GatewayErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.opts = opts;
    this.name = code;
  }

  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code].class;
  }

  get actor(): Actor {
    return ERROR_CODES[this.code].actor;
  }

  get remedy(): string {
    return ERROR_CODES[this.code].remedy;
  }

  get issues(): Issue[] {
    return this.opts.issues ?? [];
  }

  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }

  /** A plain, loggable summary (no cause chain, no payloads). */
  toJSON(): SerializedError {
    return {
      code: this.code,
      class: this.errorClass,
      message: this.message,
      actor: this.actor,
      remedy: this.remedy,
      ...(this.opts.httpStatus !== undefined ? { httpStatus: this.opts.httpStatus } : {}),
      ...(this.opts.issues && this.opts.issues.length > 0 ? { issues: this.opts.issues } : {}),
    };
  }
}

export interface SerializedError {
  code: ErrorCode;
  class: ErrorClass;
  message: string;
  actor: Actor;
  remedy: string;
  httpStatus?: number;
  issues?: Issue[];
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/**
 * Wraps anything thrown into a GatewayError. Unknown errors are `GW_INTERNAL`: a bug must
 * not be dressed up as retryable.
 */
export function toGatewayError(e: unknown, fallback: ErrorCode = 'GW_INTERNAL'): GatewayError {
  if (e instanceof GatewayError) return e;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new GatewayError(fallback, msg, { cause: e });
}
