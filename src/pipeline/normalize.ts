import { createHash } from 'node:crypto';
import { canonicalId } from '../core/ids';
import type { PreparedRecord } from '../core/ledger';
import type { CanonicalRecord, MappedRecord, Provenance } from '../core/records';
import { stableStringify } from './stable-json';

/** Envelope fields an adapter may not set through `fields` (the pipeline owns them). */
const ENVELOPE_KEYS = new Set([
  'id', 'entityType', 'schemaVersion', 'schoolId', 'sourceSystem', 'sourceId', 'externalIds', 'status',
  'dateLastModified', 'revision', 'contentHash', 'provenance', 'metadata',
]);

export interface NormalizeContext {
  idNamespace: string;
  schoolId: string;
  sourceSystem: string;
  adapter: string;
  adapterVersion: string;
  /** ISO time of the read. */
  fetchedAt: string;
}

export interface Normalized {
  record: CanonicalRecord;
  prepared: PreparedRecord;
}

/**
 * Completes a mapped record into a canonical record: deterministic id, envelope,
 * provenance and content hash.
 *
 * The hash covers everything but `revision`, `contentHash`, `dateLastModified` and
 * `provenance.fetchedAt`/`adapterVersion`, so re-reading unchanged data (or upgrading the
 * gateway) yields the same hash and costs no write and no delivery.
 */
export function normalizeRecord(m: MappedRecord, ctx: NormalizeContext): Normalized {
  const provenance: Provenance = {
    sourceSystem: ctx.sourceSystem,
    adapter: ctx.adapter,
    adapterVersion: ctx.adapterVersion,
    fetchedAt: ctx.fetchedAt,
    ...(m.sourceModifiedAt ? { sourceModifiedAt: m.sourceModifiedAt } : {}),
    ...(m.sourceCreatedAt ? { sourceCreatedAt: m.sourceCreatedAt } : {}),
  };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.fields)) {
    if (!ENVELOPE_KEYS.has(k) && v !== undefined) fields[k] = v;
  }
  const id = canonicalId(ctx.idNamespace, ctx.sourceSystem, ctx.schoolId, m.entityType, m.sourceId);
  const status = m.status ?? 'active';
  const externalIds = m.externalIds ?? [{ type: 'source-local', value: m.sourceId, issuer: ctx.sourceSystem }];
  const hashed = {
    id, entityType: m.entityType, schoolId: ctx.schoolId, sourceSystem: ctx.sourceSystem, sourceId: m.sourceId,
    externalIds, status, metadata: m.metadata, sourceModifiedAt: m.sourceModifiedAt, sourceCreatedAt: m.sourceCreatedAt,
    fields,
  };
  const contentHash = `sha256:${createHash('sha256').update(stableStringify(hashed)).digest('hex')}`;
  const dateLastModified = m.sourceModifiedAt ?? ctx.fetchedAt;
  const record: CanonicalRecord = {
    id,
    entityType: m.entityType,
    schemaVersion: 1,
    schoolId: ctx.schoolId,
    sourceSystem: ctx.sourceSystem,
    sourceId: m.sourceId,
    externalIds,
    status,
    dateLastModified,
    contentHash,
    provenance,
    ...(m.metadata ? { metadata: m.metadata } : {}),
    ...fields,
  };
  const prepared: PreparedRecord = {
    id,
    entityType: m.entityType,
    schoolId: ctx.schoolId,
    sourceSystem: ctx.sourceSystem,
    sourceId: m.sourceId,
    status,
    contentHash,
    dateLastModified,
    ...(m.sourceModifiedAt ? { sourceModifiedAt: m.sourceModifiedAt } : {}),
    ...(m.sourceCreatedAt ? { sourceCreatedAt: m.sourceCreatedAt } : {}),
    body: '',
  };
  return { record, prepared };
}

/** Serialises lazily: only records that will be written pay for JSON.stringify. */
export function finalizeBody(n: Normalized): PreparedRecord {
  n.prepared.body = JSON.stringify(n.record);
  return n.prepared;
}
