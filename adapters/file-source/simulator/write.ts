/**
 * Writers of the canonical layout: CSV (any delimiter, UTF-8 with or without BOM, or
 * windows-1251) and XML. Used by the demo export, the tests and the benchmark.
 */
import iconv from 'iconv-lite';
import { INTAKE_NS } from '../formats/xml';
import type { Cell, Row, Table } from './data';

export type OutEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1251';

export function encodeText(text: string, encoding: OutEncoding): Buffer {
  if (encoding === 'windows-1251') return iconv.encode(text, 'win1251');
  const body = Buffer.from(text, 'utf8');
  return encoding === 'utf-8-bom' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

function csvCell(v: Cell | undefined, delimiter: string): string {
  const s = v === undefined ? '' : Array.isArray(v) ? v.join('|') : v;
  return /["\r\n]/.test(s) || s.includes(delimiter) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(columns: readonly string[], row: Row, delimiter: string): string {
  return `${columns.map((c) => csvCell(row[c], delimiter)).join(delimiter)}\r\n`;
}

export function csvText(t: Table, delimiter = ';'): string {
  return t.columns.join(delimiter) + '\r\n' + t.rows.map((r) => csvLine(t.columns, r, delimiter)).join('');
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One record element: envelope values as attributes, dot paths as nested elements, lists repeated. */
export function xmlRecord(entity: string, row: Row): string {
  const attrs: string[] = [];
  const tree: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'sourceId' || k === 'status' || k === 'sourceModifiedAt' || k === 'sourceCreatedAt') {
      attrs.push(` ${k}="${xmlEscape(String(v))}"`);
      continue;
    }
    const parts = k.split('.');
    let at = tree;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1] as string] = v;
  }
  return `<${entity}${attrs.join('')}>${xmlChildren(tree)}</${entity}>\n`;
}

function xmlChildren(tree: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(tree)) {
    if (Array.isArray(v)) for (const x of v) out += `<${k}>${xmlEscape(String(x))}</${k}>`;
    else if (typeof v === 'object' && v !== null) out += `<${k}>${xmlChildren(v as Record<string, unknown>)}</${k}>`;
    else out += `<${k}>${xmlEscape(String(v))}</${k}>`;
  }
  return out;
}

export function xmlHead(school: string | undefined, encoding: OutEncoding): string {
  const attr = school === undefined ? '' : ` school="${xmlEscape(school)}"`;
  return `<?xml version="1.0" encoding="${encoding === 'windows-1251' ? 'windows-1251' : 'UTF-8'}"?>\n<diaryExport xmlns="${INTAKE_NS}"${attr}>\n`;
}

export const XML_TAIL = '</diaryExport>\n';

export function xmlText(tables: readonly Table[], school?: string, encoding: OutEncoding = 'utf-8'): string {
  return xmlHead(school, encoding) + tables.map((t) => t.rows.map((r) => xmlRecord(t.entity, r)).join('')).join('') + XML_TAIL;
}
