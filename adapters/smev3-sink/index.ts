/**
 * `smev3-sink`: delivers canonical diary records as a СМЭВ 3 consumer (message exchange 1.1):
 * SendRequest with a deterministic version-1 MessageID per message, kept in the ledger before
 * the send; then GetResponse / Ack and GetStatus to follow up (`poll`, run by the gateway).
 * Also exports the СМЭВ 3 simulator.
 */
import type { CheckResult, DeliveryItem, DeliveryOutcome, RunContext, SinkAdapter, SinkPollSummary } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { Smev3Client, type Smev3ClientDeps } from './client';
import { SUPPORTED_ENTITIES } from './diary-xml';
import { MessageMemory, type MemoryLimits } from './memory';
import { pollOnce } from './poll';
import type { Operation } from './protocol';
import { pushBatch } from './push';
import type { AsyncStatus, ResponseMessage } from './responses';
import type { XmlSigner } from './signer';
import { resolveSmev3Config, smev3Spec, type Smev3SinkConfig } from './spec';
import { loadSmev3Xml } from './xsd';

export interface Smev3SinkOptions {
  memoryLimits?: MemoryLimits;
  /** Replaces the signer the config names (tests plug their own). */
  signer?: XmlSigner;
  /** Sees every body the sink sends, in logical form (tests validate each one). */
  onSend?(op: Operation, logicalBody: string): void;
}

/** A read from the response queue: the message (already acknowledged with Ack) and the Ack result. */
export interface PolledResponse { message: ResponseMessage; ack: 'acked' | 'gone' }

export interface Smev3Sink extends SinkAdapter<Smev3SinkConfig> {
  /** GetResponse until the queue is empty (or `max` messages), acknowledging each with Ack. */
  pollResponses(ctx: RunContext<Smev3SinkConfig>, opts?: { max?: number }): Promise<PolledResponse[]>;
  /** GetStatus until no status is waiting (or `max`). */
  pollStatuses(ctx: RunContext<Smev3SinkConfig>, opts?: { max?: number }): Promise<AsyncStatus[]>;
  /**
   * The follow-up the gateway schedules (poll.ts): answers stored per delivery in the ledger
   * (`ctx.transport`) and acknowledged, then statuses for messages gone quiet.
   */
  poll(ctx: RunContext<Smev3SinkConfig>): Promise<SinkPollSummary>;
  /** `poll.intervalSeconds` in ms, or undefined when `poll.enabled` is false. */
  pollIntervalMs(config: Readonly<Smev3SinkConfig>): number | undefined;
  /** In-process memory sizes (messages in doubt, keys settled), for tests and diagnostics. */
  memorySize(endpoint: string): { pending: number; settled: number };
}

export function createSmev3Sink(opts: Smev3SinkOptions = {}): Smev3Sink {
  const memories = new Map<string, MessageMemory>();
  /** When each endpoint's status queue was last read (poll.ts). */
  const statusDrains = new Map<string, { lastMs: number | undefined }>();
  const memoryFor = (endpoint: string, ns: string): MessageMemory => {
    const id = `${endpoint}\n${ns}`;
    let m = memories.get(id);
    if (!m) { m = new MessageMemory(opts.memoryLimits); memories.set(id, m); }
    return m;
  };
  const clientFor = async (ctx: RunContext<Smev3SinkConfig>): Promise<{ client: Smev3Client; deps: Smev3ClientDeps }> => {
    const config = resolveSmev3Config(ctx.config);
    const deps: Smev3ClientDeps = {
      config, http: ctx.http, log: ctx.log.child({ adapter: smev3Spec.id }), now: () => ctx.now(), xml: await loadSmev3Xml(),
      ...(opts.signer ? { signer: opts.signer } : {}), ...(opts.onSend ? { onSend: opts.onSend } : {}),
    };
    return { client: new Smev3Client(deps), deps };
  };

  return {
    spec: smev3Spec,
    accepts: SUPPORTED_ENTITIES,

    /** GetIncomingQueueStatistics: reaches СМЭВ with a signed call that reads nothing. */
    async check(ctx): Promise<CheckResult> {
      try {
        const { client } = await clientFor(ctx);
        const queues = await client.queueStatistics();
        return { ok: true, details: { queues: queues.length, pending: queues.reduce((n, q) => n + q.pending, 0) } };
      } catch (e) {
        return { ok: false, error: e instanceof GatewayError ? e : new GatewayError('GW_INTERNAL', String(e), { cause: e }) };
      }
    },

    async push(ctx, batch: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
      if (batch.length === 0) return [];
      const { client, deps } = await clientFor(ctx);
      return pushBatch({
        client, config: deps.config, xml: deps.xml, memory: memoryFor(deps.config.endpoint, deps.config.payloadNamespace),
        log: deps.log, now: deps.now, signal: ctx.signal, ...(ctx.transport ? { transport: ctx.transport } : {}),
      }, batch);
    },

    async poll(ctx) {
      const { client, deps } = await clientFor(ctx);
      let statusDrain = statusDrains.get(deps.config.endpoint);
      if (!statusDrain) { statusDrain = { lastMs: undefined }; statusDrains.set(deps.config.endpoint, statusDrain); }
      const summary = await pollOnce({
        client, config: deps.config, log: deps.log, now: deps.now, statusDrain, ...(ctx.transport ? { transport: ctx.transport } : {}),
      });
      deps.log[summary.rejected > 0 ? 'warn' : 'debug']('smev3 poll', { ...summary });
      return summary;
    },

    pollIntervalMs(config) {
      const p = resolveSmev3Config(config).poll;
      return p.enabled ? p.intervalSeconds * 1000 : undefined;
    },

    async pollResponses(ctx, o = {}) {
      const { client } = await clientFor(ctx);
      const got: PolledResponse[] = [];
      while (got.length < (o.max ?? 100)) {
        const message = await client.getResponse();
        if (!message) break;
        got.push({ message, ack: await client.ack(message.messageId, true) });
      }
      return got;
    },

    async pollStatuses(ctx, o = {}) {
      const { client } = await clientFor(ctx);
      const got: AsyncStatus[] = [];
      while (got.length < (o.max ?? 100)) {
        const s = await client.getStatus();
        if (!s) break;
        got.push(s);
      }
      return got;
    },

    memorySize(endpoint) {
      let pending = 0;
      let settled = 0;
      for (const [id, m] of memories) if (id.startsWith(`${endpoint}\n`)) { pending += m.size.pending; settled += m.size.settled; }
      return { pending, settled };
    },
  };
}

/** The registered instance (one memory per process and endpoint). */
export const smev3Sink: Smev3Sink = createSmev3Sink();

export { Smev3Client } from './client';
export { smev3Simulator, startSmev3Simulator } from './simulator';
export type { Smev3SimulatorHandle, Smev3SimulatorOptions, Smev3SimState } from './simulator';
export { resolveSmev3Config, smev3ConfigSchema, smev3Spec } from './spec';
export type { Smev3SinkConfig, ResolvedSmev3Config } from './spec';
export { parseRemoteRef, TAKEN_STATUS, type Smev3RemoteRef } from './push';
export { OPEN_STATUSES, STATUS_RANK, type Smev3RemoteStatus } from './poll';
export { TestSigner, SigningServiceSigner, type XmlSigner } from './signer';
export { loadSmev3Xml } from './xsd';
