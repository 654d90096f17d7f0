/**
 * What the simulated portal has accepted, and the counters a test or demo checks to prove
 * the gateway behaved: `outOfOrder` and `appliedTwice` must stay 0 for a correct gateway.
 *
 * In memory always; with `persistPath`, every applied item is also appended to a JSON-lines
 * file and replayed on start, so a portal restart (or a gateway crash test) keeps its
 * idempotency memory.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { RecordStatus } from '../../../src/core/records';
import type { WireItem } from '../protocol';

/** One applied item, in arrival order. */
export interface AppliedEntry {
  key: string;
  recordId: string;
  entityType: string;
  schoolId: string;
  revision: number;
  status: RecordStatus;
  /** ISO time the portal applied it (simulator clock). */
  receivedAt: string;
  /** The portal's id of the record (stable per recordId). */
  remoteId: string;
}

export interface RestPortalSimCounters {
  /** Items applied (accepted). */
  applied: number;
  /** Items answered `duplicate` (key already applied). */
  duplicates: number;
  /** Items answered `rejected`. */
  rejected: number;
  /** Batch requests processed (authenticated, well-formed, not answered by an injected status). */
  batches: number;
  /** Items applied with a revision lower than one already applied for the same recordId. Must stay 0. */
  outOfOrder: number;
  /** Items applied under a key that had already been applied. Must stay 0. */
  appliedTwice: number;
}

export interface RestPortalSimState {
  counters: RestPortalSimCounters;
  applied: AppliedEntry[];
}

/** The latest applied version of one record, as `GET /api/v1/records/:recordId` returns it. */
export interface LatestRecord extends AppliedEntry {
  record: Record<string, unknown>;
}

interface PersistedLine extends AppliedEntry {
  record: Record<string, unknown>;
}

export class PortalLedger {
  private readonly applied: AppliedEntry[] = [];
  private readonly timesApplied = new Map<string, number>();
  private readonly byKey = new Map<string, AppliedEntry>();
  private readonly maxRevision = new Map<string, number>();
  private readonly latest = new Map<string, LatestRecord>();
  private readonly remoteIds = new Map<string, string>();
  private readonly counters: RestPortalSimCounters = {
    applied: 0, duplicates: 0, rejected: 0, batches: 0, outOfOrder: 0, appliedTwice: 0,
  };

  constructor(private readonly persistPath?: string) {
    if (persistPath && existsSync(persistPath)) this.replay(persistPath);
  }

  isKnown(key: string): boolean {
    return this.byKey.has(key);
  }

  remoteIdOfKey(key: string): string | undefined {
    return this.byKey.get(key)?.remoteId;
  }

  /** Applies one validated item. Every applied item is written before the batch is answered. */
  apply(item: WireItem, receivedAt: string): AppliedEntry {
    const line = this.applyInMemory({
      key: item.idempotencyKey,
      recordId: item.recordId,
      entityType: item.entityType,
      schoolId: item.schoolId,
      revision: item.revision,
      status: item.status,
      receivedAt,
      remoteId: this.remoteIdFor(item.recordId),
      record: item.record,
    });
    if (this.persistPath) appendFileSync(this.persistPath, JSON.stringify(line) + '\n', 'utf8');
    const { record: _record, ...entry } = line;
    return entry;
  }

  countDuplicate(): void {
    this.counters.duplicates++;
  }

  countRejected(): void {
    this.counters.rejected++;
  }

  countBatch(): void {
    this.counters.batches++;
  }

  latestOf(recordId: string): LatestRecord | undefined {
    const l = this.latest.get(recordId);
    return l ? structuredClone(l) : undefined;
  }

  /** A deep copy: callers may keep or change it freely. */
  snapshot(): RestPortalSimState {
    return { counters: { ...this.counters }, applied: this.applied.map((e) => ({ ...e })) };
  }

  private applyInMemory(line: PersistedLine): PersistedLine {
    const times = this.timesApplied.get(line.key) ?? 0;
    if (times > 0) this.counters.appliedTwice++;
    this.timesApplied.set(line.key, times + 1);
    const max = this.maxRevision.get(line.recordId);
    if (max !== undefined && line.revision < max) this.counters.outOfOrder++;
    this.maxRevision.set(line.recordId, Math.max(max ?? line.revision, line.revision));
    this.remoteIds.set(line.recordId, line.remoteId);
    const { record, ...entry } = line;
    this.applied.push(entry);
    this.byKey.set(line.key, entry);
    // "Latest" is the last applied, in arrival order: an out-of-order item really overwrites, as it would on a naive portal.
    this.latest.set(line.recordId, { ...entry, record });
    this.counters.applied++;
    return line;
  }

  private remoteIdFor(recordId: string): string {
    return this.remoteIds.get(recordId) ?? `rp-${String(this.remoteIds.size + 1).padStart(6, '0')}`;
  }

  private replay(path: string): void {
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      let line: PersistedLine;
      try {
        line = JSON.parse(text) as PersistedLine;
      } catch {
        continue; // a line torn by a crash mid-append: the item was never answered as applied
      }
      this.applyInMemory(line);
    }
  }
}
