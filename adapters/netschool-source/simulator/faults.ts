import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

export { parseFault } from '../../../src/infra/sim/faults';

/** Custom fault names this simulator understands. */
export const CUSTOM_FAULTS = ['session-collision'] as const;

/** Targets of `shape-change`: what drifts in the diary JSON. */
export const SHAPE_TARGETS = ['weight', 'mark', 'teachers'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/** Mutable fault state shared by the web and mobile APIs. */
export class FaultState extends SimFaultState {
  shape: ShapeTarget | undefined;
  collisionsRemaining = 0;
  /** Set by `expire-sessions`; the app drops its sessions when it sees it. */
  expireRequested = false;

  protected applyOwn(f: OwnFaultSpec): void {
    switch (f.kind) {
      case 'expire-sessions': this.expireRequested = true; break;
      case 'shape-change': this.shape = shapeTarget(SHAPE_TARGETS, f.target, 'weight'); break;
      case 'custom':
        if (f.name === 'session-collision') this.collisionsRemaining += f.count ?? 1;
        break;
    }
  }

  override reset(): void {
    super.reset();
    this.shape = undefined;
    this.collisionsRemaining = 0;
    this.expireRequested = false;
  }

  takeCollision(): boolean {
    if (this.collisionsRemaining <= 0) return false;
    this.collisionsRemaining--;
    return true;
  }
}
