/**
 * Reading a SOAP 1.1 fault answered by СМЭВ: `faultcode`, `faultstring` and the fault element
 * in `detail` (by local name plus a СМЭВ namespace of any version 1.1–1.3), with the fields
 * the faults XSD gives it. Also the inverse, used by the simulator: the detail XML of each fault.
 */
import { NS, SMEV_TYPES_NS_RE, el, escText, isSmevFaultName, type SmevFaultName } from './protocol';
import { childElements, localName, type LxElement, type Smev3Xml } from './xsd';

export interface ParsedFault {
  /** Local part of `faultcode`: `Server`, `Client` (or whatever the peer wrote). */
  faultcode: string;
  faultstring: string;
  /** The СМЭВ fault element in `detail`, when there is one we know. */
  name?: SmevFaultName;
  /** `Code` of the fault (e.g. `SMEV-100` style or a broker code), if given. */
  smevCode?: string;
  /** `SignatureVerificationFault/SignatureVerificationFault` (PoorSOAPEnvelopeFormat …). */
  signatureCode?: string;
  /** `InvalidContent/ValidationError` items. */
  validationErrors: { position: number; message: string }[];
  /** Other leaf fields of the fault element (PermittedTotalAttachmentSize, DestinationName …). */
  fields: Record<string, string>;
}

/** Parses a fault from a response body; undefined when the body is not a SOAP envelope holding a Fault. */
export function parseSoapFault(xml: Smev3Xml, body: string | Uint8Array): ParsedFault | undefined {
  try {
    return xml.withDoc(body, (doc) => {
      const fault = doc.get(`/*[local-name()="Envelope"]/*[local-name()="Body"]/*[local-name()="Fault" and namespace-uri()="${NS.soap}"]`);
      if (!fault) return undefined;
      const kids = childElements(fault);
      const text = (n: string): string => kids.find((k) => localName(k) === n)?.content.trim() ?? '';
      const out: ParsedFault = {
        faultcode: text('faultcode').replace(/^.*:/, ''),
        faultstring: text('faultstring'),
        validationErrors: [],
        fields: {},
      };
      const detail = kids.find((k) => localName(k) === 'detail');
      const elem = detail ? childElements(detail)[0] : undefined;
      if (elem && SMEV_TYPES_NS_RE.test(elem.namespaceUri) && isSmevFaultName(localName(elem))) {
        out.name = localName(elem) as SmevFaultName;
        readFields(elem, out);
      }
      return out;
    });
  } catch {
    return undefined;
  }
}

function readFields(elem: LxElement, out: ParsedFault): void {
  for (const c of childElements(elem)) {
    const n = localName(c);
    const v = c.content.trim();
    if (n === 'Code') out.smevCode = v;
    else if (n === 'SignatureVerificationFault') out.signatureCode = v;
    else if (n === 'ValidationError') out.validationErrors.push({ position: Number(c.attr('errorPosition')?.value ?? 0), message: v });
    else if (n !== 'Description') out.fields[n] = v;
  }
}

/** What the simulator puts in a fault's detail (fields beyond Code/Description). */
export interface FaultDetailInput {
  code?: string;
  description?: string;
  signatureCode?: string;
  validationErrors?: { position: number; message: string }[];
  /** Extra fields in XSD order, e.g. {PermittedTotalAttachmentSize: '5242880', RealTotalAttachmentSize: '…'}. */
  extra?: [string, string][];
}

/** Faults whose element is of type basic:Void (no children allowed). */
const VOID_FAULTS: ReadonlySet<SmevFaultName> = new Set([
  'MessageIsAlreadySent', 'InvalidMessageIdFormat', 'StaleMessageId', 'AttachmentContentMiscoordination', 'AccessDenied',
  'SMEVFailure', 'IncorrectResponseContentType', 'RecipientIsNotFound', 'SenderIsNotRegistered', 'RequestIsNotFound',
  'TargetMessageIsNotFound', 'EndOfLifeReached', 'UnknownMessageType',
]);

/** The `faults:<name>` element for a fault's detail, valid against the faults XSD. */
export function faultDetailXml(name: SmevFaultName, d: FaultDetailInput = {}): string {
  const f = 'ns2';
  const b = 'ns3';
  const decl = { [`xmlns:${f}`]: NS.faults, [`xmlns:${b}`]: NS.basic };
  if (VOID_FAULTS.has(name)) return el(`${f}:${name}`, decl);
  const base = (d.code !== undefined ? `<${b}:Code>${escText(d.code)}</${b}:Code>` : '')
    + (d.description !== undefined ? `<${b}:Description>${escText(d.description)}</${b}:Description>` : '');
  let own = '';
  if (name === 'SignatureVerificationFault') own = `<${f}:SignatureVerificationFault>${escText(d.signatureCode ?? 'SignatureIsInvalid')}</${f}:SignatureVerificationFault>`;
  if (name === 'InvalidContent') {
    const errs = d.validationErrors && d.validationErrors.length > 0 ? d.validationErrors : [{ position: 0, message: 'invalid content' }];
    own = errs.map((e) => el(`${f}:ValidationError`, { errorPosition: e.position }, escText(e.message))).join('');
  }
  own += (d.extra ?? []).map(([k, v]) => `<${f}:${k}>${escText(v)}</${f}:${k}>`).join('');
  return el(`${f}:${name}`, decl, base + own);
}
