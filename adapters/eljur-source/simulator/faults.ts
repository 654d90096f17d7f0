import type { FaultSpec } from '../../../src/core/simulator';

/** Targets of `shape-change`: what drifts (sources §3.3 «types may differ by deployment»). */
export const SHAPE_TARGETS = ['weight', 'ids', 'count', 'lists'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/** Custom faults: `bad-devkey` answers the next calls as if the devkey were revoked. */
export const CUSTOM_FAULTS = ['bad-devkey'] as const;

interface StatusFault { status: number; remaining: number; retryAfterSec?: number; pathPrefix?: string }

export class FaultState {
  slow: { ms: number; remaining?: number } | undefined;
  statuses: StatusFault[] = [];
  malformedRemaining = 0;
  shapes = new Set<ShapeTarget>();
  badDevkeyRemaining = 0;
  expireRequested = false;

  apply(f: FaultSpec): void {
    switch (f.kind) {
      case 'slow': this.slow = { ms: f.ms, ...(f.count !== undefined ? { remaining: f.count } : {}) }; break;
      case 'status': this.statuses.push({ status: f.status, remaining: f.count, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}), ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}) }); break;
      case 'expire-sessions': this.expireRequested = true; break;
      case 'malformed': this.malformedRemaining += f.count ?? 1; break;
      case 'shape-change': this.shapes.add((SHAPE_TARGETS as readonly string[]).includes(f.target ?? '') ? f.target as ShapeTarget : 'weight'); break;
      case 'custom': if (f.name === 'bad-devkey') this.badDevkeyRemaining += f.count ?? 1; break;
      case 'clear': this.reset(); break;
    }
  }

  reset(): void {
    this.slow = undefined; this.statuses = []; this.malformedRemaining = 0; this.shapes.clear(); this.badDevkeyRemaining = 0; this.expireRequested = false;
  }

  shape(t: ShapeTarget): boolean {
    return this.shapes.has(t);
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

  takeBadDevkey(): boolean {
    if (this.badDevkeyRemaining <= 0) return false;
    this.badDevkeyRemaining--;
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
