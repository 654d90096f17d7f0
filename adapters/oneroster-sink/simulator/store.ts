/**
 * What the simulated OneRoster consumer holds, and the counters that prove the gateway behaved.
 *
 * "Applied" means a PUT changed what is stored (a new object, or new content). A PUT of an
 * object with identical content is `unchanged`: receiving it again is not applying it twice.
 * The version of an object is its `metadata.diaryGateway.revision` when both sides have one,
 * else its `dateLastModified`:
 * - `outOfOrder`: a changed PUT older than what is stored (a stale version after a newer one);
 * - `appliedTwice`: a changed PUT of the same version (the same version, two different effects).
 * Both must stay 0 for a correct gateway. Stale PUTs are applied anyway, as a naive consumer
 * would (last write wins), so a test sees the damage they do.
 */
import { isCollection, type CollectionName } from '../collections';

type Obj = Record<string, unknown>;

export interface StoredObject { collection: CollectionName; sourcedId: string; object: Obj; receivedAt: string; puts: number }

export interface ConsumerCounters {
  /** PUTs that created or changed an object. */
  applied: number;
  /** PUTs of an object with identical content (not applied again). */
  unchanged: number;
  /** DELETEs that removed an object. */
  deleted: number;
  /** Requests refused with 4xx (invalid body, unknown reference, injected rejection). */
  rejected: number;
  outOfOrder: number;
  appliedTwice: number;
}

export interface ConsumerState {
  counters: ConsumerCounters;
  /** Applied PUTs per collection. */
  appliedBy: Partial<Record<CollectionName, number>>;
  /** Objects held now, per collection. */
  sizes: Partial<Record<CollectionName, number>>;
}

/** JSON with object keys sorted, so the same content compares equal whatever the key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as Obj).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Obj)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function revisionOf(o: Obj): number | undefined {
  const m = o.metadata as Obj | undefined;
  const r = (m?.diaryGateway as Obj | undefined)?.revision;
  return typeof r === 'number' ? r : undefined;
}

/** < 0 when `a` is older than `b`, 0 when the same version, > 0 when newer. */
export function compareVersions(a: Obj, b: Obj): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  return Date.parse(String(a.dateLastModified)) - Date.parse(String(b.dateLastModified));
}

export class ConsumerStore {
  private readonly objects = new Map<CollectionName, Map<string, { json: string; stored: StoredObject }>>();
  private readonly counters: ConsumerCounters = { applied: 0, unchanged: 0, deleted: 0, rejected: 0, outOfOrder: 0, appliedTwice: 0 };
  private readonly appliedBy: Partial<Record<CollectionName, number>> = {};

  private table(c: CollectionName): Map<string, { json: string; stored: StoredObject }> {
    let t = this.objects.get(c);
    if (!t) { t = new Map(); this.objects.set(c, t); }
    return t;
  }

  has(c: CollectionName, id: string): boolean {
    return this.table(c).has(id);
  }

  get(c: CollectionName, id: string): StoredObject | undefined {
    const e = this.table(c).get(id);
    return e ? structuredClone(e.stored) : undefined;
  }

  list(c: CollectionName): StoredObject[] {
    return [...this.table(c).values()].map((e) => structuredClone(e.stored));
  }

  /** Stores a validated object; says whether it was applied or unchanged. */
  put(c: CollectionName, id: string, object: Obj, receivedAt: string): 'applied' | 'unchanged' {
    const t = this.table(c);
    const json = stableJson(object);
    const prev = t.get(id);
    if (prev && prev.json === json) {
      this.counters.unchanged++;
      prev.stored.puts++;
      return 'unchanged';
    }
    if (prev) {
      const cmp = compareVersions(object, prev.stored.object);
      if (cmp < 0) this.counters.outOfOrder++;
      else if (cmp === 0) this.counters.appliedTwice++;
    }
    t.set(id, { json, stored: { collection: c, sourcedId: id, object, receivedAt, puts: (prev?.stored.puts ?? 0) + 1 } });
    this.counters.applied++;
    this.appliedBy[c] = (this.appliedBy[c] ?? 0) + 1;
    return 'applied';
  }

  delete(c: CollectionName, id: string): boolean {
    const ok = this.table(c).delete(id);
    if (ok) this.counters.deleted++;
    return ok;
  }

  countRejected(): void {
    this.counters.rejected++;
  }

  snapshot(): ConsumerState {
    const sizes: Partial<Record<CollectionName, number>> = {};
    for (const [c, t] of this.objects) if (isCollection(c)) sizes[c] = t.size;
    return { counters: { ...this.counters }, appliedBy: { ...this.appliedBy }, sizes };
  }
}
