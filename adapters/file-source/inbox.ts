/**
 * The inbox folder: which files are ready, moving files to the archive or failed folder, and
 * the `<name>.error.txt` written beside a refused file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FILE_REJECTIONS, type FileRejection } from './errors';
import type { FileFormat } from './spec';

/** What identifies one version of a file in the inbox (content is hashed while it is read). */
export interface FileIdentity {
  name: string;
  size: number;
  mtimeMs: number;
}

export interface InboxFile extends FileIdentity {
  path: string;
  /** Changed less than `settleMs` ago when listed. */
  fresh?: boolean;
}

/**
 * Names the intake never reads: dotfiles, files still being written (`*.part`, `*.tmp`,
 * `*.crdownload`), Office lock files (`~$…`), and error notes.
 */
export function isIgnoredName(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('.') || n.startsWith('~$') || n.endsWith('.part') || n.endsWith('.tmp')
    || n.endsWith('.crdownload') || n.endsWith('.error.txt');
}

/** Format from the extension (`.csv`, `.txt` as CSV, `.xml`); undefined for anything else. */
export function formatOfName(name: string): FileFormat | undefined {
  const ext = path.extname(name).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.xml') return 'xml';
  return undefined;
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.name === b.name && a.size === b.size && Math.trunc(a.mtimeMs) === Math.trunc(b.mtimeMs);
}

/**
 * Regular files in `inbox` that are not ignored, oldest first (then by name). A file modified
 * less than `settleMs` before `nowMs` is marked `fresh`: it may still be copied in.
 */
export async function listInbox(inbox: string, nowMs: number, settleMs: number): Promise<InboxFile[]> {
  const entries = await fs.promises.readdir(inbox, { withFileTypes: true });
  const files: InboxFile[] = [];
  for (const e of entries) {
    if (!e.isFile() || isIgnoredName(e.name)) continue;
    const p = path.join(inbox, e.name);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p);
    } catch {
      continue; // moved away meanwhile
    }
    const mtimeMs = Math.trunc(st.mtimeMs);
    files.push({ name: e.name, path: p, size: st.size, mtimeMs, ...(nowMs - mtimeMs < settleMs ? { fresh: true } : {}) });
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return files;
}

export async function statIdentity(p: string): Promise<FileIdentity | undefined> {
  try {
    const st = await fs.promises.stat(p);
    return st.isFile() ? { name: path.basename(p), size: st.size, mtimeMs: Math.trunc(st.mtimeMs) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Moves `src` into folder `dir` under its own name, or, when that name is taken, under
 * `<base>.<stamp>-<sha8><ext>`. Works across filesystems (copy, then unlink). Returns the new path.
 */
export async function moveInto(src: string, dir: string, stamp: string, sha256?: string): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true });
  const name = path.basename(src);
  let dst = path.join(dir, name);
  if (await exists(dst)) {
    const ext = path.extname(name);
    dst = path.join(dir, `${name.slice(0, name.length - ext.length)}.${stamp.replace(/[:.]/g, '')}-${(sha256 ?? 'x').slice(0, 8)}${ext}`);
  }
  try {
    await fs.promises.rename(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await fs.promises.copyFile(src, dst, fs.constants.COPYFILE_EXCL);
    await fs.promises.unlink(src);
  }
  return dst;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.access(p);
    return true;
  } catch {
    return false;
  }
}

export interface ErrorNote {
  schoolId: string;
  file: InboxFile;
  reason: FileRejection;
  /** English detail (line, column, field names); never data from the file. */
  detail: string;
  at: string;
  sha256?: string;
}

/** The text of `<name>.error.txt`: Russian for the school, the technical line in English. */
export function errorNoteText(n: ErrorNote): string {
  const r = FILE_REJECTIONS[n.reason];
  return [
    'Файл не принят шлюзом «Электронный дневник».',
    `Школа: ${n.schoolId}`,
    `Файл: ${n.file.name} (${n.file.size} байт${n.sha256 ? `, sha256 ${n.sha256}` : ''})`,
    `Время: ${n.at}`,
    `Причина: ${r.ru}`,
    `Подробности: ${n.detail}`,
    `Что сделать: ${r.remedyRu}`,
    '',
    `school=${n.schoolId} file=${n.file.name} code=${r.code} reason=${n.reason}`,
    `detail: ${n.detail}`,
    '',
  ].join('\n');
}

/** Moves a refused file to `failedDir` and writes its error note beside it. Returns the new path. */
export async function moveToFailed(failedDir: string, note: ErrorNote): Promise<string> {
  const dst = await moveInto(note.file.path, failedDir, note.at, note.sha256);
  await fs.promises.writeFile(`${dst}.error.txt`, errorNoteText(note), 'utf8');
  return dst;
}
