/**
 * The СМЭВ 3 consumer client: builds and signs request bodies, checks them against the
 * official XSDs, calls the operation through the soap transport and reads the answer.
 *
 * SendRequest is split in `prepare` (build + sign + validate, once) and `send` (may run again
 * with the very same bytes: a message whose outcome is unknown is resent verbatim).
 */
import { GatewayError, isGatewayError } from '../../src/core/errors';
import type { HttpClient } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import {
  ackRequestXml, ackTargetXml, getResponseRequestXml, getStatusRequestXml, messageTypeSelectorXml, queueStatisticsRequestXml,
  senderProvidedRequestDataXml, sendRequestRequestXml, timestampXml, type AttachmentInput,
} from './envelope';
import { faultError, faultRule, type FaultRule } from './errors';
import type { ParsedFault } from './faults';
import { SIGNED_ID, type Operation } from './protocol';
import {
  readGetResponseResponse, readGetStatusResponse, readQueueStatistics, readSendRequestResponse,
  type AsyncStatus, type MessageMetadataInfo, type ResponseMessage,
} from './responses';
import { createSigner, type XmlSigner } from './signer';
import { SoapTransport, type SoapCallOutcome } from './soap-client';
import type { ResolvedSmev3Config } from './spec';
import type { Smev3Xml } from './xsd';

export interface OutgoingMessage {
  messageId: string;
  /** The payload root element. */
  primaryContent: string;
  attachments: AttachmentInput[];
}

/** A signed, validated SendRequest, ready to go (and to go again, byte for byte). */
export interface PreparedMessage {
  messageId: string;
  /** The wire body (xop:Include for attachments). */
  body: string;
  attachments: AttachmentInput[];
}

export type SendResult =
  | { kind: 'accepted'; metadata: MessageMetadataInfo }
  | { kind: 'duplicate' }
  | { kind: 'fault'; fault: ParsedFault; rule: FaultRule | undefined; error: GatewayError };

export interface Smev3ClientDeps {
  config: ResolvedSmev3Config;
  http: HttpClient;
  log: Logger;
  now(): Date;
  xml: Smev3Xml;
  /** Defaults to the signer the config names. */
  signer?: XmlSigner;
  /** Called with every body sent (the logical form, attachments inline): tests validate them. */
  onSend?(op: Operation, logicalBody: string): void;
}

export class Smev3Client {
  readonly signer: XmlSigner;
  private readonly transport: SoapTransport;

  constructor(private readonly deps: Smev3ClientDeps) {
    this.signer = deps.signer ?? createSigner(deps.config, { http: deps.http, xml: deps.xml, now: deps.now });
    this.transport = new SoapTransport({
      http: deps.http, endpoint: deps.config.endpoint, timeoutMs: deps.config.timeoutMs, log: deps.log, now: deps.now, xml: deps.xml,
    });
  }

  /** Builds SenderProvidedRequestData, has it signed, and checks the body against the СМЭВ XSD. */
  async prepare(msg: OutgoingMessage): Promise<PreparedMessage> {
    const { config } = this.deps;
    const eol = config.eolMinutes !== undefined ? new Date(this.deps.now().getTime() + config.eolMinutes * 60_000).toISOString() : undefined;
    const signed = senderProvidedRequestDataXml({
      messageId: msg.messageId, primaryContent: msg.primaryContent, attachments: msg.attachments, testMessage: config.testMessage,
      ...(config.transactionCode !== undefined ? { transactionCode: config.transactionCode } : {}),
      ...(config.nodeId !== undefined ? { nodeId: config.nodeId } : {}),
      ...(eol !== undefined ? { eol } : {}),
    });
    const signature = await this.signer.sign({ xml: signed, referenceId: SIGNED_ID });
    const logical = sendRequestRequestXml(signed, signature, msg.attachments, false);
    this.check('SendRequest', logical);
    return { messageId: msg.messageId, body: sendRequestRequestXml(signed, signature, msg.attachments, true), attachments: msg.attachments };
  }

  /**
   * Sends a prepared message. `MessageIsAlreadySent` is `duplicate`; every other fault comes
   * back with its rule and error. Throws GatewayError when there was no SOAP answer (the
   * outcome is then unknown).
   */
  async send(p: PreparedMessage): Promise<SendResult> {
    const out = await this.transport.call('SendRequest', p.body, p.attachments);
    if (!out.ok) {
      const rule = faultRule(out.fault);
      if (rule?.action === 'duplicate') return { kind: 'duplicate' };
      return { kind: 'fault', fault: out.fault, rule, error: faultError(out.fault, 'SendRequest', out.httpStatus) };
    }
    return { kind: 'accepted', metadata: this.read(() => readSendRequestResponse(this.deps.xml, out.body)) };
  }

  /** One message of the response queue (undefined = empty). Does not Ack. */
  async getResponse(): Promise<ResponseMessage | undefined> {
    const { config } = this.deps;
    const selector = messageTypeSelectorXml({
      ...config.responseSelector, timestamp: this.deps.now().toISOString(), ...(config.nodeId ? { nodeId: config.nodeId } : {}),
    });
    const body = getResponseRequestXml(selector, await this.signer.sign({ xml: selector, referenceId: SIGNED_ID }));
    const out = this.ok('GetResponse', await this.call('GetResponse', body));
    return this.read(() => readGetResponseResponse(this.deps.xml, out.body, config.payloadNamespace));
  }

  /** Acknowledges a message read with GetResponse. `gone`: СМЭВ holds no unacknowledged message with that id. */
  async ack(messageId: string, accepted = true): Promise<'acked' | 'gone'> {
    const target = ackTargetXml(messageId, accepted);
    const body = ackRequestXml(target, await this.signer.sign({ xml: target, referenceId: SIGNED_ID }));
    const out = await this.call('Ack', body);
    if (!out.ok && faultRule(out.fault)?.action === 'ack-gone') return 'gone';
    this.ok('Ack', out);
    return 'acked';
  }

  /** One asynchronous processing status (undefined = none waiting). */
  async getStatus(): Promise<AsyncStatus | undefined> {
    const ts = timestampXml(this.deps.now().toISOString());
    const body = getStatusRequestXml(ts, await this.signer.sign({ xml: ts, referenceId: SIGNED_ID }));
    const out = this.ok('GetStatus', await this.call('GetStatus', body));
    return this.read(() => readGetStatusResponse(this.deps.xml, out.body));
  }

  /** GetIncomingQueueStatistics: a signed, read-only call; `check` uses it. */
  async queueStatistics(): Promise<{ queueName: string; pending: number }[]> {
    const ts = timestampXml(this.deps.now().toISOString());
    const body = queueStatisticsRequestXml(ts, await this.signer.sign({ xml: ts, referenceId: SIGNED_ID }), this.deps.config.nodeId);
    const out = this.ok('GetIncomingQueueStatistics', await this.call('GetIncomingQueueStatistics', body));
    return this.read(() => readQueueStatistics(this.deps.xml, out.body));
  }

  private async call(op: Operation, body: string): Promise<SoapCallOutcome> {
    this.check(op, body);
    return this.transport.call(op, body);
  }

  private ok(op: Operation, out: SoapCallOutcome): Extract<SoapCallOutcome, { ok: true }> {
    if (!out.ok) throw faultError(out.fault, op, out.httpStatus);
    return out;
  }

  /** Outgoing bodies must validate against the official XSD: a failure is a gateway defect. */
  private check(op: Operation, logicalBody: string): void {
    this.deps.onSend?.(op, logicalBody);
    if (!this.deps.config.validateOutgoing) return;
    const issues = this.deps.xml.validateSmevBody(logicalBody);
    if (issues.length > 0) throw new GatewayError('GW_INTERNAL', `outgoing ${op} body does not validate against the СМЭВ 1.1 XSD`, { issues });
  }

  /** Answer readers throw GatewayError for a missing element and libxml2 errors for non-XML. */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isGatewayError(e)) throw e;
      throw new GatewayError('GW_SINK_PROTOCOL', 'СМЭВ answered 200 with a body that is not XML', { cause: e });
    }
  }
}
