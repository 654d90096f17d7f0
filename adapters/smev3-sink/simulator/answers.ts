/**
 * Answer bodies of the simulated СМЭВ, written as text with the prefixes a real (CXF) node
 * uses (`ns2` types, `ns3` basic). Every body validates against the official XSDs (a test
 * checks each one).
 */
import { NS, RESPONSE_ROOT, el, escText, type InteractionStatus } from '../protocol';

const T = 'ns2';
const B = 'ns3';
const DECL = { [`xmlns:${T}`]: NS.types, [`xmlns:${B}`]: NS.basic };
const text = (name: string, v: string | undefined, p = T): string => (v === undefined ? '' : `<${p}:${name}>${escText(v)}</${p}:${name}>`);

/** СМЭВ writes times on the Moscow clock with an explicit offset, e.g. `2026-03-02T12:00:00.000+03:00`. */
export function moscowTimestamp(d: Date): string {
  return new Date(d.getTime() + 3 * 3_600_000).toISOString().replace('Z', '+03:00');
}

export interface MetadataInput {
  messageId?: string;
  type: 'REQUEST' | 'RESPONSE';
  sender: { mnemonic: string; name: string };
  sendingTimestamp: string;
  recipient?: { mnemonic: string; name: string };
  detectedType?: string;
  deliveryTimestamp?: string;
  status?: InteractionStatus;
  id?: string;
}

export function metadataXml(m: MetadataInput): string {
  return el(`${T}:MessageMetadata`, { Id: m.id },
    text('MessageId', m.messageId)
    + text('MessageType', m.type)
    + `<${T}:Sender>${text('Mnemonic', m.sender.mnemonic)}${text('HumanReadableName', m.sender.name)}</${T}:Sender>`
    + text('SendingTimestamp', m.sendingTimestamp)
    + text('DestinationName', 'unknown')
    + (m.recipient ? `<${T}:Recipient>${text('Mnemonic', m.recipient.mnemonic)}${text('HumanReadableName', m.recipient.name)}</${T}:Recipient>` : '')
    + `<${T}:SupplementaryData>${text('DetectedContentTypeName', m.detectedType)}${text('InteractionType', 'NotDetected')}</${T}:SupplementaryData>`
    + text('DeliveryTimestamp', m.deliveryTimestamp)
    + text('Status', m.status));
}

export function sendRequestResponseXml(meta: MetadataInput): string {
  return el(`${T}:SendRequestResponse`, DECL, metadataXml({ ...meta, id: 'SIGNED_BY_SMEV' }));
}

export interface DiaryResultInput { key: string; recordId: string; status: 'accepted' | 'duplicate' | 'rejected'; reasonCode?: string }

export function diaryBatchResponseXml(ns: string, batchId: string, processedAt: string, results: readonly DiaryResultInput[]): string {
  return el(`d:${RESPONSE_ROOT}`, { 'xmlns:d': ns, batchId, processedAt },
    results.map((r) => el('d:Result', { key: r.key, recordId: r.recordId, status: r.status, reasonCode: r.reasonCode })).join(''));
}

export type ResponseContent =
  | { kind: 'primary'; xml: string }
  | { kind: 'rejected'; code: 'ACCESS_DENIED' | 'NO_DATA' | 'UNKNOWN_REQUEST_DESCRIPTION' | 'FAILURE'; description: string };

/** `ResponseMessage` (the child of GetResponseResponse) for a provider's answer to `originalMessageId`. */
export function responseMessageXml(r: { messageId: string; originalMessageId: string; replyTo: string; content: ResponseContent; meta: MetadataInput }): string {
  const content = r.content.kind === 'primary'
    ? `<${B}:MessagePrimaryContent>${r.content.xml}</${B}:MessagePrimaryContent>`
    : `<${T}:RequestRejected>${text('RejectionReasonCode', r.content.code)}${text('RejectionReasonDescription', r.content.description)}</${T}:RequestRejected>`;
  return `<${T}:ResponseMessage>${el(`${T}:Response`, { Id: 'SIGNED_BY_SMEV' },
    text('OriginalMessageId', r.originalMessageId)
    + text('ReferenceMessageID', r.originalMessageId)
    + el(`${T}:SenderProvidedResponseData`, { Id: 'SIGNED_BY_PROVIDER' }, text('MessageID', r.messageId) + text('To', r.replyTo) + content)
    + metadataXml(r.meta))}</${T}:ResponseMessage>`;
}

/** GetResponseResponse; without a message it has no child: the queue is empty. */
export function getResponseResponseXml(responseMessage?: string): string {
  return el(`${T}:GetResponseResponse`, DECL, responseMessage ?? '');
}

export function getStatusResponseXml(s?: { originalMessageId: string; category: InteractionStatus; details?: string; smevFault?: { code: string; description: string } }): string {
  const fault = s?.smevFault ? `<${T}:SmevFault>${text('Code', s.smevFault.code, B)}${text('Description', s.smevFault.description, B)}</${T}:SmevFault>` : '';
  const inner = s
    ? `<${T}:SmevAsyncProcessingMessage><${T}:AsyncProcessingStatusData Id="SIGNED_BY_SMEV"><${T}:AsyncProcessingStatus>`
      + text('OriginalMessageId', s.originalMessageId) + text('StatusCategory', s.category) + text('StatusDetails', s.details) + fault
      + `</${T}:AsyncProcessingStatus></${T}:AsyncProcessingStatusData></${T}:SmevAsyncProcessingMessage>`
    : '';
  return el(`${T}:GetStatusResponse`, DECL, inner);
}

export function ackResponseXml(): string {
  return el(`${T}:AckResponse`, DECL);
}

export function queueStatisticsResponseXml(queues: readonly { name: string; pending: number }[]): string {
  return el(`${T}:GetIncomingQueueStatisticsResponse`, DECL,
    queues.map((q) => el(`${T}:QueueStatistics`, { queueName: q.name, pendingMessageNumber: q.pending })).join(''));
}

/** A whole SOAP 1.1 fault envelope (for faults answered before node-soap dispatches). */
export function faultEnvelopeXml(faultstring: string, detailXml: string, faultcode = 'soap:Server'): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${NS.soap}"><soap:Body><soap:Fault>`
    + `<faultcode>${escText(faultcode)}</faultcode><faultstring>${escText(faultstring)}</faultstring><detail>${detailXml}</detail>`
    + '</soap:Fault></soap:Body></soap:Envelope>';
}
