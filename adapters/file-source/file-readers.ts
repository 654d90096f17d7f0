/**
 * Streaming readers of one CSV or XML file: bytes → (pieces) → text → rows/elements → messages,
 * with checkpoints at record boundaries every `checkpointEvery` records. Memory stays bounded by
 * the read chunk, one CSV piece or XML run (capped), and the pipeline's batch: nothing holds the
 * file, and the pipeline's awaited ledger writes push back on the read.
 *
 * A reader returns the file's content hash and counts; a whole-file problem is a thrown
 * FileRejected (the caller moves the file to `failed`).
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import type { PartialFile } from './cursor';
import { reject } from './errors';
import { CsvChunker, countLines, splitRows } from './formats/csv';
import { Decoder, sniffStart } from './formats/encoding';
import { XmlRecordReader, type XmlResumePoint } from './formats/xml';
import type { InboxFile } from './inbox';
import { compileHeader, rowTree, type HeaderPlan } from './layout/columns';
import { entityOfElement, entityOfFileName, planOf } from './layout/plan';
import { invalidMessage, treeMessage, type MessageEnv } from './messages';
import type { ResolvedFileConfig } from './spec';

/** Bytes per read: large enough for throughput, small enough to keep a few in memory. */
export const READ_CHUNK = 256 * 1024;

export interface FileReadEnv extends MessageEnv {
  cfg: ResolvedFileConfig;
  /** A checkpoint for the state inside the current file. */
  checkpoint(partial: PartialFile): Cursor;
}

export interface FileTotals { sha256: string; records: number; invalid: number }

interface Counts { records: number; invalid: number }

function count(c: Counts, m: SourceMessage): SourceMessage {
  if (m.kind === 'record') c.records++;
  else if (m.kind === 'invalid') c.invalid++;
  return m;
}

/** Hashes bytes [0, n) of the file into `hash`; returns the hex digest of that prefix. */
async function hashPrefix(file: string, n: number, hash: Hash): Promise<string> {
  if (n > 0) for await (const chunk of fs.createReadStream(file, { start: 0, end: n - 1, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.copy().digest('hex');
}

/** Sets up a resume when the cursor's prefix still matches the file; otherwise a fresh hash and offset 0. */
async function resumeFrom(f: InboxFile, resume: PartialFile | undefined): Promise<{ hash: Hash; partial: PartialFile | undefined }> {
  if (!resume) return { hash: createHash('sha256'), partial: undefined };
  const hash = createHash('sha256');
  if (await hashPrefix(f.path, resume.offset, hash) === resume.prefixSha256) return { hash, partial: resume };
  return { hash: createHash('sha256'), partial: undefined };
}

function firstByteNotSpace(b: Buffer, from: number): number | undefined {
  for (let i = from; i < b.length; i++) {
    const c = b[i] as number;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return undefined;
}

export async function* readCsvFile(env: FileReadEnv, f: InboxFile, resume: PartialFile | undefined): AsyncGenerator<SourceMessage, FileTotals> {
  const entity = entityOfFileName(f.name);
  if (!entity) throw reject('entity-unknown', `the name ${f.name} does not start with an entity or stream name (marks, attendance_events, persons, …)`);
  const plan = planOf(entity);
  const { hash, partial } = await resumeFrom(f, resume?.csv ? resume : undefined);
  const c: Counts = { records: partial?.records ?? 0, invalid: partial?.invalid ?? 0 };
  let offset = partial?.offset ?? 0;
  let line = partial?.line ?? 1;
  let header: HeaderPlan | undefined = partial?.csv ? compileHeader(plan, partial.csv.header) : undefined;
  let decoder = partial ? new Decoder(partial.encoding === 'ascii' ? 'auto' : partial.encoding) : undefined;
  let bom = 0;
  const chunker = new CsvChunker(partial?.csv?.delimiter ?? (env.cfg.csvDelimiter === 'auto' ? undefined : env.cfg.csvDelimiter));
  let sinceCheckpoint = 0;

  const piece = function* (bytes: Buffer, final: boolean): Generator<SourceMessage> {
    hash.update(bytes);
    const lines = countLines(bytes);
    const body = offset === 0 && bom > 0 ? bytes.subarray(bom) : bytes;
    const text = (decoder as Decoder).decode(body, `lines ${line}-${line + lines}`, final);
    for (const row of splitRows(text, chunker.delimiter ?? ',', line)) {
      if (!header) { header = compileHeader(plan, row.cells); continue; }
      const h = header;
      const where = (): string => `${f.name} line ${row.line}`;
      const id = (): string => `${f.name}:${row.line}`;
      const raw = (): unknown => Object.fromEntries(h.names.map((n, i) => [n, row.cells[i] ?? null]));
      if (row.issues || row.cells.length !== h.paths.length) {
        const issues = (row.issues ?? []).map((message) => ({ path: '/', message }));
        if (row.cells.length !== h.paths.length) issues.push({ path: '/', message: `${row.cells.length} values for ${h.paths.length} columns` });
        yield count(c, invalidMessage(env, where(), entity, id(), issues, raw));
      } else {
        yield count(c, treeMessage(env, plan, rowTree(h, row.cells), where, id, [], raw));
      }
      sinceCheckpoint++;
    }
    offset += bytes.length;
    line += lines;
  };

  let bytesRead = offset;
  for await (const chunk of fs.createReadStream(f.path, { start: offset, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    if (env.ctx.signal.aborted) return { sha256: '', ...c };
    if (!decoder) {
      const s = sniffStart(chunk, 'csv');
      bom = s.bom;
      if (firstByteNotSpace(chunk, bom) === 0x3c) throw reject('format-mismatch', 'the file is named .csv but starts with "<" (XML or an HTML page)');
      decoder = new Decoder(env.cfg.encoding, s.declared);
    }
    bytesRead += chunk.length;
    const p = chunker.push(chunk);
    if (p) yield* piece(p, false);
    if (sinceCheckpoint >= env.cfg.checkpointEvery && header && offset < f.size) {
      sinceCheckpoint = 0;
      yield {
        kind: 'checkpoint', stream: env.stream, cursor: env.checkpoint({
          name: f.name, size: f.size, mtimeMs: f.mtimeMs, format: 'csv', encoding: (decoder as Decoder).encoding, offset, line,
          ...c, prefixSha256: hash.copy().digest('hex'), csv: { delimiter: chunker.delimiter ?? ',', header: header.names },
        }),
      };
    }
  }
  if (!decoder) throw reject('empty', 'the file is empty');
  const rest = chunker.end();
  if (rest) yield* piece(rest, true);
  if (!header) throw reject('csv-header', 'no header row');
  if (bytesRead !== f.size) throw changed;
  return { sha256: hash.digest('hex'), ...c };
}

/** Marker: the file changed under the reader (the caller turns it into a retryable error). */
export const changed = new Error('file changed while read');

export async function* readXmlFile(env: FileReadEnv, f: InboxFile, resume: PartialFile | undefined): AsyncGenerator<SourceMessage, FileTotals> {
  const { hash, partial } = await resumeFrom(f, resume?.xml ? resume : undefined);
  const c: Counts = { records: partial?.records ?? 0, invalid: partial?.invalid ?? 0 };
  const point: XmlResumePoint | undefined = partial?.xml ? { line: partial.line, index: partial.xml.index, rootName: partial.xml.rootName, rootAttrs: partial.xml.rootAttrs } : undefined;
  const reader = new XmlRecordReader({
    ...(point ? { resume: point } : {}),
    checkSchool: (school) => {
      if (school !== env.ctx.schoolId && school !== env.cfg.schoolCode) {
        throw reject('xml-school-mismatch', `the export names school ${school.slice(0, 64)}; this inbox belongs to school ${env.ctx.schoolId}`);
      }
    },
  });
  let decoder = partial ? new Decoder(partial.encoding === 'ascii' ? 'auto' : partial.encoding) : undefined;
  let rawStart = partial?.offset ?? 0;
  /** Characters of file text written so far, and the bytes they came from (BOM excluded, offset included). */
  let charsWritten = 0;
  let textBytes = rawStart;
  let sinceCheckpoint = 0;
  const byteLen = (s: string): number => ((decoder as Decoder).encoding === 'utf-8' ? Buffer.byteLength(s, 'utf8') : s.length);

  const emit = function* (recs: ReturnType<XmlRecordReader['write']>): Generator<SourceMessage> {
    for (const r of recs) {
      const entity = entityOfElement(r.local);
      const where = (): string => `${f.name} element ${r.index} <${r.local.slice(0, 40)}> (line ${r.line})`;
      const fallback = (): string => `${f.name}#${r.index}`;
      const raw = (): unknown => r.tree;
      if (!entity) {
        const sid = r.tree.sourceId?.[0];
        yield count(c, invalidMessage(env, where(), undefined, typeof sid === 'string' && sid.trim() ? sid.trim() : fallback(), [{ path: '/', message: 'not an entity type (mark, attendance_event, person, …)' }], raw));
        continue;
      }
      yield count(c, treeMessage(env, planOf(entity), r.tree, where, fallback, r.issues, raw));
      sinceCheckpoint++;
    }
  };

  for await (const chunk of fs.createReadStream(f.path, { start: rawStart, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    if (env.ctx.signal.aborted) return { sha256: '', ...c };
    let body = chunk;
    if (!decoder) {
      const s = sniffStart(chunk, 'xml');
      if (firstByteNotSpace(chunk, s.bom) !== 0x3c) throw reject('format-mismatch', 'the file is named .xml but does not start with "<"');
      decoder = new Decoder(env.cfg.encoding, s.declared);
      body = chunk.subarray(s.bom);
      textBytes += s.bom;
    }
    const text = decoder.decode(body, `bytes ${rawStart}-${rawStart + chunk.length}`);
    const recs = reader.write(text);
    yield* emit(recs);
    const b = reader.boundary;
    if (recs.length > 0 && b && sinceCheckpoint >= env.cfg.checkpointEvery) {
      sinceCheckpoint = 0;
      const at = textBytes + byteLen(text.slice(0, b.chars - charsWritten));
      const prefixSha256 = hash.copy().update(chunk.subarray(0, at - rawStart)).digest('hex');
      yield {
        kind: 'checkpoint', stream: env.stream, cursor: env.checkpoint({
          name: f.name, size: f.size, mtimeMs: f.mtimeMs, format: 'xml', encoding: decoder.encoding, offset: at, line: b.line,
          ...c, prefixSha256, xml: { index: b.index, rootName: reader.rootName, rootAttrs: reader.rootAttrs },
        }),
      };
    }
    hash.update(chunk);
    rawStart += chunk.length;
    charsWritten += text.length;
    textBytes += byteLen(text);
  }
  if (!decoder) throw reject('empty', 'the file is empty');
  const tail = decoder.decode(Buffer.alloc(0), 'the end of the file', true);
  if (tail) yield* emit(reader.write(tail));
  yield* emit(reader.end());
  if (rawStart !== f.size) throw changed;
  return { sha256: hash.digest('hex'), ...c };
}
