/**
 * MTOM/XOP on the simulator side: reading a `multipart/related` request (root part plus MIME
 * parts referenced by `xop:Include href="cid:…"`) back into one logical envelope, and writing
 * an answer the way СМЭВ's Apache CXF does (root part `<root.message@cxf.apache.org>`), which
 * it does even for an empty GetResponse queue.
 */
import { randomUUID } from 'node:crypto';
import { NS } from '../protocol';

export interface MimePart { headers: Record<string, string>; body: Buffer }

/** A Content-Type parameter (quotes removed), e.g. `boundary`, `start`. */
export function contentTypeParam(contentType: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]+)`, 'i');
  const m = re.exec(contentType);
  if (!m) return undefined;
  return m[2] ?? m[1];
}

/** Splits a multipart body. Throws an Error naming what is wrong. */
export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const next = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error('multipart body without its boundary');
  const parts: MimePart[] = [];
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return parts;
    if (body[pos] === 13 && body[pos + 1] === 10) pos += 2;
    const end = body.indexOf(next, pos);
    if (end < 0) throw new Error('multipart body not closed');
    const raw = body.subarray(pos, end);
    const sep = raw.indexOf('\r\n\r\n');
    if (sep < 0) throw new Error('multipart part without headers');
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, sep).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: Buffer.from(raw.subarray(sep + 4)) });
    pos = end + 2;
  }
}

const stripCid = (s: string): string => s.trim().replace(/^<|>$/g, '');

/**
 * The logical envelope of a multipart/related request: the root part with every
 * `xop:Include` replaced by the base64 of the part it references, and the parts by Content-ID.
 */
export function readMtomRequest(body: Buffer, contentType: string): { xml: string; parts: Map<string, Buffer> } {
  const boundary = contentTypeParam(contentType, 'boundary');
  if (!boundary) throw new Error('multipart/related without a boundary');
  const parts = parseMultipart(body, boundary);
  const start = contentTypeParam(contentType, 'start');
  const root = (start ? parts.find((p) => stripCid(p.headers['content-id'] ?? '') === stripCid(start)) : undefined) ?? parts[0];
  if (!root) throw new Error('multipart/related without parts');
  const byCid = new Map<string, Buffer>();
  for (const p of parts) if (p !== root && p.headers['content-id']) byCid.set(stripCid(p.headers['content-id']), p.body);
  const xml = root.body.toString('utf8').replace(/<([A-Za-z_][\w.-]*):Include\b([^>]*)\/>/g, (whole, prefix: string, attrs: string) => {
    const href = /\bhref\s*=\s*"cid:([^"]+)"/.exec(attrs)?.[1];
    const isXop = prefix === 'xop' || attrs.includes(NS.xop);
    const part = href ? byCid.get(decodeURIComponent(href)) : undefined;
    return isXop && part ? part.toString('base64') : whole;
  });
  return { xml, parts: byCid };
}

export const CXF_ROOT_ID = 'root.message@cxf.apache.org';

/** An envelope wrapped as CXF wraps it: multipart/related with one application/xop+xml root part. */
export function mtomResponse(envelope: string): { contentType: string; body: Buffer } {
  const boundary = `uuid:${randomUUID()}`;
  const head = `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${CXF_ROOT_ID}>\r\n\r\n`;
  return {
    contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<${CXF_ROOT_ID}>"; start-info="text/xml"`,
    body: Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(envelope, 'utf8'), Buffer.from(`\r\n--${boundary}--`, 'latin1')]),
  };
}
