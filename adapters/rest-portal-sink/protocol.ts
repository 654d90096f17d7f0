/**
 * Wire types of the generic REST portal protocol (see README.md), shared by the sink
 * client and the simulator so both sides name the same fields.
 *
 * Nothing here does I/O. The simulator validates incoming bodies itself and the client
 * validates responses itself: sharing types keeps them in step, while each side still
 * checks what the other actually sent.
 */
import { createHash } from 'node:crypto';
import type { EntityType, RecordStatus } from '../../src/core/records';

export const DEFAULT_BATCH_PATH = '/api/v1/diary/batches';
export const HEALTH_PATH = '/api/v1/health';
export const RECORDS_PATH = '/api/v1/records';

/** One item of a batch request. `idempotencyKey` is the gateway's delivery key. */
export interface WireItem {
  idempotencyKey: string;
  recordId: string;
  entityType: EntityType;
  schoolId: string;
  revision: number;
  status: RecordStatus;
  /** The canonical record, as validated by the gateway. */
  record: Record<string, unknown>;
}

export interface WireBatchRequest {
  items: WireItem[];
}

export type WireResultStatus = 'accepted' | 'duplicate' | 'rejected';

export interface WireReason {
  /** Portal error code, e.g. `RECORD_INVALID`, `ENTITY_NOT_ACCEPTED`. */
  code: string;
  message: string;
  /** JSON pointer into the item (`/record/value`), if the portal knows which field. */
  path?: string;
}

export interface WireResult {
  idempotencyKey: string;
  status: WireResultStatus;
  remoteId?: string;
  /** Present with `rejected`. */
  reason?: WireReason;
}

export interface WireBatchResponse {
  results: WireResult[];
}

/** Body of every non-200 answer: one error for the whole request. */
export interface WireErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

export interface WireHealthResponse {
  status: 'ok';
  version?: string;
}

/**
 * The batch-level `Idempotency-Key` header: lowercase hex SHA-256 of every item key,
 * sorted ascending by UTF-8 bytes, joined with `\n` (duplicates kept).
 *
 * It depends on the set of keys only, so the same items re-sent in another order carry
 * the same header. Item keys never contain `\n` (they are `entity:sourceId:hash`-like).
 */
export function batchIdempotencyKey(keys: readonly string[]): string {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return createHash('sha256').update(sorted.join('\n'), 'utf8').digest('hex');
}
