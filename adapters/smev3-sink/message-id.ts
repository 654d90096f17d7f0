/**
 * СМЭВ `MessageID`s: RFC 4122 version-1 UUIDs (time-based), as the basic XSD asks, derived
 * deterministically from the delivery keys a message carries, so a retry of the same message
 * carries the same MessageID and СМЭВ answers `MessageIsAlreadySent` instead of taking it twice.
 *
 * A v1 UUID holds a 60-bit timestamp, a 14-bit clock sequence and a 48-bit node. We set:
 * - timestamp = the message's anchor time (below) plus a sub-millisecond offset from the seed;
 * - clock sequence and node = bits of SHA-256(seed); the node's multicast bit is set, which
 *   RFC 4122 §4.5 reserves for node ids that are not a MAC address, so no real host collides.
 * The seed is the SHA-256 of the message's sorted delivery keys (each key already names the
 * record version), so the same set of records always yields the same id within one window.
 *
 * Anchor: the newest `provenance.fetchedAt` of the records (else `dateLastModified`), a time
 * that does not change across retries. СМЭВ refuses ids with an old timestamp (`StaleMessageId`,
 * "retried for two days or more"), so an anchor older than `windowMs` is moved forward by whole
 * windows: the id stays the same for retries inside one window and is never older than it.
 */
import { createHash } from 'node:crypto';
import { v1 as uuidV1 } from 'uuid';

/** 100-ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01, in ms. */
const UUID_EPOCH_OFFSET_MS = 12_219_292_800_000;

const SMEV_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** SHA-256 (hex) of the keys sorted by UTF-8 bytes and joined with `\n`: the identity of a message's content. */
export function messageSeed(keys: readonly string[]): string {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return createHash('sha256').update(sorted.join('\n'), 'utf8').digest('hex');
}

/** A version-1, variant-1 UUID for `anchorMs`, with clock sequence and node taken from `seed`. */
export function deriveMessageId(anchorMs: number, seed: string): string {
  const h = createHash('sha256').update(`smev3-message-id\n${seed}`, 'utf8').digest();
  const node = Uint8Array.from(h.subarray(0, 6));
  node[0] = (node[0] as number) | 0x01;
  const clockseq = (((h[6] as number) << 8) | (h[7] as number)) & 0x3fff;
  const nsecs = (((h[8] as number) << 8) | (h[9] as number)) % 10_000;
  return uuidV1({ msecs: Math.floor(anchorMs), nsecs, clockseq, node });
}

/** Is this a string СМЭВ takes as MessageID: lower-case, version 1, RFC 4122 variant. */
export function isSmevMessageId(id: string): boolean {
  return SMEV_UUID_RE.test(id);
}

/** The timestamp of a version-1 UUID, in ms since 1970 (undefined for anything else). */
export function messageIdTime(id: string): number | undefined {
  if (!isSmevMessageId(id)) return undefined;
  const hex = id.replace(/-/g, '');
  const timeLow = BigInt(`0x${hex.slice(0, 8)}`);
  const timeMid = BigInt(`0x${hex.slice(8, 12)}`);
  const timeHi = BigInt(`0x${hex.slice(13, 16)}`);
  const ticks = (timeHi << 48n) | (timeMid << 32n) | timeLow;
  return Number(ticks / 10_000n) - UUID_EPOCH_OFFSET_MS;
}

/**
 * The anchor of a message: the newest parseable time among `times`, moved forward by whole
 * `windowMs` while it is older than one window before `nowMs`; never later than `nowMs`.
 * Without any time it is the start of the current window (still stable inside the window).
 */
export function anchorTime(times: readonly (string | undefined)[], nowMs: number, windowMs: number): number {
  let anchor = -Infinity;
  for (const t of times) {
    const ms = t === undefined ? NaN : Date.parse(t);
    if (Number.isFinite(ms) && ms > anchor) anchor = ms;
  }
  if (!Number.isFinite(anchor)) return Math.floor(nowMs / windowMs) * windowMs;
  if (anchor > nowMs) return nowMs;
  const behind = nowMs - anchor;
  return behind < windowMs ? anchor : anchor + Math.floor(behind / windowMs) * windowMs;
}
