/**
 * Transport of the СМЭВ sink on the `soap` package, built from the official WSDL in
 * `schemas/smev3/` (SOAP 1.1 document/literal, SOAPAction `urn:<Operation>`).
 *
 * - node-soap writes the envelope around our body (passed as raw `_xml`, so signed bytes stay
 *   as they were signed) and adds an empty `soap:Header` (СМЭВ refuses an envelope without one).
 * - HTTP goes through the gateway's HttpClient (timeouts, logs without bodies, the injected
 *   clock) with one attempt: the delivery loop owns retries.
 * - `parseReponseAttachments` (sic) is on: СМЭВ answers MTOM `multipart/related` even when
 *   there is nothing attached (an empty GetResponse queue), and plain `text/xml` otherwise.
 * - Requests with attachments go out as MTOM: `xop:Include` in the body, bodies as MIME parts.
 * The body of every answer is handed back as text; reading it is the caller's job.
 */
import path from 'node:path';
import * as soap from 'soap';
import type { HttpClient } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import type { AttachmentInput } from './envelope';
import { httpError, transportError } from './errors';
import { parseSoapFault, type ParsedFault } from './faults';
import { SCHEMA_FILES, smev3SchemaDir, type Operation } from './protocol';
import type { Smev3Xml } from './xsd';

export type SoapCallOutcome =
  | { ok: true; body: string; attachments: Map<string, Buffer>; httpStatus: number }
  | { ok: false; fault: ParsedFault; httpStatus: number };

export interface SoapTransportDeps {
  http: HttpClient;
  endpoint: string;
  timeoutMs: number;
  log: Logger;
  now(): Date;
  xml: Smev3Xml;
}

/** Path of the WSDL node-soap reads (it resolves the imported XSDs next to it). */
export function wsdlPath(): string {
  return path.join(smev3SchemaDir(), SCHEMA_FILES.wsdl);
}

interface AxiosLikeConfig { url: string; headers?: Record<string, unknown>; data?: string | Buffer }
interface SoapRejection { response?: { status?: number; headers?: Record<string, string> }; body?: unknown }

/** Headers node-soap sets that the gateway's HTTP client computes itself. */
const DROPPED_HEADERS = new Set(['host', 'content-length', 'accept-encoding', 'accept-charset', 'user-agent']);

export class SoapTransport {
  private client: Promise<soap.Client> | undefined;
  private readonly pathTemplate: string;

  constructor(private readonly deps: SoapTransportDeps) {
    this.pathTemplate = (() => { try { return new URL(deps.endpoint).pathname; } catch { return '/'; } })();
  }

  private getClient(): Promise<soap.Client> {
    this.client ??= soap.createClientAsync(wsdlPath(), {
      endpoint: this.deps.endpoint,
      httpClient: new soap.HttpClient({
        parseReponseAttachments: true,
        request: ((cfg: AxiosLikeConfig) => this.bridge(cfg)) as unknown as soap.IOptions['request'],
      }),
    });
    return this.client;
  }

  /** node-soap's request hook → the gateway HttpClient; answers any status (node-soap reads faults from 500s). */
  private async bridge(cfg: AxiosLikeConfig): Promise<{ status: number; statusText: string; headers: Record<string, string>; data: Buffer; config: AxiosLikeConfig }> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers ?? {})) if (!DROPPED_HEADERS.has(k.toLowerCase()) && v !== undefined) headers[k] = String(v);
    const soapAction = (headers.SOAPAction ?? '').replace(/"/g, '');
    const res = await this.deps.http.request<Buffer>({
      method: 'POST', url: cfg.url, pathTemplate: `${this.pathTemplate}#${soapAction.replace(/^urn:/, '')}`,
      headers, body: Buffer.isBuffer(cfg.data) ? cfg.data : Buffer.from(cfg.data ?? '', 'utf8'),
      responseType: 'buffer', timeoutMs: this.deps.timeoutMs, maxAttempts: 1, retryOn: [],
    });
    return { status: res.status, statusText: '', headers: res.headers, data: res.data, config: cfg };
  }

  /**
   * Calls `op` with `body` (the operation's request element). Returns the answer body or the
   * SOAP fault. Throws GatewayError when there is no SOAP answer (network, timeout, a proxy's
   * 429/503, a 200 that is not SOAP).
   */
  async call(op: Operation, body: string, attachments: readonly AttachmentInput[] = []): Promise<SoapCallOutcome> {
    const client = await this.getClient();
    const method = (client as unknown as Record<string, soap.SoapMethodAsync>)[`${op}Async`];
    if (typeof method !== 'function') throw new Error(`WSDL has no operation ${op}`);
    const options: Record<string, unknown> = {
      postProcess: (xml: string) => xml.replace(/(<soap:Envelope\b[^>]*>)(?!<soap:Header)/, '$1<soap:Header/>'),
      ...(attachments.length > 0 ? {
        forceMTOM: true,
        attachments: attachments.map((a) => ({ mimetype: a.mimeType, contentId: a.id, name: `${a.id}.xml`, body: a.body })),
      } : {}),
    };
    const started = Date.now();
    try {
      const [, raw, , , mtom] = await method.call(client, { _xml: body }, options);
      this.deps.log.debug('smev3 call', { op, status: 200, durationMs: Date.now() - started, parts: mtom?.parts.length ?? 0 });
      const parts = new Map<string, Buffer>();
      for (const p of mtom?.parts ?? []) {
        const cid = Object.entries(p.headers).find(([k]) => k.toLowerCase() === 'content-id')?.[1];
        if (cid) parts.set(cid.replace(/^<|>$/g, ''), p.body);
      }
      return { ok: true, body: typeof raw === 'string' ? raw : String(raw), attachments: parts, httpStatus: 200 };
    } catch (e) {
      return this.rejected(op, e, Date.now() - started);
    }
  }

  private rejected(op: Operation, e: unknown, durationMs: number): SoapCallOutcome {
    const r = (typeof e === 'object' && e !== null ? e : {}) as SoapRejection;
    const status = r.response?.status;
    this.deps.log.debug('smev3 call', { op, status, durationMs, error: e instanceof Error ? e.name : 'fault' });
    if (status === undefined) throw transportError(e, `СМЭВ ${op}`);
    const body = typeof r.body === 'string' ? r.body : Buffer.isBuffer(r.body) ? r.body.toString('utf8') : '';
    const fault = body ? parseSoapFault(this.deps.xml, body) : undefined;
    if (fault) return { ok: false, fault, httpStatus: status };
    throw httpError(op, status, r.response?.headers ?? {}, this.deps.now());
  }
}
