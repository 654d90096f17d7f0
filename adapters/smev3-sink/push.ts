/**
 * One `push` of the СМЭВ sink: delivery items → СМЭВ messages → one outcome per item.
 *
 * 1. Keys СМЭВ already holds (memory) are delivered without a send; messages whose outcome
 *    was unknown are resent verbatim first (same MessageID).
 * 2. Each record is mapped to diary-exchange XML and validated against the XSD; a record that
 *    does not fit is rejected on its own (invalid_data) and never sent.
 * 3. The rest, sorted by key, is cut into messages (≤ maxRecordsPerMessage, ≤ maxAttachmentBytes);
 *    records over inlineLimitBytes travel as an MTOM attachment.
 * 4. Per message: accepted or MessageIsAlreadySent → delivered (SendingTimestamp in remoteRef);
 *    StaleMessageId → fresh MessageID, resent once; InvalidContent / AttachmentSizeLimitExceeded →
 *    split in halves until the refused records are alone, those are rejected; any other failure
 *    stops the push, and it and every later message fail with that error.
 * If no item was delivered or rejected and all failed with one error, `push` throws it (a
 * whole-batch failure, as the sink contract asks).
 */
import { createHash } from 'node:crypto';
import type { DeliveryItem, DeliveryOutcome } from '../../src/core/adapter';
import { GatewayError, type Issue } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import type { Smev3Client, OutgoingMessage, PreparedMessage, SendResult } from './client';
import { DiaryMappingError, batchRequestAttachmentXml, batchRequestXml, recordXml, recordsDocumentXml } from './diary-xml';
import type { MessageMemory, SettledKey } from './memory';
import { anchorTime, deriveMessageId, messageSeed } from './message-id';
import type { ResolvedSmev3Config } from './spec';
import type { Smev3Xml } from './xsd';

export interface PushDeps {
  client: Smev3Client;
  config: ResolvedSmev3Config;
  xml: Smev3Xml;
  memory: MessageMemory;
  log: Logger;
  now(): Date;
  signal: AbortSignal;
}

interface Rec { item: DeliveryItem; xml: string; bytes: number }

const PLACEHOLDER_BATCH = '0'.repeat(32);

/** What the ledger keeps as `remoteRef`: the MessageID and the СМЭВ clock's start of the SLA. */
export interface Smev3RemoteRef {
  messageId: string;
  sendingTimestamp?: string;
  status?: string;
  smevMessageId?: string;
}

export function parseRemoteRef(s: string | undefined): Smev3RemoteRef | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s) as Smev3RemoteRef;
    return typeof v.messageId === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function toSinkError(e: unknown): GatewayError {
  return e instanceof GatewayError ? e : new GatewayError('GW_INTERNAL', `smev3 sink: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

export async function pushBatch(d: PushDeps, batch: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
  const out = new Map<number, DeliveryOutcome>();
  const stats = { messages: 0, attachments: 0, resent: 0, split: 0 };
  let stop: GatewayError | undefined;
  const nowMs = (): number => d.now().getTime();
  const ns = d.config.payloadNamespace;

  const delivered = (items: readonly DeliveryItem[], s: SettledKey, duplicate: boolean): void => {
    const ref: Smev3RemoteRef = { messageId: s.messageId, ...(s.sendingTimestamp ? { sendingTimestamp: s.sendingTimestamp } : {}), ...(s.status ? { status: s.status } : {}) };
    for (const i of items) out.set(i.deliveryId, { deliveryId: i.deliveryId, status: 'delivered', remoteRef: JSON.stringify(ref), ...(duplicate ? { duplicate: true } : {}) });
  };
  const failed = (items: readonly DeliveryItem[], error: GatewayError): void => {
    for (const i of items) out.set(i.deliveryId, { deliveryId: i.deliveryId, status: 'failed', error });
  };
  const reject = (item: DeliveryItem, what: string, issues: Issue[]): void => failed([item], new GatewayError('GW_SINK_REJECTED',
    `${item.entityType} record ${item.recordId} of school ${item.schoolId} ${what}`, { issues, context: { deliveryId: item.deliveryId } }));
  const settleResult = (items: readonly DeliveryItem[], keys: readonly string[], p: PreparedMessage, r: Extract<SendResult, { kind: 'accepted' | 'duplicate' }>): void => {
    const s: SettledKey = r.kind === 'accepted'
      ? { messageId: p.messageId, sendingTimestamp: r.metadata.sendingTimestamp, ...(r.metadata.status ? { status: r.metadata.status } : {}), at: nowMs() }
      : { messageId: p.messageId, at: nowMs() };
    d.memory.settle(keys, s);
    delivered(items, s, r.kind === 'duplicate');
  };

  // 1. Settled keys, then verbatim resends of messages in doubt.
  let todo: DeliveryItem[] = [];
  for (const item of batch) {
    const s = d.memory.settled(item.key, nowMs());
    if (s) delivered([item], s, true);
    else todo.push(item);
  }
  for (const p of d.memory.pendingFor(todo.map((i) => i.key), nowMs())) {
    const inBatch = todo.filter((i) => p.keys.includes(i.key));
    if (stop) { failed(inBatch, stop); continue; }
    stats.resent++;
    try {
      const r = await d.client.send(p.prepared);
      if (r.kind === 'fault') d.memory.forget(p.prepared.messageId);
      else settleResult(inBatch, p.keys, p.prepared, r);
    } catch (e) {
      stop = toSinkError(e);
      failed(inBatch, stop);
    }
  }
  todo = todo.filter((i) => !out.has(i.deliveryId));

  // 2. Map and validate each record on its own.
  const valid: Rec[] = [];
  for (const item of todo) {
    try {
      const x = recordXml(item);
      const issues = d.xml.validateDiary(recordsDocumentXml(ns, PLACEHOLDER_BATCH, [x]), ns);
      const bytes = Buffer.byteLength(x, 'utf8');
      if (issues.length > 0) reject(item, 'does not fit the diary-exchange XSD', issues);
      else if (bytes > d.config.maxAttachmentBytes) reject(item, 'is larger than maxAttachmentBytes', [{ path: '', message: `${bytes} bytes` }]);
      else valid.push({ item, xml: x, bytes });
    } catch (e) {
      if (!(e instanceof DiaryMappingError)) throw e;
      reject(item, 'cannot be written as diary-exchange XML', [{ path: e.path, message: e.message }]);
    }
  }

  // 3. Messages: sorted by key so the same records always make the same messages.
  valid.sort((a, b) => Buffer.compare(Buffer.from(a.item.key, 'utf8'), Buffer.from(b.item.key, 'utf8')));
  const chunks: Rec[][] = [];
  let cur: Rec[] = [];
  let size = 0;
  for (const r of valid) {
    if (cur.length > 0 && (cur.length >= d.config.maxRecordsPerMessage || size + r.bytes > d.config.maxAttachmentBytes)) {
      chunks.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.bytes;
  }
  if (cur.length > 0) chunks.push(cur);

  const build = (chunk: readonly Rec[], seed: string, messageId: string): OutgoingMessage => {
    const batchId = seed.slice(0, 32);
    const createdAt = d.now().toISOString();
    const records = chunk.map((r) => r.xml);
    const bytes = chunk.reduce((n, r) => n + r.bytes, 0);
    if (bytes <= d.config.inlineLimitBytes) return { messageId, primaryContent: batchRequestXml(ns, { batchId, createdAt, records }), attachments: [] };
    const body = Buffer.from(recordsDocumentXml(ns, batchId, records), 'utf8');
    const id = `records-${batchId}`;
    stats.attachments++;
    return {
      messageId, attachments: [{ id, mimeType: 'application/xml', body }],
      primaryContent: batchRequestAttachmentXml(ns, {
        batchId, createdAt, recordCount: chunk.length, attachmentId: id, size: body.length, sha256: createHash('sha256').update(body).digest('hex'),
      }),
    };
  };

  const sendChunk = async (chunk: readonly Rec[], renewed = false): Promise<void> => {
    const items = chunk.map((r) => r.item);
    if (stop) { failed(items, stop); return; }
    if (d.signal.aborted) {
      stop = new GatewayError('GW_SINK_UNAVAILABLE', 'delivery aborted before every СМЭВ message was sent');
      failed(items, stop);
      return;
    }
    const keys = items.map((i) => i.key);
    const seed = messageSeed(keys);
    const fetched = items.map((i) => {
      const prov = i.payload.provenance as { fetchedAt?: unknown } | undefined;
      return typeof prov?.fetchedAt === 'string' ? prov.fetchedAt : typeof i.payload.dateLastModified === 'string' ? i.payload.dateLastModified : undefined;
    });
    const anchor = renewed ? nowMs() : anchorTime(fetched, nowMs(), d.config.messageIdWindowHours * 3_600_000);
    let prepared: PreparedMessage;
    let r: SendResult;
    try {
      prepared = await d.client.prepare(build(chunk, seed, deriveMessageId(anchor, seed)));
    } catch (e) {
      stop = toSinkError(e);
      failed(items, stop);
      return;
    }
    stats.messages++;
    try {
      r = await d.client.send(prepared);
    } catch (e) {
      d.memory.remember({ prepared, keys, sentAt: nowMs() });
      stop = toSinkError(e);
      failed(items, stop);
      return;
    }
    if (r.kind !== 'fault') { settleResult(items, keys, prepared, r); return; }
    const action = r.rule?.action;
    if (action === 'renew-id' && !renewed) { await sendChunk(chunk, true); return; }
    if (action === 'isolate' && chunk.length > 1) {
      stats.split++;
      const mid = Math.ceil(chunk.length / 2);
      await sendChunk(chunk.slice(0, mid));
      await sendChunk(chunk.slice(mid));
      return;
    }
    if (r.error.errorClass !== 'invalid_data') stop = r.error;
    failed(items, r.error);
  };
  for (const chunk of chunks) await sendChunk(chunk);

  const outcomes = batch.map((i): DeliveryOutcome => out.get(i.deliveryId)
    ?? { deliveryId: i.deliveryId, status: 'failed', error: new GatewayError('GW_INTERNAL', `smev3 sink produced no outcome for delivery ${i.deliveryId}`) });
  const tally = { items: batch.length, delivered: 0, duplicates: 0, rejected: 0, failed: 0 };
  for (const o of outcomes) {
    if (o.status === 'delivered') { if (o.duplicate) tally.duplicates++; else tally.delivered++; }
    else if (o.error.errorClass === 'invalid_data') tally.rejected++;
    else tally.failed++;
  }
  d.log[tally.failed > 0 || tally.rejected > 0 ? 'warn' : 'debug']('smev3 push', { ...tally, ...stats, code: stop?.code });
  if (stop && outcomes.every((o) => o.status === 'failed' && o.error === stop)) throw stop;
  return outcomes;
}
