import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

export { parseFault } from '../../../src/infra/sim/faults';

/** Custom faults: `html-403` answers the next family calls with the HTML 403 page (sources §4.5). */
export const CUSTOM_FAULTS = ['html-403'] as const;

/**
 * Targets of `shape-change`: `weight` (string weights), `value` (numeric mark values),
 * `payload` (bare lists instead of `{payload}`), `events` (bare list instead of `{response}`).
 */
export const SHAPE_TARGETS = ['weight', 'value', 'payload', 'events'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

export class FaultState extends SimFaultState {
  shapes = new Set<ShapeTarget>();
  html403Remaining = 0;
  /** Set by `expire-sessions`: the token's session is over until the simulator restarts. */
  sessionEnded = false;

  protected applyOwn(f: OwnFaultSpec): void {
    switch (f.kind) {
      case 'expire-sessions': this.sessionEnded = true; break;
      case 'shape-change': this.shapes.add(shapeTarget(SHAPE_TARGETS, f.target, 'weight')); break;
      case 'custom': if (f.name === 'html-403') this.html403Remaining += f.count ?? 1; break;
    }
  }

  override reset(): void {
    super.reset();
    this.shapes.clear();
    this.html403Remaining = 0;
    this.sessionEnded = false;
  }

  takeHtml403(): boolean {
    if (this.html403Remaining <= 0) return false;
    this.html403Remaining--;
    return true;
  }
}
