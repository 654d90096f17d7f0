/**
 * Contract of the built-in simulators of journals and portals.
 *
 * A simulator is a real HTTP server on loopback that speaks the vendor's protocol
 * faithfully (per ../shared/reference), holds demo data, and can be told to misbehave.
 * `diary-gateway simulate <system> --port N` starts one standalone; `config/demo.json`
 * starts them embedded; tests start them per case.
 */
import type { Logger } from './logger';

/** Faults every simulator understands. A simulator ignores kinds it cannot produce and says so in `faultKinds`. */
export type FaultSpec =
  /** Delay the next `count` answers (all answers if count is absent) by `ms`. */
  | { kind: 'slow'; ms: number; count?: number }
  /** Answer the next `count` requests with this status (503, 500, 429 …); `retryAfterSec` adds Retry-After. */
  | { kind: 'status'; status: number; count: number; retryAfterSec?: number; pathPrefix?: string }
  /** Invalidate every session or token now: the next call gets the vendor's "session expired" answer. */
  | { kind: 'expire-sessions' }
  /** Make `count` data records malformed (a required field missing or of the wrong type). */
  | { kind: 'malformed'; count?: number }
  /** Change the shape of one record type (e.g. a field's type drifts from number to string). */
  | { kind: 'shape-change'; target?: string }
  /** Vendor-specific fault, named by the simulator (e.g. `session-collision`). */
  | { kind: 'custom'; name: string; count?: number }
  /** Remove all faults. */
  | { kind: 'clear' };

export interface SimulatorStartOptions {
  host?: string;
  /** 0 or absent = any free port. */
  port?: number;
  /** Seed for the demo data generator: the same seed gives the same data. */
  seed?: number;
  /** "Today" for the demo data; defaults to the real clock. */
  now?: () => Date;
  log?: Logger;
  /** Add new data over time (a mark every few seconds), so a running demo shows data flowing. */
  live?: boolean;
}

export interface SimulatorHandle {
  system: string;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Demo credentials it accepts, for people (printed by `simulate`). */
  credentials: Record<string, string>;
  /** Environment variables a config can reference (`${NAME}`) to reach this simulator. */
  env: Record<string, string>;
  /** Fault kinds this simulator can produce. */
  faultKinds: readonly FaultSpec['kind'][];
  inject(fault: FaultSpec): void;
  close(): Promise<void>;
}

export interface SimulatorFactory {
  system: string;
  title: string;
  start(opts?: SimulatorStartOptions): Promise<SimulatorHandle>;
}
