/**
 * Faults the simulated OneRoster consumer can produce.
 *
 * - `slow {ms, count?}`: delay the answers of the next `count` writes (all until `clear`), after
 *   applying them: a gateway that times out has still been applied;
 * - `status {status, count, retryAfterSec?, pathPrefix?}`: answer the next `count` writes under
 *   `/ims/` with this status (imsx body, + Retry-After); with `pathPrefix`, any path under it
 *   (the token endpoint too). Nothing is applied;
 * - `expire-sessions`: every access token issued so far is refused (401) from now on;
 * - `malformed {count?}`: the next `count` (1) token requests are answered 200 with an HTML page;
 * - `custom reject:<collection> {count?}`: refuse the next `count` (all until `clear`) PUTs to
 *   that collection with 422 invaliddata and a reason in imsx_description, as a consumer
 *   refusing one record does;
 * - `custom html-error {count?}`: answer the next `count` (1) PUTs 422 with an HTML body (a proxy
 *   page, no imsx), nothing applied;
 * - `clear`. `shape-change` is not something a consumer does: ignored.
 */
import type { FaultSpec } from '../../../src/core/simulator';
import { isCollection, type CollectionName } from '../collections';

export const CONSUMER_FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'expire-sessions', 'malformed', 'custom', 'clear'];
export const CUSTOM_FAULTS = ['reject:<collection>', 'html-error'] as const;

export interface StatusFault { status: number; retryAfterSec?: number }

export class ConsumerFaults {
  private slow: { ms: number; left: number } | undefined;
  private statuses: { status: number; left: number; retryAfterSec?: number; pathPrefix?: string }[] = [];
  private malformed = 0;
  private htmlError = 0;
  private readonly rejects = new Map<CollectionName, number>();

  constructor(private readonly expireSessions: () => void) {}

  /** Applies a fault; false for a kind this consumer cannot produce. Throws for an unknown custom fault. */
  inject(f: FaultSpec): boolean {
    switch (f.kind) {
      case 'clear':
        this.slow = undefined; this.statuses = []; this.malformed = 0; this.htmlError = 0; this.rejects.clear();
        return true;
      case 'slow': this.slow = { ms: f.ms, left: f.count ?? Infinity }; return true;
      case 'status':
        this.statuses.push({ status: f.status, left: f.count, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}), ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}) });
        return true;
      case 'expire-sessions': this.expireSessions(); return true;
      case 'malformed': this.malformed += f.count ?? 1; return true;
      case 'custom': {
        const m = /^reject:(.+)$/.exec(f.name);
        if (m) {
          if (!isCollection(m[1] as string)) throw new Error(`reject: unknown collection '${m[1] as string}'`);
          this.rejects.set(m[1] as CollectionName, f.count ?? Infinity);
          return true;
        }
        if (f.name === 'html-error') { this.htmlError += f.count ?? 1; return true; }
        throw new Error(`unknown custom fault '${f.name}'; known: ${CUSTOM_FAULTS.join(', ')}`);
      }
      default: return false;
    }
  }

  takeSlow(): number {
    if (!this.slow || this.slow.left <= 0) return 0;
    this.slow.left--;
    return this.slow.ms;
  }

  /** A status fault for this request: without a pathPrefix only API writes (`/ims/…`) take it. */
  takeStatus(path: string): StatusFault | undefined {
    const f = this.statuses.find((s) => s.left > 0 && (s.pathPrefix ? path.startsWith(s.pathPrefix) : path.startsWith('/ims/')));
    if (!f) return undefined;
    f.left--;
    this.statuses = this.statuses.filter((s) => s.left > 0);
    return { status: f.status, ...(f.retryAfterSec !== undefined ? { retryAfterSec: f.retryAfterSec } : {}) };
  }

  takeMalformed(): boolean {
    if (this.malformed <= 0) return false;
    this.malformed--;
    return true;
  }

  takeHtmlError(): boolean {
    if (this.htmlError <= 0) return false;
    this.htmlError--;
    return true;
  }

  takeReject(c: CollectionName): boolean {
    const left = this.rejects.get(c) ?? 0;
    if (left <= 0) return false;
    this.rejects.set(c, left - 1);
    return true;
  }
}
