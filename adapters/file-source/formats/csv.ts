/**
 * Streaming CSV: raw bytes are cut into pieces that end exactly at a record boundary, and each
 * piece is decoded and split into rows on its own. Cutting at record boundaries on the raw
 * bytes is what makes a byte offset a safe place to resume from, and it works before decoding:
 * the bytes that matter (`"`, `;`, `,`, CR, LF) are ASCII and mean the same in UTF-8 and
 * windows-1251 (no UTF-8 multi-byte sequence contains an ASCII byte).
 *
 * RFC 4180 with the leniency real exports need: a quote opens a quoted field only at the start
 * of a field (`ООО "Ромашка"` unquoted is plain text), `""` inside a quoted field is a quote, a
 * line break inside quotes is data, CRLF and LF both end a record.
 *
 * Why not csv-parse: the cutter and the splitter must agree on every record boundary (a byte
 * offset to resume from is only safe at one), and a quarantined row must name its first line;
 * csv-parse's `info.lines` counts a quoted CRLF twice and reports where the next record starts
 * (measured with csv-parse 7.0.3), and its `relax_quotes` reading of `"a"b` differs from a
 * byte-level cutter's. One state machine for both keeps them in step by construction.
 */
import { reject } from '../errors';

export type Delimiter = ';' | ',';

export interface CsvRow {
  /** Line of the file the row starts on. */
  line: number;
  cells: string[];
  /** Syntax trouble in this row (it is quarantined, the file goes on). */
  issues?: string[];
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum S { FieldStart, Unquoted, Quoted, QuoteInQuoted }

/** Longest run of bytes without a record boundary before the file is refused (an unclosed quote, or CR-only line ends). */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Cuts a byte stream into pieces that each end at a record boundary (after an LF outside quotes).
 * The delimiter is taken from the header line when not given.
 */
export class CsvChunker {
  private pending: Buffer = Buffer.alloc(0);
  private scanned = 0;
  private state = S.FieldStart;
  private delim: number | undefined;

  constructor(delimiter?: Delimiter, private readonly maxRecordBytes = MAX_RECORD_BYTES) {
    this.delim = delimiter?.charCodeAt(0);
  }

  get delimiter(): Delimiter | undefined {
    return this.delim === undefined ? undefined : (String.fromCharCode(this.delim) as Delimiter);
  }

  /** Adds bytes; returns the piece that is complete now, if any. Throws FileRejected. */
  push(buf: Buffer): Buffer | undefined {
    this.pending = this.pending.length === 0 ? buf : Buffer.concat([this.pending, buf]);
    if (this.delim === undefined) {
      const nl = this.pending.indexOf(LF);
      if (nl < 0) return this.tooLong();
      this.delim = detectDelimiter(this.pending.subarray(0, nl)).charCodeAt(0);
    }
    const p = this.pending;
    let state = this.state;
    let last = -1;
    const d = this.delim;
    for (let i = this.scanned; i < p.length; i++) {
      const c = p[i] as number;
      switch (state) {
        case S.FieldStart:
          if (c === QUOTE) state = S.Quoted;
          else if (c === LF) last = i;
          else if (c !== d && c !== CR) state = S.Unquoted;
          break;
        case S.Unquoted:
          if (c === d) state = S.FieldStart;
          else if (c === LF) { state = S.FieldStart; last = i; }
          break;
        case S.Quoted:
          if (c === QUOTE) state = S.QuoteInQuoted;
          break;
        case S.QuoteInQuoted:
          if (c === QUOTE) state = S.Quoted;
          else if (c === d) state = S.FieldStart;
          else if (c === LF) { state = S.FieldStart; last = i; }
          else if (c !== CR) state = S.Unquoted;
          break;
      }
    }
    this.state = state;
    if (last < 0) {
      this.scanned = p.length;
      return this.tooLong();
    }
    const piece = p.subarray(0, last + 1);
    this.pending = p.subarray(last + 1);
    this.scanned = this.pending.length;
    return piece;
  }

  /** The bytes after the last boundary (a last record without a final line break). */
  end(): Buffer | undefined {
    if (this.delim === undefined && this.pending.length > 0) this.delim = detectDelimiter(this.pending).charCodeAt(0);
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length > 0 ? rest : undefined;
  }

  private tooLong(): undefined {
    if (this.pending.length > this.maxRecordBytes) {
      throw reject('csv-record-too-long', `no record boundary within ${this.maxRecordBytes} bytes (an unclosed quote, or line breaks that are CR only)`);
    }
    return undefined;
  }
}

/** `;` or `,`, whichever occurs more often outside quotes in the header line (`,` on a tie). */
export function detectDelimiter(headerLine: Buffer): Delimiter {
  let semi = 0;
  let comma = 0;
  let quoted = false;
  for (const c of headerLine) {
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && c === 0x3b) semi++;
    else if (!quoted && c === 0x2c) comma++;
  }
  return semi > comma ? ';' : ',';
}

/** Number of LF bytes in `b`. */
export function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) n++;
  return n;
}

/**
 * Splits one piece of decoded text (starting at a record boundary on line `firstLine`) into rows,
 * with the same state machine as `CsvChunker`, so both agree on every boundary, and each row
 * knows the line it starts on. Empty lines and rows whose cells are all blank (the `;;;` lines
 * Excel leaves) are skipped. Text after a closing quote (`"a"b`) is kept and reported as the
 * row's issue rather than guessed at silently.
 */
export function splitRows(text: string, delimiter: Delimiter, firstLine: number): CsvRow[] {
  const d = delimiter.charCodeAt(0);
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let issues: string[] | undefined;
  let field = '';
  let start = 0;
  let state = S.FieldStart;
  let line = firstLine;
  let rowLine = firstLine;
  let content = false;
  const n = text.length;
  const endRow = (): void => {
    if (content && cells.some((c) => c.trim() !== '')) rows.push({ line: rowLine, cells, ...(issues ? { issues } : {}) });
    cells = [];
    issues = undefined;
    content = false;
    rowLine = line + 1;
  };
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    switch (state) {
      case S.FieldStart:
        if (c === QUOTE) { state = S.Quoted; field = ''; start = i + 1; content = true; }
        else if (c === d) { cells.push(''); content = true; }
        else if (c === LF) { if (content) cells.push(''); endRow(); line++; }
        else if (c === CR && text.charCodeAt(i + 1) === LF) { /* CRLF */ }
        else { state = S.Unquoted; start = i; field = ''; content = true; }
        break;
      case S.Unquoted:
        if (c === d) { cells.push(field + text.slice(start, i)); state = S.FieldStart; }
        else if (c === LF) { cells.push(field + text.slice(start, text.charCodeAt(i - 1) === CR ? i - 1 : i)); state = S.FieldStart; endRow(); line++; }
        break;
      case S.Quoted:
        if (c === QUOTE) { field += text.slice(start, i); state = S.QuoteInQuoted; }
        else if (c === LF) line++;
        break;
      case S.QuoteInQuoted:
        if (c === QUOTE) { start = i; state = S.Quoted; }
        else if (c === d) { cells.push(field); state = S.FieldStart; }
        else if (c === LF) { cells.push(field); state = S.FieldStart; endRow(); line++; }
        else if (c === CR && text.charCodeAt(i + 1) === LF) { /* CRLF after a closing quote */ }
        else {
          (issues ??= []).push(`column ${cells.length + 1}: text after a closing quote`);
          state = S.Unquoted;
          start = i;
        }
        break;
    }
  }
  // The last record of the file may have no line break.
  if (state === S.Unquoted) cells.push(field + text.slice(start, text.charCodeAt(n - 1) === CR ? n - 1 : n));
  else if (state === S.QuoteInQuoted) cells.push(field);
  else if (state === S.Quoted) (issues ??= []).push(`column ${cells.length + 1}: a quote is not closed at the end of the file`);
  else if (content) cells.push('');
  if (content) endRow();
  return rows;
}
