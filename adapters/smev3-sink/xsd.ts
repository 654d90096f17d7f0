/**
 * XML parsing, XSD validation and canonicalisation on libxml2 (libxml2-wasm), shared by the
 * sink and the simulator.
 *
 * libxml2-wasm is an ES module with top-level await, so it is loaded once with a real dynamic
 * `import()` (TypeScript would turn a plain `import()` into `require`). The schemas are read
 * from `schemas/smev3/` and handed to libxml2 through an input provider that only answers
 * for our own virtual URLs, so `xs:import schemaLocation=…` resolves inside that folder and
 * nothing else in the process is affected.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Issue } from '../../src/core/errors';
import { DEFAULT_PAYLOAD_NS, SCHEMA_FILES, smev3SchemaDir } from './protocol';

// ── The part of libxml2-wasm we use, typed locally (its .d.mts cannot be imported from CommonJS) ──

export interface LxAttr { value: string }
/** A document or a node: something XPath can run on. */
export interface LxQueryable {
  get(xpath: string, ns?: Record<string, string>): LxNode | null;
  find(xpath: string, ns?: Record<string, string>): LxNode[];
}
export interface LxNode extends LxQueryable {
  readonly content: string;
  eval(xpath: string, ns?: Record<string, string>): unknown;
  canonicalizeToString(opts?: { mode?: number; inclusiveNamespacePrefixes?: string[] }): string;
}
export interface LxElement extends LxNode {
  readonly name: string;
  readonly namespaceUri: string;
  attr(name: string, prefix?: string): LxAttr | null;
}
export interface LxDocument extends LxQueryable {
  readonly root: LxElement;
  dispose(): void;
}
interface LxValidator { validate(target: LxDocument | LxElement): void; dispose(): void }
interface LxErrorDetail { message: string; line?: number; col?: number; xpath?: string }
interface LxModule {
  XmlDocument: { fromString(s: string, o?: { url?: string }): LxDocument; fromBuffer(b: Uint8Array, o?: { url?: string }): LxDocument };
  XsdValidator: { fromDoc(d: LxDocument): LxValidator };
  XmlBufferInputProvider: new (data: Record<string, Uint8Array>) => {
    match(f: string): boolean; open(f: string): number | undefined; read(fd: number, b: Uint8Array): number; close(fd: number): boolean;
  };
  xmlRegisterInputProvider(p: unknown): boolean;
  XmlC14NMode: { XML_C14N_EXCLUSIVE_1_0: number };
}

const dynamicImport = new Function('s', 'return import(s)') as (s: string) => Promise<unknown>;
const VIRTUAL = 'diary-gateway-smev3:/';

/** An element as a local name plus namespace, whatever its prefix. */
export function isEl(n: LxNode | null | undefined, localName: string, nsTest?: string | RegExp): n is LxElement {
  if (!n || typeof (n as LxElement).name !== 'string' || typeof (n as LxElement).attr !== 'function') return false;
  const e = n as LxElement;
  const local = e.name.includes(':') ? e.name.slice(e.name.indexOf(':') + 1) : e.name;
  if (local !== localName) return false;
  if (nsTest === undefined) return true;
  return typeof nsTest === 'string' ? e.namespaceUri === nsTest : nsTest.test(e.namespaceUri);
}

/** Keeps a validator message's shape but drops quoted values: they may be personal data. */
export function redactXsdMessage(m: string): string {
  return m
    .replace(/\bThe value '[^']*'/g, 'The value (redacted)')
    .replace(/'[^']*' is not a valid value/g, '(redacted) is not a valid value')
    .trim();
}

function issuesOf(e: unknown): Issue[] {
  const details = (e as { details?: LxErrorDetail[] }).details;
  if (!Array.isArray(details) || details.length === 0) return [{ path: '', message: redactXsdMessage(e instanceof Error ? e.message : String(e)) }];
  return details.map((d) => ({ path: d.xpath ?? (d.line !== undefined ? `line ${d.line}` : ''), message: redactXsdMessage(d.message) }));
}

export interface Smev3Xml {
  /** Parses `xml` (a string or UTF-8 bytes), runs `fn`, always disposes. Throws the parse error. */
  withDoc<T>(xml: string | Uint8Array, fn: (doc: LxDocument) => T): T;
  /**
   * Validates the first element child of `soap:Body` of an envelope (or the root itself when
   * the document is not an envelope) against the СМЭВ 1.1 types XSD. Empty = valid.
   */
  validateSmevBody(xml: string | Uint8Array): Issue[];
  /** Validates a `faults:*` element (the content of a fault's detail) against the faults XSD. */
  validateFault(xml: string): Issue[];
  /** Validates a diary-exchange document whose namespace is `ns` (compiled once per namespace). */
  validateDiary(xml: string | Uint8Array, ns: string): Issue[];
  /** Exclusive C14N of the element whose `Id` attribute is `id` (empty string when absent). */
  canonicalById(xml: string, id: string): string;
}

let loading: Promise<Smev3Xml> | undefined;

/** Loads libxml2 and compiles the СМЭВ schemas once per process. */
export function loadSmev3Xml(): Promise<Smev3Xml> {
  loading ??= init().catch((e: unknown) => { loading = undefined; throw e; });
  return loading;
}

async function importLibxml2(): Promise<LxModule> {
  let spec = 'libxml2-wasm';
  try { spec = pathToFileURL(require.resolve('libxml2-wasm')).href; } catch { /* let import() resolve the bare name */ }
  return (await dynamicImport(spec)) as LxModule;
}

async function init(): Promise<Smev3Xml> {
  const lx = await importLibxml2();
  const dir = smev3SchemaDir();
  const files: Record<string, Uint8Array> = {};
  for (const f of [SCHEMA_FILES.types, SCHEMA_FILES.basic, SCHEMA_FILES.faults]) files[VIRTUAL + f] = readFileSync(path.join(dir, f));
  const buffers = new lx.XmlBufferInputProvider(files);
  lx.xmlRegisterInputProvider({
    match: (f: string) => f.startsWith(VIRTUAL) && Object.prototype.hasOwnProperty.call(files, f),
    open: (f: string) => buffers.open(f),
    read: (fd: number, b: Uint8Array) => buffers.read(fd, b),
    close: (fd: number) => buffers.close(fd),
  });
  const compile = (file: string, text?: string): LxValidator => {
    const doc = text === undefined
      ? lx.XmlDocument.fromBuffer(files[VIRTUAL + file] as Uint8Array, { url: VIRTUAL + file })
      : lx.XmlDocument.fromString(text, { url: VIRTUAL + file });
    try { return lx.XsdValidator.fromDoc(doc); } finally { doc.dispose(); }
  };
  const types = compile(SCHEMA_FILES.types);
  const faults = compile(SCHEMA_FILES.faults);
  const diaryText = readFileSync(path.join(dir, SCHEMA_FILES.diary), 'utf8');
  const diary = new Map<string, LxValidator>();
  const diaryFor = (ns: string): LxValidator => {
    let v = diary.get(ns);
    if (!v) {
      v = compile(SCHEMA_FILES.diary, diaryText.split(DEFAULT_PAYLOAD_NS).join(ns));
      diary.set(ns, v);
    }
    return v;
  };

  const withDoc = <T>(xml: string | Uint8Array, fn: (doc: LxDocument) => T): T => {
    const doc = typeof xml === 'string' ? lx.XmlDocument.fromString(xml) : lx.XmlDocument.fromBuffer(xml);
    try { return fn(doc); } finally { doc.dispose(); }
  };
  const validate = (v: LxValidator, target: LxDocument | LxElement): Issue[] => {
    try { v.validate(target); return []; } catch (e) { return issuesOf(e); }
  };
  const parseOrIssues = (xml: string | Uint8Array, fn: (doc: LxDocument) => Issue[]): Issue[] => {
    try { return withDoc(xml, fn); } catch (e) { return issuesOf(e); }
  };

  return {
    withDoc,
    validateSmevBody: (xml) => parseOrIssues(xml, (doc) => {
      if (!isEl(doc.root, 'Envelope', 'http://schemas.xmlsoap.org/soap/envelope/')) return validate(types, doc);
      const first = doc.get('/*[local-name()="Envelope"]/*[local-name()="Body"]/*[1]');
      if (!first) return [{ path: '/Envelope/Body', message: 'the SOAP Body has no element' }];
      return validate(types, first as LxElement);
    }),
    validateFault: (xml) => parseOrIssues(xml, (doc) => validate(faults, doc)),
    validateDiary: (xml, ns) => parseOrIssues(xml, (doc) => validate(diaryFor(ns), doc)),
    canonicalById: (xml, id) => withDoc(xml, (doc) => {
      const target = doc.get(`//*[@Id="${id.replace(/"/g, '')}"]`);
      return target ? target.canonicalizeToString({ mode: lx.XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }) : '';
    }),
  };
}

/** Local name of an element node (prefix stripped). */
export function localName(e: LxElement): string {
  return e.name.includes(':') ? e.name.slice(e.name.indexOf(':') + 1) : e.name;
}

/** Element children of a node (text, comments and attributes skipped). */
export function childElements(n: LxNode): LxElement[] {
  return n.find('./*') as LxElement[];
}

/** Text of the first child element with this local name, or undefined. */
export function childText(n: LxNode, local: string): string | undefined {
  const c = childElements(n).find((e) => localName(e) === local);
  return c === undefined ? undefined : c.content;
}
