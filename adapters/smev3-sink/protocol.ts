/**
 * СМЭВ 3 (message exchange 1.1) constants shared by the sink and its simulator: namespaces,
 * schema files, operation names, the interaction statuses, and small XML text helpers.
 * Nothing here does I/O except locating `schemas/smev3/`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  service: 'urn://x-artefacts-smev-gov-ru/services/message-exchange/1.1',
  types: 'urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1',
  basic: 'urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1',
  faults: 'urn://x-artefacts-smev-gov-ru/services/message-exchange/types/faults/1.1',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xop: 'http://www.w3.org/2004/08/xop/include',
} as const;

/**
 * Any СМЭВ message-exchange types namespace, 1.1 to 1.3 (a real fault may mix versions, so
 * answers are read by local name plus this check, never by prefix).
 */
export const SMEV_TYPES_NS_RE = /^urn:\/\/x-artefacts-smev-gov-ru\/services\/message-exchange\/types\/(?:(?:basic|faults|directive|routing)\/)?1\.[1-3]$/;

/** Default namespace of the diary payload (schemas/smev3/diary-exchange-1.0.xsd). */
export const DEFAULT_PAYLOAD_NS = 'urn://x-artefacts-diary-gateway/diary-exchange/1.0.0';
export const REQUEST_ROOT = 'DiaryBatchRequest';
export const RESPONSE_ROOT = 'DiaryBatchResponse';
export const RECORDS_ROOT = 'DiaryRecords';

/** `Id` of the element our signature covers (the convention seen in real traffic). */
export const SIGNED_ID = 'SIGNED_BY_CALLER';

export const SIG_ALGORITHMS = {
  c14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  smevTransform: 'urn://smev-gov-ru/xmldsig/transform',
  signature: 'urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256',
  digest: 'urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256',
} as const;

export const OPERATIONS = ['SendRequest', 'GetResponse', 'Ack', 'GetStatus', 'GetIncomingQueueStatistics'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** InteractionStatusType of the basic XSD, in the order a request goes through them. */
export const INTERACTION_STATUSES = [
  'doesNotExist', 'requestIsQueued', 'requestIsAcceptedBySmev', 'requestIsRejectedBySmev',
  'underProcessing', 'responseIsAcceptedBySmev', 'cancelled', 'responseIsDelivered',
] as const;
export type InteractionStatus = (typeof INTERACTION_STATUSES)[number];

export function isInteractionStatus(s: string): s is InteractionStatus {
  return (INTERACTION_STATUSES as readonly string[]).includes(s);
}

/** Fault elements of the faults XSD that the WSDL declares (`fault:<name>`). */
export const SMEV_FAULTS = [
  'BusinessDataTypeIsNotSupported', 'SignatureVerificationFault', 'InvalidContent',
  'AttachmentContentMiscoordination', 'AttachmentSizeLimitExceeded', 'QuoteLimitExceeded', 'AccessDenied',
  'MessageIsAlreadySent', 'InvalidMessageIdFormat', 'StaleMessageId', 'EndOfLifeReached', 'SMEVFailure',
  'TransactionCodeInvalid', 'RequestIsNotFound', 'TargetMessageIsNotFound', 'IncorrectResponseContentType',
  'SenderIsNotRegistered', 'RecipientIsNotFound', 'UnknownMessageType', 'DestinationOverflow',
] as const;
export type SmevFaultName = (typeof SMEV_FAULTS)[number];

export function isSmevFaultName(s: string): s is SmevFaultName {
  return (SMEV_FAULTS as readonly string[]).includes(s);
}

/** `SignatureVerificationFault/SignatureVerificationFault` codes of the faults XSD. */
export const SIGNATURE_FAULT_CODES = [
  'PoorSOAPEnvelopeFormat', 'NoSignatureFound', 'IncorrectSignatureTarget', 'SignatureIsInvalid',
  'CertificateIsNotFound', 'CertificateIsExpired',
] as const;
export type SignatureFaultCode = (typeof SIGNATURE_FAULT_CODES)[number];

let schemaDirCache: string | undefined;

/** `schemas/smev3/` of the package: walks up from this file (works from the source tree and dist/). */
export function smev3SchemaDir(): string {
  if (schemaDirCache) return schemaDirCache;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'schemas', 'smev3');
    if (existsSync(path.join(candidate, SCHEMA_FILES.wsdl)) && existsSync(path.join(dir, 'package.json'))) {
      schemaDirCache = candidate;
      return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`schemas/smev3 not found above ${__dirname}`);
}

export const SCHEMA_FILES = {
  /** The WSDL (the official file name says .xsd). */
  wsdl: 'smev-message-exchange-service-1.1.xsd',
  types: 'smev-message-exchange-types-1.1.xsd',
  basic: 'smev-message-exchange-basic-1.1.xsd',
  faults: 'smev-message-exchange-faults-1.1.xsd',
  diary: 'diary-exchange-1.0.xsd',
} as const;

// ── XML text helpers (the envelopes are written as text so signed bytes never change) ──

export function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escAttr(s: string): string {
  return escText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** `<p:name a="v">children</p:name>`, or `<p:name a="v"/>` when children is empty. */
export function el(qname: string, attrs: Record<string, string | number | undefined>, children = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escAttr(String(v))}"`)
    .join('');
  return children === '' ? `<${qname}${a}/>` : `<${qname}${a}>${children}</${qname}>`;
}
