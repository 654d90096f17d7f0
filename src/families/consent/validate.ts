/**
 * The legal rules of a registration, on top of the shape checks of input-schema.ts.
 *
 * A consent must hold every item of 152-ФЗ ст. 9 ч. 4 (domain.md §1.4): a missing item is an
 * issue naming its number, so the operator knows what to ask the family for. Since 1 Sep 2025
 * (156-ФЗ) it must be a separate document: the operator confirms it with `separateDocument`.
 * A paper document is signed by hand; an electronic one with ПЭП, УКЭП or through ЕСИА.
 * A refusal needs no items: it is the family's statement that it wants paper.
 */
import type { ConsentInput, ContactDetails, ContactsInput, WithdrawalInput } from '../../core/consent';
import type { ContactZone } from './sqlite-statements';
import { GatewayError, type Issue } from '../../core/errors';
import { CONSENT_INPUT_SCHEMA, CONTACTS_INPUT_SCHEMA, schemaIssues, WITHDRAWAL_INPUT_SCHEMA } from './input-schema';

/** 156-ФЗ of 24.06.2025: from this date a consent is a separate document. */
export const SEPARATE_DOCUMENT_SINCE = '2025-09-01T00:00:00.000Z';
/** Age from which the student is an applicant (domain.md §1.1, the Kerch regulation). */
export const STUDENT_APPLICANT_AGE = 14;

const DAY_MS = 86_400_000;

/**
 * A date (YYYY-MM-DD) or date-time as an ISO UTC instant. A date means the start of that day
 * (UTC), or with `endOfDay` the start of the next day: a consent "valid to 31.08.2026" holds
 * through that day. The registry has no school time zone; the few hours of difference fall on
 * the side of the later start and the earlier end only for zones west of UTC, which Russia has not.
 */
export function toInstant(s: string, endOfDay = false): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00.000Z`) + (endOfDay ? DAY_MS : 0);
    return new Date(t).toISOString();
  }
  return new Date(Date.parse(s)).toISOString();
}

export function addDaysIso(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}

/** Whole years between a birth date and a day (both YYYY-MM-DD or instants). */
export function ageOn(birthDate: string, on: string): number {
  const b = birthDate.slice(0, 10).split('-').map(Number);
  const d = on.slice(0, 10).split('-').map(Number);
  const [by = 0, bm = 0, bd = 0] = b;
  const [dy = 0, dm = 0, dd = 0] = d;
  return dy - by - (dm < bm || (dm === bm && dd < bd) ? 1 : 0);
}

function prefix(issues: Issue[], base: string): Issue[] {
  return issues.map((i) => ({ path: `${base}${i.path}`, message: i.message }));
}

/** True for an IANA time-zone name this Node's time-zone data knows (Asia/Vladivostok, Europe/Kaliningrad). */
export function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function contactIssues(c: ContactDetails & ContactZone, base: string): Issue[] {
  const issues: Issue[] = [];
  if (c.timezone !== undefined && !isIanaZone(c.timezone)) issues.push({ path: `${base}/timezone`, message: 'is not a known IANA time zone (e.g. Asia/Vladivostok)' });
  if (c.channels.includes('email') && c.emails.length === 0) issues.push({ path: `${base}/emails`, message: 'the family chose e-mail but gave no address' });
  if (c.channels.includes('sms') && c.phones.length === 0) issues.push({ path: `${base}/phones`, message: 'the family chose SMS but gave no phone' });
  return issues;
}

const ITEM_NAMES: ReadonlyArray<[keyof NonNullable<ConsentInput['items']>, number, string]> = [
  ['subject', 1, 'the data subject: full name, address, identity document'],
  ['operator', 3, 'the operator: name and address'],
  ['purpose', 4, 'the purpose of processing'],
  ['dataCategories', 5, 'the list of personal data'],
  ['processors', 6, 'the processors acting on the operator\'s instruction (an empty list if none)'],
  ['actions', 7, 'the list of actions with the data'],
  ['methods', 7, 'the general description of the processing methods'],
  ['validity', 8, 'the validity term of the consent'],
  ['withdrawalMethod', 8, 'the method of withdrawal'],
];

/** Shape and legal checks of a registration; returns every issue (paths are JSON pointers into the input). */
export function consentIssues(raw: unknown, now: string): Issue[] {
  const shape = schemaIssues(CONSENT_INPUT_SCHEMA, raw);
  if (shape.length > 0) {
    // Still name every missing item, so one answer lists everything the family must supply.
    const seen = new Set(shape.map((i) => i.path));
    return [...shape, ...presenceIssues(raw).filter((i) => !seen.has(i.path))];
  }
  const input = raw as ConsentInput;
  const issues: Issue[] = [];
  if (input.child.id === undefined && input.child.sourceId === undefined) {
    issues.push({ path: '/child', message: 'name the child by id (canonical person id) or sourceId (the journal\'s id)' });
  }
  const signedAt = toInstant(input.signedAt);
  if (signedAt > now) issues.push({ path: '/signedAt', message: 'must not be in the future' });
  const validFrom = toInstant(input.validFrom ?? input.signedAt);
  if (input.validTo !== undefined && toInstant(input.validTo, true) <= validFrom) issues.push({ path: '/validTo', message: 'must be after validFrom' });
  if (input.signature !== undefined) {
    if (input.form === 'paper' && input.signature !== 'handwritten') issues.push({ path: '/signature', message: 'a paper document is signed by hand (handwritten)' });
    if (input.form === 'electronic' && input.signature === 'handwritten') issues.push({ path: '/signature', message: 'an electronic document is signed with simple_electronic, qualified_electronic or esia' });
  }
  if (input.contacts) issues.push(...contactIssues(input.contacts, '/contacts'));
  if (input.decision === 'refusal') {
    if ((input.channels ?? []).length > 0) issues.push({ path: '/channels', message: 'a refusal covers no channel; leave channels out' });
    return issues;
  }
  if ((input.channels ?? []).length === 0) issues.push({ path: '/channels', message: 'a consent names the electronic channels it covers (portal, api, email, sms)' });
  if (input.signature === undefined) issues.push({ path: '/signature', message: 'required by 152-ФЗ ст. 9 ч. 4 п. 9 (the signature of the subject)' });
  if (signedAt >= SEPARATE_DOCUMENT_SINCE && input.separateDocument !== true) {
    issues.push({ path: '/separateDocument', message: 'since 1 Sep 2025 a consent must be a separate document (152-ФЗ ст. 9 as amended by 156-ФЗ); confirm with true' });
  }
  issues.push(...presenceIssues(input).filter((i) => i.path !== '/signature'));
  if (input.applicant.kind === 'student' && input.items?.representative !== undefined) {
    issues.push({ path: '/items/representative', message: 'the student signs for themselves; leave the representative out or register it under the parent' });
  }
  return issues;
}

/** The ст. 9 ч. 4 items (and the signature) a consent lacks; checks presence only, so it is safe on any input. */
function presenceIssues(raw: unknown): Issue[] {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (o['decision'] !== 'consent') return [];
  const issues: Issue[] = [];
  if (o['signature'] === undefined) issues.push({ path: '/signature', message: 'required by 152-ФЗ ст. 9 ч. 4 п. 9 (the signature of the subject)' });
  const items = o['items'];
  if (typeof items !== 'object' || items === null) {
    issues.push({ path: '/items', message: 'a consent must hold the items of 152-ФЗ ст. 9 ч. 4 (п. 1-8; п. 9 is the signature)' });
    return issues;
  }
  const it = items as Record<string, unknown>;
  for (const [key, n, what] of ITEM_NAMES) {
    if (it[key] === undefined) issues.push({ path: `/items/${key}`, message: `required by 152-ФЗ ст. 9 ч. 4 п. ${n} (${what})` });
  }
  const kind = (o['applicant'] as Record<string, unknown> | undefined)?.['kind'];
  if (kind !== 'student' && it['representative'] === undefined) {
    issues.push({ path: '/items/representative', message: 'required by 152-ФЗ ст. 9 ч. 4 п. 2 when a representative signs (full name, address, identity document, the document proving the authority)' });
  }
  return issues;
}

export function contactsIssues(raw: unknown): Issue[] {
  const shape = schemaIssues(CONTACTS_INPUT_SCHEMA, raw);
  if (shape.length > 0) return shape;
  const input = raw as ContactsInput;
  const issues = contactIssues(input, '');
  if (input.child.id === undefined && input.child.sourceId === undefined) issues.push({ path: '/child', message: 'name the child by id or sourceId' });
  return issues;
}

export function withdrawalIssues(raw: unknown, now: string): Issue[] {
  const shape = schemaIssues(WITHDRAWAL_INPUT_SCHEMA, raw);
  if (shape.length > 0) return shape;
  const w = raw as WithdrawalInput;
  if (w.withdrawnAt !== undefined && toInstant(w.withdrawnAt) > now) return [{ path: '/withdrawnAt', message: 'must not be in the future' }];
  return [];
}

/** Throws GW_API_BAD_REQUEST with the issues (paths under `base`), if any. */
export function assertNoIssues(issues: Issue[], what: string, base = ''): void {
  if (issues.length === 0) return;
  const withBase = prefix(issues, base);
  throw new GatewayError('GW_API_BAD_REQUEST', `${what} is invalid: ${withBase.map((i) => i.path || '/').join(', ')}.`, { issues: withBase });
}
