/**
 * What the sink remembers between pushes, per СМЭВ endpoint, so a message whose fate is
 * unknown is never re-sent under another MessageID while this process lives:
 *
 * - `pending`: messages sent without any SOAP answer (timeout, dropped connection, a proxy's
 *   5xx). The next push that carries any of their keys first resends the same bytes (same
 *   MessageID): СМЭВ then answers success or `MessageIsAlreadySent`.
 * - `settled`: keys of messages СМЭВ took, with the MessageID and SendingTimestamp, so keys
 *   that come back later (the delivery loop regroups retries) are answered without a send.
 *
 * After a restart this memory is empty. With the runtime's ledger (`ctx.transport`) the
 * MessageID written onto each delivery before the send takes over (push.ts): regrouped retries
 * still go out under the id in doubt. Without a ledger the deterministic MessageID
 * (message-id.ts) is the only guard: the same set of keys maps to the same id within its window.
 */
import type { PreparedMessage } from './client';

export interface PendingMessage {
  prepared: PreparedMessage;
  keys: readonly string[];
  /** When it was first sent (ms). */
  sentAt: number;
}

export interface SettledKey {
  messageId: string;
  sendingTimestamp?: string;
  status?: string;
  at: number;
}

export interface MemoryLimits {
  maxPending: number;
  maxSettled: number;
  /** Entries older than this are dropped (a MessageID is stale to СМЭВ after about two days anyway). */
  ttlMs: number;
}

/** 47 h: just under the two days after which СМЭВ answers StaleMessageId. */
export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { maxPending: 1000, maxSettled: 100_000, ttlMs: 47 * 3_600_000 };

export class MessageMemory {
  private readonly pending = new Map<string, PendingMessage>();
  private readonly pendingByKey = new Map<string, string>();
  private readonly settledKeys = new Map<string, SettledKey>();

  constructor(private readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS) {}

  /** Distinct pending messages holding any of `keys`, oldest first. */
  pendingFor(keys: readonly string[], nowMs: number): PendingMessage[] {
    this.expire(nowMs);
    const ids = new Set<string>();
    for (const k of keys) {
      const id = this.pendingByKey.get(k);
      if (id) ids.add(id);
    }
    return [...ids].map((id) => this.pending.get(id)).filter((p): p is PendingMessage => p !== undefined).sort((a, b) => a.sentAt - b.sentAt);
  }

  remember(p: PendingMessage): void {
    this.forget(p.prepared.messageId);
    this.pending.set(p.prepared.messageId, p);
    for (const k of p.keys) this.pendingByKey.set(k, p.prepared.messageId);
    while (this.pending.size > this.limits.maxPending) this.forget(this.pending.keys().next().value as string);
  }

  /** Drops a pending message (СМЭВ gave a definite answer to it). */
  forget(messageId: string): void {
    const p = this.pending.get(messageId);
    if (!p) return;
    this.pending.delete(messageId);
    for (const k of p.keys) if (this.pendingByKey.get(k) === messageId) this.pendingByKey.delete(k);
  }

  /** СМЭВ holds these keys under `info.messageId`. */
  settle(keys: readonly string[], info: SettledKey): void {
    this.forget(info.messageId);
    for (const k of keys) {
      this.settledKeys.delete(k);
      this.settledKeys.set(k, info);
    }
    while (this.settledKeys.size > this.limits.maxSettled) this.settledKeys.delete(this.settledKeys.keys().next().value as string);
  }

  settled(key: string, nowMs: number): SettledKey | undefined {
    const s = this.settledKeys.get(key);
    if (s && nowMs - s.at > this.limits.ttlMs) {
      this.settledKeys.delete(key);
      return undefined;
    }
    return s;
  }

  get size(): { pending: number; settled: number } {
    return { pending: this.pending.size, settled: this.settledKeys.size };
  }

  private expire(nowMs: number): void {
    for (const [id, p] of this.pending) if (nowMs - p.sentAt > this.limits.ttlMs) this.forget(id);
  }
}
