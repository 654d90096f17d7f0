/**
 * The operations of the simulated СМЭВ node and the provider emulator behind it. Each handler
 * takes the logical request envelope (attachments inline, already valid against the СМЭВ
 * XSD) and returns the response element, or throws SmevFault. Checks run in the order a real
 * node would apply them: injected fault, signature, MessageID, EOL, type registration,
 * attachments, payload XSD; then the message is accepted, applied and answered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { v1 as uuidV1 } from 'uuid';
import type { Logger } from '../../../src/core/logger';
import { faultDetailXml, type FaultDetailInput } from '../faults';
import { isSmevMessageId, messageIdTime } from '../message-id';
import { RESPONSE_ROOT, REQUEST_ROOT, type Operation, type SignatureFaultCode, type SmevFaultName } from '../protocol';
import { testCertificateAlias, testDigest } from '../signer';
import { childElements, childText, localName, type LxElement, type LxQueryable, type Smev3Xml } from '../xsd';
import {
  ackResponseXml, diaryBatchResponseXml, getResponseResponseXml, getStatusResponseXml, moscowTimestamp, queueStatisticsResponseXml,
  responseMessageXml, sendRequestResponseXml, type DiaryResultInput, type MetadataInput,
} from './answers';
import type { InjectedFault, Smev3FaultState } from './faults';
import type { Smev3SimStore } from './state';

export class SmevFault extends Error {
  constructor(readonly fault: SmevFaultName, readonly detail: FaultDetailInput = {}) {
    super(`СМЭВ (симулятор): ${fault}${detail.signatureCode ? ` / ${detail.signatureCode}` : ''}`);
  }
  get detailXml(): string {
    return faultDetailXml(this.fault, this.detail);
  }
}

export interface SimServiceOptions {
  senders: readonly string[];
  requireSignature: boolean;
  acceptForeignSignatures: boolean;
  registered: { namespaceUri: string; rootElementLocalName: string };
  staleAfterMs: number;
  maxAttachmentBytes: number;
  provider: { mnemonic: string; name: string };
}

export interface SimServiceDeps { store: Smev3SimStore; faults: Smev3FaultState; xml: Smev3Xml; now(): Date; opts: SimServiceOptions; log: Logger }

const SIGNED_ELEMENT: Readonly<Record<Operation, string>> = {
  SendRequest: 'SenderProvidedRequestData', GetResponse: 'MessageTypeSelector', Ack: 'AckTargetMessage',
  GetStatus: 'Timestamp', GetIncomingQueueStatistics: 'Timestamp',
};

function injected(f: InjectedFault, opts: SimServiceOptions): SmevFault {
  const code = 'SMEV-SIM-001';
  const d: FaultDetailInput = { code, description: `Симуляция: ${f.name}` };
  switch (f.name) {
    case 'DestinationOverflow': return new SmevFault(f.name, { ...d, extra: [['MessageBrokerAddress', 'sim-broker'], ['DestinationName', opts.provider.mnemonic]] });
    case 'AttachmentSizeLimitExceeded': return new SmevFault(f.name, { ...d, extra: [['PermittedTotalAttachmentSize', String(opts.maxAttachmentBytes)], ['RealTotalAttachmentSize', String(opts.maxAttachmentBytes + 1)]] });
    case 'QuoteLimitExceeded': return new SmevFault(f.name, { ...d, extra: [['RemainedTotalQuoteSize', '0'], ['RealTotalAttachmentSize', '1']] });
    case 'BusinessDataTypeIsNotSupported': return new SmevFault(f.name, { ...d, extra: [['RootElementLocalName', opts.registered.rootElementLocalName], ['RootElementNamespaceURI', opts.registered.namespaceUri]] });
    case 'SignatureVerificationFault': return new SmevFault(f.name, { ...d, signatureCode: f.signatureCode ?? 'SignatureIsInvalid' });
    case 'InvalidContent': return new SmevFault(f.name, { ...d, validationErrors: [{ position: 1, message: 'injected validation error' }] });
    default: return new SmevFault(f.name, d);
  }
}

const sigFault = (code: SignatureFaultCode): SmevFault => new SmevFault('SignatureVerificationFault', { code: 'SMEV-100', description: 'ЭП-ОВ не прошла проверку', signatureCode: code });

function first(n: LxQueryable, xpath: string): LxElement | undefined {
  return (n.get(xpath) as LxElement | null) ?? undefined;
}

interface RecordRef { key: string; recordId: string; entityType: string; revision: number }

function recordsOf(parent: LxElement): RecordRef[] {
  return childElements(parent).filter((e) => localName(e) === 'Record').map((r) => ({
    key: r.attr('key')?.value ?? '', recordId: r.attr('recordId')?.value ?? '',
    entityType: r.attr('entityType')?.value ?? '', revision: Number(r.attr('revision')?.value ?? 0),
  }));
}

export function createSimService(d: SimServiceDeps): Record<Operation, (logical: string) => { xml: string; drop?: boolean }> {
  const { store, faults, xml, opts } = d;
  const nowMs = (): number => d.now().getTime();

  /** Checks the caller's signature over the operation's signed element; returns the sender alias. */
  const verify = (doc: LxQueryable, op: Operation, logical: string): string => {
    const signed = first(doc, `//*[local-name()="${SIGNED_ELEMENT[op]}"]`);
    const sig = first(doc, '//*[local-name()="CallerInformationSystemSignature"]/*[local-name()="Signature"]');
    if (!sig) {
      if (opts.requireSignature) throw sigFault('NoSignatureFound');
      return 'unsigned';
    }
    const id = signed?.attr('Id')?.value;
    const uri = first(sig, './*[local-name()="SignedInfo"]/*[local-name()="Reference"]')?.attr('URI')?.value;
    if (!id || uri !== `#${id}`) throw sigFault('IncorrectSignatureTarget');
    const alias = testCertificateAlias(first(sig, './/*[local-name()="X509Certificate"]')?.content ?? '');
    if (alias === undefined) {
      if (opts.acceptForeignSignatures) return 'foreign';
      throw sigFault('CertificateIsNotFound');
    }
    if (!opts.senders.includes(alias)) throw sigFault('CertificateIsNotFound');
    if (first(sig, './/*[local-name()="DigestValue"]')?.content.trim() !== testDigest(xml, logical, id)) throw sigFault('SignatureIsInvalid');
    return alias;
  };

  const meta = (sender: string, over: Partial<MetadataInput> & Pick<MetadataInput, 'type' | 'sendingTimestamp'>): MetadataInput => ({
    sender: { mnemonic: sender.slice(0, 50), name: `Информационная система ${sender}`.slice(0, 500) }, recipient: opts.provider, ...over,
  });

  const takeInjected = (op: Operation): void => {
    const f = faults.takeFault(op);
    if (f) throw injected(f, opts);
  };

  const readPayload = (doc: LxQueryable, spd: LxElement, rootEl: LxElement): { records: RecordRef[]; viaAttachment: boolean } => {
    const headers = spd.find('./*[local-name()="AttachmentHeaderList"]/*/*[local-name()="contentId"]').map((n) => n.content.trim());
    const contents = new Map<string, Buffer>();
    for (const c of doc.find('//*[local-name()="AttachmentContentList"]/*[local-name()="AttachmentContent"]')) {
      contents.set(childText(c, 'Id')?.trim() ?? '', Buffer.from((childText(c, 'Content') ?? '').replace(/\s+/g, ''), 'base64'));
    }
    if (headers.length !== contents.size || headers.some((h) => !contents.has(h))) throw new SmevFault('AttachmentContentMiscoordination');
    const total = [...contents.values()].reduce((n, b) => n + b.length, 0);
    if (total > opts.maxAttachmentBytes) {
      throw new SmevFault('AttachmentSizeLimitExceeded', { extra: [['PermittedTotalAttachmentSize', String(opts.maxAttachmentBytes)], ['RealTotalAttachmentSize', String(total)]] });
    }
    const invalid = (issues: { message: string }[]): SmevFault => new SmevFault('InvalidContent', {
      code: 'SMEV-201', validationErrors: issues.map((i, n) => ({ position: n + 1, message: i.message })),
    });
    const ns = opts.registered.namespaceUri;
    const rootIssues = xml.validateDiary(rootEl.canonicalizeToString(), ns);
    if (rootIssues.length > 0) throw invalid(rootIssues);
    const ref = first(rootEl, './*[local-name()="RecordsAttachment"]');
    if (!ref) return { records: recordsOf(rootEl), viaAttachment: false };
    const body = contents.get(ref.attr('attachmentId')?.value ?? '');
    if (!body) throw new SmevFault('AttachmentContentMiscoordination');
    if (createHash('sha256').update(body).digest('hex') !== ref.attr('sha256')?.value) throw invalid([{ message: 'RecordsAttachment/@sha256 does not match the attachment' }]);
    const docIssues = xml.validateDiary(body, ns);
    if (docIssues.length > 0) throw invalid(docIssues);
    return { records: xml.withDoc(body, (att) => recordsOf(att.root)), viaAttachment: true };
  };

  const sendRequest = (logical: string): { xml: string; drop?: boolean } => xml.withDoc(logical, (doc) => {
    takeInjected('SendRequest');
    const sender = verify(doc, 'SendRequest', logical);
    const spd = first(doc, '//*[local-name()="SenderProvidedRequestData"]') as LxElement;
    const messageId = childText(spd, 'MessageID')?.trim() ?? '';
    if (!isSmevMessageId(messageId)) throw new SmevFault('InvalidMessageIdFormat');
    if (store.accepted.has(messageId)) {
      store.counters.duplicates++;
      throw new SmevFault('MessageIsAlreadySent');
    }
    if ((messageIdTime(messageId) ?? 0) < nowMs() - opts.staleAfterMs) throw new SmevFault('StaleMessageId');
    const eol = childText(spd, 'EOL');
    if (eol !== undefined && Date.parse(eol) < nowMs()) throw new SmevFault('EndOfLifeReached');
    const rootEl = first(spd, './*[local-name()="MessagePrimaryContent"]/*');
    if (!rootEl || localName(rootEl) !== opts.registered.rootElementLocalName || rootEl.namespaceUri !== opts.registered.namespaceUri) {
      throw new SmevFault('BusinessDataTypeIsNotSupported', { extra: [['RootElementLocalName', rootEl ? localName(rootEl) : ''], ['RootElementNamespaceURI', rootEl?.namespaceUri ?? '']] });
    }
    const { records, viaAttachment } = readPayload(doc, spd, rootEl);
    const poisoned = faults.poisonedIn(records);
    if (poisoned.length > 0) {
      throw new SmevFault('InvalidContent', { code: 'SMEV-201', validationErrors: poisoned.map((i) => ({ position: i + 1, message: `Record ${i + 1} (${records[i]?.entityType}) is not accepted by the registered schema` })) });
    }
    const test = first(spd, './*[local-name()="TestMessage"]') !== undefined;
    const sendingTimestamp = moscowTimestamp(d.now());
    store.accepted.set(messageId, { messageId, sendingTimestamp, recordCount: records.length, viaAttachment, test, rootNamespace: rootEl.namespaceUri, rootLocalName: localName(rootEl), sender });
    store.counters.messages++;
    if (test) store.counters.testMessages++;
    const answer = (): { xml: string; drop?: boolean } => ({
      xml: sendRequestResponseXml(meta(sender, { messageId, type: 'REQUEST', sendingTimestamp, status: 'requestIsQueued', detectedType: `${REQUEST_ROOT} (дневник)` })),
      drop: faults.takeDrop(),
    });
    if (faults.takeAsyncReject()) {
      // Taken synchronously, refused by the asynchronous validation: the provider never sees it.
      store.counters.asyncRejected++;
      store.statuses.push({
        originalMessageId: messageId, category: 'requestIsRejectedBySmev', details: 'Сообщение не прошло асинхронную проверку (симуляция)',
        smevFault: { code: 'SMEV-302', description: 'Асинхронная проверка сообщения не пройдена (симуляция)' },
      });
      return answer();
    }
    const results: DiaryResultInput[] = records.map((r) => {
      if (test) return { key: r.key, recordId: r.recordId, status: 'accepted' };
      if (faults.takeProviderReject(r.entityType)) return { key: r.key, recordId: r.recordId, status: 'rejected', reasonCode: 'UNKNOWN_PERSON' };
      const again = store.apply({ ...r, messageId });
      return { key: r.key, recordId: r.recordId, status: again ? 'duplicate' : 'accepted' };
    });
    store.statuses.push({ originalMessageId: messageId, category: 'requestIsAcceptedBySmev' });
    const processedAt = moscowTimestamp(d.now());
    const content = faults.takeRejectedResponse()
      ? { kind: 'rejected' as const, code: 'NO_DATA' as const, description: 'Поставщик отклонил запрос (симуляция)' }
      : { kind: 'primary' as const, xml: diaryBatchResponseXml(opts.registered.namespaceUri, rootEl.attr('batchId')?.value ?? '0'.repeat(32), processedAt, results) };
    const responseId = uuidV1({ msecs: nowMs(), nsecs: 0, clockseq: randomBytes(2).readUInt16BE(0) & 0x3fff, node: Uint8Array.from([...randomBytes(6)].map((b, i) => (i === 0 ? b | 1 : b))) });
    store.responses.push({
      messageId: responseId, originalMessageId: messageId,
      xml: responseMessageXml({
        messageId: responseId, originalMessageId: messageId, replyTo: `reply-to:${sender}`, content,
        meta: { messageId: responseId, type: 'RESPONSE', sender: opts.provider, recipient: { mnemonic: sender.slice(0, 100), name: sender }, sendingTimestamp: processedAt, status: 'responseIsAcceptedBySmev' },
      }),
    });
    store.statuses.push({ originalMessageId: messageId, category: 'responseIsAcceptedBySmev' });
    return answer();
  });

  return {
    SendRequest: sendRequest,
    GetResponse: (logical) => xml.withDoc(logical, (doc) => {
      takeInjected('GetResponse');
      verify(doc, 'GetResponse', logical);
      const sel = first(doc, '//*[local-name()="MessageTypeSelector"]') as LxElement;
      const ns = childText(sel, 'NamespaceURI');
      const local = childText(sel, 'RootElementLocalName');
      if (ns !== undefined && (ns !== opts.registered.namespaceUri || local !== RESPONSE_ROOT)) throw new SmevFault('UnknownMessageType');
      return { xml: getResponseResponseXml(store.responses[0]?.xml) };
    }),
    Ack: (logical) => xml.withDoc(logical, (doc) => {
      takeInjected('Ack');
      verify(doc, 'Ack', logical);
      const target = first(doc, '//*[local-name()="AckTargetMessage"]')?.content.trim() ?? '';
      const i = store.responses.findIndex((r) => r.messageId === target);
      if (i < 0) throw new SmevFault('TargetMessageIsNotFound');
      const [acked] = store.responses.splice(i, 1);
      store.counters.acks++;
      if (acked) store.statuses.push({ originalMessageId: acked.originalMessageId, category: 'responseIsDelivered' });
      return { xml: ackResponseXml() };
    }),
    GetStatus: (logical) => xml.withDoc(logical, (doc) => {
      takeInjected('GetStatus');
      verify(doc, 'GetStatus', logical);
      return { xml: getStatusResponseXml(store.statuses.shift()) };
    }),
    GetIncomingQueueStatistics: (logical) => xml.withDoc(logical, (doc) => {
      takeInjected('GetIncomingQueueStatistics');
      verify(doc, 'GetIncomingQueueStatistics', logical);
      return { xml: queueStatisticsResponseXml([{ name: 'responses', pending: store.responses.length }, { name: 'statuses', pending: store.statuses.length }]) };
    }),
  };
}
