/**
 * The XSD of the canonical XML layout: the committed `diary-export.v1.xsd` is what the generator
 * makes of the canonical schemas, and real libxml2 (libxml2-wasm) validates the simulator's
 * exports against it and refuses a document that breaks it. UPDATE_GOLDEN=1 rewrites the XSD.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { fixturesDir, repoRoot } from '../../../test/support/golden';
import { fieldReferenceMarkdown } from '../layout/reference';
import { buildXsd } from '../layout/xsd';
import { demoTables } from '../simulator';
import { largeHomeworkRow, largeMarkRow } from '../simulator/large';
import { xmlHead, xmlRecord, xmlText, XML_TAIL } from '../simulator/write';

// libxml2-wasm is ESM-only with top-level await.
const dynamicImport = new Function('s', 'return import(s)') as (s: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const XSD_FILE = path.join(repoRoot(), 'adapters', 'file-source', 'diary-export.v1.xsd');
const LAYOUT_FILE = path.join(repoRoot(), 'adapters', 'file-source', 'layout.md');

describe('file-source layout.md', () => {
  it('lists every field of every entity as the canonical schemas define them', () => {
    const doc = fs.readFileSync(LAYOUT_FILE, 'utf8');
    const m = /(<!-- fields:begin[^>]*-->\n)([\s\S]*?)(<!-- fields:end -->)/.exec(doc);
    assert.ok(m, 'layout.md has the fields markers');
    const want = `\n${fieldReferenceMarkdown()}`;
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(LAYOUT_FILE, doc.replace(m[0], `${m[1]}${want}${m[3]}`));
    assert.equal(m[2], want);
  });
});

describe('file-source XSD', function () {
  this.timeout(60_000);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let lib: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let validator: any;
  before(async () => {
    lib = await dynamicImport('libxml2-wasm');
    validator = lib.XsdValidator.fromDoc(lib.XmlDocument.fromString(fs.readFileSync(XSD_FILE, 'utf8')));
  });
  after(() => { validator?.dispose(); });

  const validate = (xml: string): void => {
    const doc = lib.XmlDocument.fromString(xml);
    try { validator.validate(doc); } finally { doc.dispose(); }
  };

  it('is what the generator makes of the canonical schemas', () => {
    const xsd = buildXsd();
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(XSD_FILE, xsd);
    assert.equal(fs.readFileSync(XSD_FILE, 'utf8'), xsd);
  });

  it('validates the demo export, the large-export rows and the windows-1251 fixture', () => {
    validate(xmlText(demoTables(7, '2025-10-16')));
    validate(xmlHead('school-7', 'utf-8') + [0, 1, 2, 3, 4, 5].map((i) => xmlRecord('mark', largeMarkRow(i)) + xmlRecord('homework', largeHomeworkRow(i, 50))).join('') + XML_TAIL);
    const fixture = iconv.decode(fs.readFileSync(path.join(fixturesDir('file-source'), 'xml__timetable-1251', 'timetable.xml')), 'win1251');
    validate(fixture.replace('encoding="windows-1251"', 'encoding="UTF-8"'));
  });

  it('refuses an unknown element, a nested field out of place and a malformed date', () => {
    const ns = 'xmlns="urn:diary-gateway:intake:v1"';
    for (const bad of [
      `<diaryExport ${ns}><gradebook sourceId="x"/></diaryExport>`,
      `<diaryExport ${ns}><mark sourceId="m"><numeric>5</numeric></mark></diaryExport>`,
      `<diaryExport ${ns}><lesson sourceId="l"><date>14/10/2025</date></lesson></diaryExport>`,
    ]) assert.throws(() => validate(bad), (e: unknown) => e instanceof lib.XmlValidateError, bad);
    validate(`<diaryExport ${ns} xmlns:x="urn:ext"><x:any/><mark sourceId="m"><value><numeric xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></value></mark></diaryExport>`);
  });
});
