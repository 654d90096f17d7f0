/**
 * JSON Schemas of what operators send to the registry (admin API bodies; CSV rows are turned
 * into the same objects). The schema checks shapes; the legal rules that tie fields together
 * (the items a consent must hold, signature per form, the separate-document rule) are in
 * validate.ts, so each missing item is reported with its number in 152-ФЗ ст. 9 ч. 4.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { APPLICANT_KINDS, CONTACT_CHANNELS, ELECTRONIC_CHANNELS, SIGNATURE_KINDS } from '../../core/consent';
import type { Issue } from '../../core/errors';

const text = (max: number): Record<string, unknown> => ({ type: 'string', minLength: 1, maxLength: max });
/** A date, or a date-time with an offset. */
const when = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$' };
const date = { type: 'string', format: 'date' };

const document = {
  type: 'object', additionalProperties: false, required: ['type', 'number', 'issuedAt', 'issuer'],
  properties: { type: text(200), number: { ...text(64), 'x-pii': true }, issuedAt: date, issuer: { ...text(500), 'x-pii': true } },
};
const particulars = {
  type: 'object', additionalProperties: false, required: ['fullName', 'address', 'document'],
  properties: { fullName: { ...text(300), 'x-pii': true }, address: { ...text(500), 'x-pii': true }, document },
};
const party = {
  type: 'object', additionalProperties: false, required: ['name', 'address'],
  properties: { name: text(500), address: text(500) },
};

export const ITEMS_SCHEMA = {
  type: 'object', additionalProperties: false,
  properties: {
    subject: particulars,
    representative: {
      type: 'object', additionalProperties: false, required: ['fullName', 'address', 'document', 'authority'],
      properties: { ...particulars.properties, authority: { ...text(500), 'x-pii': true } },
    },
    operator: party,
    purpose: text(2000),
    dataCategories: { type: 'array', minItems: 1, maxItems: 100, items: text(300) },
    processors: { type: 'array', maxItems: 20, items: party },
    actions: { type: 'array', minItems: 1, maxItems: 100, items: text(300) },
    methods: text(2000),
    validity: text(500),
    withdrawalMethod: text(1000),
  },
};

const childRef = {
  type: 'object', additionalProperties: false,
  properties: { id: { type: 'string', format: 'uuid' }, sourceId: text(512), sourceSystem: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }, birthDate: date },
};
const applicant = {
  type: 'object', additionalProperties: false, required: ['kind'],
  properties: { kind: { enum: [...APPLICANT_KINDS] }, id: text(200) },
};
const contactProps = {
  emails: { type: 'array', maxItems: 5, uniqueItems: true, items: { type: 'string', format: 'email', maxLength: 254 } },
  phones: { type: 'array', maxItems: 5, uniqueItems: true, items: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' } },
  channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CONTACT_CHANNELS] } },
  form: { enum: ['paper', 'electronic'] },
  evidenceRef: text(500),
  givenAt: when,
  /** The recipient's own IANA zone (SMS quiet hours); validate.ts checks that this Node knows it. */
  timezone: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' },
};
const CONTACT_DETAILS = {
  type: 'object', additionalProperties: false, required: ['emails', 'phones', 'channels', 'form', 'evidenceRef', 'givenAt'],
  properties: contactProps,
};

export const CONSENT_INPUT_SCHEMA = {
  $id: 'urn:diary-gateway:families:consent-input',
  type: 'object', additionalProperties: false,
  required: ['schoolId', 'child', 'applicant', 'decision', 'textVersion', 'form', 'evidenceRef', 'signedAt'],
  properties: {
    schoolId: text(128),
    child: childRef,
    applicant,
    decision: { enum: ['consent', 'refusal'] },
    channels: { type: 'array', uniqueItems: true, items: { enum: [...ELECTRONIC_CHANNELS] } },
    textVersion: text(100),
    textSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    form: { enum: ['paper', 'electronic'] },
    signature: { enum: [...SIGNATURE_KINDS] },
    evidenceRef: text(500),
    signedAt: when,
    validFrom: when,
    validTo: when,
    separateDocument: { type: 'boolean' },
    items: ITEMS_SCHEMA,
    contacts: CONTACT_DETAILS,
  },
};

export const CONTACTS_INPUT_SCHEMA = {
  $id: 'urn:diary-gateway:families:contacts-input',
  type: 'object', additionalProperties: false,
  required: ['schoolId', 'child', 'applicant', 'emails', 'phones', 'channels', 'form', 'evidenceRef', 'givenAt'],
  properties: { schoolId: text(128), child: childRef, applicant, ...contactProps },
};

export const WITHDRAWAL_INPUT_SCHEMA = {
  $id: 'urn:diary-gateway:families:withdrawal-input',
  type: 'object', additionalProperties: false, required: ['evidenceRef'],
  properties: { withdrawnAt: when, evidenceRef: text(500) },
};

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(schema: { $id: string }): ValidateFunction {
  let v = compiled.get(schema.$id);
  if (v) return v;
  ajv ??= (() => {
    const a = new Ajv2020({ strict: true, allErrors: true });
    addFormats(a);
    a.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
    return a;
  })();
  v = ajv.compile(schema);
  compiled.set(schema.$id, v);
  return v;
}

/** Issues for one object against one of the schemas above; paths are JSON pointers into it. Never echoes values. */
export function schemaIssues(schema: { $id: string }, data: unknown): Issue[] {
  const v = validator(schema);
  if (v(data)) return [];
  return (v.errors ?? []).map(toIssue);
}

function toIssue(e: ErrorObject): Issue {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return { path: `${e.instancePath}/${String(p.missingProperty)}`, message: 'is required' };
  if (e.keyword === 'additionalProperties') return { path: `${e.instancePath}/${String(p.additionalProperty)}`, message: 'is not an allowed property' };
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) return { path: e.instancePath, message: `must be one of: ${p.allowedValues.map(String).join(', ')}` };
  return { path: e.instancePath, message: e.message ?? `fails "${e.keyword}"` };
}
