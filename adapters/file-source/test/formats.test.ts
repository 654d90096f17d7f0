/**
 * The format layer on its own: encoding detection and verification, CSV cutting at record
 * boundaries, and the XML reader's safety limits (billion laughs, external entities, depth,
 * unbounded text) — all without a file system.
 */
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { FileRejected } from '../errors';
import { CsvChunker, detectDelimiter, splitRows } from '../formats/csv';
import { Decoder, looksLikeUtf8, sniffStart } from '../formats/encoding';
import { XML_LIMITS, XmlRecordReader } from '../formats/xml';
import { faultFiles } from '../simulator';

function rejected(fn: () => unknown, reason: string): FileRejected {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FileRejected, `not a FileRejected: ${String(e)}`);
    assert.equal(e.reason, reason, e.detail);
    return e;
  }
  assert.fail(`did not refuse (${reason})`);
}

const RU = 'Оценка за контрольную работу по теме «Дроби», ёжик';

describe('file-source encoding', () => {
  it('a UTF-8 BOM decides UTF-8 and is skipped; UTF-16 and NUL bytes are refused as binary', () => {
    assert.deepEqual(sniffStart(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), 'csv'), { bom: 3, declared: 'utf-8' });
    assert.deepEqual(sniffStart(Buffer.from('a;b\n'), 'csv'), { bom: 0 });
    rejected(() => sniffStart(Buffer.from([0xff, 0xfe, 0x61, 0x00]), 'csv'), 'binary');
    rejected(() => sniffStart(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), 'csv'), 'binary');
  });

  it('an XML declaration names the encoding; an unsupported one is refused', () => {
    assert.equal(sniffStart(Buffer.from('<?xml version="1.0" encoding="windows-1251"?><a/>'), 'xml').declared, 'windows-1251');
    assert.equal(sniffStart(Buffer.from("<?xml version='1.0' encoding='UTF-8'?><a/>"), 'xml').declared, 'utf-8');
    assert.equal(sniffStart(Buffer.from('<?xml version="1.0"?><a/>'), 'xml').declared, undefined);
    rejected(() => sniffStart(Buffer.from('<?xml version="1.0" encoding="KOI8-R"?><a/>'), 'xml'), 'encoding-unsupported');
  });

  it('auto stays undecided over ASCII, then takes valid UTF-8 as UTF-8 and anything else as windows-1251', () => {
    const utf = new Decoder('auto');
    assert.equal(utf.decode(Buffer.from('sourceId;title\n'), 'x'), 'sourceId;title\n');
    assert.equal(utf.encoding, 'ascii');
    assert.equal(utf.decode(Buffer.from(`s-1;${RU}\n`), 'x'), `s-1;${RU}\n`);
    assert.equal(utf.encoding, 'utf-8');
    const cp = new Decoder('auto');
    assert.equal(cp.decode(Buffer.from('id;title\n'), 'x'), 'id;title\n');
    assert.equal(cp.decode(iconv.encode(`s-1;${RU}\n`, 'win1251'), 'x'), `s-1;${RU}\n`);
    assert.equal(cp.encoding, 'windows-1251');
  });

  it('keeps a UTF-8 sequence split across chunks, and verifies every later chunk', () => {
    const bytes = Buffer.from(RU, 'utf8');
    const d = new Decoder('auto');
    assert.equal(d.decode(bytes.subarray(0, 7), 'a') + d.decode(bytes.subarray(7), 'b', true), RU);
    const later = new Decoder('auto');
    later.decode(Buffer.from(RU, 'utf8'), 'first');
    const e = rejected(() => later.decode(iconv.encode(RU, 'win1251'), 'lines 5-9'), 'encoding-invalid');
    assert.match(e.detail, /lines 5-9/);
    const cp = new Decoder('windows-1251');
    cp.decode(iconv.encode(RU, 'win1251'), 'first');
    rejected(() => cp.decode(Buffer.from(RU.repeat(2), 'utf8'), 'later'), 'encoding-invalid');
    rejected(() => new Decoder('windows-1251').decode(Buffer.from([0x41, 0x98, 0x42]), 'x'), 'encoding-invalid');
    rejected(() => new Decoder('utf-8').decode(Buffer.from([0x41, 0xc0, 0x20]), 'x'), 'encoding-invalid');
  });

  it('a UTF-8 file with a broken byte is refused, not read as windows-1251 mojibake', () => {
    const broken = Buffer.concat([Buffer.from(`${RU};${RU}\n`, 'utf8'), Buffer.from([0xc0, 0x20, 0x0a])]);
    assert.equal(looksLikeUtf8(broken), true);
    assert.equal(looksLikeUtf8(iconv.encode(`${RU};${RU}`, 'win1251')), false);
    rejected(() => new Decoder('auto').decode(broken, 'x'), 'encoding-invalid');
  });
});

describe('file-source CSV cutting and parsing', () => {
  const text = 'sourceId;title;note\r\n1;"a;b";"line1\r\nline2 ""quoted"""\r\n2;ООО "Ромашка";x\r\n;;\r\n\r\n3;c;"d"\r\n4;e;f';

  it('takes the delimiter from the header line', () => {
    assert.equal(detectDelimiter(Buffer.from('a;b;c')), ';');
    assert.equal(detectDelimiter(Buffer.from('a,b,c')), ',');
    assert.equal(detectDelimiter(Buffer.from('"a;b",c,d')), ',');
  });

  it('cuts only at record boundaries, whatever the chunk sizes, and the rows and lines come out the same', () => {
    for (const enc of ['utf8', 'win1251'] as const) {
      const bytes = iconv.encode(text, enc);
      const whole = new CsvChunker();
      const all = [whole.push(bytes), whole.end()].filter((b): b is Buffer => b !== undefined);
      const expected = all.flatMap((p, i) => splitRows(iconv.decode(p, enc), ';', i === 0 ? 1 : 1 + countLf(all[0] as Buffer)));
      assert.deepEqual(expected.map((r) => r.line), [1, 2, 4, 7, 8]);
      assert.deepEqual(expected[1]?.cells, ['1', 'a;b', 'line1\r\nline2 "quoted"']);
      assert.deepEqual(expected[2]?.cells, ['2', 'ООО "Ромашка"', 'x']);
      for (let size = 1; size <= bytes.length; size++) {
        const ch = new CsvChunker();
        const pieces: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) {
          const p = ch.push(bytes.subarray(i, i + size));
          if (p) pieces.push(p);
        }
        const rest = ch.end();
        if (rest) pieces.push(rest);
        let line = 1;
        const rows = pieces.flatMap((p) => { const r = splitRows(iconv.decode(p, enc), ';', line); line += countLf(p); return r; });
        assert.deepEqual(rows, expected, `chunk size ${size}`);
        for (const p of pieces.slice(0, -1)) assert.equal(p[p.length - 1], 0x0a, 'every piece but the last ends with LF');
      }
    }
  });

  it('refuses an unclosed quote (no boundary within the limit); text after a closing quote is a row issue', () => {
    const ch = new CsvChunker(';', 64);
    assert.deepEqual(ch.push(Buffer.from('a;b\n1;"open\n')), Buffer.from('a;b\n'));
    rejected(() => ch.push(Buffer.alloc(100, 0x61)), 'csv-record-too-long');
    assert.deepEqual(splitRows('a;b\n1;2\n3;"x"y;z\n', ';', 10), [
      { line: 10, cells: ['a', 'b'] }, { line: 11, cells: ['1', '2'] },
      { line: 12, cells: ['3', 'xy', 'z'], issues: ['column 2: text after a closing quote'] },
    ]);
    assert.deepEqual(splitRows('a;"open', ';', 1), [{ line: 1, cells: ['a'], issues: ['column 2: a quote is not closed at the end of the file'] }]);
    assert.deepEqual(splitRows('a;b\r\n\r\n;\r\n;;x', ';', 1), [{ line: 1, cells: ['a', 'b'] }, { line: 4, cells: ['', '', 'x'] }]);
  });
});

function countLf(b: Buffer): number {
  let n = 0;
  for (const c of b) if (c === 0x0a) n++;
  return n;
}

describe('file-source XML reader safety', () => {
  const read = (xml: string, chunk = 7): number => {
    const r = new XmlRecordReader({});
    let n = 0;
    for (let i = 0; i < xml.length; i += chunk) n += r.write(xml.slice(i, i + chunk)).length;
    return n + r.end().length;
  };
  const fault = (name: string): string => (faultFiles({ kind: 'custom', name }, '2025-10-14', 1)[0] as [string, Buffer])[1].toString('utf8');

  it('refuses a billion-laughs DOCTYPE before expanding anything, in a few milliseconds', () => {
    const t0 = process.hrtime.bigint();
    const e = rejected(() => read(fault('billion-laughs'), 64), 'xml-entity-declaration');
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 500);
    assert.match(e.detail, /DOCTYPE declares entities/);
  });

  it('refuses an external entity and never reads what it points to', () => {
    const e = rejected(() => read(fault('external-entity')), 'xml-entity-declaration');
    assert.doesNotMatch(e.detail, /root:|passwd/);
  });

  it('an undefined entity reference is malformed XML, named by line', () => {
    const e = rejected(() => read('<diaryExport xmlns="urn:diary-gateway:intake:v1">\n<subject sourceId="s"><title>&xxe;</title></subject></diaryExport>'), 'xml-malformed');
    assert.match(e.detail, /^line 2: /);
  });

  it('takes a DOCTYPE without entity declarations (not fetched) and the predefined entities', () => {
    const r = new XmlRecordReader({});
    const recs = r.write('<!DOCTYPE diaryExport SYSTEM "http://127.0.0.1:9/never.dtd"><diaryExport xmlns="urn:diary-gateway:intake:v1"><subject sourceId="s"><title>A &amp; B &#1025;</title></subject></diaryExport>');
    assert.deepEqual(recs.map((x) => x.tree), [{ sourceId: ['s'], title: ['A & B Ё'] }]);
  });

  it('refuses a wrong root, deep nesting, a long prolog and a long run of text', () => {
    rejected(() => read('<export><mark/></export>'), 'xml-root');
    rejected(() => read('<diaryExport xmlns="urn:other"/>'), 'xml-root');
    const deep = `<diaryExport><mark>${'<a>'.repeat(XML_LIMITS.depth + 1)}x${'</a>'.repeat(XML_LIMITS.depth + 1)}</mark></diaryExport>`;
    rejected(() => read(deep, 1000), 'xml-too-deep');
    rejected(() => read(`<!--${'x'.repeat(XML_LIMITS.prologChars + 10)}--><diaryExport/>`, 4096), 'xml-too-long');
    const r = new XmlRecordReader({});
    r.write('<diaryExport><subject sourceId="s"><title>');
    const big = 'я'.repeat(256 * 1024);
    rejected(() => { for (let i = 0; i < 20; i++) r.write(big); }, 'xml-too-long');
  });

  it('skips elements in other namespaces and reports unknown attributes and mixed text as record issues', () => {
    const r = new XmlRecordReader({});
    const recs = [...r.write('<diaryExport xmlns="urn:diary-gateway:intake:v1" xmlns:x="urn:ext"><x:note>ignored</x:note><subject sourceId="s" color="red">stray<title>T</title><x:extra>1</x:extra></subject></diaryExport>'), ...r.end()];
    assert.equal(recs.length, 1);
    assert.deepEqual(recs[0]?.tree, { sourceId: ['s'], title: ['T'] });
    assert.deepEqual(recs[0]?.issues.map((i) => i.path).sort(), ['/', '/@color']);
    assert.equal(recs[0]?.index, 1);
  });
});
