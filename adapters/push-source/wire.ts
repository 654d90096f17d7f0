/**
 * The push wire format → mapped records (pure; see README "Wire format").
 *
 * A request body is `{ "records": [ item, … ] }`. An item is flat: the envelope hints a mapping
 * function would return (`entityType`, `sourceId`, `status`, `externalIds`, `sourceModifiedAt`,
 * `sourceCreatedAt`, `metadata`), optional `refs`, and the canonical entity fields beside them.
 * Fields the gateway owns (`id`, `schoolId`, `contentHash`, …) are refused rather than silently
 * dropped, so a journal that believes it sets them learns otherwise on its first request.
 *
 * `refs` spares a journal from computing canonical ids: `{"studentId": {"entityType": "person",
 * "sourceId": "5501"}}` becomes `studentId: <canonical id of that person>`, and `{"entityType":
 * …, "sourceIds": […]}` a list of ids.
 *
 * Messages name fields, never values (they go back to the journal and into the quarantine).
 */
import type { Issue } from '../../src/core/errors';
import type { IdResolver } from '../../src/core/ids';
import { isEntityType, type EntityType, type ExternalId, type MappedRecord, type RecordStatus } from '../../src/core/records';

/** One item of a request, mapped. Structurally the pipeline's `PushItem` (src/pipeline/push-intake.ts). */
export type MappedPushItem =
  | {
    kind: 'record';
    record: MappedRecord;
    /** `status: tobedeleted` with no entity fields: delete the stored record by its source id. */
    tombstoneOnly: boolean;
    /** The item as received (kept in the quarantine if it turns out invalid; never logged). */
    raw: unknown;
    /** Canonical issue path prefix → the path the journal sent it under. */
    pathMap: Readonly<Record<string, string>>;
  }
  | { kind: 'invalid'; sourceId?: string; entityType?: EntityType; issues: Issue[]; raw: unknown };

export type ParsedBody = { ok: true; records: unknown[] } | { ok: false; issues: Issue[] };

const HINT_KEYS = new Set(['entityType', 'sourceId', 'status', 'externalIds', 'sourceModifiedAt', 'sourceCreatedAt', 'metadata', 'refs']);
/** Set by the pipeline from the configuration and the content; a journal may not send them. */
const GATEWAY_KEYS = new Set(['id', 'schemaVersion', 'schoolId', 'sourceSystem', 'dateLastModified', 'revision', 'contentHash', 'provenance']);
const MAX_SOURCE_ID = 512;
const BASE_PATH_MAP: Readonly<Record<string, string>> = {
  '/provenance/sourceModifiedAt': '/sourceModifiedAt',
  '/provenance/sourceCreatedAt': '/sourceCreatedAt',
  // dateLastModified is sourceModifiedAt when given, else the (always valid) read time.
  '/dateLastModified': '/sourceModifiedAt',
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const esc = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
const goodSourceId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_SOURCE_ID;

/**
 * Parses a request body. Issues carry JSON pointers into the body (`/records`), or a line and
 * column for text that is not JSON; V8's own message is not passed on (it quotes the body).
 */
export function parsePushBody(body: Buffer): ParsedBody {
  if (body.length === 0) return { ok: false, issues: [{ path: '/', message: 'body is empty; expected {"records": [...]}' }] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/^\uFEFF/, '');
  } catch {
    return { ok: false, issues: [{ path: '/', message: 'body is not valid UTF-8' }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    return { ok: false, issues: [{ path: '/', message: `body is not valid JSON (${where(text, e)})` }] };
  }
  if (!isObj(doc)) return { ok: false, issues: [{ path: '/', message: 'must be an object {"records": [...]}' }] };
  const issues: Issue[] = [];
  for (const key of Object.keys(doc)) if (key !== 'records') issues.push({ path: `/${esc(key)}`, message: 'is not an allowed property' });
  if (!('records' in doc)) issues.push({ path: '/records', message: 'is required' });
  else if (!Array.isArray(doc['records'])) issues.push({ path: '/records', message: 'must be an array' });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, records: doc['records'] as unknown[] };
}

/** `line L, column C` of the first character JSON.parse could not take (V8 does not always say where). */
function where(text: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : '';
  const pos = /position (\d+)/.exec(msg);
  const end = pos ? Number(pos[1]) : jsonErrorOffset(text);
  let line = 1;
  let column = 1;
  for (let i = 0; i < end && i < text.length; i++) {
    if (text[i] === '\n') { line++; column = 1; } else column++;
  }
  return `line ${line}, column ${column}`;
}

const LITERAL_RE = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

/** Offset of the first character that breaks the JSON grammar (only called after JSON.parse failed). */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => { throw i; };
  const ws = (): void => { while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++; };
  const str = (): void => {
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 34) { i++; return; }
      if (c < 0x20) fail();
      if (c === 92) {
        const e = s[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) { i += 6; continue; }
        if (e !== undefined && '"\\/bfnrt'.includes(e)) { i += 2; continue; }
        i++;
        fail();
      }
      i++;
    }
    fail();
  };
  const list = (close: string, item: () => void): void => {
    i++;
    ws();
    if (s[i] === close) { i++; return; }
    for (;;) {
      item();
      ws();
      if (s[i] === ',') { i++; continue; }
      if (s[i] === close) { i++; return; }
      fail();
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      list('}', () => { ws(); if (s[i] !== '"') fail(); str(); ws(); if (s[i] !== ':') fail(); i++; value(); });
    } else if (c === '[') {
      list(']', value);
    } else if (c === '"') {
      str();
    } else {
      const m = LITERAL_RE.exec(s.slice(i, i + 512));
      if (!m) fail();
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    return i < s.length ? i : s.length;
  } catch (at: unknown) {
    return typeof at === 'number' ? at : s.length; // a RangeError from very deep nesting
  }
}

/** Maps one item. Never throws: a malformed item comes back `invalid` with its issues. */
export function mapPushItem(item: unknown, ids: IdResolver): MappedPushItem {
  if (!isObj(item)) return { kind: 'invalid', issues: [{ path: '/', message: 'must be an object' }], raw: item };
  const issues: Issue[] = [];
  const entityType = typeof item['entityType'] === 'string' && isEntityType(item['entityType']) ? item['entityType'] : undefined;
  if (entityType === undefined) issues.push({ path: '/entityType', message: 'must be one of the canonical entity types' });
  const sourceId = goodSourceId(item['sourceId']) ? item['sourceId'] : undefined;
  if (sourceId === undefined) issues.push({ path: '/sourceId', message: `must be a string of 1 to ${MAX_SOURCE_ID} characters` });

  const status = item['status'];
  if (status !== undefined && status !== 'active' && status !== 'tobedeleted') {
    issues.push({ path: '/status', message: 'must be one of: active, tobedeleted' });
  }
  for (const key of ['sourceModifiedAt', 'sourceCreatedAt']) {
    if (item[key] !== undefined && typeof item[key] !== 'string') issues.push({ path: `/${key}`, message: 'must be a UTC date-time string' });
  }
  if (item['externalIds'] !== undefined && !Array.isArray(item['externalIds'])) issues.push({ path: '/externalIds', message: 'must be an array' });
  if (item['metadata'] !== undefined && !isObj(item['metadata'])) issues.push({ path: '/metadata', message: 'must be an object' });

  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (GATEWAY_KEYS.has(key)) issues.push({ path: `/${esc(key)}`, message: 'is set by the gateway; leave it out' });
    else if (!HINT_KEYS.has(key)) fields[key] = value;
  }
  const pathMap: Record<string, string> = { ...BASE_PATH_MAP };
  resolveRefs(item['refs'], fields, ids, pathMap, issues);

  if (issues.length > 0 || entityType === undefined || sourceId === undefined) {
    return { kind: 'invalid', ...(sourceId !== undefined ? { sourceId } : {}), ...(entityType ? { entityType } : {}), issues, raw: item };
  }
  const record: MappedRecord = {
    entityType, sourceId, fields,
    ...(status !== undefined ? { status: status as RecordStatus } : {}),
    ...(item['externalIds'] !== undefined ? { externalIds: item['externalIds'] as ExternalId[] } : {}),
    ...(typeof item['sourceModifiedAt'] === 'string' ? { sourceModifiedAt: item['sourceModifiedAt'] } : {}),
    ...(typeof item['sourceCreatedAt'] === 'string' ? { sourceCreatedAt: item['sourceCreatedAt'] } : {}),
    ...(item['metadata'] !== undefined ? { metadata: item['metadata'] as Record<string, unknown> } : {}),
  };
  return { kind: 'record', record, tombstoneOnly: status === 'tobedeleted' && Object.keys(fields).length === 0, raw: item, pathMap };
}

/** `refs.<field>` → `fields[field]` = canonical id(s); issues point into `/refs`. */
function resolveRefs(refs: unknown, fields: Record<string, unknown>, ids: IdResolver, pathMap: Record<string, string>, issues: Issue[]): void {
  if (refs === undefined) return;
  if (!isObj(refs)) {
    issues.push({ path: '/refs', message: 'must be an object of field name → {entityType, sourceId} or {entityType, sourceIds}' });
    return;
  }
  for (const [field, ref] of Object.entries(refs)) {
    const at = `/refs/${esc(field)}`;
    if (HINT_KEYS.has(field) || GATEWAY_KEYS.has(field)) { issues.push({ path: at, message: 'names an envelope field; refs are for entity fields' }); continue; }
    if (field in fields) { issues.push({ path: at, message: `is given both here and as /${esc(field)}` }); continue; }
    if (!isObj(ref)) { issues.push({ path: at, message: 'must be {entityType, sourceId} or {entityType, sourceIds}' }); continue; }
    const et = ref['entityType'];
    if (typeof et !== 'string' || !isEntityType(et)) { issues.push({ path: `${at}/entityType`, message: 'must be one of the canonical entity types' }); continue; }
    const extra = Object.keys(ref).filter((k) => k !== 'entityType' && k !== 'sourceId' && k !== 'sourceIds');
    for (const k of extra) issues.push({ path: `${at}/${esc(k)}`, message: 'is not an allowed property' });
    if ('sourceId' in ref === 'sourceIds' in ref) { issues.push({ path: at, message: 'needs exactly one of sourceId, sourceIds' }); continue; }
    if ('sourceId' in ref) {
      if (!goodSourceId(ref['sourceId'])) { issues.push({ path: `${at}/sourceId`, message: `must be a string of 1 to ${MAX_SOURCE_ID} characters` }); continue; }
      fields[field] = ids.ref(et, ref['sourceId']);
      pathMap[`/${esc(field)}`] = `${at}/sourceId`;
    } else {
      const list = ref['sourceIds'];
      if (!Array.isArray(list)) { issues.push({ path: `${at}/sourceIds`, message: 'must be an array' }); continue; }
      const bad = list.findIndex((s) => !goodSourceId(s));
      if (bad >= 0) { issues.push({ path: `${at}/sourceIds/${bad}`, message: `must be a string of 1 to ${MAX_SOURCE_ID} characters` }); continue; }
      fields[field] = (list as string[]).map((s) => ids.ref(et, s));
      pathMap[`/${esc(field)}`] = `${at}/sourceIds`;
    }
  }
}
