import type { FaultSpec } from '../../../src/core/simulator';

/** Custom faults: `html-403` answers the next family calls with the HTML 403 page (sources §4.5). */
export const CUSTOM_FAULTS = ['html-403'] as const;

/**
 * Targets of `shape-change`: `weight` (string weights), `value` (numeric mark values),
 * `payload` (bare lists instead of `{payload}`), `events` (bare list instead of `{response}`).
 */
export const SHAPE_TARGETS = ['weight', 'value', 'payload', 'events'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

interface StatusFault { status: number; remaining: number; retryAfterSec?: number; pathPrefix?: string }

export class FaultState {
  slow: { ms: number; remaining?: number } | undefined;
  statuses: StatusFault[] = [];
  malformedRemaining = 0;
  shapes = new Set<ShapeTarget>();
  html403Remaining = 0;
  /** Set by `expire-sessions`: the token's session is over until the simulator restarts. */
  sessionEnded = false;

  apply(f: FaultSpec): void {
    switch (f.kind) {
      case 'slow': this.slow = { ms: f.ms, ...(f.count !== undefined ? { remaining: f.count } : {}) }; break;
      case 'status': this.statuses.push({ status: f.status, remaining: f.count, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}), ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}) }); break;
      case 'expire-sessions': this.sessionEnded = true; break;
      case 'malformed': this.malformedRemaining += f.count ?? 1; break;
      case 'shape-change': this.shapes.add((SHAPE_TARGETS as readonly string[]).includes(f.target ?? '') ? f.target as ShapeTarget : 'weight'); break;
      case 'custom': if (f.name === 'html-403') this.html403Remaining += f.count ?? 1; break;
      case 'clear': this.reset(); break;
    }
  }

  reset(): void {
    this.slow = undefined;
    this.statuses = [];
    this.malformedRemaining = 0;
    this.shapes.clear();
    this.html403Remaining = 0;
    this.sessionEnded = false;
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

  takeHtml403(): boolean {
    if (this.html403Remaining <= 0) return false;
    this.html403Remaining--;
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
