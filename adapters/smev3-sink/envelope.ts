/**
 * Request bodies of the СМЭВ 1.1 operations the consumer uses, written as text.
 *
 * The element a signature covers (SenderProvidedRequestData, MessageTypeSelector, …) is built
 * first, declares its own namespaces, is signed as is, and is then pasted unchanged into the
 * body: the signed bytes are never re-serialised (re-serialising breaks XML signatures).
 */
import { NS, SIGNED_ID, el, escText } from './protocol';

const T = 't';
const B = 'b';
const NSDECL = { [`xmlns:${T}`]: NS.types, [`xmlns:${B}`]: NS.basic };

export interface AttachmentInput {
  /** xs:ID-compatible id (starts with a letter), used as contentId, AttachmentContent/Id and MIME Content-ID. */
  id: string;
  mimeType: string;
  body: Buffer;
}

export interface SenderDataInput {
  messageId: string;
  /** The payload root element (declares its own namespace). */
  primaryContent: string;
  attachments?: readonly AttachmentInput[];
  testMessage?: boolean;
  transactionCode?: string;
  nodeId?: string;
  /** ISO date-time. */
  eol?: string;
}

/** `SenderProvidedRequestData Id="SIGNED_BY_CALLER"`, self-contained; the text that is signed. */
export function senderProvidedRequestDataXml(d: SenderDataInput): string {
  const text = (name: string, v: string | undefined): string => (v === undefined ? '' : `<${T}:${name}>${escText(v)}</${T}:${name}>`);
  const headers = d.attachments && d.attachments.length > 0
    ? `<${B}:AttachmentHeaderList>${d.attachments.map((a) => `<${B}:AttachmentHeader><${B}:contentId>${escText(a.id)}</${B}:contentId><${B}:MimeType>${escText(a.mimeType)}</${B}:MimeType></${B}:AttachmentHeader>`).join('')}</${B}:AttachmentHeaderList>`
    : '';
  return el(`${T}:SenderProvidedRequestData`, { ...NSDECL, Id: SIGNED_ID },
    text('MessageID', d.messageId)
    + text('ReferenceMessageID', d.messageId)
    + text('TransactionCode', d.transactionCode)
    + text('NodeID', d.nodeId)
    + text('EOL', d.eol)
    + `<${B}:MessagePrimaryContent>${d.primaryContent}</${B}:MessagePrimaryContent>`
    + headers
    + (d.testMessage ? `<${T}:TestMessage/>` : ''));
}

function signatureBlock(signature: string): string {
  return `<${T}:CallerInformationSystemSignature>${signature}</${T}:CallerInformationSystemSignature>`;
}

/**
 * `SendRequestRequest`. With `mtom`, attachment bodies are `xop:Include` references to MIME
 * parts (the wire form); without, they are base64 inline (the logical form, validated by XSD).
 */
export function sendRequestRequestXml(signedData: string, signature: string, attachments: readonly AttachmentInput[] = [], mtom = false): string {
  const contents = attachments.length === 0 ? '' : `<${B}:AttachmentContentList>${attachments.map((a) => {
    const content = mtom ? el('xop:Include', { 'xmlns:xop': NS.xop, href: `cid:${a.id}` }) : a.body.toString('base64');
    return `<${B}:AttachmentContent><${B}:Id>${escText(a.id)}</${B}:Id><${B}:Content>${content}</${B}:Content></${B}:AttachmentContent>`;
  }).join('')}</${B}:AttachmentContentList>`;
  return el(`${T}:SendRequestRequest`, NSDECL, signedData + contents + signatureBlock(signature));
}

/** `MessageTypeSelector Id="SIGNED_BY_CALLER"`; an empty selector (no namespace) takes any type. */
export function messageTypeSelectorXml(s: { namespaceUri?: string; rootElementLocalName?: string; timestamp: string; nodeId?: string }): string {
  const filter = s.namespaceUri && s.rootElementLocalName
    ? `<${B}:NamespaceURI>${escText(s.namespaceUri)}</${B}:NamespaceURI><${B}:RootElementLocalName>${escText(s.rootElementLocalName)}</${B}:RootElementLocalName>`
    : '';
  return el(`${B}:MessageTypeSelector`, { [`xmlns:${B}`]: NS.basic, Id: SIGNED_ID },
    filter + `<${B}:Timestamp>${escText(s.timestamp)}</${B}:Timestamp>` + (s.nodeId ? `<${B}:NodeID>${escText(s.nodeId)}</${B}:NodeID>` : ''));
}

export function getResponseRequestXml(signedSelector: string, signature: string): string {
  return el(`${T}:GetResponseRequest`, NSDECL, signedSelector + signatureBlock(signature));
}

/** `AckTargetMessage Id="SIGNED_BY_CALLER" accepted="…"`. */
export function ackTargetXml(messageId: string, accepted: boolean): string {
  return el(`${B}:AckTargetMessage`, { [`xmlns:${B}`]: NS.basic, Id: SIGNED_ID, accepted: accepted ? 'true' : 'false' }, escText(messageId));
}

export function ackRequestXml(signedTarget: string, signature: string): string {
  return el(`${T}:AckRequest`, NSDECL, signedTarget + signatureBlock(signature));
}

/** `basic:Timestamp Id="SIGNED_BY_CALLER"`, signed by GetStatus and GetIncomingQueueStatistics. */
export function timestampXml(timestamp: string): string {
  return el(`${B}:Timestamp`, { [`xmlns:${B}`]: NS.basic, Id: SIGNED_ID }, escText(timestamp));
}

export function getStatusRequestXml(signedTimestamp: string, signature: string): string {
  return el(`${T}:GetStatusRequest`, NSDECL, signedTimestamp + signatureBlock(signature));
}

export function queueStatisticsRequestXml(signedTimestamp: string, signature: string, nodeId?: string): string {
  return el(`${T}:GetIncomingQueueStatisticsRequest`, NSDECL,
    (nodeId ? `<${T}:NodeID>${escText(nodeId)}</${T}:NodeID>` : '') + signedTimestamp + signatureBlock(signature));
}
