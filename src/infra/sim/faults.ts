/**
 * Fault state shared by the source simulators: the budgets every one of them keeps the same way
 * (`slow`, `status`, `malformed`, `clear`) and the parsing of a FaultSpec posted to `/_sim/faults`.
 * What `expire-sessions`, `shape-change` and `custom` mean differs per vendor, so a simulator
 * subclasses SimFaultState and handles those kinds in `applyOwn`.
 */
import type { FaultSpec } from '../../core/simulator';

/** Fault kinds every source simulator can produce. */
export const SOURCE_FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'expire-sessions', 'malformed', 'shape-change', 'custom', 'clear'];

export interface StatusFault { status: number; remaining: number; retryAfterSec?: number; pathPrefix?: string }

/** The fault kinds whose meaning is the simulator's own. */
export type OwnFaultSpec = Extract<FaultSpec, { kind: 'expire-sessions' | 'shape-change' | 'custom' }>;

export abstract class SimFaultState {
  slow: { ms: number; remaining?: number } | undefined;
  statuses: StatusFault[] = [];
  malformedRemaining = 0;

  apply(f: FaultSpec): void {
    switch (f.kind) {
      case 'slow': this.slow = { ms: f.ms, ...(f.count !== undefined ? { remaining: f.count } : {}) }; break;
      case 'status': this.statuses.push({ status: f.status, remaining: f.count, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}), ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}) }); break;
      case 'malformed': this.malformedRemaining += f.count ?? 1; break;
      case 'clear': this.reset(); break;
      default: this.applyOwn(f);
    }
  }

  /** `expire-sessions`, `shape-change` and `custom`, as this simulator understands them. */
  protected abstract applyOwn(f: OwnFaultSpec): void;

  /** Drops every fault; a subclass that keeps more state extends it (and calls super). */
  reset(): void {
    this.slow = undefined;
    this.statuses = [];
    this.malformedRemaining = 0;
  }

  /** Delay for this request (consumes one), 0 when none. */
  takeDelay(): number {
    if (!this.slow) return 0;
    const ms = this.slow.ms;
    if (this.slow.remaining !== undefined && --this.slow.remaining <= 0) this.slow = undefined;
    return ms;
  }

  /** Status fault matching this path (consumes one), if any. */
  takeStatus(path: string): StatusFault | undefined {
    const f = this.statuses.find((s) => s.remaining > 0 && (!s.pathPrefix || path.startsWith(s.pathPrefix)));
    if (!f) return undefined;
    f.remaining--;
    this.statuses = this.statuses.filter((s) => s.remaining > 0);
    return f;
  }

  takeMalformed(): boolean {
    if (this.malformedRemaining <= 0) return false;
    this.malformedRemaining--;
    return true;
  }
}

/** A `shape-change` target from the simulator's list, or its default when the target is unknown. */
export function shapeTarget<T extends string>(targets: readonly T[], target: string | undefined, fallback: T): T {
  return (targets as readonly string[]).includes(target ?? '') ? target as T : fallback;
}

/** Parses a FaultSpec posted to `/_sim/faults`; undefined when it is not one. */
export function parseFault(x: unknown): FaultSpec | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const f = x as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  switch (f.kind) {
    case 'slow': return num(f.ms) ? { kind: 'slow', ms: f.ms, ...(num(f.count) ? { count: f.count } : {}) } : undefined;
    case 'status':
      return num(f.status) && num(f.count)
        ? { kind: 'status', status: f.status, count: f.count, ...(num(f.retryAfterSec) ? { retryAfterSec: f.retryAfterSec } : {}), ...(typeof f.pathPrefix === 'string' ? { pathPrefix: f.pathPrefix } : {}) }
        : undefined;
    case 'expire-sessions': return { kind: 'expire-sessions' };
    case 'malformed': return { kind: 'malformed', ...(num(f.count) ? { count: f.count } : {}) };
    case 'shape-change': return { kind: 'shape-change', ...(typeof f.target === 'string' ? { target: f.target } : {}) };
    case 'custom': return typeof f.name === 'string' ? { kind: 'custom', name: f.name, ...(num(f.count) ? { count: f.count } : {}) } : undefined;
    case 'clear': return { kind: 'clear' };
    default: return undefined;
  }
}
