import { v5 as uuidv5 } from 'uuid';
import type { EntityType } from './records';

/**
 * Default UUIDv5 namespace for canonical ids. A deployment may set its own
 * (`gateway.idNamespace`) so two tenants never share ids.
 */
export const DEFAULT_ID_NAMESPACE = '6f1c2a4e-8d3b-5e7f-9a10-3c2b1d4e5f60';

/**
 * Deterministic canonical id from (source system, school, entity, source id).
 * The same journal record always gets the same id, with no lookup.
 */
export function canonicalId(
  namespace: string,
  sourceSystem: string,
  schoolId: string,
  entityType: EntityType,
  sourceId: string,
): string {
  return uuidv5(`${sourceSystem}|${schoolId}|${entityType}|${sourceId}`, namespace);
}

/** Resolves references between records of one school and source, as adapters see them. */
export interface IdResolver {
  ref(entityType: EntityType, sourceId: string): string;
}

export function makeIdResolver(namespace: string, sourceSystem: string, schoolId: string): IdResolver {
  return { ref: (entityType, sourceId) => canonicalId(namespace, sourceSystem, schoolId, entityType, sourceId) };
}
