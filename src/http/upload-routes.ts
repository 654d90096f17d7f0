/**
 * Upload endpoint of the file intake: `PUT /intake/files/:schoolId/:instanceId/:fileName`.
 *
 * The body is streamed to `<inbox>/<name>.<random>.part` (never held in memory), hashed and
 * counted on the way, flushed to disk, then given its final name in one rename, so the watched
 * inbox only ever sees complete files. A body over `maxBytes` is cut off with 413 as soon as it
 * goes over (or at once from Content-Length), and the partial file is removed. The answer is
 * 202 `{file, bytes, sha256}`: the file is stored and a sync is asked for; its records are taken
 * in by that sync (see the file source's quarantine for rows it could not take).
 *
 * Mount it after bearer auth (the lead mounts it under `/api/v1`) and before any body parser.
 * Logs carry method, path template, status, duration and byte counts; never the body or names.
 */
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import { GatewayError, type Issue } from '../core/errors';
import { nullLogger, type Logger } from '../core/logger';
import { problemFromError, PROBLEM_CONTENT_TYPE } from './error-handler';

export interface UploadDeps {
  /** Inbox folder of a file-source instance of a school; undefined when there is none. */
  inboxOf(schoolId: string, instanceId: string): string | undefined;
  /** Asks for a sync of that source (called after a file was stored). */
  trigger(schoolId: string, instanceId: string): void;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  now?: () => Date;
  log?: Logger;
  /** Where the router is mounted, for the request log's path template (default `/api/v1`). */
  mountPath?: string;
}

export const UPLOAD_ROUTE = '/intake/files/:schoolId/:instanceId/:fileName';

/** Media types accepted per extension; `application/octet-stream` is accepted for both. */
export const UPLOAD_MEDIA_TYPES: Readonly<Record<'csv' | 'xml', readonly string[]>> = {
  csv: ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel', 'application/octet-stream'],
  xml: ['application/xml', 'text/xml', 'application/octet-stream'],
};

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} _.,()+-]*$/u;
const MAX_NAME = 180;

/**
 * The stored name for an uploaded file name, or the issue that refuses it: no path separators,
 * `..`, control characters, leading dot, or names the intake ignores; `.csv`, `.txt` or `.xml`.
 */
export function safeUploadName(raw: string): { name: string; format: 'csv' | 'xml' } | { issue: string } {
  const name = raw.normalize('NFC');
  if (/[/\\\u0000-\u001f\u007f]/.test(name) || name.includes('..')) return { issue: 'must be a plain file name (no path, no "..", no control characters)' };
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME) return { issue: `longer than ${MAX_NAME} bytes` };
  if (!NAME_RE.test(name)) return { issue: 'may hold letters, digits, spaces and _ . , ( ) + - only, and must start with a letter or digit' };
  const ext = path.extname(name).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return { name, format: 'csv' };
  if (ext === '.xml') return { name, format: 'xml' };
  return { issue: 'must end with .csv, .txt or .xml' };
}

class TooLarge extends Error {}

/** Counts and hashes the bytes passing through; fails once more than `max` went by. */
class Meter extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');
  constructor(private readonly max: number) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) { cb(new TooLarge()); return; }
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

function problem(res: Response, status: number, err: GatewayError): void {
  const p = { ...problemFromError(err), status };
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

const badRequest = (path: string, message: string): GatewayError =>
  new GatewayError('GW_API_BAD_REQUEST', `The upload was refused: ${path.slice(1)} ${message}.`, { issues: [{ path, message }] satisfies Issue[] });

/** Gives `part` its final name in `dir`: `name`, or `name_2`, `name_3`… when taken (never overwrites). */
async function publish(part: string, dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const base = name.slice(0, name.length - ext.length);
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? name : `${base}_${n}${ext}`;
    const dst = path.join(dir, candidate);
    try {
      await fs.promises.link(part, dst);
      await fs.promises.unlink(part);
      return candidate;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
      // No hard links on this filesystem: check, then rename (a race here is between two uploads of one name).
      if (await fs.promises.access(dst).then(() => true, () => false)) continue;
      await fs.promises.rename(part, dst);
      return candidate;
    }
  }
  throw new GatewayError('GW_API_BAD_REQUEST', 'Too many files with this name are waiting in the inbox.', { issues: [{ path: '/params/fileName', message: 'name taken' }] });
}

export function createUploadRouter(deps: UploadDeps): Router {
  const log = deps.log ?? nullLogger;
  const mount = deps.mountPath ?? '/api/v1';
  const router = express.Router();

  router.put(UPLOAD_ROUTE, async (req: Request, res: Response) => {
    res.locals['routeTemplate'] = `${mount}${UPLOAD_ROUTE}`;
    const params = req.params as Record<string, string | undefined>;
    const schoolId = params.schoolId ?? '';
    const instanceId = params.instanceId ?? '';
    const fileName = params.fileName ?? '';
    const inbox = deps.inboxOf(schoolId, instanceId);
    if (!inbox) {
      req.resume();
      problem(res, 404, new GatewayError('GW_SCHOOL_UNKNOWN', `No school ${schoolId} with a file source ${instanceId} is configured.`));
      return;
    }
    const safe = safeUploadName(fileName);
    if ('issue' in safe) { req.resume(); problem(res, 400, badRequest('/params/fileName', safe.issue)); return; }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!UPLOAD_MEDIA_TYPES[safe.format].includes(type)) {
      req.resume();
      problem(res, 415, badRequest('/headers/content-type', `must be one of ${UPLOAD_MEDIA_TYPES[safe.format].join(', ')} for a .${safe.format} file`));
      return;
    }
    const tooLarge = (): void => {
      res.set('Connection', 'close');
      problem(res, 413, badRequest('/body', `is larger than ${deps.maxBytes} bytes`));
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxBytes) { req.resume(); tooLarge(); return; }

    const part = path.join(inbox, `${safe.name}.${randomBytes(6).toString('hex')}.part`);
    const meter = new Meter(deps.maxBytes);
    const started = (deps.now ?? (() => new Date()))();
    try {
      // The request is piped by hand, not put in the pipeline: a failure must not destroy the
      // socket before the 413 answer is written.
      const written = pipeline(meter, fs.createWriteStream(part, { flags: 'wx', mode: 0o640 }));
      req.on('error', (e) => meter.destroy(e));
      req.on('close', () => { if (!req.complete) meter.destroy(Object.assign(new Error('client aborted'), { code: 'ECONNRESET' })); });
      req.pipe(meter);
      await written;
      const fh = await fs.promises.open(part, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
      const stored = await publish(part, inbox, safe.name);
      const sha256 = meter.hash.digest('hex');
      log.info('file uploaded', { bytes: meter.bytes, format: safe.format, ms: Date.now() - started.getTime() });
      res.status(202).json({ file: stored, bytes: meter.bytes, sha256 });
      deps.trigger(schoolId, instanceId);
    } catch (e) {
      await fs.promises.unlink(part).catch(() => undefined);
      if (e instanceof TooLarge) {
        // Stop reading: the rest of the body is refused with the connection.
        req.unpipe();
        req.resume();
        tooLarge();
        return;
      }
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || req.destroyed) {
        log.warn('upload aborted by the client', { bytes: meter.bytes });
        return;
      }
      log.error('upload could not be stored', { code: typeof code === 'string' ? code : 'unknown', bytes: meter.bytes });
      problem(res, 503, new GatewayError('GW_SRC_UNAVAILABLE', 'The file could not be stored in the inbox; try again later.'));
    }
  });

  return router;
}
