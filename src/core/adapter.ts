import type { Cursor } from './cursor';
import type { GatewayError } from './errors';
import type { HttpClient } from './http';
import type { IdResolver } from './ids';
import type { Logger } from './logger';
import type { EntityType, MappedRecord } from './records';
import type { SinkTransport } from './transport';

/**
 * Static description of an adapter (source or sink).
 *
 * `configSchema` is a JSON Schema (draft 2020-12) of the adapter instance's `config` block.
 * Fields holding secrets carry `"x-secret": true`: config loading requires them to be
 * `${ENV}` references and redaction masks them everywhere.
 */
export interface AdapterSpec {
  /** Registry id, e.g. `netschool-source`, `rest-portal-sink`. */
  id: string;
  /** Source system code written into provenance, e.g. `netschool`. */
  system: string;
  version: string;
  kind: 'source' | 'sink';
  title: string;
  configSchema: Record<string, unknown>;
  docsUrl?: string;
}

/** One stream a source can read. */
export interface StreamSpec {
  /** Stream name, e.g. `diary`, `marks`, `students`. */
  name: string;
  /** Canonical entities this stream yields. */
  entities: readonly EntityType[];
  /** Absent → full refresh each run. */
  cursorField?: string;
  /**
   * Entities of which a complete read of this stream returns every live record of the
   * school (a roster snapshot). Records of these entities that this source instance wrote
   * and a complete read no longer returns are marked deleted (tombstones, held by the safety
   * hold when there are too many). Only for streams that really read everything: a windowed
   * or incremental stream must leave it empty.
   */
  deletesMissing?: readonly EntityType[];
  description?: string;
}

/**
 * Everything an adapter may touch while it runs. Injected, so tests control the clock and
 * never really sleep.
 */
export interface RunContext<C = Record<string, unknown>> {
  /** The instance config with secrets resolved. Never log it. */
  config: Readonly<C>;
  schoolId: string;
  log: Logger;
  http: HttpClient;
  signal: AbortSignal;
  ids: IdResolver;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Lower bound asked for by `sync --since`, if any (ISO date). */
  since?: string;
  /**
   * Sinks only: the ledger's transport state of this sink's deliveries (src/core/transport.ts),
   * filled by the runtime for the delivery worker and the sink poller. Absent in contexts without
   * a ledger (tests, `check`): a sink must then work without restart-safe message ids.
   */
  transport?: SinkTransport;
}

export type CheckResult = { ok: true; details?: Record<string, string | number> } | { ok: false; error: GatewayError };

/**
 * What `read` yields.
 * - `record`: one mapped record (the pipeline completes and validates it);
 * - `invalid`: a vendor record the adapter could not map; it is quarantined with its issues
 *   and the raw record, and the read goes on;
 * - `checkpoint`: everything yielded before it may be committed together with this cursor.
 */
export type SourceMessage =
  | { kind: 'record'; stream: string; record: MappedRecord }
  | { kind: 'invalid'; stream: string; sourceId: string; entityType?: EntityType; error: GatewayError; raw?: unknown }
  | { kind: 'checkpoint'; stream: string; cursor: Cursor };

export interface SourceAdapter<C = Record<string, unknown>> {
  readonly spec: AdapterSpec;
  readonly streams: readonly StreamSpec[];
  /** A cheap authenticated call; no data read. Bad credentials → `{ok:false}` with a permanent error. */
  check(ctx: RunContext<C>): Promise<CheckResult>;
  /**
   * Reads one stream from `from` (null = from the beginning). Yields records in cursor order
   * where the API allows and a checkpoint at page boundaries (at least one per read that
   * yielded records). A cursor from the future yields nothing and no error.
   * Whole-read failures throw GatewayError; one bad vendor record yields `invalid` instead.
   */
  read(ctx: RunContext<C>, stream: string, from: Cursor | null): AsyncIterable<SourceMessage>;
  /** Optional clean-up (log out of the journal). Called once after all streams were read. */
  close?(ctx: RunContext<C>): Promise<void>;
  /**
   * Optional change notification for sources that are not only polled (a watched folder).
   * The runtime calls it once per instance at start with the resolved config and runs a sync
   * (trigger `watch`) soon after each `notify()`; notifications during a run coalesce into one
   * more run. `close()` is called at shutdown. Must not throw for a missing folder: report it
   * through `check` instead.
   */
  watch?(config: Readonly<C>, notify: () => void): { close(): void };
}

/** One item handed to a sink. `key` is the idempotency key, stable across retries and replays. */
export interface DeliveryItem {
  deliveryId: number;
  key: string;
  recordId: string;
  entityType: EntityType;
  schoolId: string;
  revision: number;
  contentHash: string;
  status: 'active' | 'tobedeleted';
  /** The canonical record. */
  payload: Record<string, unknown>;
  /** 1 for the first attempt. */
  attempt: number;
}

export type DeliveryOutcome =
  | { deliveryId: number; status: 'delivered'; remoteRef?: string; duplicate?: boolean }
  | { deliveryId: number; status: 'failed'; error: GatewayError };

export interface SinkAdapter<C = Record<string, unknown>> {
  readonly spec: AdapterSpec;
  check(ctx: RunContext<C>): Promise<CheckResult>;
  /**
   * Delivers a batch. Returns one outcome per item (per-item rejections are outcomes, never
   * throws). A whole-batch failure (auth, destination down) throws a GatewayError, and every
   * item of the batch is treated as failed with it.
   */
  push(ctx: RunContext<C>, batch: readonly DeliveryItem[]): Promise<DeliveryOutcome[]>;
  /** Entities this sink takes; absent = all. */
  readonly accepts?: readonly EntityType[];
  /**
   * Optional follow-up after delivery, for destinations that answer later (СМЭВ GetResponse /
   * Ack / GetStatus): the runtime calls it every `pollIntervalMs(config)` while the gateway runs,
   * never two at once per sink, with the delivery worker's context (including `transport`).
   * Throws GatewayError when the destination cannot be reached; the runtime logs it and tries
   * again at the next interval.
   */
  poll?(ctx: RunContext<C>): Promise<SinkPollSummary>;
  /** Interval of `poll` for this instance config; undefined = polling is off for it. */
  pollIntervalMs?(config: Readonly<C>): number | undefined;
}

/** What one `poll` did (counts only; logged and returned to tests). */
export interface SinkPollSummary {
  /** Answers read and acknowledged. */
  responses: number;
  /** Status messages read. */
  statuses: number;
  /** Deliveries whose remote status changed. */
  updated: number;
  /** Deliveries the destination refused after taking them. */
  rejected: number;
}
