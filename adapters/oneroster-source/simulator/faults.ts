import { SimFaultState, shapeTarget, type OwnFaultSpec } from '../../../src/infra/sim/faults';

/**
 * Targets of `shape-change` (drift between binding versions and providers the adapter accepts):
 * `score-string` (Result.score as a string), `primary-boolean` (Enrollment.primary as a JSON
 * boolean), `roles-1.1` (User.role + orgs instead of roles[]), `bare-refs` (GUIDRefs as bare
 * sourcedId strings), `inactive` (1.0 status `inactive` instead of `tobedeleted`).
 */
export const SHAPE_TARGETS = ['score-string', 'primary-boolean', 'roles-1.1', 'bare-refs', 'inactive'] as const;
export type ShapeTarget = (typeof SHAPE_TARGETS)[number];

/**
 * Custom faults: `short-pages` (pages of at most 7 whatever `limit` asks), `no-total` (no
 * X-Total-Count), `no-link` (no Link header), `offset-ignored` (every page is the first),
 * `bad-client` (the token endpoint refuses the client `count` times).
 */
export const CUSTOM_FAULTS = ['short-pages', 'no-total', 'no-link', 'offset-ignored', 'bad-client'] as const;

export class FaultState extends SimFaultState {
  shapes = new Set<ShapeTarget>();
  flags = new Set<string>();
  badClientRemaining = 0;
  expireRequested = false;

  protected applyOwn(f: OwnFaultSpec): void {
    switch (f.kind) {
      case 'expire-sessions': this.expireRequested = true; break;
      case 'shape-change': this.shapes.add(shapeTarget(SHAPE_TARGETS, f.target, 'score-string')); break;
      case 'custom':
        if (f.name === 'bad-client') this.badClientRemaining += f.count ?? 1;
        else if ((CUSTOM_FAULTS as readonly string[]).includes(f.name)) this.flags.add(f.name);
        break;
    }
  }

  override reset(): void {
    super.reset();
    this.shapes.clear(); this.flags.clear(); this.badClientRemaining = 0; this.expireRequested = false;
  }

  shape(t: ShapeTarget): boolean {
    return this.shapes.has(t);
  }

  flag(name: (typeof CUSTOM_FAULTS)[number]): boolean {
    return this.flags.has(name);
  }

  takeBadClient(): boolean {
    if (this.badClientRemaining <= 0) return false;
    this.badClientRemaining--;
    return true;
  }
}
