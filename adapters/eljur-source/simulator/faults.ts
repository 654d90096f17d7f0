import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

export { parseFault } from '../../../src/infra/sim/faults';

/** Targets of `shape-change`: what drifts (sources §3.3 «types may differ by deployment»). */
export const SHAPE_TARGETS = ['weight', 'ids', 'count', 'lists'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/** Custom faults: `bad-devkey` answers the next calls as if the devkey were revoked. */
export const CUSTOM_FAULTS = ['bad-devkey'] as const;

export class FaultState extends SimFaultState {
  shapes = new Set<ShapeTarget>();
  badDevkeyRemaining = 0;
  expireRequested = false;

  protected applyOwn(f: OwnFaultSpec): void {
    switch (f.kind) {
      case 'expire-sessions': this.expireRequested = true; break;
      case 'shape-change': this.shapes.add(shapeTarget(SHAPE_TARGETS, f.target, 'weight')); break;
      case 'custom': if (f.name === 'bad-devkey') this.badDevkeyRemaining += f.count ?? 1; break;
    }
  }

  override reset(): void {
    super.reset();
    this.shapes.clear(); this.badDevkeyRemaining = 0; this.expireRequested = false;
  }

  shape(t: ShapeTarget): boolean {
    return this.shapes.has(t);
  }

  takeBadDevkey(): boolean {
    if (this.badDevkeyRemaining <= 0) return false;
    this.badDevkeyRemaining--;
    return true;
  }
}
