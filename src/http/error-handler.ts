/**
 * Maps errors to RFC 9457 `application/problem+json` answers.
 *
 * Only `GatewayError` messages reach the client: they are safe to log by contract. Anything
 * else is a bug (`GW_INTERNAL`) and is answered with a fixed text, because a foreign error's
 * message may quote data (JSON.parse quotes the body it failed on, SQLite quotes values).
 */
import type { ErrorRequestHandler, Response } from 'express';
import { ERROR_CODES, type Actor, type ErrorCode } from '../core/error-codes';
import { GatewayError, type Issue } from '../core/errors';
import { nullLogger, type Logger } from '../core/logger';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Problem `type` URIs are `urn:diary-gateway:error:<code>`: stable, and grep-able in the README table. */
export const PROBLEM_TYPE_PREFIX = 'urn:diary-gateway:error:';

const INTERNAL_DETAIL = 'Internal error; see the gateway log.';

export interface Problem {
  type: string;
  /** The catalog description of the code: the same for every occurrence. */
  title: string;
  status: number;
  code: ErrorCode;
  /** This occurrence (the GatewayError message). */
  detail: string;
  issues: Issue[];
  remedy: string;
  actor: Actor;
}

/** The problem for an error; unknown errors become GW_INTERNAL with a fixed detail. */
export function problemFromError(err: unknown): Problem {
  const ge = asGatewayError(err);
  const info = ERROR_CODES[ge.code];
  return {
    type: `${PROBLEM_TYPE_PREFIX}${ge.code}`,
    title: info.description,
    status: info.httpStatus,
    code: ge.code,
    // GW_INTERNAL often wraps a foreign error (toGatewayError) whose text is not vetted.
    detail: ge.code === 'GW_INTERNAL' ? INTERNAL_DETAIL : ge.message,
    issues: ge.issues,
    remedy: info.remedy,
    actor: info.actor,
  };
}

export function sendProblem(res: Response, err: unknown): void {
  const problem = problemFromError(err);
  if (problem.code === 'GW_API_UNAUTHORIZED') res.set('WWW-Authenticate', 'Bearer realm="diary-gateway"');
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Shape of errors raised by express/body-parser (`http-errors`). */
interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const h = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  const status = typeof h.status === 'number' ? h.status : typeof h.statusCode === 'number' ? h.statusCode : 0;
  if (status >= 400 && status < 500) {
    // body-parser errors: keep the kind, drop the message (it may quote the body).
    const kind = typeof h.type === 'string' ? h.type : 'request.invalid';
    return new GatewayError('GW_API_BAD_REQUEST', `The request could not be read (${kind}).`, {
      issues: [{ path: '/body', message: describeBodyError(kind) }],
    });
  }
  return new GatewayError('GW_INTERNAL', INTERNAL_DETAIL, { cause: err });
}

function describeBodyError(kind: string): string {
  switch (kind) {
    case 'entity.parse.failed': return 'body is not valid JSON';
    case 'entity.too.large': return 'body is too large';
    case 'encoding.unsupported':
    case 'charset.unsupported': return 'unsupported body encoding';
    default: return 'body could not be read';
  }
}

/**
 * The last middleware of the app. Logs internal errors with their stack (a bug must be visible)
 * and never the request body, headers or query.
 */
export function createErrorHandler(log: Logger = nullLogger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = problemFromError(err);
    if (problem.code === 'GW_INTERNAL') {
      const e = err instanceof Error ? err : undefined;
      log.error('admin API internal error', {
        code: problem.code,
        errorName: e?.name,
        stack: e?.stack,
      });
    }
    sendProblem(res, err);
  };
}
