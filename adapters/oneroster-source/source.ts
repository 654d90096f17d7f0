/**
 * Where OneRoster objects come from, seen the same way by every stream reader: the REST
 * provider, or CSV packages (csv/package.ts). And the lookup tables built from it on demand.
 */
import { GatewayError } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import type { OneRosterClient } from './client';
import type { Collection } from './collections';
import { deltaFilter } from './cursor';
import { isObject, sourcedIdOf } from './streams/common';
import {
  birthDateOf, categoryInfoOf, classInfoOf, emptyTables, lineItemInfoOf, scoreScaleInfoOf, sessionInfoOf, type LookupTables,
} from './streams/lookups';

export interface OneRosterSource {
  /** Pages of a collection: objects changed after `since` (exclusive) where the source can filter, else all. */
  pages(c: Collection, since?: string): AsyncIterable<unknown[]>;
  /** One object by sourcedId; undefined when the source does not know it. */
  one(c: Collection, sourcedId: string): Promise<unknown>;
}

/** The REST provider as a source: delta filter (+ the configured extra filter), paged. */
export function restSource(client: OneRosterClient, extraFilters: Partial<Record<Collection, string>>): OneRosterSource {
  return {
    async *pages(c, since) {
      for await (const p of client.pages(c, { filter: deltaFilter(since, extraFilters[c]) })) yield p.items;
    },
    one: (c, id) => client.getOne(c, id),
  };
}

type TableName = keyof LookupTables;

interface TableSpec {
  collection: Collection;
  info(raw: Record<string, unknown>): unknown;
  /** A provider may not serve it: a protocol error leaves the table empty. */
  optional?: boolean;
  /** Most ids have no object (demographics of parents and teachers): after a full read, a missing id is not asked for. */
  sparse?: boolean;
}

const TABLES: Readonly<Record<TableName, TableSpec>> = {
  classes: { collection: 'classes', info: classInfoOf },
  sessions: { collection: 'academicSessions', info: sessionInfoOf },
  categories: { collection: 'categories', info: categoryInfoOf },
  lineItems: { collection: 'lineItems', info: lineItemInfoOf },
  // Score scales are new in 1.2 and optional for a provider: without them, scores are read as they are.
  scoreScales: { collection: 'scoreScales', info: scoreScaleInfoOf, optional: true },
  birthDates: { collection: 'demographics', info: birthDateOf, sparse: true },
};

/**
 * Up to this many ids per table and read are asked for one by one; beyond it the whole
 * collection is read. After a whole read, as many again may be asked for (objects created since).
 */
const ONE_BY_ONE_MAX = 10;

/**
 * Lookup tables filled on demand for one read: `ensure(table, ids)` reads the whole collection
 * once when many ids are missing, else asks for the missing ones one by one; an id the source
 * does not know is remembered as missing (the record that names it is quarantined, not re-asked).
 */
export class Lookups {
  readonly tables = emptyTables();
  private readonly loaded = new Set<TableName>();
  private readonly unknown = new Set<string>();
  private readonly asked = new Map<TableName, number>();

  constructor(private readonly src: OneRosterSource, private readonly log: Logger) {}

  private put(name: TableName, raw: unknown): void {
    const id = sourcedIdOf(raw);
    if (!id || !isObject(raw)) return;
    const v = TABLES[name].info(raw);
    if (v !== undefined) (this.tables[name] as Map<string, unknown>).set(id, v);
  }

  /** Reads a whole collection into its table (once per read). */
  async load(name: TableName): Promise<void> {
    if (this.loaded.has(name)) return;
    this.loaded.add(name);
    try {
      for await (const page of this.src.pages(TABLES[name].collection)) for (const raw of page) this.put(name, raw);
    } catch (e) {
      if (!(TABLES[name].optional && e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL')) throw e;
      this.log.info('oneroster optional collection not served', { collection: TABLES[name].collection, code: e.code });
    }
  }

  /** Makes sure the table knows these ids, as far as the source does. */
  async ensure(name: TableName, ids: Iterable<string | undefined>): Promise<void> {
    const all = [...new Set([...ids].filter((x): x is string => x !== undefined))];
    const want = (): string[] => all
      .filter((id) => !(this.tables[name] as Map<string, unknown>).has(id) && !this.unknown.has(`${name}|${id}`));
    let missingIds = want();
    if (missingIds.length === 0) return;
    if (!this.loaded.has(name) && (this.asked.get(name) ?? 0) + missingIds.length > ONE_BY_ONE_MAX) {
      await this.load(name);
      this.asked.set(name, 0);
      missingIds = want();
    }
    for (const id of missingIds) {
      const n = this.asked.get(name) ?? 0;
      if (this.loaded.has(name) && (TABLES[name].sparse || n >= ONE_BY_ONE_MAX)) { this.unknown.add(`${name}|${id}`); continue; }
      this.asked.set(name, n + 1);
      let raw: unknown;
      try {
        raw = await this.src.one(TABLES[name].collection, id);
      } catch (e) {
        if (!(TABLES[name].optional && e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL')) throw e;
      }
      if (raw === undefined) this.unknown.add(`${name}|${id}`);
      else this.put(name, raw);
    }
  }
}
