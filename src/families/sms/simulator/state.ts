/**
 * State of the simulated SMS gateway: accepted messages, idempotency keys, opt-out lists and
 * faults. Delivery reports move on with the injected clock: a message is `sent` until
 * `deliverAfterMs` has passed, then `delivered` — or `opted_out` for a number on the late
 * opt-out list (the operator learns of the refusal only when it tries to deliver).
 */
import type { OwnFaultSpec } from '../../../infra/sim/faults';
import { SimFaultState } from '../../../infra/sim/faults';
import type { WireDeliveryStatus } from '../protocol';
import type { SmsEncoding } from '../segments';

export interface SimMessage {
  id: string;
  to: string;
  text: string;
  clientRef: string;
  sender?: string;
  segments: number;
  encoding: SmsEncoding;
  acceptedAt: number;
}

/** Demo numbers: refused at once (operator opt-out), refused at delivery, and unreachable. */
export const DEMO_OPT_OUT_NUMBERS: readonly string[] = ['+79990000001', '+79990000002'];
export const DEMO_LATE_OPT_OUT_NUMBERS: readonly string[] = ['+79990000010'];
export const DEMO_UNDELIVERABLE_NUMBERS: readonly string[] = ['+79990000020'];

export class SmsFaultState extends SimFaultState {
  constructor(private readonly sim: SmsSimState) { super(); }

  /** `custom` faults: `opt-out:<phone>` and `late-opt-out:<phone>` add a number to a list. */
  protected applyOwn(f: OwnFaultSpec): void {
    if (f.kind !== 'custom') return;
    const [name, phone] = f.name.split(/:(.*)/s);
    if (name === 'opt-out' && phone) this.sim.optOut.add(phone);
    if (name === 'late-opt-out' && phone) this.sim.lateOptOut.add(phone);
  }
}

export class SmsSimState {
  readonly messages = new Map<string, SimMessage>();
  readonly byClientRef = new Map<string, string>();
  readonly optOut: Set<string>;
  readonly lateOptOut: Set<string>;
  readonly undeliverable: Set<string>;
  readonly faults: SmsFaultState;
  /** Requests answered, by path template (to check idempotency and retries). */
  readonly hits = new Map<string, number>();
  private seq = 0;

  constructor(opts: { optOut?: readonly string[]; lateOptOut?: readonly string[]; undeliverable?: readonly string[] }, private readonly deliverAfterMs: number) {
    this.optOut = new Set(opts.optOut ?? DEMO_OPT_OUT_NUMBERS);
    this.lateOptOut = new Set(opts.lateOptOut ?? DEMO_LATE_OPT_OUT_NUMBERS);
    this.undeliverable = new Set(opts.undeliverable ?? DEMO_UNDELIVERABLE_NUMBERS);
    this.faults = new SmsFaultState(this);
  }

  nextId(): string {
    this.seq += 1;
    return `sim-${String(this.seq).padStart(6, '0')}`;
  }

  hit(path: string): void {
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
  }

  statusOf(m: SimMessage, nowMs: number): WireDeliveryStatus {
    if (nowMs - m.acceptedAt < this.deliverAfterMs) return 'sent';
    if (this.lateOptOut.has(m.to)) return 'opted_out';
    if (this.undeliverable.has(m.to)) return 'undeliverable';
    return 'delivered';
  }
}
