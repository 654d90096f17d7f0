import { createHash } from 'node:crypto';
import { canonicalId } from '../core/ids';
import type { PreparedRecord } from '../core/ledger';
import type { CanonicalRecord, MappedRecord, Provenance } from '../core/records';

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
 * `dateLastModified` and `provenance`) as JSON with sorted top-level keys, which is both hashed and
 * used as the body, with the three volatile-or-derived fields appended. So the hash covers
 * all content plus the journal's own timestamps, but not `fetchedAt` or the adapter version:
 * re-reading unchanged data (or upgrading the gateway) yields the same hash and costs no
 * write and no delivery.
 */
export function normalizeRecord(m: MappedRecord, ctx: NormalizeContext): Normalized {
  const id = canonicalId(ctx.idNamespace, ctx.sourceSystem, ctx.schoolId, m.entityType, m.sourceId);
  const status = m.status ?? 'active';
  const externalIds = m.externalIds ?? [{ type: 'source-local', value: m.sourceId, issuer: ctx.sourceSystem }];
  const envelope: Record<string, unknown> = {
    id, entityType: m.entityType, schemaVersion: 1, schoolId: ctx.schoolId, sourceSystem: ctx.sourceSystem,
    sourceId: m.sourceId, externalIds, status, ...(m.metadata ? { metadata: m.metadata } : {}),
  };
  // Top-level keys in sorted order, so the JSON does not depend on the order an adapter
  // listed its fields in. Nested values are serialised as built (JSON.stringify is several
  // times faster than a key-sorting serialiser, and runs on every record read); adapters
  // build them with fixed code, so their key order is stable. A reordering would only cost
  // one extra version, never a lost change.
  const keys: string[] = Object.keys(envelope);
  for (const k in m.fields) if (m.fields[k] !== undefined && !ENVELOPE_KEYS.has(k)) keys.push(k);
  keys.sort();
  const core: Record<string, unknown> = {};
  for (const k of keys) core[k] = k in envelope ? envelope[k] : m.fields[k];
  const coreJson = JSON.stringify(core);
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

/** Fields of a stored record that are derived or volatile, not content (see normalizeRecord). */
const DERIVED_KEYS = new Set(['contentHash', 'dateLastModified', 'provenance', 'revision']);

/**
 * The tombstone of a stored canonical record: the same content with status `tobedeleted`,
 * hashed and serialised exactly as normalizeRecord does, modified at `now` (when the gateway
 * saw the record missing), provenance kept but re-stamped.
 */
export function tombstoneOf(stored: Record<string, unknown>, now: string): PreparedRecord {
  const keys = Object.keys(stored).filter((k) => !DERIVED_KEYS.has(k) && stored[k] !== undefined).sort();
  const core: Record<string, unknown> = {};
  for (const k of keys) core[k] = k === 'status' ? 'tobedeleted' : stored[k];
  const coreJson = JSON.stringify(core);
  const old = (stored['provenance'] ?? {}) as Partial<Provenance>;
  // Deterministic: the same stored record always gives the same tombstone, so a deletion
  // seen again (a held one, re-staged by the next sync) is the same change.
  const contentHash = `sha256:${createHash('sha256')
    .update(coreJson).update('\u0000').update(old.sourceModifiedAt ?? '').update('\u0000').update(old.sourceCreatedAt ?? '')
    .digest('hex')}`;
  const provenance = { ...old, fetchedAt: now };
  const body = `${coreJson.slice(0, -1)},"contentHash":"${contentHash}","dateLastModified":${JSON.stringify(now)},"provenance":${JSON.stringify(provenance)}}`;
  return {
    id: String(core['id']),
    entityType: core['entityType'] as PreparedRecord['entityType'],
    schoolId: String(core['schoolId']),
    sourceSystem: String(core['sourceSystem']),
    sourceId: String(core['sourceId']),
    status: 'tobedeleted',
    contentHash,
    dateLastModified: now,
    body,
  };
}
