/**
 * Signing of СМЭВ envelopes (ЭП-ОВ, `CallerInformationSystemSignature`) behind one interface.
 *
 * GOST R 34.10-2012 XML-DSig with the СМЭВ transform is not done in this process: no mainstream
 * JS library implements it, and the key must stay inside a certified crypto provider. The
 * production signer is an HTTP client of an external signing service; the test signer makes
 * a syntactically valid ds:Signature with a fake value, for the simulator and test stands.
 *
 * Contract of the signing service (ours; adapt a vendor's API to it with a thin proxy):
 *   POST {url}   Authorization: Bearer {token}   Content-Type: application/json
 *   {"keyAlias": "...", "referenceId": "SIGNED_BY_CALLER", "profile": "smev3-xmldsig-gost2012-256",
 *    "xml": "<base64 of the UTF-8 bytes of the element to sign, self-contained>"}
 *   200 {"signature": "<ds:Signature xmlns:ds=…>…</ds:Signature>"}
 * The service applies exclusive C14N and the СМЭВ transform, GOST 34.11-2012 digest and
 * 34.10-2012 signature, and returns the ds:Signature element (Reference URI="#referenceId").
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../../src/core/errors';
import type { HttpClient } from '../../src/core/http';
import { signerError, transportError } from './errors';
import { NS, SIG_ALGORITHMS, el, escText } from './protocol';
import { DEFAULT_SIGNER_TIMEOUT_MS, DEFAULT_TEST_CERTIFICATE, type ResolvedSmev3Config, type SigningServiceConfig } from './spec';
import { childElements, isEl, localName, type Smev3Xml } from './xsd';

export interface SignRequest {
  /** The exact text of the element to sign; it declares every namespace it uses. */
  xml: string;
  /** The element's `Id`; the signature's Reference URI is `#referenceId`. */
  referenceId: string;
}

export interface XmlSigner {
  readonly kind: 'test' | 'signing-service';
  /** Returns one `ds:Signature` element (XML text) over the element. */
  sign(req: SignRequest): Promise<string>;
}

/** Prefix of the fake certificate and signature values: anything carrying it is not a real signature. */
export const TEST_SIGNATURE_MARK = 'DIARY-GATEWAY-TEST-SIGNATURE-NOT-VALID';

/** The ds:Signature skeleton СМЭВ uses (exc-c14n + СМЭВ transform, GOST 2012-256). */
export function signatureXml(referenceId: string, digestB64: string, valueB64: string, certB64: string): string {
  const d = 'ds';
  const alg = (name: string, a: string): string => el(`${d}:${name}`, { Algorithm: a });
  return el(`${d}:Signature`, { [`xmlns:${d}`]: NS.ds },
    el(`${d}:SignedInfo`, {},
      alg('CanonicalizationMethod', SIG_ALGORITHMS.c14n)
      + alg('SignatureMethod', SIG_ALGORITHMS.signature)
      + el(`${d}:Reference`, { URI: `#${referenceId}` },
        el(`${d}:Transforms`, {}, alg('Transform', SIG_ALGORITHMS.c14n) + alg('Transform', SIG_ALGORITHMS.smevTransform))
        + alg('DigestMethod', SIG_ALGORITHMS.digest)
        + `<${d}:DigestValue>${digestB64}</${d}:DigestValue>`))
    + `<${d}:SignatureValue>${valueB64}</${d}:SignatureValue>`
    + el(`${d}:KeyInfo`, {}, el(`${d}:X509Data`, {}, `<${d}:X509Certificate>${escText(certB64)}</${d}:X509Certificate>`)));
}

/** The fake certificate value of the test signer for an alias. */
export function testCertificate(alias: string): string {
  return Buffer.from(`${TEST_SIGNATURE_MARK}:CERT:${alias}`, 'utf8').toString('base64');
}

/** The alias inside a test certificate, or undefined when the value is not one. */
export function testCertificateAlias(certB64: string): string | undefined {
  const s = Buffer.from(certB64.replace(/\s+/g, ''), 'base64').toString('utf8');
  const prefix = `${TEST_SIGNATURE_MARK}:CERT:`;
  return s.startsWith(prefix) ? s.slice(prefix.length) : undefined;
}

/** The digest the test signer writes: SHA-256 (not GOST!) of the exclusive C14N of the element. */
export function testDigest(xml: Smev3Xml, docXml: string, referenceId: string): string {
  return createHash('sha256').update(xml.canonicalById(docXml, referenceId), 'utf8').digest('base64');
}

/**
 * TEST ONLY. Produces a well-formed ds:Signature whose digest is SHA-256 of the canonical
 * element (so the simulator can tell a changed envelope) and whose value and certificate are
 * marked fake. The real СМЭВ rejects it.
 */
export class TestSigner implements XmlSigner {
  readonly kind = 'test' as const;
  constructor(private readonly xml: Smev3Xml, private readonly alias: string) {}

  async sign(req: SignRequest): Promise<string> {
    const digest = testDigest(this.xml, req.xml, req.referenceId);
    if (digest === createHash('sha256').update('').digest('base64')) {
      throw new GatewayError('GW_INTERNAL', `test signer: no element with Id ${req.referenceId} to sign`);
    }
    const value = Buffer.from(`${TEST_SIGNATURE_MARK}:${digest}`, 'utf8').toString('base64');
    return signatureXml(req.referenceId, digest, value, testCertificate(this.alias));
  }
}

/** Client of the external signing service (see the contract at the top of this file). */
export class SigningServiceSigner implements XmlSigner {
  readonly kind = 'signing-service' as const;
  constructor(private readonly deps: { http: HttpClient; config: Required<SigningServiceConfig>; xml: Smev3Xml; now(): Date }) {}

  async sign(req: SignRequest): Promise<string> {
    const { http, config } = this.deps;
    let res;
    try {
      res = await http.request<Buffer>({
        method: 'POST', url: config.url, pathTemplate: new URL(config.url).pathname,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${config.token}` },
        body: Buffer.from(JSON.stringify({
          keyAlias: config.keyAlias, referenceId: req.referenceId, profile: 'smev3-xmldsig-gost2012-256',
          xml: Buffer.from(req.xml, 'utf8').toString('base64'),
        }), 'utf8'),
        responseType: 'buffer', timeoutMs: config.timeoutMs, maxAttempts: 1,
      });
    } catch (e) {
      throw transportError(e, 'signing service');
    }
    if (res.status !== 200) throw signerError(res.status, res.headers, this.deps.now());
    let signature: unknown;
    try { signature = (JSON.parse(res.data.toString('utf8')) as { signature?: unknown }).signature; } catch { signature = undefined; }
    if (typeof signature !== 'string' || !this.isSignatureFor(signature, req.referenceId)) {
      throw new GatewayError('GW_SINK_PROTOCOL', 'signing service answered 200 without a ds:Signature for the requested element', { httpStatus: 200 });
    }
    return signature.replace(/^<\?xml[^>]*\?>\s*/, '');
  }

  /** A ds:Signature root with SignedInfo, a Reference to `#id` and a SignatureValue. */
  private isSignatureFor(sig: string, id: string): boolean {
    try {
      return this.deps.xml.withDoc(sig, (doc) => {
        if (!isEl(doc.root, 'Signature', NS.ds)) return false;
        const parts = childElements(doc.root).map(localName);
        const ref = doc.get(`/*/*[local-name()="SignedInfo"]/*[local-name()="Reference"][@URI="#${id}"]`);
        return parts.includes('SignedInfo') && parts.includes('SignatureValue') && ref !== null;
      });
    } catch {
      return false;
    }
  }
}

export function createSigner(config: ResolvedSmev3Config, deps: { http: HttpClient; xml: Smev3Xml; now(): Date }): XmlSigner {
  const s = config.signer;
  if (s.kind === 'test') return new TestSigner(deps.xml, s.certificateAlias ?? DEFAULT_TEST_CERTIFICATE);
  return new SigningServiceSigner({ ...deps, config: { ...s, timeoutMs: s.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS } });
}
