import { createHash } from 'node:crypto';
import type { EntityType } from './records';

/**
 * Default UUIDv5 namespace for canonical ids. A deployment may set its own
 * (`gateway.idNamespace`) so two tenants never share ids.
 */
export const DEFAULT_ID_NAMESPACE = '6f1c2a4e-8d3b-5e7f-9a10-3c2b1d4e5f60';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));
const nsCache = new Map<string, Buffer>();

function namespaceBytes(ns: string): Buffer {
  let b = nsCache.get(ns);
  if (!b) {
    const hex = ns.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`invalid UUID namespace: ${ns}`);
    b = Buffer.from(hex, 'hex');
    nsCache.set(ns, b);
  }
  return b;
}

/**
 * RFC 4122 §4.3 name-based UUID, version 5 (SHA-1). Written here rather than taken from
 * `uuid` because it sits on the hot path of every record (several ids per record) and the
 * namespace bytes can be parsed once; `test/unit/ids.test.ts` checks it against `uuid`'s v5.
 */
export function uuidv5(name: string, namespace: string): string {
  const h = createHash('sha1').update(namespaceBytes(namespace)).update(name, 'utf8').digest();
  const b6 = ((h[6] as number) & 0x0f) | 0x50;
  const b8 = ((h[8] as number) & 0x3f) | 0x80;
  const x = (i: number): string => HEX[h[i] as number] as string;
  return `${x(0)}${x(1)}${x(2)}${x(3)}-${x(4)}${x(5)}-${HEX[b6]}${x(7)}-${HEX[b8]}${x(9)}-${x(10)}${x(11)}${x(12)}${x(13)}${x(14)}${x(15)}`;
}

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

/** References repeat (the same student, subject, lesson on many records); remember this many. */
const RESOLVER_CACHE_LIMIT = 50_000;

export function makeIdResolver(namespace: string, sourceSystem: string, schoolId: string): IdResolver {
  namespaceBytes(namespace);
  const cache = new Map<string, string>();
  return {
    ref: (entityType, sourceId) => {
      const key = `${entityType}|${sourceId}`;
      let id = cache.get(key);
      if (id === undefined) {
        id = canonicalId(namespace, sourceSystem, schoolId, entityType, sourceId);
        if (cache.size >= RESOLVER_CACHE_LIMIT) cache.clear();
        cache.set(key, id);
      }
      return id;
    },
  };
}
