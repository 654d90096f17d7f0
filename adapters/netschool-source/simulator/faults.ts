import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

export { parseFault } from '../../../src/infra/sim/faults';

/**
 * Custom fault names this simulator understands: `session-collision` (the next logins get the
 * SecurityWarning page), `no-past-mandatory` (`pastMandatory` answers 404, as on older servers,
 * until `clear`).
 */
export const CUSTOM_FAULTS = ['session-collision', 'no-past-mandatory'] as const;

/**
 * Targets of `shape-change`: `weight` (diary weights as strings), `mark` (diary marks as
 * strings), `teachers` (one `teacher` object in details), `overdue` (pastMandatory items in the
 * short shape), `totals` (mobile totals marks as strings, term names as bare numbers),
 * `results` (mobile results as strings, resultDate with seven fractional digits).
 */
export const SHAPE_TARGETS = ['weight', 'mark', 'teachers', 'overdue', 'totals', 'results'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/** Mutable fault state shared by the web and mobile APIs. */
export class FaultState extends SimFaultState {
  shape: ShapeTarget | undefined;
  collisionsRemaining = 0;
  noPastMandatory = false;
  /** Set by `expire-sessions`; the app drops its sessions when it sees it. */
  expireRequested = false;

  protected applyOwn(f: OwnFaultSpec): void {
    switch (f.kind) {
      case 'expire-sessions': this.expireRequested = true; break;
      case 'shape-change': this.shape = shapeTarget(SHAPE_TARGETS, f.target, 'weight'); break;
      case 'custom':
        if (f.name === 'session-collision') this.collisionsRemaining += f.count ?? 1;
        if (f.name === 'no-past-mandatory') this.noPastMandatory = true;
        break;
    }
  }

  override reset(): void {
    super.reset();
    this.shape = undefined;
    this.collisionsRemaining = 0;
    this.noPastMandatory = false;
    this.expireRequested = false;
  }

  takeCollision(): boolean {
    if (this.collisionsRemaining <= 0) return false;
    this.collisionsRemaining--;
    return true;
  }
}
