/**
 * Streaming reader of the canonical XML layout, on saxes (a non-validating SAX parser that never
 * loads a DTD or anything external).
 *
 * ```xml
 * <diaryExport xmlns="urn:diary-gateway:intake:v1" school="…">
 *   <mark sourceId="m-1"><kind>current</kind><value><scale>five_point</scale>…</value></mark>
 * </diaryExport>
 * ```
 *
 * Safety: a DOCTYPE that declares entities is refused outright (no billion laughs, no external
 * entities; saxes expands only the five predefined entities and character references and calls
 * any other reference an error). Nesting depth, the prolog and any run of text without markup
 * are capped, so the parser's buffers stay small whatever the file holds.
 *
 * Resume: `boundary` is the end of the last record element (characters into the text written);
 * a later read starts a fresh parser on a synthetic root start tag followed by the bytes after it.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Issue } from '../../../src/core/errors';
import { reject } from '../errors';
import type { LooseTree } from '../layout/coerce';

export const INTAKE_NS = 'urn:diary-gateway:intake:v1';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
/** Envelope values a record element may carry as attributes. */
const RECORD_ATTRS = new Set(['sourceId', 'status', 'sourceModifiedAt', 'sourceCreatedAt']);

export const XML_LIMITS = {
  /** Characters before the root element (XML declaration, comments, DOCTYPE). */
  prologChars: 64 * 1024,
  /** Characters between two pieces of markup (one text, comment or tag). */
  runChars: 4 * 1024 * 1024,
  /** Element nesting below the root. */
  depth: 12,
};

export interface XmlRecord {
  /** Local name of the record element (the entity type). */
  local: string;
  /** 1-based number of the record element in the file. */
  index: number;
  line: number;
  tree: LooseTree;
  issues: Issue[];
}

export interface XmlResumePoint {
  /** Line of the file at the resume point. */
  line: number;
  /** Records before it. */
  index: number;
  /** Qualified name and attributes of the root element (namespace declarations and `school`). */
  rootName: string;
  rootAttrs: Record<string, string>;
}

interface Frame { name: string; tree: LooseTree; text: string; hasChildren: boolean; nil: boolean; skip: boolean }

export class XmlRecordReader {
  private readonly parser: SaxesParser<{ xmlns: true; position: true }>;
  private depth = 0;
  private stack: Frame[] = [];
  private current: XmlRecord | undefined;
  private out: XmlRecord[] = [];
  private index: number;
  private rootSeen = false;
  private lastEvent = 0;
  private readonly lineBase: number;
  /** Characters of synthetic text written before the file's own text (resume). */
  private readonly synthetic: number;
  rootName = 'diaryExport';
  rootAttrs: Record<string, string> = {};
  private rootUri = '';
  /** End of the last complete record: characters into the file text written, its line and count. */
  boundary: { chars: number; line: number; index: number } | undefined;

  constructor(private readonly o: { resume?: XmlResumePoint; checkSchool?(school: string): void }) {
    this.parser = new SaxesParser({ xmlns: true, position: true });
    this.index = o.resume?.index ?? 0;
    this.lineBase = o.resume ? o.resume.line - 1 : 0;
    this.parser.on('error', (e) => { throw reject('xml-malformed', `line ${this.line()}: ${e.message.replace(/^(?:[^:]*:)?\d+:\d+:\s*/, '').slice(0, 120)}`); });
    this.parser.on('doctype', (d) => {
      if (/<!ENTITY/i.test(d)) throw reject('xml-entity-declaration', `line ${this.line()}: the DOCTYPE declares entities; entity declarations are refused (no expansion, no external entities)`);
    });
    this.parser.on('opentag', (t) => this.open(t));
    this.parser.on('closetag', () => this.close());
    this.parser.on('text', (t) => this.text(t));
    this.parser.on('cdata', (t) => this.text(t));
    let synthetic = '';
    if (o.resume) {
      const attrs = Object.entries(o.resume.rootAttrs).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
      synthetic = `<${o.resume.rootName}${attrs}>`;
      this.parser.write(synthetic);
    }
    this.synthetic = synthetic.length;
  }

  private line(): number {
    return this.parser.line + this.lineBase;
  }

  /** Writes the next text; returns the records completed in it. Throws FileRejected. */
  write(text: string): XmlRecord[] {
    this.out = [];
    this.parser.write(text);
    const sinceEvent = this.parser.position - this.lastEvent;
    if (!this.rootSeen && this.parser.position > XML_LIMITS.prologChars) throw reject('xml-too-long', `more than ${XML_LIMITS.prologChars} characters before the root element`);
    if (sinceEvent > XML_LIMITS.runChars) throw reject('xml-too-long', `line ${this.line()}: more than ${XML_LIMITS.runChars} characters without markup`);
    return this.out;
  }

  /** Ends the document; throws FileRejected when it is incomplete. */
  end(): XmlRecord[] {
    this.out = [];
    this.parser.close();
    if (!this.rootSeen) throw reject('xml-root', 'no root element');
    return this.out;
  }

  private open(t: SaxesTagNS): void {
    this.lastEvent = this.parser.position;
    const d = this.depth++;
    if (d === 0) {
      if (t.local !== 'diaryExport' || (t.uri !== INTAKE_NS && t.uri !== '')) {
        throw reject('xml-root', `line ${this.line()}: the root element must be diaryExport in namespace ${INTAKE_NS}`);
      }
      this.rootSeen = true;
      this.rootName = t.name;
      this.rootUri = t.uri;
      for (const a of Object.values(t.attributes)) this.rootAttrs[a.name] = a.value;
      const school = t.attributes.school?.value;
      if (school !== undefined && !this.o.resume) this.o.checkSchool?.(school);
      return;
    }
    if (d > XML_LIMITS.depth) throw reject('xml-too-deep', `line ${this.line()}: elements nested deeper than ${XML_LIMITS.depth}`);
    const parent = this.stack[this.stack.length - 1];
    const foreign = t.uri !== this.rootUri || (parent?.skip ?? false);
    if (d === 1) {
      if (foreign) { this.stack.push(frame(t.local, true)); return; }
      this.index++;
      const rec: XmlRecord = { local: t.local, index: this.index, line: this.line(), tree: {}, issues: [] };
      for (const a of Object.values(t.attributes)) {
        if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
        if (a.uri === '' && RECORD_ATTRS.has(a.local)) rec.tree[a.local] = [a.value];
        else rec.issues.push({ path: `/@${a.local}`, message: 'unknown attribute' });
      }
      this.current = rec;
      this.stack.push({ ...frame(t.local, false), tree: rec.tree });
      return;
    }
    if (parent) parent.hasChildren = true;
    const f = frame(t.local, foreign);
    f.nil = Object.values(t.attributes).some((a) => a.uri === XSI_NS && a.local === 'nil' && a.value.trim() === 'true');
    this.stack.push(f);
  }

  private close(): void {
    this.lastEvent = this.parser.position;
    const d = --this.depth;
    if (d === 0) return;
    const f = this.stack.pop() as Frame;
    if (d === 1) {
      const rec = this.current;
      this.current = undefined;
      if (rec && !f.skip) {
        this.out.push(rec);
        this.boundary = { chars: this.parser.position - this.synthetic, line: this.line(), index: this.index };
      }
      return;
    }
    if (f.skip || !this.current) return;
    const parent = this.stack[this.stack.length - 1] as Frame;
    const value = f.hasChildren ? f.tree : f.nil ? '' : f.text;
    if (f.hasChildren && f.text.trim() !== '') this.current.issues.push({ path: `/${f.name}`, message: 'text mixed with child elements' });
    (parent.tree[f.name] ??= []).push(value);
  }

  private text(t: string): void {
    this.lastEvent = this.parser.position;
    const f = this.stack[this.stack.length - 1];
    if (!f || f.skip || this.depth < 2) return;
    if (this.depth === 2) {
      if (t.trim() !== '' && this.current) this.current.issues.push({ path: '/', message: 'text directly inside the record element' });
      return;
    }
    f.text += t;
  }
}

function frame(name: string, skip: boolean): Frame {
  return { name, tree: {}, text: '', hasChildren: false, nil: false, skip };
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}
