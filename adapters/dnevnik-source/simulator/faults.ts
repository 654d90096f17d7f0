import type { FaultSpec } from '../../../src/core/simulator';

/** Custom fault names: `add-mark` enters a new mark on today's last lesson of 5А (incremental reads). */
export const CUSTOM_FAULTS = ['add-mark'] as const;

/** Targets of `shape-change`: what drifts in the answers. */
export const SHAPE_TARGETS = ['mark-value', 'ids', 'teachers-casing', 'work-type-name', 'schedule-list'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

interface StatusFault { status: number; remaining: number; retryAfterSec?: number; pathPrefix?: string }

/** Mutable fault state of one simulator. */
export class FaultState {
  slow: { ms: number; remaining?: number } | undefined;
  statuses: StatusFault[] = [];
  malformedRemaining = 0;
  shape: ShapeTarget | undefined;
  /** `expire-sessions`: the issued token is refused (401 authorizationFailed) until `clear`. */
  tokenExpired = false;

  apply(f: FaultSpec): void {
    switch (f.kind) {
      case 'slow': this.slow = { ms: f.ms, ...(f.count !== undefined ? { remaining: f.count } : {}) }; break;
      case 'status': this.statuses.push({ status: f.status, remaining: f.count, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}), ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}) }); break;
      case 'expire-sessions': this.tokenExpired = true; break;
      case 'malformed': this.malformedRemaining += f.count ?? 1; break;
      case 'shape-change': this.shape = (SHAPE_TARGETS as readonly string[]).includes(f.target ?? '') ? f.target as ShapeTarget : 'mark-value'; break;
      case 'custom': break;
      case 'clear': this.reset(); break;
    }
  }

  reset(): void {
    this.slow = undefined;
    this.statuses = [];
    this.malformedRemaining = 0;
    this.shape = undefined;
    this.tokenExpired = false;
  }

  takeDelay(): number {
    if (!this.slow) return 0;
    const ms = this.slow.ms;
    if (this.slow.remaining !== undefined && --this.slow.remaining <= 0) this.slow = undefined;
    return ms;
  }

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
