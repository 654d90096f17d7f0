/**
 * Reading СМЭВ answers (SendRequest, GetResponse, GetStatus, GetIncomingQueueStatistics) from
 * the body text. Elements are matched by local name within any СМЭВ types namespace (1.1–1.3),
 * never by prefix. Pure functions over libxml2; a body without the expected element is
 * GW_SINK_PROTOCOL.
 */
import { GatewayError } from '../../src/core/errors';
import { NS, RESPONSE_ROOT, SMEV_TYPES_NS_RE, isInteractionStatus, type InteractionStatus } from './protocol';
import { childElements, childText, isEl, localName, type LxElement, type LxNode, type LxQueryable, type Smev3Xml } from './xsd';

export interface MessageMetadataInfo {
  /** The id СМЭВ gave the message, if it says. */
  smevMessageId?: string;
  messageType?: string;
  /** `SendingTimestamp` as СМЭВ wrote it: the start of the request's execution deadline (SLA clock). */
  sendingTimestamp: string;
  status?: InteractionStatus;
  recipient?: string;
}

export interface DiaryResult { key: string; recordId: string; status: 'accepted' | 'duplicate' | 'rejected'; reasonCode?: string }

export type ResponseMessage = { messageId: string; originalMessageId?: string } & (
  | { kind: 'primary'; rootNamespace: string; rootLocalName: string; results?: DiaryResult[]; attachmentIds: string[] }
  | { kind: 'rejected'; rejections: { code: string; description: string }[] }
  | { kind: 'status'; statusCode: number; description: string; parameters: Record<string, string> }
  | { kind: 'async-status'; status: AsyncStatus }
);

export interface AsyncStatus {
  originalMessageId: string;
  category: InteractionStatus;
  details?: string;
  smevFault?: { code?: string; description?: string };
}

const protocolError = (what: string): GatewayError => new GatewayError('GW_SINK_PROTOCOL', `СМЭВ answer without ${what}`);

/** The operation's response element in the body (by local name, any СМЭВ types namespace). */
function responseElement(doc: LxQueryable, local: string): LxElement {
  const body = doc.get(`/*[local-name()="Envelope" and namespace-uri()="${NS.soap}"]/*[local-name()="Body"]`);
  const elem = body ? childElements(body)[0] : undefined;
  if (!isEl(elem, local, SMEV_TYPES_NS_RE)) throw protocolError(local);
  return elem;
}

function child(n: LxNode, local: string): LxElement | undefined {
  return childElements(n).find((e) => localName(e) === local && SMEV_TYPES_NS_RE.test(e.namespaceUri));
}

function readMetadata(meta: LxElement): MessageMetadataInfo {
  const sendingTimestamp = childText(meta, 'SendingTimestamp')?.trim();
  if (!sendingTimestamp || Number.isNaN(Date.parse(sendingTimestamp))) throw protocolError('MessageMetadata/SendingTimestamp');
  const status = childText(meta, 'Status')?.trim();
  const recipient = child(meta, 'Recipient');
  const out: MessageMetadataInfo = { sendingTimestamp };
  const id = childText(meta, 'MessageId')?.trim();
  if (id) out.smevMessageId = id;
  const type = childText(meta, 'MessageType')?.trim();
  if (type) out.messageType = type;
  if (status && isInteractionStatus(status)) out.status = status;
  const mnemonic = recipient ? childText(recipient, 'Mnemonic')?.trim() : undefined;
  if (mnemonic) out.recipient = mnemonic;
  return out;
}

export function readSendRequestResponse(xml: Smev3Xml, body: string): MessageMetadataInfo {
  return xml.withDoc(body, (doc) => {
    const meta = child(responseElement(doc, 'SendRequestResponse'), 'MessageMetadata');
    if (!meta) throw protocolError('SendRequestResponse/MessageMetadata');
    return readMetadata(meta);
  });
}

function readAsync(e: LxElement): AsyncStatus {
  const originalMessageId = childText(e, 'OriginalMessageId')?.trim() ?? '';
  const category = childText(e, 'StatusCategory')?.trim() ?? '';
  if (!originalMessageId || !isInteractionStatus(category)) throw protocolError('AsyncProcessingStatus/StatusCategory');
  const out: AsyncStatus = { originalMessageId, category };
  const details = childText(e, 'StatusDetails');
  if (details) out.details = details;
  const fault = child(e, 'SmevFault');
  if (fault) {
    const code = childText(fault, 'Code');
    const description = childText(fault, 'Description');
    out.smevFault = { ...(code ? { code } : {}), ...(description ? { description } : {}) };
  }
  return out;
}

function readDiaryResults(root: LxElement): DiaryResult[] {
  return childElements(root).filter((e) => localName(e) === 'Result').map((r) => {
    const status = r.attr('status')?.value;
    const reasonCode = r.attr('reasonCode')?.value;
    return {
      key: r.attr('key')?.value ?? '',
      recordId: r.attr('recordId')?.value ?? '',
      status: status === 'accepted' || status === 'duplicate' ? status : 'rejected',
      ...(reasonCode ? { reasonCode } : {}),
    };
  });
}

/** One message from the response queue, or undefined when the queue is empty (no child element). */
export function readGetResponseResponse(xml: Smev3Xml, body: string, payloadNs?: string): ResponseMessage | undefined {
  return xml.withDoc(body, (doc) => {
    const msg = child(responseElement(doc, 'GetResponseResponse'), 'ResponseMessage');
    if (!msg) return undefined;
    const response = child(msg, 'Response');
    const data = response ? child(response, 'SenderProvidedResponseData') : undefined;
    const messageId = data ? childText(data, 'MessageID')?.trim() : undefined;
    if (!response || !data || !messageId) throw protocolError('ResponseMessage/Response/SenderProvidedResponseData/MessageID');
    const originalMessageId = childText(response, 'OriginalMessageId')?.trim();
    const head = { messageId, ...(originalMessageId ? { originalMessageId } : {}) };
    const primary = childElements(data).find((e) => localName(e) === 'MessagePrimaryContent');
    if (primary) {
      const root = childElements(primary)[0];
      if (!root) throw protocolError('MessagePrimaryContent/*');
      const isDiary = localName(root) === RESPONSE_ROOT && (payloadNs === undefined || root.namespaceUri === payloadNs);
      const attachmentIds = msg.find('./*[local-name()="AttachmentContentList"]/*/*[local-name()="Id"]').map((n) => n.content.trim());
      return { ...head, kind: 'primary', rootNamespace: root.namespaceUri, rootLocalName: localName(root), attachmentIds, ...(isDiary ? { results: readDiaryResults(root) } : {}) };
    }
    const rejected = childElements(data).filter((e) => localName(e) === 'RequestRejected');
    if (rejected.length > 0) {
      return { ...head, kind: 'rejected', rejections: rejected.map((r) => ({ code: childText(r, 'RejectionReasonCode') ?? '', description: childText(r, 'RejectionReasonDescription') ?? '' })) };
    }
    const status = child(data, 'RequestStatus');
    if (status) {
      const parameters: Record<string, string> = {};
      for (const p of childElements(status).filter((e) => localName(e) === 'StatusParameter')) parameters[childText(p, 'Key') ?? ''] = childText(p, 'Value') ?? '';
      return { ...head, kind: 'status', statusCode: Number(childText(status, 'StatusCode') ?? NaN), description: childText(status, 'StatusDescription') ?? '', parameters };
    }
    const async = child(data, 'AsyncProcessingStatus');
    if (async) return { ...head, kind: 'async-status', status: readAsync(async) };
    throw protocolError('a known SenderProvidedResponseData content');
  });
}

/** The status message of GetStatus, or undefined when there is none. */
export function readGetStatusResponse(xml: Smev3Xml, body: string): AsyncStatus | undefined {
  return xml.withDoc(body, (doc) => {
    const msg = child(responseElement(doc, 'GetStatusResponse'), 'SmevAsyncProcessingMessage');
    if (!msg) return undefined;
    const data = child(msg, 'AsyncProcessingStatusData');
    const status = data ? child(data, 'AsyncProcessingStatus') : undefined;
    if (!status) throw protocolError('SmevAsyncProcessingMessage/AsyncProcessingStatusData/AsyncProcessingStatus');
    return readAsync(status);
  });
}

export function readQueueStatistics(xml: Smev3Xml, body: string): { queueName: string; pending: number }[] {
  return xml.withDoc(body, (doc) => childElements(responseElement(doc, 'GetIncomingQueueStatisticsResponse'))
    .filter((e) => localName(e) === 'QueueStatistics')
    .map((q) => ({ queueName: q.attr('queueName')?.value ?? '', pending: Number(q.attr('pendingMessageNumber')?.value ?? 0) })));
}
