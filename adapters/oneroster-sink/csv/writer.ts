/**
 * Streaming writer of one OneRoster CSV package: one write stream per file (rows written as they
 * come, waiting for `drain` when the stream is full, so memory stays flat), and `manifest.csv`
 * written last, through a temporary name, so a reader never sees a package whose files are
 * still being written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALL_12_FILES, CSV_FILES, CSV_HEADERS, csvCell, rowOf, type CsvFile } from './columns';
import type { Obj } from '../map/common';

const EOL = '\r\n';

class FileWriter {
  rows = 0;
  private readonly stream: fs.WriteStream;
  /** The first error of the stream (it may come while nobody waits on it): every later call throws it. */
  private failed: Error | undefined;

  constructor(readonly file: string, header: readonly string[]) {
    this.stream = fs.createWriteStream(file, { encoding: 'utf8' });
    this.stream.on('error', (e: Error) => { this.failed ??= e; });
    this.stream.write(header.join(',') + EOL);
  }

  async write(cells: readonly string[]): Promise<void> {
    if (this.failed) throw this.failed;
    this.rows++;
    if (!this.stream.write(cells.join(',') + EOL)) await this.settle('drain');
  }

  /** Ends the file and waits until its bytes are with the OS (then flushed to disk by fsync). */
  async close(): Promise<void> {
    if (this.failed) throw this.failed;
    this.stream.end();
    await this.settle('finish');
    const fd = fs.openSync(this.file, 'r+');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }

  /** Drops the file's stream after a failure elsewhere (no more writes, no fd left open). */
  destroy(): void {
    this.stream.destroy();
  }

  private settle(event: 'drain' | 'finish'): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const ok = (): void => { this.stream.off('error', bad); resolve(); };
      const bad = (e: Error): void => { this.stream.off(event, ok); reject(e); };
      this.stream.once(event, ok);
      this.stream.once('error', bad);
    });
  }
}

export class CsvPackageWriter {
  private readonly files = new Map<CsvFile, FileWriter>();

  /** Bulk packages declare (and write) every file the export knows, even without rows; delta only those with rows. */
  constructor(readonly dir: string, readonly mode: 'bulk' | 'delta', private readonly source: { systemName: string; systemCode: string }) {
    fs.mkdirSync(dir, { recursive: true });
    if (mode === 'bulk') for (const f of CSV_FILES) this.open(f);
  }

  private open(f: CsvFile): FileWriter {
    let w = this.files.get(f);
    if (!w) { w = new FileWriter(path.join(this.dir, `${f}.csv`), CSV_HEADERS[f]); this.files.set(f, w); }
    return w;
  }

  async write(f: CsvFile, o: Obj): Promise<void> {
    await this.open(f).write(rowOf(f, o));
  }

  /**
   * Closes (and fsyncs) every file, then writes manifest.csv through a temporary name and an
   * atomic rename: once it returns, the package is complete on disk; if it throws, there is no
   * manifest and a reader takes the folder for an unfinished package.
   */
  async finish(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [f, w] of this.files) { await w.close(); counts[f] = w.rows; }
    const rows: [string, string][] = [['manifest.version', '1.0'], ['oneroster.version', '1.2']];
    for (const f of ALL_12_FILES) rows.push([`file.${f}`, this.files.has(f as CsvFile) ? this.mode : 'absent']);
    rows.push(['source.systemName', this.source.systemName], ['source.systemCode', this.source.systemCode]);
    const tmp = path.join(this.dir, '.manifest.csv.tmp');
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, ['propertyName,value', ...rows.map(([k, v]) => `${csvCell(k)},${csvCell(v)}`)].join(EOL) + EOL, null, 'utf8');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, 'manifest.csv'));
    return counts;
  }

  /** After a failure: closes every stream without finishing the package (no manifest is written). */
  abort(): void {
    for (const w of this.files.values()) w.destroy();
  }
}
