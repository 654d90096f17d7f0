/**
 * The follow-up of sent messages, run by the gateway's sink poller (`SinkAdapter.poll`):
 *
 * 1. GetResponse until the queue is empty (or `maxMessages`): each answer is matched to its
 *    deliveries by `OriginalMessageId` = the MessageID the ledger holds as `transport_id`, its
 *    result is stored as their `remote_status` (per record from `DiaryBatchResponse`, or for the
 *    whole message: `RequestRejected`, `RequestStatus`, `AsyncProcessingStatus`), and only then
 *    is it acknowledged with Ack (`acknowledged_at`). A crash between storing and Ack reads the
 *    same answer again; storing it twice changes nothing.
 * 2. GetStatus, when some message has had no answer and no new status for `statusAfterMinutes`,
 *    and in any case once every `statusAfterMinutes` (so statuses of answered messages do not
 *    pile up in СМЭВ's queue): the status queue is read until empty (or `maxMessages`) and each
 *    status stored.
 *
 * Statuses only move forward (STATUS_RANK): a late `requestIsAcceptedBySmev` never overwrites
 * a record's final `accepted`. A refusal (`rejected`: RequestRejected, requestIsRejectedBySmev,
 * a record the provider refused) is logged at warn with school, record and reason codes, and
 * moves a delivered delivery to `rejected` (ledger transition with an audit row), where an
 * operator replay picks it up; the replayed push sends it under a new MessageID.
 */
import type { SinkPollSummary } from '../../src/core/adapter';
import type { Logger } from '../../src/core/logger';
import type { RemoteStatusUpdate, SinkTransport, TransportDelivery } from '../../src/core/transport';
import type { Smev3Client } from './client';
import type { InteractionStatus } from './protocol';
import type { AsyncStatus, ResponseMessage } from './responses';
import type { ResolvedSmev3Config } from './spec';

/** `remote_status` values the sink writes besides the InteractionStatus ones. */
export type Smev3RemoteStatus = InteractionStatus | 'accepted' | 'duplicate' | 'rejected';

/**
 * Order of remote statuses: a status is written only over a lower one. InteractionStatus values
 * in the order a request goes through them; the provider's per-record answer after them; a
 * refusal last (nothing un-rejects a record). `doesNotExist` never overwrites anything.
 */
export const STATUS_RANK: Readonly<Record<Smev3RemoteStatus, number>> = {
  doesNotExist: 0, requestIsQueued: 1, requestIsAcceptedBySmev: 2, underProcessing: 3, responseIsAcceptedBySmev: 4,
  responseIsDelivered: 5, accepted: 6, duplicate: 6, cancelled: 7, requestIsRejectedBySmev: 8, rejected: 8,
};

/**
 * Remote statuses that mean the destination refused the delivery after it took the message:
 * the ledger moves a delivered delivery to `rejected` (replayable), and a push of a replayed
 * delivery sends it again under a new MessageID (push.ts).
 */
export const REFUSED_STATUSES: readonly Smev3RemoteStatus[] = ['rejected', 'requestIsRejectedBySmev'];

export function isRefusal(status: string | undefined): boolean {
  return status !== undefined && (REFUSED_STATUSES as readonly string[]).includes(status);
}

/** Statuses of a message still waiting for its answer (GetStatus is read for these after `statusAfterMinutes`). */
export const OPEN_STATUSES: readonly Smev3RemoteStatus[] = ['requestIsQueued', 'requestIsAcceptedBySmev', 'underProcessing', 'responseIsAcceptedBySmev'];

export interface PollDeps {
  client: Smev3Client;
  config: ResolvedSmev3Config;
  transport?: SinkTransport;
  log: Logger;
  now(): Date;
  /** When this sink instance last read the status queue (ms); undefined = never. Updated by pollOnce. */
  statusDrain: { lastMs: number | undefined };
}

interface Verdict { status: Smev3RemoteStatus; detail?: string }

function rank(s: string | undefined): number {
  return s === undefined ? -1 : (STATUS_RANK as Record<string, number>)[s] ?? -1;
}

/** What an answer from the response queue says about each delivery of its message. */
function responseVerdict(m: ResponseMessage, d: TransportDelivery): Verdict {
  switch (m.kind) {
    case 'primary': {
      const r = m.results?.find((x) => x.key === d.key);
      if (!r) return { status: 'responseIsDelivered' };
      return r.status === 'rejected' ? { status: 'rejected', detail: `provider: ${r.reasonCode ?? 'rejected'}` } : { status: r.status };
    }
    case 'rejected':
      return { status: 'rejected', detail: `RequestRejected ${m.rejections.map((x) => x.code || '?').join(', ')}` };
    case 'status':
      return { status: 'underProcessing', detail: `RequestStatus ${Number.isFinite(m.statusCode) ? m.statusCode : '?'}` };
    case 'async-status':
      return statusVerdict(m.status);
  }
}

function statusVerdict(s: AsyncStatus): Verdict {
  if (s.category === 'requestIsRejectedBySmev') {
    return { status: 'rejected', detail: `requestIsRejectedBySmev${s.smevFault?.code ? ` ${s.smevFault.code}` : ''}` };
  }
  return { status: s.category };
}

/** Follow-up of one sink instance: answers, then statuses. */
export async function pollOnce(d: PollDeps): Promise<SinkPollSummary> {
  const sum: SinkPollSummary = { responses: 0, statuses: 0, updated: 0, rejected: 0 };
  const t = d.transport;
  const max = d.config.poll.maxMessages;

  const store = async (messageId: string, verdictOf: (row: TransportDelivery) => Verdict, source: string): Promise<void> => {
    if (!t) return;
    const rows = await t.byTransportId(messageId);
    if (rows.length === 0) {
      // An answer matters; a status of a message sent before the ledger kept ids does not.
      d.log[source === 'GetResponse' ? 'warn' : 'debug']('smev3: answer for a MessageID the ledger does not hold', { messageId, source });
      return;
    }
    const updates: RemoteStatusUpdate[] = [];
    for (const row of rows) {
      const v = verdictOf(row);
      if (v.status === 'doesNotExist') {
        d.log.warn('smev3: СМЭВ does not know a message it took', { messageId, deliveryId: row.deliveryId, schoolId: row.schoolId, recordId: row.recordId });
      }
      if (rank(v.status) <= rank(row.remoteStatus)) continue;
      const refused = isRefusal(v.status);
      updates.push({ deliveryId: row.deliveryId, status: v.status, ...(v.detail ? { detail: v.detail } : {}), ...(refused ? { refused } : {}) });
      if (v.status === 'rejected') {
        sum.rejected++;
        d.log.warn('smev3: delivery refused after СМЭВ took it', {
          schoolId: row.schoolId, recordId: row.recordId, entityType: row.entityType, deliveryId: row.deliveryId, messageId, reason: v.detail ?? 'rejected', source,
        });
      }
    }
    if (updates.length > 0) {
      const moved = await t.setRemoteStatus(updates, d.now().toISOString());
      if (moved > 0) d.log.warn('smev3: refused deliveries moved to rejected (replay sends them again under a new MessageID)', { messageId, moved, source });
    }
    sum.updated += updates.length;
  };

  // 1. Answers: store, then Ack (at least once: a crash in between reads the answer again).
  while (sum.responses < max) {
    const m = await d.client.getResponse();
    if (!m) break;
    sum.responses++;
    const original = m.originalMessageId;
    if (original) await store(original, (row) => responseVerdict(m, row), 'GetResponse');
    else d.log.warn('smev3: answer without OriginalMessageId', { kind: m.kind });
    const ack = await d.client.ack(m.messageId, true);
    if (ack === 'gone') d.log.info('smev3: answer was already acknowledged', { messageId: m.messageId });
    if (t && original) await t.acknowledge(original, d.now().toISOString());
  }

  // 2. Statuses, once a message has gone quiet for statusAfterMinutes.
  if (t) {
    const nowMs = d.now().getTime();
    const afterMs = d.config.poll.statusAfterMinutes * 60_000;
    // The first poll of a process starts the periodic clock instead of draining at once.
    d.statusDrain.lastMs ??= nowMs;
    const due = nowMs - d.statusDrain.lastMs >= afterMs;
    const quiet = due ? [] : await t.awaiting({ statuses: OPEN_STATUSES, olderThan: new Date(nowMs - afterMs).toISOString(), limit: 1 });
    if (due || quiet.length > 0) {
      d.statusDrain.lastMs = nowMs;
      while (sum.statuses < max) {
        const s = await d.client.getStatus();
        if (!s) break;
        sum.statuses++;
        await store(s.originalMessageId, () => statusVerdict(s), 'GetStatus');
      }
    }
  }
  return sum;
}
