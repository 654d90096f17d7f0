/**
 * What the simulated СМЭВ (and the provider emulator behind it) holds: accepted messages by
 * MessageID, the records the provider applied, the consumer's response and status queues,
 * and counters a test checks to prove "delivered exactly once in effect":
 * `appliedTwice` (a record key applied by two accepted messages) must stay 0.
 */
import type { InteractionStatus } from '../protocol';

export interface AcceptedMessage {
  messageId: string;
  sendingTimestamp: string;
  recordCount: number;
  viaAttachment: boolean;
  test: boolean;
  rootNamespace: string;
  rootLocalName: string;
  sender: string;
}

export interface AppliedRecord { key: string; recordId: string; entityType: string; revision: number; messageId: string }

/** One message waiting in the consumer's response queue (the XML of ResponseMessage). */
export interface QueuedResponse { messageId: string; originalMessageId: string; xml: string }

export interface QueuedStatus { originalMessageId: string; category: InteractionStatus; details?: string; smevFault?: { code: string; description: string } }

export interface Smev3SimCounters {
  /** SOAP requests that reached the service (after injected HTTP faults). */
  requests: number;
  /** SendRequests accepted. */
  messages: number;
  /** SendRequests answered MessageIsAlreadySent. */
  duplicates: number;
  /** Records applied by the provider (TestMessage requests apply nothing). */
  applied: number;
  /** Records applied again under a key already applied. Must stay 0. */
  appliedTwice: number;
  testMessages: number;
  /** Requests refused as invalid (envelope or payload XSD, InvalidContent). */
  invalid: number;
  acks: number;
  /** Requests taken and then refused by the asynchronous validation (fault `async-reject`). */
  asyncRejected: number;
  /** Faults answered, by fault name. */
  faults: Record<string, number>;
}

export interface Smev3SimState {
  counters: Smev3SimCounters;
  messages: AcceptedMessage[];
  applied: AppliedRecord[];
  pendingResponses: number;
  pendingStatuses: number;
}

export interface ReceivedBody { op: string; xml: string }

export class Smev3SimStore {
  readonly accepted = new Map<string, AcceptedMessage>();
  readonly applied: AppliedRecord[] = [];
  private readonly appliedKeys = new Set<string>();
  readonly responses: QueuedResponse[] = [];
  readonly statuses: QueuedStatus[] = [];
  /** Logical bodies of every SOAP request received (attachments inline), oldest first, bounded. */
  readonly received: ReceivedBody[] = [];
  readonly counters: Smev3SimCounters = {
    requests: 0, messages: 0, duplicates: 0, applied: 0, appliedTwice: 0, testMessages: 0, invalid: 0, acks: 0, asyncRejected: 0, faults: {},
  };

  constructor(private readonly maxReceived = 500) {}

  receive(op: string, xml: string): void {
    this.received.push({ op, xml });
    if (this.received.length > this.maxReceived) this.received.shift();
  }

  countFault(name: string): void {
    this.counters.faults[name] = (this.counters.faults[name] ?? 0) + 1;
  }

  /** Applies one record; returns whether its key had been applied before. */
  apply(r: AppliedRecord): boolean {
    const again = this.appliedKeys.has(r.key);
    if (again) this.counters.appliedTwice++;
    this.appliedKeys.add(r.key);
    this.applied.push(r);
    this.counters.applied++;
    return again;
  }

  snapshot(): Smev3SimState {
    return {
      counters: { ...this.counters, faults: { ...this.counters.faults } },
      messages: [...this.accepted.values()].map((m) => ({ ...m })),
      applied: this.applied.map((a) => ({ ...a })),
      pendingResponses: this.responses.length,
      pendingStatuses: this.statuses.length,
    };
  }
}
