/**
 * Text encoding of an export: detection and chunk-by-chunk decoding with verification.
 *
 * Russian journals export in UTF-8 (with or without a BOM) or in windows-1251. `auto` decides as
 * late as it safely can: while only ASCII has been seen both readings agree, so the choice is made
 * at the first non-ASCII bytes (valid UTF-8 → UTF-8, else windows-1251) and every later chunk is
 * verified against it (invalid UTF-8, the byte 0x98 that windows-1251 leaves undefined, or a NUL
 * byte refuse the file). A BOM, an explicit config value, or an XML declaration decides at once.
 */
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import { reject } from '../errors';
import type { EncodingChoice, FileFormat } from '../spec';

export type Encoding = 'utf-8' | 'windows-1251';

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export interface Sniffed {
  /** Bytes of a UTF-8 BOM at the start (0 or 3): skipped, never decoded. */
  bom: number;
  /** Encoding named by a BOM or an XML declaration. */
  declared?: Encoding;
}

/** Looks at the first bytes of a file. Throws FileRejected for UTF-16/32, binary data or an unsupported declared encoding. */
export function sniffStart(head: Buffer, format: FileFormat): Sniffed {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    throw reject('binary', 'UTF-16 byte order mark: save the file as UTF-8 or windows-1251');
  }
  const bom = UTF8_BOM.every((b, i) => head[i] === b) ? 3 : 0;
  if (head.subarray(bom, Math.min(head.length, 8192)).includes(0)) throw reject('binary', 'NUL bytes near the start: a binary file (Excel, archive) or UTF-16');
  if (bom) return { bom, declared: 'utf-8' };
  if (format === 'xml') {
    const start = head.subarray(0, 256).toString('latin1');
    const m = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(start);
    if (m) {
      const name = (m[1] as string).toLowerCase();
      if (name === 'utf-8' || name === 'utf8') return { bom, declared: 'utf-8' };
      if (name === 'windows-1251' || name === 'cp1251' || name === 'win-1251') return { bom, declared: 'windows-1251' };
      throw reject('encoding-unsupported', `the XML declaration names encoding ${m[1]!.slice(0, 32)}; only UTF-8 and windows-1251 are taken`);
    }
  }
  return { bom };
}

/**
 * Decodes successive byte chunks of one file. `decode` throws FileRejected on bytes that are not
 * valid in the chosen encoding; `where` names the place for the message (e.g. `lines 10-250`).
 */
export class Decoder {
  private state: 'ascii' | Encoding;
  private utf8: TextDecoder | undefined;

  constructor(choice: EncodingChoice, declared?: Encoding) {
    this.state = choice !== 'auto' ? choice : declared ?? 'ascii';
    if (this.state === 'utf-8') this.utf8 = new TextDecoder('utf-8', { fatal: true });
  }

  /** The encoding decided so far; `ascii` while only ASCII bytes were seen (either reading is right). */
  get encoding(): 'ascii' | Encoding {
    return this.state;
  }

  decode(bytes: Buffer, where: string, final = false): string {
    if (bytes.includes(0)) throw reject('binary', `NUL byte in ${where}: not a text file`);
    if (this.state === 'ascii') {
      const i = firstNonAscii(bytes);
      if (i < 0) return bytes.toString('latin1');
      const head = bytes.toString('latin1', 0, i);
      const dec = new TextDecoder('utf-8', { fatal: true });
      try {
        const rest = dec.decode(bytes.subarray(i), { stream: !final });
        this.state = 'utf-8';
        this.utf8 = dec;
        return head + rest;
      } catch {
        if (looksLikeUtf8(bytes)) throw reject('encoding-invalid', `broken UTF-8 in ${where}: UTF-8 text with bytes that are not valid UTF-8`);
        this.state = 'windows-1251';
        return head + this.cp1251(bytes.subarray(i), where);
      }
    }
    if (this.state === 'windows-1251') return this.cp1251(bytes, where);
    try {
      return (this.utf8 as TextDecoder).decode(bytes, { stream: !final });
    } catch {
      throw reject('encoding-invalid', `bytes that are not valid UTF-8 in ${where} (the file started as UTF-8)`);
    }
  }

  private cp1251(bytes: Buffer, where: string): string {
    // 0x98 is the one byte windows-1251 leaves undefined: a file holding it is in another encoding.
    if (bytes.includes(0x98)) throw reject('encoding-invalid', `a byte undefined in windows-1251 in ${where}`);
    if (looksLikeUtf8(bytes)) throw reject('encoding-invalid', `UTF-8 text in ${where} of a file that started as windows-1251 (mixed encodings)`);
    return iconv.decode(bytes, 'win1251');
  }
}

/**
 * True when most non-ASCII bytes pair up as UTF-8 Cyrillic (a lead byte D0/D1 and a continuation
 * byte 80-BF). In windows-1251 text that pair is «Р» or «С» followed by a rare symbol (Ђ, ‚, №, «),
 * so a high share means UTF-8, damaged or mixed in, not windows-1251. Needs 16 non-ASCII bytes.
 */
export function looksLikeUtf8(b: Buffer): boolean {
  let nonAscii = 0;
  let paired = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c < 0x80) continue;
    nonAscii++;
    if ((c === 0xd0 || c === 0xd1) && i + 1 < b.length) {
      const n = b[i + 1] as number;
      if (n >= 0x80 && n <= 0xbf) { paired += 2; nonAscii++; i++; }
    }
  }
  return nonAscii >= 16 && paired / nonAscii > 0.5;
}

function firstNonAscii(b: Buffer): number {
  for (let i = 0; i < b.length; i++) if ((b[i] as number) >= 0x80) return i;
  return -1;
}
