/**
 * The gateway's winston logger, implementing the `Logger` contract of src/core/logger.ts.
 *
 * Every line passes three winston formats, in this order:
 *  1. `serializeErrors` — Error values among the fields become plain objects
 *     (GatewayError.toJSON(): code, class, message, …); the stack is kept only for class `internal`,
 *     because only a bug needs it and stacks are noise (and sometimes data) otherwise;
 *  2. `redaction` — the redactor of src/infra/redact.ts over the message and all fields;
 *  3. `json` (one JSON object per line: ts, level, msg, then fields) or `pretty` (for people).
 *
 * Secrets become known only after the config is resolved, while the logger exists from the first
 * line; `addSecrets` / `setLoggerSecrets` teach the running logger (and all its children) more secrets.
 */
import winston from 'winston';
import type { Logger } from '../core/logger';
import { GatewayError } from '../core/errors';
import { createRedactor, type Redactor } from './redact';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'json' | 'pretty';

// winston's own symbols (triple-beam); Symbol.for avoids importing a transitive dependency.
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');

/** Severity order: a logger at `info` writes error, warn and info. */
export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface CreateLoggerOptions {
  /** Default `info`. */
  level?: string;
  /** Default `json`. */
  format?: LogFormat;
  /**
   * Extra redaction stage (e.g. `createRedactor({ piiKeys: piiFieldNames() })`). The logger always
   * applies its own redactor too (denylist, baseline PII keys and the secrets it was taught), so
   * passing nothing is still safe. If this redactor has `addSecrets`, taught secrets go to it as well.
   */
  redactor?: (value: unknown) => unknown;
  /** Where lines go. Default `process.stderr`, so stdout stays free for command output (`--json`). */
  stream?: NodeJS.WritableStream;
  /** Fields on every line (e.g. `{ service: 'diary-gateway' }`). */
  base?: Record<string, unknown>;
  /** Secret values already known at creation. */
  secretValues?: readonly string[];
  /** Clock for `ts` (tests). */
  now?: () => Date;
}

/** The root logger: the Logger contract plus the lifecycle and secret-teaching the process needs. */
export interface GatewayLogger extends Logger {
  readonly level: LogLevel;
  /** Masks these values in every later line of this logger and all its children. */
  addSecrets(values: readonly string[]): void;
  /** Flushes and detaches the transport. Never ends the underlying stream (it may be stderr). */
  close(): Promise<void>;
}

/** Fields the line itself owns; a field with one of these names is written as `<name>_`. */
const RESERVED = new Set(['ts', 'level', 'msg', 'message']);

export function isLogLevel(level: string): level is LogLevel {
  return Object.prototype.hasOwnProperty.call(LOG_LEVELS, level);
}

/** Teaches a logger created at start-up the secrets resolved from the config later. */
export function setLoggerSecrets(logger: GatewayLogger, values: readonly string[]): void {
  logger.addSecrets(values);
}

/** A plain, loggable object for an error: GatewayError.toJSON(), plus the stack only for `internal`. */
export function serializeError(err: unknown): Record<string, unknown> {
  if (err instanceof GatewayError) {
    const out: Record<string, unknown> = { ...err.toJSON() };
    if (err.opts.context) out.context = err.opts.context;
    if (err.errorClass === 'internal') {
      out.stack = err.stack;
      const cause = err.opts.cause;
      if (cause instanceof Error) out.cause = { name: cause.name, message: cause.message, stack: cause.stack };
    }
    return out;
  }
  if (err instanceof Error) {
    // An error that is not a GatewayError reached a log line: treat it as a bug (class internal).
    const code = (err as { code?: unknown }).code;
    return {
      code: typeof code === 'string' || typeof code === 'number' ? code : 'GW_INTERNAL',
      class: 'internal',
      name: err.name,
      message: err.message,
      stack: err.stack,
    };
  }
  return { class: 'internal', message: String(err) };
}

type Info = winston.Logform.TransformableInfo;

/** Format: Error values among the top-level fields → plain objects (see {@link serializeError}). */
const serializeErrors = winston.format((info: Info) => {
  for (const key of Object.keys(info)) {
    if (info[key] instanceof Error) info[key] = serializeError(info[key]);
  }
  return info;
});

/** Format: runs a redactor over the message and every string-keyed field of the line. */
export function redactionFormat(redact: (value: unknown) => unknown): winston.Logform.Format {
  return winston.format((info: Info) => {
    const plain: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (key !== 'level') plain[key] = info[key];
    }
    const red = redact(plain);
    const safe = red !== null && typeof red === 'object' ? (red as Record<string, unknown>) : {};
    for (const key of Object.keys(info)) {
      if (key !== 'level') delete info[key];
    }
    for (const [key, value] of Object.entries(safe)) {
      if (key !== 'level') info[key] = value;
    }
    if (typeof info.message !== 'string') info.message = String(info.message ?? '');
    return info;
  })();
}

function fieldsOf(info: Info): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(info)) {
    if (key !== 'level' && key !== 'message' && key !== 'ts') out[key] = info[key];
  }
  return out;
}

const jsonLine = winston.format((info: Info) => {
  info[MESSAGE] = JSON.stringify({ ts: info.ts, level: info.level, msg: info.message, ...fieldsOf(info) });
  return info;
});

const COLORS: Record<string, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[36m', debug: '\x1b[90m' };

function prettyLine(color: boolean): winston.Logform.Format {
  return winston.format((info: Info) => {
    const level = String(info.level).toUpperCase().padEnd(5);
    const lvl = color ? `${COLORS[String(info.level)] ?? ''}${level}\x1b[0m` : level;
    const parts: string[] = [];
    let stack = '';
    for (const [key, value] of Object.entries(fieldsOf(info))) {
      if (value === undefined) continue;
      if (value !== null && typeof value === 'object' && 'code' in value && 'class' in value) {
        const e = value as Record<string, unknown>;
        parts.push(`${key}=${String(e.code)}(${String(e.class)}): ${String(e.message)}`);
        if (typeof e.stack === 'string') stack = `\n${e.stack}`;
      } else {
        parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      }
    }
    const time = String(info.ts).slice(11, 23);
    info[MESSAGE] = `${time} ${lvl} ${String(info.message)}${parts.length ? '  ' + parts.join(' ') : ''}${stack}`;
    return info;
  })();
}

export function createLogger(opts: CreateLoggerOptions = {}): GatewayLogger {
  const level = opts.level ?? 'info';
  if (!isLogLevel(level)) {
    throw new GatewayError('GW_CONFIG_INVALID', `Unknown log level "${level}"; use one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  }
  const own: Redactor = createRedactor({ secretValues: opts.secretValues ?? [] });
  const extra = opts.redactor;
  const extraAdd = (extra as Partial<Redactor> | undefined)?.addSecrets;
  if (extraAdd && opts.secretValues) extraAdd(opts.secretValues);
  const redact = extra ? (v: unknown): unknown => own(extra(v)) : own;

  const stream = opts.stream ?? process.stderr;
  const isTty = (stream as { isTTY?: boolean }).isTTY === true;
  const transport = new winston.transports.Stream({ stream, eol: '\n' });
  const w = winston.createLogger({
    levels: { ...LOG_LEVELS },
    level,
    exitOnError: false,
    format: winston.format.combine(
      serializeErrors(),
      redactionFormat(redact),
      opts.format === 'pretty' ? prettyLine(isTty) : jsonLine(),
    ),
    transports: [transport],
  });
  const now = opts.now ?? ((): Date => new Date());
  let closed = false;

  const write = (lvl: LogLevel, fields: Record<string, unknown>, message: string, meta?: Record<string, unknown>): void => {
    if (closed || !w.isLevelEnabled(lvl)) return;
    const info: Info = { level: lvl, message: String(message), [LEVEL]: lvl, ts: now().toISOString() };
    for (const src of [opts.base, fields, meta]) {
      if (!src) continue;
      for (const [k, v] of Object.entries(src)) info[RESERVED.has(k) ? `${k}_` : k] = v;
    }
    w.write(info);
  };

  const make = (fields: Record<string, unknown>): Logger => ({
    error: (m, meta) => write('error', fields, m, meta),
    warn: (m, meta) => write('warn', fields, m, meta),
    info: (m, meta) => write('info', fields, m, meta),
    debug: (m, meta) => write('debug', fields, m, meta),
    child: (more) => make({ ...fields, ...more }),
  });

  const root = make({});
  return {
    ...root,
    level,
    addSecrets(values: readonly string[]): void {
      own.addSecrets(values);
      if (extraAdd) extraAdd(values);
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        // The logger's own 'finish' fires once every queued line has reached the transport;
        // the transport writes synchronously into the stream. The stream itself stays open.
        w.once('finish', () => setImmediate(resolve));
        w.end();
      });
    },
  };
}
