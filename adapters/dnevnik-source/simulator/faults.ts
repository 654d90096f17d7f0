import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

export { parseFault } from '../../../src/infra/sim/faults';

/** Custom fault names: `add-mark` enters a new mark on today's last lesson of 5А (incremental reads). */
export const CUSTOM_FAULTS = ['add-mark'] as const;

/** Targets of `shape-change`: what drifts in the answers. */
export const SHAPE_TARGETS = ['mark-value', 'ids', 'teachers-casing', 'work-type-name', 'schedule-list'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/** Mutable fault state of one simulator. */
export class FaultState extends SimFaultState {
  shape: ShapeTarget | undefined;
  /** `expire-sessions`: the issued token is refused (401 authorizationFailed) until `clear`. */
  tokenExpired = false;

  /** `custom` (`add-mark`) is played by the simulator itself, not kept here. */
  protected applyOwn(f: OwnFaultSpec): void {
    if (f.kind === 'expire-sessions') this.tokenExpired = true;
    else if (f.kind === 'shape-change') this.shape = shapeTarget(SHAPE_TARGETS, f.target, 'mark-value');
  }

  override reset(): void {
    super.reset();
    this.shape = undefined;
    this.tokenExpired = false;
  }
}
