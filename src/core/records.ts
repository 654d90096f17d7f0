/**
 * Canonical record envelope and the list of canonical entities.
 *
 * The full shape of each entity is defined by its JSON Schema in `schemas/<entity>.v1.schema.json`;
 * the TypeScript types generated from those schemas live in `src/core/canonical-types.ts`.
 * This file holds what the pipeline and the ledger need regardless of entity.
 */

/** Canonical entity types (singular snake_case) and the stream name each is read as (plural). */
export const ENTITIES = {
  school: 'schools',
  academic_year: 'academic_years',
  reporting_period: 'reporting_periods',
  class_group: 'class_groups',
  membership: 'memberships',
  person: 'persons',
  guardian_link: 'guardian_links',
  subject: 'subjects',
  teaching_assignment: 'teaching_assignments',
  lesson: 'lessons',
  assessment: 'assessments',
  mark: 'marks',
  attendance_event: 'attendance_events',
  homework: 'homework',
  assessment_schedule_entry: 'assessment_schedule',
  holiday_period: 'holiday_periods',
  recommendation: 'recommendations',
  school_event: 'school_events',
  message: 'messages',
} as const;

export type EntityType = keyof typeof ENTITIES;
export type StreamName = (typeof ENTITIES)[EntityType];

export const ENTITY_TYPES = Object.keys(ENTITIES) as EntityType[];

export function isEntityType(s: string): s is EntityType {
  return Object.prototype.hasOwnProperty.call(ENTITIES, s);
}

/** Schema `$id` of a canonical entity, version 1. */
export const SCHEMA_BASE = 'https://schemas.diary-gateway.org/canonical';
export function schemaIdOf(entity: EntityType, version = 1): string {
  return `${SCHEMA_BASE}/${entity}.v${version}.schema.json`;
}

export type RecordStatus = 'active' | 'tobedeleted';

export interface ExternalId {
  /** e.g. `source-local`, `esia-oid`, `snils-hash`, `fgis-lesson-uuid`. */
  type: string;
  value: string;
  issuer?: string;
}

/** Where a record came from. Set by the pipeline, not by adapters (except source timestamps). */
export interface Provenance {
  sourceSystem: string;
  adapter: string;
  adapterVersion: string;
  /** When the gateway read it (UTC). */
  fetchedAt: string;
  /** When the journal says the record was last changed (UTC), if it says. */
  sourceModifiedAt?: string;
  /** When the journal says the record was first entered (UTC), if it says. SLA "lateness at source" reads this. */
  sourceCreatedAt?: string;
}

/**
 * Fields every canonical record carries. Entity fields sit beside them at the top level.
 *
 * Invariants:
 * - `id` = UUIDv5(namespace, `${sourceSystem}|${schoolId}|${entityType}|${sourceId}`) (see ids.ts);
 * - `contentHash` covers every field except `revision`, `contentHash`, `dateLastModified` and
 *   `provenance.fetchedAt`, so re-reading unchanged data yields the same hash;
 * - `revision` is stamped by the ledger (monotonic per ledger) and absent before ingest.
 */
export interface RecordEnvelope {
  id: string;
  entityType: EntityType;
  schemaVersion: number;
  schoolId: string;
  sourceSystem: string;
  sourceId: string;
  externalIds: ExternalId[];
  status: RecordStatus;
  dateLastModified: string;
  revision?: number;
  contentHash: string;
  provenance: Provenance;
  metadata?: Record<string, unknown>;
}

export type CanonicalRecord = RecordEnvelope & Record<string, unknown>;

/**
 * What an adapter's mapping function returns for one vendor record: the entity fields
 * plus optional envelope hints. The pipeline completes the envelope.
 */
export interface MappedRecord {
  entityType: EntityType;
  /** Stable id of the record in the journal (may be composite, e.g. `assignment:123:student:45`). */
  sourceId: string;
  status?: RecordStatus;
  externalIds?: ExternalId[];
  sourceModifiedAt?: string;
  sourceCreatedAt?: string;
  metadata?: Record<string, unknown>;
  /** Entity fields (not envelope fields). */
  fields: Record<string, unknown>;
}
