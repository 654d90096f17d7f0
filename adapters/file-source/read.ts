/**
 * `read` of the `files` stream: archive what the committed cursor lists as done, then read every
 * ready file of the inbox in turn (oldest first), with a checkpoint after each file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunContext, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import { parsePosition, toCursor, type DoneFile, type FilePosition, type PartialFile } from './cursor';
import { fileChanged, fsError, FileRejected, reject, rejectionError } from './errors';
import { changed, readCsvFile, readXmlFile, type FileReadEnv, type FileTotals } from './file-readers';
import { formatOfName, listInbox, moveInto, moveToFailed, sameFile, statIdentity, type InboxFile } from './inbox';
import { FILE_SPEC, type FileSourceConfig, type ResolvedFileConfig } from './spec';

export const FILES_STREAM = 'files';

export interface ReadOptions {
  ctx: RunContext<FileSourceConfig>;
  cfg: ResolvedFileConfig;
  /** Called once after a read that finished files: they are archived by the next read, so ask for one. */
  onFilesFinished?(): void;
}

/** Throws the classified error when `dir` is not an accessible folder. */
export async function assertFolder(dir: string, schoolId: string, what: string): Promise<void> {
  try {
    const st = await fs.promises.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await fs.promises.access(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw fsError(e, schoolId, `${what} ${dir}`);
  }
}

export async function* readFiles(o: ReadOptions, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { ctx, cfg } = o;
  const log = ctx.log;
  const signpost = ctx.now().toISOString();
  const start = parsePosition(from);
  await assertFolder(cfg.inbox, ctx.schoolId, 'inbox folder');

  // Files a committed cursor lists as done are committed: only now may they leave the inbox.
  const done: DoneFile[] = [];
  for (const d of start.done) {
    const p = path.join(cfg.inbox, d.name);
    const id = await statIdentity(p);
    if (!id || !sameFile(id, d)) continue; // gone already, or replaced by a new version (read below)
    try {
      await moveInto(p, cfg.archive, signpost, d.sha256);
      log.info('file archived', { file: d.name, records: d.records });
    } catch (e) {
      done.push(d); // stays listed, so it is not read again; the move is retried next run
      log.warn('file could not be archived', { file: d.name, code: fsError(e, ctx.schoolId, 'archive folder').code });
    }
  }

  let files: InboxFile[];
  try {
    files = await settled(ctx, cfg, await listInbox(cfg.inbox, ctx.now().getTime(), cfg.settleMs));
  } catch (e) {
    throw fsError(e, ctx.schoolId, `inbox folder ${cfg.inbox}`);
  }

  const position = (partial?: PartialFile): Cursor => toCursor({ done: [...done], ...(partial ? { partial } : {}) } satisfies FilePosition, signpost);
  const env: FileReadEnv = {
    ctx: ctx as RunContext<unknown>, stream: FILES_STREAM, cfg, fetchedAt: signpost, checkpoint: position,
    coerce: { ids: ctx.ids, utcOffset: cfg.utcOffset, splitLists: true, system: FILE_SPEC.system },
  };
  let finished = 0;
  let checkpointed = false;
  for (const f of files) {
    if (ctx.signal.aborted) return;
    if (done.some((d) => sameFile(d, f))) continue;
    const resume = start.partial && sameFile(start.partial, f) ? start.partial : undefined;
    const outcome = yield* readOne(env, f, resume);
    if (ctx.signal.aborted) return;
    if (outcome) {
      done.push({ name: f.name, size: f.size, mtimeMs: f.mtimeMs, ...outcome });
      finished++;
      log.info('file read', { file: f.name, records: outcome.records, invalid: outcome.invalid });
    }
    yield { kind: 'checkpoint', stream: FILES_STREAM, cursor: position() };
    checkpointed = true;
  }
  // Also when nothing was read: the archived files leave the cursor.
  if (!checkpointed) yield { kind: 'checkpoint', stream: FILES_STREAM, cursor: position() };
  if (finished > 0) o.onFilesFinished?.();
}

/**
 * The files to read now. A file changed within `settleMs` may still be copied in: the read waits
 * `settleMs` once (on the injected clock) and takes it only if it did not change meanwhile; a
 * file still changing is left for a later run (its further changes wake the watcher again).
 */
async function settled(ctx: RunContext<FileSourceConfig>, cfg: ResolvedFileConfig, files: InboxFile[]): Promise<InboxFile[]> {
  if (!files.some((f) => f.fresh)) return files;
  await ctx.sleep(cfg.settleMs);
  const out: InboxFile[] = [];
  for (const f of files) {
    if (!f.fresh) { out.push(f); continue; }
    const now = await statIdentity(f.path);
    if (now && sameFile(now, f)) out.push({ name: f.name, path: f.path, size: f.size, mtimeMs: f.mtimeMs });
    else ctx.log.debug('file left for a later run: still changing', { file: f.name });
  }
  return out;
}

/** Reads one file; undefined when it was refused (moved to `failed`, one `invalid` message yielded). */
async function* readOne(env: FileReadEnv, f: InboxFile, resume: PartialFile | undefined): AsyncGenerator<SourceMessage, FileTotals | undefined> {
  const { ctx, cfg } = env;
  try {
    const format = formatOfName(f.name);
    if (!format) throw reject('format-unknown', `extension of ${f.name} is not .csv, .txt or .xml`);
    if (!cfg.formats.includes(format)) throw reject('format-disabled', `${format.toUpperCase()} files are not taken by this source`);
    if (f.size > cfg.maxFileBytes) throw reject('too-large', `${f.size} bytes, the limit is ${cfg.maxFileBytes}`);
    if (f.size === 0) throw reject('empty', 'the file is empty');
    const totals = format === 'csv' ? yield* readCsvFile(env, f, resume) : yield* readXmlFile(env, f, resume);
    if (ctx.signal.aborted) return undefined;
    const now = await statIdentity(f.path);
    if (!now || !sameFile(now, f)) throw changed;
    return totals;
  } catch (e) {
    if (e === changed) throw fileChanged(ctx.schoolId, f.name);
    if (!(e instanceof FileRejected)) throw e instanceof GatewayError || !isErrno(e) ? e : fsError(e, ctx.schoolId, `file ${f.name}`);
    const error = rejectionError(e, ctx.schoolId, f.name);
    yield { kind: 'invalid', stream: FILES_STREAM, sourceId: `file:${f.name}`, error, raw: { file: f.name, size: f.size, reason: e.reason } };
    try {
      await moveToFailed(cfg.failed, { schoolId: ctx.schoolId, file: f, reason: e.reason, detail: e.detail, at: ctx.now().toISOString() });
      ctx.log.warn('file refused', { file: f.name, reason: e.reason });
    } catch (m) {
      ctx.log.error('file refused but could not be moved to the failed folder', { file: f.name, reason: e.reason, code: fsError(m, ctx.schoolId, 'failed folder').code });
    }
    return undefined;
  }
}

function isErrno(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}
