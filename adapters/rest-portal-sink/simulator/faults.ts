/**
 * Faults the simulated REST portal can produce, and the parsing of `POST /_sim/faults`.
 *
 * Custom fault names (FaultSpec `{kind: 'custom', name, count?}`):
 * - `reject-entity:<entityType>`: reject the next `count` items of that entity type
 *   (`ENTITY_NOT_ACCEPTED`), or every one until `clear` when count is absent;
 * - `drop-connection`: apply the next `count` (default 1) batches, then destroy the socket
 *   without answering: the gateway must re-send and get `duplicate`;
 * - `partial-results`: leave the last result out of the next `count` (default 1) answers;
 * - `ignore-idempotency`: forget key memory for the next `count` (default 1) batches, as a
 *   portal that lost its idempotency store would; re-sent keys are then applied again and
 *   show up in `appliedTwice`.
 * Built-in kinds: `slow`, `status` (by default only batch requests; `pathPrefix` widens it to
 * any `/api` path with that prefix), `malformed` (the next `count`, default 1, batches are
 * applied but answered 200 with a body that is not JSON), `clear`.
 */
import type { FaultSpec } from '../../../src/core/simulator';
import { isEntityType } from '../../../src/core/records';

export const REST_PORTAL_FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'malformed', 'custom', 'clear'];
export const CUSTOM_FAULTS = ['reject-entity:<entityType>', 'drop-connection', 'partial-results', 'ignore-idempotency'] as const;

/** Remaining uses; `Infinity` = until cleared. */
type Budget = number;

const COUNTED_FAULTS = ['ignoreIdempotency', 'dropConnection', 'partialResults', 'malformed'] as const;
type CountedFault = (typeof COUNTED_FAULTS)[number];

export interface StatusFault {
  status: number;
  retryAfterSec?: number;
}

export class FaultState {
  private slow?: { ms: number; left: Budget };
  private status?: { status: number; left: Budget; retryAfterSec?: number; pathPrefix?: string };
  private readonly counted: Record<CountedFault, Budget> = {
    ignoreIdempotency: 0, dropConnection: 0, partialResults: 0, malformed: 0,
  };
  private readonly rejectEntities = new Map<string, Budget>();

  /**
   * Applies a fault. Returns false for a kind this portal cannot produce (ignored, as the
   * simulator contract asks); throws a plain Error when a custom fault is unknown or malformed.
   */
  inject(f: FaultSpec): boolean {
    switch (f.kind) {
      case 'clear':
        this.slow = undefined;
        this.status = undefined;
        for (const k of COUNTED_FAULTS) this.counted[k] = 0;
        this.rejectEntities.clear();
        return true;
      case 'slow':
        this.slow = { ms: f.ms, left: f.count ?? Infinity };
        return true;
      case 'status':
        this.status = {
          status: f.status,
          left: f.count,
          ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}),
          ...(f.pathPrefix !== undefined ? { pathPrefix: f.pathPrefix } : {}),
        };
        return true;
      case 'malformed':
        this.counted.malformed = f.count ?? 1;
        return true;
      case 'custom':
        this.injectCustom(f.name, f.count);
        return true;
      default:
        // expire-sessions, shape-change: nothing a token-authenticated sink portal can produce.
        return false;
    }
  }

  /** Delay before answering an `/api` request, consuming one use. */
  takeSlow(): number {
    if (!this.slow || this.slow.left <= 0) return 0;
    this.slow.left--;
    return this.slow.ms;
  }

  /** The injected status for this request, consuming one use, or undefined. */
  takeStatus(path: string, isBatch: boolean): StatusFault | undefined {
    const s = this.status;
    if (!s || s.left <= 0) return undefined;
    const applies = s.pathPrefix === undefined ? isBatch : path.startsWith(s.pathPrefix);
    if (!applies) return undefined;
    s.left--;
    return { status: s.status, ...(s.retryAfterSec !== undefined ? { retryAfterSec: s.retryAfterSec } : {}) };
  }

  /**
   * The per-batch faults for one processed batch, consuming one use of each that is active.
   * Called once per batch, before items are looked at.
   */
  takeBatchFaults(): BatchFaults {
    return {
      ignoreIdempotency: this.take('ignoreIdempotency'),
      dropConnection: this.take('dropConnection'),
      partialResults: this.take('partialResults'),
      malformed: this.take('malformed'),
    };
  }

  /** Whether a reject-entity fault refuses this (otherwise valid) item, consuming one use. */
  takeEntityRejection(entityType: string): boolean {
    const left = this.rejectEntities.get(entityType) ?? 0;
    if (left <= 0) return false;
    this.rejectEntities.set(entityType, left - 1);
    return true;
  }

  private take(name: CountedFault): boolean {
    if (this.counted[name] <= 0) return false;
    this.counted[name]--;
    return true;
  }

  private injectCustom(name: string, count: number | undefined): void {
    const m = /^reject-entity:(.+)$/.exec(name);
    if (m) {
      const entity = m[1] as string;
      if (!isEntityType(entity)) throw new Error(`reject-entity: unknown entity type '${entity}'`);
      this.rejectEntities.set(entity, count ?? Infinity);
      return;
    }
    switch (name) {
      case 'drop-connection':
        this.counted.dropConnection = count ?? 1;
        return;
      case 'partial-results':
        this.counted.partialResults = count ?? 1;
        return;
      case 'ignore-idempotency':
        this.counted.ignoreIdempotency = count ?? 1;
        return;
      default:
        throw new Error(`unknown custom fault '${name}'; known: ${CUSTOM_FAULTS.join(', ')}`);
    }
  }
}

export interface BatchFaults {
  ignoreIdempotency: boolean;
  dropConnection: boolean;
  partialResults: boolean;
  malformed: boolean;
}


/** Validates the JSON body of `POST /_sim/faults`. Throws an Error naming the bad field. */
export function parseFaultSpec(body: unknown): FaultSpec {
  if (typeof body !== 'object' || body === null) throw new Error('fault spec must be a JSON object');
  const b = body as Record<string, unknown>;
  const optCount = (): number | undefined => {
    if (b.count === undefined) return undefined;
    if (!Number.isInteger(b.count) || (b.count as number) < 0) throw new Error('count must be a non-negative integer');
    return b.count as number;
  };
  switch (b.kind) {
    case 'clear':
      return { kind: 'clear' };
    case 'slow': {
      if (!Number.isInteger(b.ms) || (b.ms as number) < 0) throw new Error('slow.ms must be a non-negative integer');
      const count = optCount();
      return { kind: 'slow', ms: b.ms as number, ...(count !== undefined ? { count } : {}) };
    }
    case 'status': {
      if (!Number.isInteger(b.status) || (b.status as number) < 400 || (b.status as number) > 599) {
        throw new Error('status.status must be an HTTP error status (400-599)');
      }
      const count = optCount();
      if (count === undefined) throw new Error('status.count is required');
      if (b.retryAfterSec !== undefined && (!Number.isInteger(b.retryAfterSec) || (b.retryAfterSec as number) < 0)) {
        throw new Error('status.retryAfterSec must be a non-negative integer');
      }
      if (b.pathPrefix !== undefined && typeof b.pathPrefix !== 'string') throw new Error('status.pathPrefix must be a string');
      return {
        kind: 'status', status: b.status as number, count,
        ...(b.retryAfterSec !== undefined ? { retryAfterSec: b.retryAfterSec as number } : {}),
        ...(b.pathPrefix !== undefined ? { pathPrefix: b.pathPrefix as string } : {}),
      };
    }
    case 'malformed': {
      const count = optCount();
      return { kind: 'malformed', ...(count !== undefined ? { count } : {}) };
    }
    case 'custom': {
      if (typeof b.name !== 'string' || b.name === '') throw new Error('custom.name must be a non-empty string');
      const count = optCount();
      return { kind: 'custom', name: b.name, ...(count !== undefined ? { count } : {}) };
    }
    default:
      throw new Error(`unsupported fault kind; supported: ${REST_PORTAL_FAULT_KINDS.join(', ')}`);
  }
}
