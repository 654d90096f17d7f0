/**
 * Streaming writer of one OneRoster CSV package: one write stream per file (rows written as they
 * come, waiting for `drain` when the stream is full, so memory stays flat), and `manifest.csv`
 * written last, through a temporary name, so a reader never sees a package whose files are
 * still being written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ALL_12_FILES, CSV_FILES, CSV_HEADERS, csvCell, rowOf, type CsvFile } from './columns';
import type { Obj } from '../map/common';

const EOL = '\r\n';

class FileWriter {
  rows = 0;
  private readonly stream: fs.WriteStream;

  constructor(file: string, header: readonly string[]) {
    this.stream = fs.createWriteStream(file, { encoding: 'utf8' });
    this.stream.write(header.join(',') + EOL);
  }

  async write(cells: readonly string[]): Promise<void> {
    this.rows++;
    if (!this.stream.write(cells.join(',') + EOL)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
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

  /** Closes every file, then writes manifest.csv. Returns the rows written per file. */
  async finish(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [f, w] of this.files) { await w.close(); counts[f] = w.rows; }
    const rows: [string, string][] = [['manifest.version', '1.0'], ['oneroster.version', '1.2']];
    for (const f of ALL_12_FILES) rows.push([`file.${f}`, this.files.has(f as CsvFile) ? this.mode : 'absent']);
    rows.push(['source.systemName', this.source.systemName], ['source.systemCode', this.source.systemCode]);
    const tmp = path.join(this.dir, '.manifest.csv.tmp');
    fs.writeFileSync(tmp, ['propertyName,value', ...rows.map(([k, v]) => `${csvCell(k)},${csvCell(v)}`)].join(EOL) + EOL, 'utf8');
    fs.renameSync(tmp, path.join(this.dir, 'manifest.csv'));
    return counts;
  }
}
