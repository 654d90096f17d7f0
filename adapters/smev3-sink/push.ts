/**
 * One `push` of the СМЭВ sink: delivery items → СМЭВ messages → one outcome per item.
 *
 * 1. Keys СМЭВ already holds (ledger transport state, then memory) are delivered without a send;
 *    messages whose outcome was unknown are resent verbatim first (same MessageID, same bytes).
 *    A delivery whose message was taken and then refused (remote status `rejected`) is sent
 *    again only on an operator replay (attempt 1), as a new message under a renewed MessageID;
 *    on any other attempt it is rejected (GW_SINK_REJECTED) with the refusal's reason.
 * 2. Each record is mapped to diary-exchange XML and validated against the XSD; a record that
 *    does not fit is rejected on its own (invalid_data) and never sent.
 * 3. Records whose delivery already carries a MessageID in the ledger (a send whose answer was
 *    lost, possibly before a restart) go out again under THAT id, grouped by it. The rest,
 *    sorted by key, is cut into messages (≤ maxRecordsPerMessage, ≤ maxAttachmentBytes);
 *    records over inlineLimitBytes travel as an MTOM attachment. Before each first send the
 *    MessageID is written onto its deliveries (write-ahead, one transaction).
 * 4. Per message: accepted or MessageIsAlreadySent → delivered (SendingTimestamp in remoteRef and
 *    in the ledger); StaleMessageId → fresh MessageID, resent once; InvalidContent /
 *    AttachmentSizeLimitExceeded → split in halves until the refused records are alone, those
 *    are rejected; any other failure stops the push, and it and every later message fail with
 *    that error. A fresh id refused that way is released (its deliveries may regroup); an id
 *    whose first copy is still in doubt is kept, so its records never travel under another id.
 * If no item was delivered or rejected and all failed with one error, `push` throws it (a
 * whole-batch failure, as the sink contract asks).
 */
import { createHash } from 'node:crypto';
import type { DeliveryItem, DeliveryOutcome } from '../../src/core/adapter';
import { GatewayError, type Issue } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import { isSettled, type DeliveryTransportState, type SinkTransport } from '../../src/core/transport';
import type { Smev3Client, OutgoingMessage, PreparedMessage, SendResult } from './client';
import { DiaryMappingError, batchRequestAttachmentXml, batchRequestXml, recordXml, recordsDocumentXml } from './diary-xml';
import type { MessageMemory, SettledKey } from './memory';
import { anchorTime, deriveMessageId, messageSeed } from './message-id';
import { isRefusal } from './poll';
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
  /** The ledger's transport state of this sink's deliveries; absent = in-process memory only. */
  transport?: SinkTransport;
}

/**
 * The remote status written for a MessageID СМЭВ says it already holds (MessageIsAlreadySent)
 * when the answer to its first send was lost: СМЭВ took it, so it is at least queued.
 */
export const TAKEN_STATUS = 'requestIsQueued';

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
  const stats = { messages: 0, attachments: 0, resent: 0, split: 0, inDoubt: 0 };
  let stop: GatewayError | undefined;
  const nowMs = (): number => d.now().getTime();
  const nowIso = (): string => d.now().toISOString();
  const ns = d.config.payloadNamespace;
  const t = d.transport;
  // Read before anything is sent: a ledger that cannot be read fails the push as a whole.
  const states: Map<number, DeliveryTransportState> = t ? await t.lookup(batch.map((i) => i.deliveryId)) : new Map();
  /** Ledger writes after an answer: a failure is logged, the outcome stands (a retry settles it as duplicate). */
  const afterAnswer = async (what: string, work: (tr: SinkTransport) => Promise<unknown>): Promise<void> => {
    if (!t) return;
    try {
      await work(t);
    } catch (e) {
      d.log.warn(`smev3 push: could not record ${what} in the ledger`, { code: toSinkError(e).code });
    }
  };

  const delivered = (items: readonly DeliveryItem[], s: SettledKey, duplicate: boolean): void => {
    const ref: Smev3RemoteRef = { messageId: s.messageId, ...(s.sendingTimestamp ? { sendingTimestamp: s.sendingTimestamp } : {}), ...(s.status ? { status: s.status } : {}) };
    for (const i of items) out.set(i.deliveryId, { deliveryId: i.deliveryId, status: 'delivered', remoteRef: JSON.stringify(ref), ...(duplicate ? { duplicate: true } : {}) });
  };
  const failed = (items: readonly DeliveryItem[], error: GatewayError): void => {
    for (const i of items) out.set(i.deliveryId, { deliveryId: i.deliveryId, status: 'failed', error });
  };
  const reject = (item: DeliveryItem, what: string, issues: Issue[]): void => failed([item], new GatewayError('GW_SINK_REJECTED',
    `${item.entityType} record ${item.recordId} of school ${item.schoolId} ${what}`, { issues, context: { deliveryId: item.deliveryId } }));
  const settleResult = async (items: readonly DeliveryItem[], keys: readonly string[], p: PreparedMessage, r: Extract<SendResult, { kind: 'accepted' | 'duplicate' }>): Promise<void> => {
    const s: SettledKey = r.kind === 'accepted'
      ? { messageId: p.messageId, sendingTimestamp: r.metadata.sendingTimestamp, ...(r.metadata.status ? { status: r.metadata.status } : {}), at: nowMs() }
      : { messageId: p.messageId, at: nowMs() };
    d.memory.settle(keys, s);
    // Accepted: this copy's keys get the SLA start; deliveries still holding the id from an
    // earlier copy that never arrived are released. Duplicate: every holder of the id is settled.
    await afterAnswer('the settled MessageID', (tr) => tr.settle(p.messageId, r.kind === 'accepted'
      ? { keys, sendingTimestamp: r.metadata.sendingTimestamp, status: r.metadata.status ?? TAKEN_STATUS }
      : { status: TAKEN_STATUS }, nowIso()));
    delivered(items, s, r.kind === 'duplicate');
  };
  /**
   * A definite fault on a message: a fresh id (never in doubt) or a content refusal (the first
   * copy carried the same records, so it was refused too) is released; any other fault on an id
   * in doubt keeps it, so its records never travel under another id.
   */
  const onFault = async (messageId: string, wasInDoubt: boolean, r: Extract<SendResult, { kind: 'fault' }>): Promise<void> => {
    if (!wasInDoubt || r.rule?.action === 'isolate') await afterAnswer('the released MessageID', (tr) => tr.release(messageId, nowIso()));
  };
  const failOrStop = (items: readonly DeliveryItem[], error: GatewayError): void => {
    if (error.errorClass !== 'invalid_data') stop = error;
    failed(items, error);
  };

  // 1. Refused messages (an operator replay goes out fresh), settled keys (ledger, then
  //    memory), then verbatim resends of messages in doubt.
  let todo: DeliveryItem[] = [];
  /** Deliveries whose earlier message СМЭВ or the provider refused, replayed: a new MessageID. */
  const replayed = new Set<number>();
  for (const item of batch) {
    const st = states.get(item.deliveryId);
    if (st?.transportId !== undefined && isRefusal(st.remoteStatus)) {
      // Its message was taken and refused: resending under that id would only get
      // MessageIsAlreadySent. Attempt 1 with a transport id means an operator replay (a replay
      // resets the attempts; ids are written only by a push): it goes as a new message. Any
      // other attempt is a retry of a delivery refused meanwhile: rejected, for the operator.
      states.delete(item.deliveryId);
      if (item.attempt === 1) {
        replayed.add(item.deliveryId);
        todo.push(item);
      } else {
        reject(item, `was refused after СМЭВ took message ${st.transportId}`, [{ path: '', message: st.remoteDetail ?? st.remoteStatus ?? 'rejected' }]);
      }
      continue;
    }
    if (st && isSettled(st) && st.transportId) {
      delivered([item], {
        messageId: st.transportId, ...(st.sendingTimestamp ? { sendingTimestamp: st.sendingTimestamp } : {}),
        ...(st.remoteStatus ? { status: st.remoteStatus } : {}), at: nowMs(),
      }, true);
      continue;
    }
    const s = d.memory.settled(item.key, nowMs());
    if (s) delivered([item], s, true);
    else todo.push(item);
  }
  // A replayed refusal never goes out under an old message, not even one still in memory.
  const resendable = todo.filter((i) => !replayed.has(i.deliveryId));
  for (const p of d.memory.pendingFor(resendable.map((i) => i.key), nowMs())) {
    const inBatch = resendable.filter((i) => p.keys.includes(i.key));
    if (stop) { failed(inBatch, stop); continue; }
    stats.resent++;
    try {
      const r = await d.client.send(p.prepared);
      if (r.kind !== 'fault') { await settleResult(inBatch, p.keys, p.prepared, r); continue; }
      const action = r.rule?.action;
      if (action === 'renew-id' || action === 'isolate') {
        // Stale id, or content refused: the records go on below (a fresh id; isolation).
        d.memory.forget(p.prepared.messageId);
        await onFault(p.prepared.messageId, true, r);
        for (const i of inBatch) states.delete(i.deliveryId);
      } else {
        failOrStop(inBatch, r.error);
      }
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

  // 3. Messages: sorted by key so the same records always make the same messages. Records
  //    whose delivery holds a MessageID in doubt go first, grouped by that id.
  valid.sort((a, b) => Buffer.compare(Buffer.from(a.item.key, 'utf8'), Buffer.from(b.item.key, 'utf8')));
  const inDoubt = new Map<string, Rec[]>();
  const fresh: Rec[] = [];
  const again: Rec[] = [];
  for (const r of valid) {
    if (replayed.has(r.item.deliveryId)) { again.push(r); continue; }
    const id = states.get(r.item.deliveryId)?.transportId;
    if (id === undefined) { fresh.push(r); continue; }
    const group = inDoubt.get(id) ?? [];
    group.push(r);
    inDoubt.set(id, group);
  }
  const cut = (recs: readonly Rec[]): Rec[][] => {
    const out: Rec[][] = [];
    let cur: Rec[] = [];
    let size = 0;
    for (const r of recs) {
      if (cur.length > 0 && (cur.length >= d.config.maxRecordsPerMessage || size + r.bytes > d.config.maxAttachmentBytes)) {
        out.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(r);
      size += r.bytes;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  };
  const chunks = cut(fresh);

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

  /** Sends one message: a fresh id derived from its keys, or `inDoubtId` (the id its deliveries already hold). */
  const sendChunk = async (chunk: readonly Rec[], opts: { renewed?: boolean; inDoubtId?: string } = {}): Promise<void> => {
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
    const anchor = opts.renewed ? nowMs() : anchorTime(fetched, nowMs(), d.config.messageIdWindowHours * 3_600_000);
    const messageId = opts.inDoubtId ?? deriveMessageId(anchor, seed);
    let prepared: PreparedMessage;
    let r: SendResult;
    try {
      prepared = await d.client.prepare(build(chunk, seed, messageId));
      // Write-ahead: the id is on the deliveries before any byte leaves, so a crash after the
      // send can only lead to a resend under the same id.
      if (t && opts.inDoubtId === undefined) await t.assign(messageId, items.map((i) => i.deliveryId), nowIso());
    } catch (e) {
      stop = toSinkError(e);
      failed(items, stop);
      return;
    }
    stats.messages++;
    if (opts.inDoubtId !== undefined) stats.inDoubt++;
    try {
      r = await d.client.send(prepared);
    } catch (e) {
      d.memory.remember({ prepared, keys, sentAt: nowMs() });
      stop = toSinkError(e);
      failed(items, stop);
      return;
    }
    if (r.kind !== 'fault') { await settleResult(items, keys, prepared, r); return; }
    const action = r.rule?.action;
    if (action === 'renew-id' && !opts.renewed) { await sendChunk(chunk, { renewed: true }); return; }
    await onFault(messageId, opts.inDoubtId !== undefined, r);
    if (action === 'isolate' && chunk.length > 1) {
      stats.split++;
      const mid = Math.ceil(chunk.length / 2);
      await sendChunk(chunk.slice(0, mid));
      await sendChunk(chunk.slice(mid));
      return;
    }
    failOrStop(items, r.error);
  };
  for (const [id, group] of inDoubt) await sendChunk(group, { inDoubtId: id });
  for (const chunk of chunks) await sendChunk(chunk);
  // Replayed after a refusal: the id derived from the same keys and anchor may be the refused
  // message's own, so these messages take a renewed one (anchored now).
  for (const chunk of cut(again)) await sendChunk(chunk, { renewed: true });

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
