/**
 * CSV import of consents, refusals, withdrawals and contacts: one row per document, the way a
 * school keeps its register in a spreadsheet. Rows are independent: a bad row is reported with
 * its line and columns and the others are stored. Re-importing the same file stores nothing
 * twice (registrations are idempotent, a withdrawal of a withdrawn consent is a no-op).
 *
 * Format: a header row; `;` or `,` between fields (whichever the header uses); UTF-8 (with or
 * without BOM) or Windows-1251 (what Excel saves in Russian locales). Lists inside a cell are
 * separated by `|`; a processor is `name::address`. Booleans: true/false, да/нет, 1/0.
 * Contacts: `emails`, `phones`, `contact_channels`, `contacts_form`, `contacts_evidence_ref`,
 * `contacts_given_at` and, optionally, `contacts_timezone` — the family's own IANA zone
 * (Asia/Vladivostok) for SMS quiet hours, when it is not the school's.
 */
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import type { ConsentInput, ConsentStore } from '../../core/consent';
import { GatewayError, isGatewayError, type Issue } from '../../core/errors';

/** Column → JSON pointer of the registration it fills (issues are reported back by column). */
export const CSV_COLUMNS: Readonly<Record<string, string>> = {
  school_id: '/schoolId', child_id: '/child/id', child_source_id: '/child/sourceId', source_system: '/child/sourceSystem',
  child_birth_date: '/child/birthDate', applicant_kind: '/applicant/kind', applicant_id: '/applicant/id', decision: '/decision',
  channels: '/channels', text_version: '/textVersion', text_sha256: '/textSha256', form: '/form', signature: '/signature',
  evidence_ref: '/evidenceRef', signed_at: '/signedAt', valid_from: '/validFrom', valid_to: '/validTo', separate_document: '/separateDocument',
  subject_full_name: '/items/subject/fullName', subject_address: '/items/subject/address', subject_doc_type: '/items/subject/document/type',
  subject_doc_number: '/items/subject/document/number', subject_doc_issued_at: '/items/subject/document/issuedAt', subject_doc_issuer: '/items/subject/document/issuer',
  rep_full_name: '/items/representative/fullName', rep_address: '/items/representative/address', rep_doc_type: '/items/representative/document/type',
  rep_doc_number: '/items/representative/document/number', rep_doc_issued_at: '/items/representative/document/issuedAt',
  rep_doc_issuer: '/items/representative/document/issuer', rep_authority: '/items/representative/authority',
  operator_name: '/items/operator/name', operator_address: '/items/operator/address', purpose: '/items/purpose', data_categories: '/items/dataCategories',
  processors: '/items/processors', actions: '/items/actions', methods: '/items/methods', validity: '/items/validity', withdrawal_method: '/items/withdrawalMethod',
  emails: '/contacts/emails', phones: '/contacts/phones', contact_channels: '/contacts/channels', contacts_form: '/contacts/form',
  contacts_evidence_ref: '/contacts/evidenceRef', contacts_given_at: '/contacts/givenAt', contacts_timezone: '/contacts/timezone', consent_id: '/consentId', withdrawn_at: '/withdrawnAt',
};

const BY_POINTER = new Map(Object.entries(CSV_COLUMNS).map(([c, p]) => [p, c]));

export interface CsvRowIssue { line: number; issues: Issue[] }

export interface CsvImportResult {
  rows: number;
  created: number;
  unchanged: number;
  withdrawn: number;
  requeued: number;
  rejected: CsvRowIssue[];
}

/** UTF-8 when the bytes are valid UTF-8, otherwise Windows-1251. */
export function decodeCsv(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return iconv.decode(bytes, 'win1251');
  }
}

type Row = Record<string, string>;

function parseRows(text: string): Row[] {
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (header.match(/;/g) ?? []).length > (header.match(/,/g) ?? []).length ? ';' : ',';
  try {
    return parse(text, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), delimiter, bom: true, skip_empty_lines: true, trim: true, relax_column_count: false,
    }) as Row[];
  } catch (e: unknown) {
    const line = (e as { lines?: number }).lines;
    throw new GatewayError('GW_API_BAD_REQUEST', `The CSV file cannot be read${line ? ` at line ${line}` : ''}: ${(e as Error).message.replace(/".*"/s, '')}`, {
      issues: [{ path: line ? `/line/${line}` : '/', message: 'malformed CSV (quotes, column count)' }], cause: e,
    });
  }
}

const list = (v: string | undefined): string[] | undefined => (v === undefined || v === '' ? undefined : v.split('|').map((s) => s.trim()).filter((s) => s.length > 0));

function bool(v: string | undefined): boolean | string | undefined {
  if (v === undefined || v === '') return undefined;
  const l = v.toLowerCase();
  if (['true', '1', 'да', 'yes'].includes(l)) return true;
  if (['false', '0', 'нет', 'no'].includes(l)) return false;
  return v; // the schema reports it
}

/** Sets a value at a JSON pointer, creating objects on the way; empty cells are left out. */
function put(target: Record<string, unknown>, pointer: string, value: unknown): void {
  if (value === undefined || value === '') return;
  const parts = pointer.split('/').slice(1);
  let cur = target;
  parts.forEach((p, i) => {
    if (i === parts.length - 1) cur[p] = value;
    else cur = (cur[p] ??= {}) as Record<string, unknown>;
  });
}

/** One CSV row as a registration object (unvalidated: the store checks it). */
export function rowToInput(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [col, pointer] of Object.entries(CSV_COLUMNS)) {
    if (['/consentId', '/withdrawnAt'].includes(pointer)) continue;
    const v = row[col];
    if (['channels', 'data_categories', 'actions', 'emails', 'phones', 'contact_channels'].includes(col)) put(out, pointer, list(v));
    else if (col === 'processors') {
      const items = list(v);
      if (items) put(out, pointer, items.map((p) => { const [name = '', address = ''] = p.split('::').map((s) => s.trim()); return { name, address }; }));
      else if (v !== undefined && row['operator_name']) put(out, pointer, []); // an explicit empty cell: no processors
    } else if (col === 'separate_document') put(out, pointer, bool(v));
    else put(out, pointer, v);
  }
  const contacts = out['contacts'] as Record<string, unknown> | undefined;
  if (contacts) {
    contacts['emails'] ??= [];
    contacts['phones'] ??= [];
    contacts['form'] ??= out['form'];
    contacts['evidenceRef'] ??= out['evidenceRef'];
    contacts['givenAt'] ??= out['signedAt'];
  }
  return out;
}

/** Issues with paths turned back into column names where a column fills that path. */
function byColumn(issues: Issue[]): Issue[] {
  return issues.map((i) => {
    let p = i.path;
    while (p.length > 0 && !BY_POINTER.has(p)) p = p.slice(0, p.lastIndexOf('/'));
    const col = BY_POINTER.get(p);
    return col ? { path: i.path === p ? col : `${col}${i.path.slice(p.length)}`, message: i.message } : i;
  });
}

export async function importConsentCsv(store: ConsentStore, text: string, opts: { actor: string; now: string; schoolId?: string }): Promise<CsvImportResult> {
  const rows = parseRows(text);
  const res: CsvImportResult = { rows: rows.length, created: 0, unchanged: 0, withdrawn: 0, requeued: 0, rejected: [] };
  for (const [i, row] of rows.entries()) {
    const line = i + 2;
    if (opts.schoolId !== undefined && (row['school_id'] ?? '') === '') row['school_id'] = opts.schoolId;
    try {
      if ((row['decision'] ?? '').toLowerCase() === 'withdrawal') {
        if (await withdrawRow(store, row, opts)) res.withdrawn++; else res.unchanged++;
        continue;
      }
      const r = await store.register(rowToInput(row) as unknown as ConsentInput, opts.actor, opts.now);
      if (r.created) res.created++; else res.unchanged++;
      res.requeued += r.requeued;
    } catch (e: unknown) {
      if (!isGatewayError(e) || e.code !== 'GW_API_BAD_REQUEST') throw e;
      res.rejected.push({ line, issues: byColumn(e.issues.length > 0 ? e.issues : [{ path: '', message: e.message }]) });
    }
  }
  return res;
}

/** A withdrawal row names the consent by consent_id, or by school, child and applicant (their consent in force). */
async function withdrawRow(store: ConsentStore, row: Row, opts: { actor: string; now: string }): Promise<boolean> {
  const issues: Issue[] = [];
  if (!row['evidence_ref']) issues.push({ path: 'evidence_ref', message: 'a withdrawal needs the reference of the written statement' });
  let id = row['consent_id'] ? Number(row['consent_id']) : undefined;
  if (id !== undefined && !Number.isSafeInteger(id)) issues.push({ path: 'consent_id', message: 'must be a number' });
  if (id === undefined) {
    const schoolId = row['school_id'];
    const ref = { ...(row['child_id'] ? { id: row['child_id'] } : {}), ...(row['child_source_id'] ? { sourceId: row['child_source_id'] } : {}), ...(row['source_system'] ? { sourceSystem: row['source_system'] } : {}) };
    const childId = schoolId && (ref.id || ref.sourceId) ? await store.resolveChild(schoolId, ref) : undefined;
    const applicantId = row['applicant_id'] || (row['applicant_kind'] === 'student' ? childId : undefined);
    if (!schoolId || !childId || !applicantId) issues.push({ path: 'consent_id', message: 'give consent_id, or school_id, the child (child_id or child_source_id) and applicant_id' });
    else {
      const list = await store.list({ schoolId, childId, limit: 1000 });
      id = list.find((c) => c.applicantId === applicantId && c.decision === 'consent' && c.supersededBy === undefined)?.id;
      if (id === undefined) issues.push({ path: 'applicant_id', message: 'this applicant has no consent in force for the child' });
    }
  }
  if (issues.length > 0 || id === undefined) throw new GatewayError('GW_API_BAD_REQUEST', 'Withdrawal row is invalid.', { issues });
  const before = await store.get(id);
  const after = await store.withdraw(id, { evidenceRef: row['evidence_ref'] ?? '', ...(row['withdrawn_at'] ? { withdrawnAt: row['withdrawn_at'] } : {}) }, opts.actor, opts.now);
  return before?.withdrawnAt === undefined && after.withdrawnAt !== undefined;
}

/** The header of a blank register, for operators (`diary-gateway consent template`). */
export function csvTemplate(): string {
  return `${Object.keys(CSV_COLUMNS).join(';')}\n`;
}
