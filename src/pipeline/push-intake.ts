/**
 * Push intake: one request of a journal = one run in the ledger.
 *
 * The same steps as a pulled batch (src/pipeline/ingest.ts): normalize → dedup by content hash →
 * validate the changed records → ONE `ledger.ingest` with the records, the quarantine of invalid
 * ones and the delivery routes. On top, every item gets an answer, in request order:
 * `created` / `updated` / `unchanged` (with the revision now stored) or `invalid` (with issues).
 *
 * Within a batch the last valid occurrence of a record wins (one write per record; earlier
 * occurrences are answered like it). Idempotency follows: a repeated batch has the stored
 * content hashes, so it writes no version and queues no delivery; its items answer `unchanged`
 * with the revisions of the first time.
 *
 * Pushes to one source instance run one after another in this process, so the answer computed
 * from the hashes read before the write is exact. (The ledger compares hashes again inside its
 * transaction, so a second gateway process on the same ledger cannot cause a double version
 * either; it could only make this process's answer say `created` for what the other wrote.)
 */
import { randomUUID } from 'node:crypto';
import type { Issue } from '../core/errors';
import { toGatewayError } from '../core/errors';
import { canonicalId } from '../core/ids';
import type { HoldPolicy, IngestResult, Ledger, PreparedRecord, QuarantineInput, RunCounts, RunStatus, SinkRoute } from '../core/ledger';
import type { Logger } from '../core/logger';
import { ENTITIES, type EntityType, type MappedRecord } from '../core/records';
import { summarizeIssues, type IngestObserver, type RecordValidator } from './ingest';
import { normalizeRecord, type NormalizeContext, type Normalized } from './normalize';

/** One item of a request as the push source's wire mapping returns it (adapters/push-source/wire.ts). */
export type PushItem =
  | {
    kind: 'record';
    record: MappedRecord;
    /** Delete by reference: take the entity fields of the stored (or earlier in this batch) record. */
    tombstoneOnly?: boolean;
    /** The item as received; kept in the quarantine when invalid, never logged. */
    raw: unknown;
    /** Canonical issue path prefix → the path in the item as sent. */
    pathMap?: Readonly<Record<string, string>>;
  }
  | { kind: 'invalid'; sourceId?: string; entityType?: EntityType; issues: Issue[]; raw: unknown };

export interface PushRequest {
  schoolId: string;
  /** Source instance id from the config. */
  sourceInstance: string;
  /** `sourceSystem` of the records and their ids. */
  sourceSystem: string;
  adapter: string;
  adapterVersion: string;
  idNamespace: string;
  routes: readonly SinkRoute[];
  items: readonly PushItem[];
  /** The school's safety-hold policy: a push that deletes or changes too much of a kind is held like a sync. */
  hold?: HoldPolicy;
}

/** `held`: a change to a stored record that the safety hold keeps for an operator (`holdId`). */
export type PushItemStatus = 'created' | 'updated' | 'unchanged' | 'invalid' | 'held';

export interface PushItemAnswer {
  index: number;
  sourceId?: string;
  entityType?: EntityType;
  /** Canonical id (absent when the item has no usable entityType/sourceId). */
  id?: string;
  status: PushItemStatus;
  /** The stored revision this item corresponds to (absent for `invalid`; the revision before the change for `held`). */
  revision?: number;
  /** The safety hold keeping this change (status `held`). */
  holdId?: number;
  issues?: Issue[];
}

export interface PushSummary {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  held: number;
  /** Deliveries queued by this request. */
  enqueued: number;
}

export interface PushResult {
  /** Absent for an empty batch (nothing to record). */
  runId?: string;
  status: RunStatus;
  summary: PushSummary;
  items: PushItemAnswer[];
}

export interface PushIntakeDeps {
  ledger: Ledger;
  validator: RecordValidator;
  log: Logger;
  now(): Date;
  observer?: IngestObserver;
}

export interface PushIntake {
  push(req: PushRequest): Promise<PushResult>;
}

/** Envelope keys of a stored record: what a tombstone by reference does not copy as entity fields. */
const ENVELOPE_KEYS = new Set([
  'id', 'entityType', 'schemaVersion', 'schoolId', 'sourceSystem', 'sourceId', 'externalIds', 'status',
  'dateLastModified', 'revision', 'contentHash', 'provenance', 'metadata',
]);
const PUSH_STREAM = 'push';

export function createPushIntake(deps: PushIntakeDeps): PushIntake {
  const queues = new Map<string, Promise<unknown>>();
  return {
    push(req) {
      const key = `${req.schoolId}\u0000${req.sourceInstance}`;
      const run = (queues.get(key) ?? Promise.resolve()).then(() => takeIn(deps, req));
      const tail = run.catch(() => undefined);
      queues.set(key, tail);
      void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
      return run;
    },
  };
}

async function takeIn(deps: PushIntakeDeps, req: PushRequest): Promise<PushResult> {
  const summary: PushSummary = { received: req.items.length, created: 0, updated: 0, unchanged: 0, invalid: 0, held: 0, enqueued: 0 };
  if (req.items.length === 0) return { status: 'ok', summary, items: [] };
  const runId = randomUUID();
  const log = deps.log.child({ runId, schoolId: req.schoolId, source: req.sourceInstance });
  const startedAt = deps.now();
  const counts: RunCounts = { read: req.items.length, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 };
  await deps.ledger.startRun({ runId, schoolId: req.schoolId, sourceInstance: req.sourceInstance, trigger: 'push', startedAt: startedAt.toISOString() });
  try {
    const { answers, res } = await write(deps, req, runId, log);
    for (const a of answers) summary[a.status]++;
    summary.enqueued = res.enqueued;
    counts.inserted = res.inserted;
    counts.updated = res.updated;
    counts.unchanged = summary.unchanged + res.unchanged;
    counts.quarantined = res.quarantined;
    counts.enqueued = res.enqueued;
    await deps.ledger.finishRun(runId, { finishedAt: deps.now().toISOString(), status: 'ok', counts });
    observe(deps.observer, req, counts);
    log.info('push taken in', {
      received: summary.received, created: summary.created, updated: summary.updated, unchanged: summary.unchanged,
      invalid: summary.invalid, quarantined: counts.quarantined, enqueued: summary.enqueued,
      seconds: (deps.now().getTime() - startedAt.getTime()) / 1000,
    });
    return { runId, status: 'ok', summary, items: answers };
  } catch (e) {
    const err = toGatewayError(e);
    log.error('push failed', { code: err.code, class: err.errorClass, err });
    await deps.ledger.finishRun(runId, { finishedAt: deps.now().toISOString(), status: 'failed', counts, error: err.toJSON() })
      .catch((fe: unknown) => log.error('could not record run summary', { code: toGatewayError(fe).code }));
    throw err;
  }
}

async function write(deps: PushIntakeDeps, req: PushRequest, runId: string, log: Logger): Promise<{ answers: PushItemAnswer[]; res: IngestResult }> {
  const nctx: NormalizeContext = {
    idNamespace: req.idNamespace, schoolId: req.schoolId, sourceSystem: req.sourceSystem,
    adapter: req.adapter, adapterVersion: req.adapterVersion, fetchedAt: deps.now().toISOString(),
  };
  const idOf = (entityType: EntityType, sourceId: string): string => canonicalId(req.idNamespace, req.sourceSystem, req.schoolId, entityType, sourceId);
  const ids = [...new Set(req.items.flatMap((it) => (it.kind === 'record' ? [idOf(it.record.entityType, it.record.sourceId)] : [])))];
  const current = await deps.ledger.currentHashes(ids);
  const stored = new Map<string, Record<string, unknown>>();
  for (const it of req.items) {
    if (it.kind !== 'record' || !it.tombstoneOnly) continue;
    const id = idOf(it.record.entityType, it.record.sourceId);
    const rec = current.has(id) && !stored.has(id) ? await deps.ledger.getRecord(id) : undefined;
    if (rec) stored.set(id, rec.record);
  }

  const answers: PushItemAnswer[] = [];
  const quarantine: Array<QuarantineInput & { index: number }> = [];
  /** Per id: the last valid occurrence so far, and the indexes of all its valid occurrences. */
  const latest = new Map<string, { n: Normalized; indexes: number[] }>();

  req.items.forEach((it, index) => {
    if (it.kind === 'invalid') {
      const id = it.entityType && it.sourceId !== undefined ? idOf(it.entityType, it.sourceId) : undefined;
      answers.push(invalidAnswer(index, it.sourceId, it.entityType, id, it.issues));
      if (it.sourceId !== undefined) {
        quarantine.push({ index, ...quarantined(req, it.sourceId, it.entityType, 'GW_RECORD_UNMAPPABLE', it.issues, it.raw, 'could not be taken from the push request') });
      }
      return;
    }
    const { entityType, sourceId } = it.record;
    const id = idOf(entityType, sourceId);
    let mapped = it.record;
    if (it.tombstoneOnly) {
      const base = latest.get(id)?.n.record ?? stored.get(id);
      if (base === undefined) {
        // Nothing to delete; not quarantined, as no version of it will ever resolve the entry.
        answers.push(invalidAnswer(index, sourceId, entityType, id, [{
          path: '/', message: 'no stored record has this entityType and sourceId; a tombstone without entity fields needs one (or send the full record with status tobedeleted)',
        }]));
        return;
      }
      mapped = tombstoneFrom(base, it.record);
    }
    const n: Normalized = normalizeRecord(mapped, nctx);
    // Dedup before validation, as in ingest.ts: what is stored was valid when it was stored.
    const issues = current.get(id) === n.prepared.contentHash ? [] : deps.validator.validate(n.record);
    if (issues.length > 0) {
      const mappedIssues = remap(issues, it.pathMap);
      answers.push(invalidAnswer(index, sourceId, entityType, id, mappedIssues));
      quarantine.push({ index, ...quarantined(req, sourceId, entityType, 'GW_RECORD_INVALID', mappedIssues, it.raw, 'does not match the canonical schema') });
      return;
    }
    latest.set(id, { n, indexes: [...(latest.get(id)?.indexes ?? []), index] });
    answers.push({ index, sourceId, entityType, id, status: 'unchanged' }); // settled below
  });

  // Within one batch the last valid occurrence of a record wins: it is the only one written and
  // every occurrence is answered like it. So the same batch sent again compares equal on every
  // record (no intermediate version is written again) and changes nothing.
  const changed: PreparedRecord[] = [];
  const unchangedIds: string[] = [];
  const lastValid = new Map<string, number>();
  for (const [id, { n, indexes }] of latest) {
    const before = current.get(id);
    const status: PushItemStatus = before === n.prepared.contentHash ? 'unchanged' : before === undefined ? 'created' : 'updated';
    if (status === 'unchanged') unchangedIds.push(n.prepared.sourceId);
    else changed.push(n.prepared);
    for (const i of indexes) setAnswer(answers, i, { status });
    lastValid.set(n.prepared.sourceId, Math.max(lastValid.get(n.prepared.sourceId) ?? -1, ...indexes));
  }
  // An invalid item followed by a valid one of the same source id (corrected within the batch)
  // is answered `invalid` but not quarantined: the ledger would otherwise keep the entry open.
  const toQuarantine: QuarantineInput[] = quarantine
    .filter((q) => (lastValid.get(q.sourceId) ?? -1) < q.index)
    .map(({ index: _index, ...q }) => q);
  // Conversely, an unchanged record followed by an invalid occurrence must not resolve the open
  // entry (the ledger would resolve it and open a new one on every repeat of the batch).
  const stillInvalid = new Set(toQuarantine.map((q) => q.sourceId));
  const unchangedSourceIds = unchangedIds.filter((sid) => !stillInvalid.has(sid));
  const res = await deps.ledger.ingest({
    runId, schoolId: req.schoolId, sourceInstance: req.sourceInstance, stream: PUSH_STREAM,
    records: changed, unchangedSourceIds, quarantine: toQuarantine, routes: req.routes, now: deps.now().toISOString(),
    ...(req.hold ? { hold: req.hold } : {}),
  });
  // Changes to stored records were staged (safety hold): apply them, or hold them per kind.
  const heldKinds = new Map<string, number>();
  if (req.hold?.enabled === true) {
    const settled = await deps.ledger.settleRun(runId, req.hold, deps.now().toISOString());
    res.updated += settled.applied.updated;
    res.enqueued += settled.applied.enqueued;
    for (const h of settled.holds) {
      heldKinds.set(h.entityType, h.id);
      log.warn('push held for operator approval', {
        event: 'sync_held', holdId: h.id, entityType: h.entityType, deletes: h.deletes, changes: h.changes, baseline: h.baseline,
        reason: h.reason, remedy: `diary-gateway holds approve ${h.id}  (or: holds reject ${h.id})`,
      });
    }
    for (const a of answers) {
      const holdId = a.status === 'updated' && a.entityType ? heldKinds.get(a.entityType) : undefined;
      if (holdId !== undefined) Object.assign(a, { status: 'held', holdId });
    }
  }
  const expectedCreated = changed.filter((p) => !current.has(p.id)).length;
  if (heldKinds.size === 0 && (res.inserted !== expectedCreated || res.unchanged !== 0)) {
    log.warn('push answer may not match the ledger: another writer changed these records meanwhile', { inserted: res.inserted, expectedCreated, unchanged: res.unchanged });
  }
  // At most one write per record, so the revision stored now is the one every occurrence stands for.
  const revisions = await storedRevisions(deps.ledger, [...latest.keys()]);
  for (const [id, { indexes }] of latest) {
    const revision = revisions.get(id);
    if (revision !== undefined) for (const i of indexes) setAnswer(answers, i, { revision });
  }
  for (const q of toQuarantine) {
    const recordId = q.entityType ? idOf(q.entityType, q.sourceId) : undefined;
    log.warn('record quarantined', { code: q.errorCode, entityType: q.entityType, recordId, paths: q.issues.map((i) => i.path) });
  }
  return { answers, res };
}

/** One query for the whole request where the ledger has it (one getRecord per record took ~90 ms per 1,000). */
async function storedRevisions(ledger: Ledger, ids: readonly string[]): Promise<Map<string, number>> {
  if (ledger.currentRevisions) return ledger.currentRevisions(ids);
  const out = new Map<string, number>();
  for (const id of ids) {
    const revision = (await ledger.getRecord(id))?.revision;
    if (revision !== undefined) out.set(id, revision);
  }
  return out;
}

function setAnswer(answers: PushItemAnswer[], index: number, patch: Partial<PushItemAnswer>): void {
  const a = answers[index];
  if (a) Object.assign(a, patch);
}

/** A tombstone built from a stored record: its entity fields, ids and metadata, status tobedeleted. */
function tombstoneFrom(base: Record<string, unknown>, item: MappedRecord): MappedRecord {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) if (!ENVELOPE_KEYS.has(k)) fields[k] = v;
  const prov = (base['provenance'] ?? {}) as { sourceCreatedAt?: unknown };
  const createdAt = item.sourceCreatedAt ?? (typeof prov.sourceCreatedAt === 'string' ? prov.sourceCreatedAt : undefined);
  const externalIds = item.externalIds ?? (Array.isArray(base['externalIds']) ? (base['externalIds'] as MappedRecord['externalIds']) : undefined);
  const metadata = item.metadata ?? (typeof base['metadata'] === 'object' && base['metadata'] !== null ? (base['metadata'] as Record<string, unknown>) : undefined);
  return {
    entityType: item.entityType, sourceId: item.sourceId, status: 'tobedeleted', fields,
    ...(externalIds ? { externalIds } : {}),
    ...(metadata ? { metadata } : {}),
    ...(item.sourceModifiedAt ? { sourceModifiedAt: item.sourceModifiedAt } : {}),
    ...(createdAt ? { sourceCreatedAt: createdAt } : {}),
  };
}

function invalidAnswer(index: number, sourceId: string | undefined, entityType: EntityType | undefined, id: string | undefined, issues: Issue[]): PushItemAnswer {
  return {
    index, ...(sourceId !== undefined ? { sourceId } : {}), ...(entityType ? { entityType } : {}), ...(id ? { id } : {}),
    status: 'invalid', issues,
  };
}

function quarantined(
  req: PushRequest, sourceId: string, entityType: EntityType | undefined, code: 'GW_RECORD_INVALID' | 'GW_RECORD_UNMAPPABLE',
  issues: Issue[], raw: unknown, what: string,
): QuarantineInput {
  return {
    stream: entityType ? ENTITIES[entityType] : PUSH_STREAM, sourceId, ...(entityType ? { entityType } : {}), errorCode: code,
    message: `${entityType ?? 'record'} ${sourceId} of school ${req.schoolId} pushed to ${req.sourceInstance} ${what}: ${summarizeIssues(issues)}`,
    issues, raw,
  };
}

/** Canonical paths → the paths the journal sent (`/provenance/sourceModifiedAt` → `/sourceModifiedAt`, refs). */
function remap(issues: readonly Issue[], pathMap: Readonly<Record<string, string>> | undefined): Issue[] {
  if (!pathMap) return [...issues];
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const i of issues) {
    let path = i.path;
    for (const [from, to] of Object.entries(pathMap)) {
      if (path === from || path.startsWith(`${from}/`)) { path = to + path.slice(from.length); break; }
    }
    const key = `${path}\u0000${i.message}`;
    if (!seen.has(key)) { seen.add(key); out.push({ path, message: i.message }); }
  }
  return out;
}

function observe(o: IngestObserver | undefined, req: PushRequest, c: RunCounts): void {
  if (!o?.counted) return;
  o.counted(req.schoolId, req.sourceInstance, 'inserted', c.inserted);
  o.counted(req.schoolId, req.sourceInstance, 'updated', c.updated);
  o.counted(req.schoolId, req.sourceInstance, 'unchanged', c.unchanged);
  o.counted(req.schoolId, req.sourceInstance, 'quarantined', c.quarantined);
}
