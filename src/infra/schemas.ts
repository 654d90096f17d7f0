/**
 * Canonical JSON Schemas (`schemas/*.json`): loading, one shared Ajv instance, and a validator
 * that turns ajv errors into `Issue`s.
 *
 * Compiling the 19 entity schemas takes a while, validating does not: build the validator once
 * (`getCanonicalValidator()`) and call it per record. On a valid record no memory is allocated
 * beyond what ajv itself does; the empty result is one shared frozen array.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { GatewayError, type Issue } from '../core/errors';
import { ENTITY_TYPES, isEntityType, schemaIdOf, type EntityType } from '../core/records';

export interface CanonicalValidator {
  /**
   * Validates a complete canonical record against the schema named by its `entityType`.
   * Returns `[]` when valid (a shared frozen array: do not push into it). A missing or unknown
   * `entityType` is one issue at `/entityType`. Messages never quote the record's values.
   */
  validate(record: unknown): Issue[];
  /** The compiled validator of one entity (same function on every call); throws GW_INTERNAL for a non-entity. */
  validatorFor(entity: EntityType): (r: unknown) => Issue[];
}

export interface SchemaFile {
  /** File name inside `schemasDir()`, e.g. `mark.v1.schema.json`. */
  file: string;
  schema: Record<string, unknown>;
}

export const COMMON_SCHEMA_FILE = 'common.v1.schema.json';
const SCHEMA_FILE_RE = /\.schema\.json$/;
const NO_ISSUES: Issue[] = Object.freeze([]) as unknown as Issue[];

let cachedDir: string | undefined;

/**
 * The `schemas/` folder of the package. Walks up from this file until a directory holding both
 * `package.json` and `schemas/` is found, so it works from `src/` (ts-node) and from `dist/`.
 */
export function schemasDir(): string {
  if (cachedDir !== undefined) return cachedDir;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'schemas');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(candidate, COMMON_SCHEMA_FILE))) {
      cachedDir = candidate;
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new GatewayError('GW_INTERNAL', `canonical schemas folder not found above ${__dirname}`);
    }
    dir = parent;
  }
}

/** Every `*.schema.json` in `schemasDir()`, sorted by file name, freshly parsed (callers may mutate). */
export function loadSchemaFiles(): SchemaFile[] {
  const dir = schemasDir();
  return fs
    .readdirSync(dir)
    .filter((f) => SCHEMA_FILE_RE.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      let schema: unknown;
      try {
        schema = JSON.parse(text);
      } catch (e: unknown) {
        throw new GatewayError('GW_INTERNAL', `canonical schema ${file} is not valid JSON`, { cause: e });
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        throw new GatewayError('GW_INTERNAL', `canonical schema ${file} is not a JSON object`);
      }
      return { file, schema: schema as Record<string, unknown> };
    });
}

/**
 * A fresh Ajv 2020-12 instance with every canonical schema added (not yet compiled).
 * Strict mode catches typos in the schemas themselves; `x-pii` and `x-secret` are annotations.
 */
export function createCanonicalAjv(files: readonly SchemaFile[] = loadSchemaFiles()): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // ajv-formats' full date/date-time checks allocate (exec, split) and were half of the time
  // spent on a typical record; these scan characters instead, with the same calendar rules.
  ajv.addFormat('date', { type: 'string', validate: isRfc3339Date });
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  for (const { file, schema } of files) {
    try {
      ajv.addSchema(schema);
    } catch (e: unknown) {
      throw new GatewayError('GW_INTERNAL', `canonical schema ${file} cannot be added`, { cause: e });
    }
  }
  return ajv;
}

/** Compiles every entity schema once. Throws GW_INTERNAL when a schema is missing or broken. */
export function createCanonicalValidator(): CanonicalValidator {
  const ajv = createCanonicalAjv();
  const byEntity = new Map<string, (r: unknown) => Issue[]>();
  for (const entity of ENTITY_TYPES) {
    let fn: ValidateFunction | undefined;
    try {
      fn = ajv.getSchema(schemaIdOf(entity));
    } catch (e: unknown) {
      throw new GatewayError('GW_INTERNAL', `canonical schema of ${entity} does not compile`, { cause: e });
    }
    if (fn === undefined) throw new GatewayError('GW_INTERNAL', `no canonical schema for ${entity}`);
    byEntity.set(entity, wrap(fn));
  }
  return {
    validate(record: unknown): Issue[] {
      const entityType =
        typeof record === 'object' && record !== null ? (record as { entityType?: unknown }).entityType : undefined;
      const fn = typeof entityType === 'string' ? byEntity.get(entityType) : undefined;
      if (fn === undefined) {
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          return [{ path: '/', message: 'must be object' }];
        }
        return [{ path: '/entityType', message: 'must be one of the canonical entity types' }];
      }
      return fn(record);
    },
    validatorFor(entity: EntityType): (r: unknown) => Issue[] {
      const fn = isEntityType(entity) ? byEntity.get(entity) : undefined;
      if (fn === undefined) throw new GatewayError('GW_INTERNAL', `no canonical validator for ${String(entity)}`);
      return fn;
    },
  };
}

let singleton: CanonicalValidator | undefined;

/** Process-wide validator, compiled on first use (compiling is the costly part). */
export function getCanonicalValidator(): CanonicalValidator {
  if (singleton === undefined) singleton = createCanonicalValidator();
  return singleton;
}

function wrap(fn: ValidateFunction): (r: unknown) => Issue[] {
  return (r: unknown): Issue[] => (fn(r) ? NO_ISSUES : issuesFromAjv(fn.errors));
}

let piiNames: ReadonlySet<string> | undefined;

/**
 * Property names annotated `"x-pii": true` anywhere in the canonical schemas (used by log
 * redaction). Computed once per process.
 */
export function piiFieldNames(): ReadonlySet<string> {
  if (piiNames === undefined) {
    const names = new Set<string>();
    for (const { schema } of loadSchemaFiles()) collectPii(schema, names);
    piiNames = names;
  }
  return piiNames;
}

function collectPii(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectPii(item, out);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  const props = obj['properties'];
  if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
    for (const [name, sub] of Object.entries(props as Record<string, unknown>)) {
      if (typeof sub === 'object' && sub !== null && (sub as Record<string, unknown>)['x-pii'] === true) out.add(name);
    }
  }
  for (const value of Object.values(obj)) collectPii(value, out);
}

const propertyNamesCache = new Map<EntityType, ReadonlySet<string>>();

/**
 * Top-level property names a record of `entity` may carry (entity fields plus the envelope),
 * e.g. to check that a stream's primary key or cursor field exists in the canonical schema.
 */
export function canonicalPropertyNames(entity: EntityType): ReadonlySet<string> {
  const cached = propertyNamesCache.get(entity);
  if (cached !== undefined) return cached;
  const files = loadSchemaFiles();
  const names = new Set<string>();
  const common = files.find((f) => f.file === COMMON_SCHEMA_FILE);
  const entityFile = files.find((f) => f.schema['$id'] === schemaIdOf(entity));
  if (common === undefined || entityFile === undefined) {
    throw new GatewayError('GW_INTERNAL', `no canonical schema for ${entity}`);
  }
  const defs = common.schema['$defs'] as Record<string, { properties?: Record<string, unknown> }> | undefined;
  for (const name of Object.keys(defs?.['envelope']?.properties ?? {})) names.add(name);
  for (const name of Object.keys((entityFile.schema['properties'] as Record<string, unknown> | undefined) ?? {})) {
    names.add(name);
  }
  propertyNamesCache.set(entity, names);
  return names;
}

// ---------------------------------------------------------------------------------------------
// ajv errors → Issues

const EXT_PATTERN_PREFIX = '^ext:';

/**
 * Turns ajv errors into Issues: `path` is the instancePath ("/" for the root), messages name the
 * field and never quote the data. Alternatives of a failed `anyOf` are folded into one message
 * ("must be one of: quarter, trimester or be an ext: local code"); the redundant `if` summaries
 * and duplicates (envelope and entity both requiring `entityType`) are dropped.
 */
export function issuesFromAjv(errors: readonly ErrorObject[] | null | undefined): Issue[] {
  if (!errors || errors.length === 0) return [];
  const skip = new Set<number>();
  const replaced = new Map<number, string>();
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (e === undefined) continue;
    if (e.keyword === 'if') skip.add(i);
    if (e.keyword !== 'anyOf') continue;
    const children: number[] = [];
    for (let j = i - 1; j >= 0; j--) {
      const c = errors[j];
      if (c === undefined || skip.has(j) || c.instancePath !== e.instancePath || c.keyword === 'anyOf') break;
      // ajv restarts schemaPath inside a $ref'd definition, so an alternative reached through a
      // $ref shows up as `#/$defs/...` or `<file>#/...` rather than under the anyOf's own path.
      const inside =
        c.schemaPath.startsWith(`${e.schemaPath}/`) || c.schemaPath.startsWith('#/$defs/') || !c.schemaPath.startsWith('#');
      if (!inside) break;
      children.push(j);
    }
    if (children.length === 0) continue;
    const phrases: string[] = [];
    for (const j of children.reverse()) {
      const c = errors[j];
      if (c === undefined) continue;
      const phrase = describeAlternative(c);
      if (!phrases.includes(phrase)) phrases.push(phrase);
      skip.add(j);
    }
    replaced.set(i, `must ${phrases.join(' or ')}`);
  }
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (e === undefined || skip.has(i)) continue;
    const issue: Issue = { path: e.instancePath === '' ? '/' : e.instancePath, message: replaced.get(i) ?? messageOf(e) };
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function param(e: ErrorObject, name: string): unknown {
  return (e.params as Record<string, unknown>)[name];
}

function listOf(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ') : '';
}

function messageOf(e: ErrorObject): string {
  switch (e.keyword) {
    case 'unevaluatedProperties':
      return `must NOT have unknown property '${String(param(e, 'unevaluatedProperty'))}'`;
    case 'additionalProperties':
      return `must NOT have unknown property '${String(param(e, 'additionalProperty'))}'`;
    case 'const':
      return `must be equal to constant ${JSON.stringify(param(e, 'allowedValue'))}`;
    case 'enum':
      return `must be one of: ${listOf(param(e, 'allowedValues'))}`;
    default:
      return e.message ?? `must pass ${e.keyword}`;
  }
}

/** One alternative of an anyOf as a verb phrase without the leading "must". */
function describeAlternative(e: ErrorObject): string {
  switch (e.keyword) {
    case 'enum':
      return `be one of: ${listOf(param(e, 'allowedValues'))}`;
    case 'const':
      return `be ${JSON.stringify(param(e, 'allowedValue'))}`;
    case 'pattern': {
      const pattern = String(param(e, 'pattern'));
      return pattern.startsWith(EXT_PATTERN_PREFIX) ? 'be an ext:-prefixed local code' : `match pattern "${pattern}"`;
    }
    case 'format':
      return `be a valid ${String(param(e, 'format'))}`;
    case 'type':
      return `be ${String(param(e, 'type'))}`;
    case 'required':
      return `have property '${String(param(e, 'missingProperty'))}'`;
    default:
      return messageOf(e).replace(/^must /, '');
  }
}

// ---------------------------------------------------------------------------------------------
// Allocation-free RFC 3339 checks (full-date, date-time with a required offset)

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function validDateAt(s: string, at: number): boolean {
  if (s.charCodeAt(at + 4) !== 45 || s.charCodeAt(at + 7) !== 45) return false; // '-'
  const year = digitsAt(s, at, 4);
  const month = digitsAt(s, at + 5, 2);
  const day = digitsAt(s, at + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month] ?? 0));
}

/** `YYYY-MM-DD` with a real calendar day. */
export function isRfc3339Date(s: string): boolean {
  return s.length === 10 && validDateAt(s, 0);
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t` or a space may separate date and time, as in
 * ajv-formats. A leap second (:60) is accepted only at 23:59 UTC.
 */
export function isRfc3339DateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || !validDateAt(s, 0)) return false;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return false; // 'T' 't' ' '
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false; // ':'
  const hr = digitsAt(s, 11, 2);
  const min = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  if (hr < 0 || min < 0 || sec < 0 || hr > 23 || min > 59 || sec > 60) return false;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    // '.' then at least one digit
    i++;
    const start = i;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === start) return false;
  }
  const tz = s.charCodeAt(i);
  let utcHr = hr;
  let utcMin = min;
  if (tz === 90 || tz === 122) {
    // 'Z' 'z'
    if (i + 1 !== n) return false;
  } else if (tz === 43 || tz === 45) {
    // '+' '-'
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
    const offH = digitsAt(s, i + 1, 2);
    const offM = digitsAt(s, i + 4, 2);
    if (offH < 0 || offM < 0 || offH > 23 || offM > 59) return false;
    const sign = tz === 45 ? -1 : 1;
    utcMin = min - sign * offM;
    utcHr = hr - sign * offH;
  } else {
    return false;
  }
  if (sec < 60) return true;
  const minutes = (((utcHr * 60 + utcMin) % 1440) + 1440) % 1440;
  return minutes === 23 * 60 + 59;
}
