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
 * provenance and content hash, and its stored JSON.
 *
 * The record is serialised once: the "core" (every field but `contentHash`,
 * `dateLastModified` and `provenance`) as deterministic JSON, which is both hashed and
 * used as the body, with the three volatile-or-derived fields appended. So the hash covers
 * all content plus the journal's own timestamps, but not `fetchedAt` or the adapter version:
 * re-reading unchanged data (or upgrading the gateway) yields the same hash and costs no
 * write and no delivery.
 */
export function normalizeRecord(m: MappedRecord, ctx: NormalizeContext): Normalized {
  const id = canonicalId(ctx.idNamespace, ctx.sourceSystem, ctx.schoolId, m.entityType, m.sourceId);
  const status = m.status ?? 'active';
  const externalIds = m.externalIds ?? [{ type: 'source-local', value: m.sourceId, issuer: ctx.sourceSystem }];
  const core: Record<string, unknown> = {};
  for (const k in m.fields) {
    const v = m.fields[k];
    if (v !== undefined && !ENVELOPE_KEYS.has(k)) core[k] = v;
  }
  core.id = id;
  core.entityType = m.entityType;
  core.schemaVersion = 1;
  core.schoolId = ctx.schoolId;
  core.sourceSystem = ctx.sourceSystem;
  core.sourceId = m.sourceId;
  core.externalIds = externalIds;
  core.status = status;
  if (m.metadata) core.metadata = m.metadata;
  const coreJson = stableStringify(core);
  const contentHash = `sha256:${createHash('sha256')
    .update(coreJson).update('\u0000').update(m.sourceModifiedAt ?? '').update('\u0000').update(m.sourceCreatedAt ?? '')
    .digest('hex')}`;
  const provenance: Provenance = {
    sourceSystem: ctx.sourceSystem,
    adapter: ctx.adapter,
    adapterVersion: ctx.adapterVersion,
    fetchedAt: ctx.fetchedAt,
    ...(m.sourceModifiedAt ? { sourceModifiedAt: m.sourceModifiedAt } : {}),
    ...(m.sourceCreatedAt ? { sourceCreatedAt: m.sourceCreatedAt } : {}),
  };
  const dateLastModified = m.sourceModifiedAt ?? ctx.fetchedAt;
  const record = core as CanonicalRecord;
  record.contentHash = contentHash;
  record.dateLastModified = dateLastModified;
  record.provenance = provenance;
  const body = `${coreJson.slice(0, -1)},"contentHash":"${contentHash}","dateLastModified":${JSON.stringify(dateLastModified)},"provenance":${JSON.stringify(provenance)}}`;
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
    body,
  };
  return { record, prepared };
}
