/**
 * The express app of the simulated СМЭВ node (no listen() here): the official WSDL served with
 * `soap.listen` at `path` (also `?wsdl`), behind a middleware that plays injected HTTP faults,
 * reads MTOM requests back into one envelope, refuses envelopes without `soap:Header` and
 * bodies that fail the СМЭВ XSD (InvalidContent), and writes answers as plain `text/xml` or
 * CXF-style MTOM multipart. Plus `/_sim/state` and `/_sim/faults` (loopback only, no auth).
 */
import { readFileSync } from 'node:fs';
import express, { type Request, type Response } from 'express';
import * as soap from 'soap';
import type { Logger } from '../../../src/core/logger';
import { parseFault } from '../../../src/infra/sim/faults';
import { OPERATIONS, type Operation } from '../protocol';
import { wsdlPath } from '../soap-client';
import type { Smev3Xml } from '../xsd';
import { faultEnvelopeXml } from './answers';
import type { Smev3FaultState } from './faults';
import { mtomResponse, readMtomRequest } from './mtom';
import { SmevFault, createSimService, type SimServiceOptions } from './service';
import type { Smev3SimStore } from './state';

export interface Smev3AppDeps {
  path: string;
  store: Smev3SimStore;
  faults: Smev3FaultState;
  xml: Smev3Xml;
  now(): Date;
  opts: SimServiceOptions;
  log: Logger;
}

interface SmevLocals { op?: Operation; drop?: boolean }

function operationOf(req: Request, logical: string): Operation | undefined {
  const action = String(req.headers.soapaction ?? '').replace(/"/g, '').replace(/^urn:/, '');
  if ((OPERATIONS as readonly string[]).includes(action)) return action as Operation;
  const m = /<(?:[\w.-]+:)?(\w+)Request\b/.exec(logical.slice(logical.search(/Body\b/)));
  return m && (OPERATIONS as readonly string[]).includes(m[1] ?? '') ? (m[1] as Operation) : undefined;
}

export async function createSmev3App(d: Smev3AppDeps): Promise<express.Express> {
  const { store, faults, xml, log } = d;
  const app = express();
  app.disable('x-powered-by');
  const service = createSimService({ store, faults, xml, now: d.now, opts: d.opts, log });

  app.get('/_sim/state', (_req, res) => { res.json(store.snapshot()); });
  app.post('/_sim/faults', express.json(), (req, res) => {
    const f = parseFault(req.body);
    try {
      if (!f || !faults.inject(f)) throw new Error('not a fault this simulator produces');
      res.status(204).end();
    } catch (e) {
      res.status(400).json({ message: e instanceof Error ? e.message : String(e) });
    }
  });

  const sendFault = (res: Response, e: SmevFault): void => {
    store.countFault(e.fault);
    if (e.fault === 'InvalidContent') store.counters.invalid++;
    res.status(500).type('text/xml; charset=utf-8').send(faultEnvelopeXml(e.message, e.detailXml));
  };

  app.use(d.path, express.raw({ type: () => true, limit: '200mb' }), async (req, res, next) => {
    if (req.method !== 'POST') { next(); return; }
    const delay = faults.takeDelay();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const st = faults.takeStatus(req.path);
    if (st) {
      if (st.retryAfterSec !== undefined) res.setHeader('Retry-After', String(st.retryAfterSec));
      res.status(st.status).type('text/html').send(`<html><body><h1>${st.status}</h1>proxy error (simulated)</body></html>`);
      return;
    }
    if (faults.takeMalformed()) { res.status(200).type('text/xml').send('<<not xml (simulated)'); return; }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const ct = String(req.headers['content-type'] ?? '');
    let logical: string;
    try {
      logical = /multipart\/related/i.test(ct) ? readMtomRequest(body, ct).xml : body.toString('utf8');
    } catch (e) {
      sendFault(res, new SmevFault('InvalidContent', { validationErrors: [{ position: 0, message: e instanceof Error ? e.message : 'unreadable MTOM' }] }));
      return;
    }
    const op = operationOf(req, logical);
    store.counters.requests++;
    store.receive(op ?? 'unknown', logical);
    if (!/<(?:[\w.-]+:)?Header\b/.test(logical.slice(0, logical.search(/<(?:[\w.-]+:)?Body\b/) + 1))) {
      sendFault(res, new SmevFault('SignatureVerificationFault', { code: 'SMEV-100', signatureCode: 'PoorSOAPEnvelopeFormat' }));
      return;
    }
    const issues = xml.validateSmevBody(logical);
    if (issues.length > 0) {
      sendFault(res, new SmevFault('InvalidContent', { code: 'SMEV-200', validationErrors: issues.map((i, n) => ({ position: n + 1, message: `${i.path}: ${i.message}` })) }));
      return;
    }
    req.body = Buffer.from(logical, 'utf8');
    const locals = res.locals as SmevLocals;
    if (op) locals.op = op;
    const end = res.end.bind(res) as (...a: unknown[]) => Response;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (locals.drop) { res.socket?.destroy(); return res; }
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) {
        const mode = faults.mtom;
        if (mode === 'always' || (mode === 'get-response' && locals.op === 'GetResponse')) {
          const m = mtomResponse(chunk.toString());
          res.setHeader('Content-Type', m.contentType);
          return end(m.body);
        }
        res.setHeader('Content-Type', 'text/xml; charset=utf-8');
      }
      return end(chunk, ...rest);
    }) as Response['end'];
    next();
  });

  const port: Record<string, soap.ISoapServiceMethod> = {};
  for (const op of OPERATIONS) {
    port[op] = (_args: unknown, _cb: unknown, _headers: unknown, req: Request, res: Response) => {
      try {
        const out = service[op](req.body.toString('utf8'));
        if (out.drop) (res.locals as SmevLocals).drop = true;
        return { _xml: out.xml };
      } catch (e) {
        if (!(e instanceof SmevFault)) throw e;
        store.countFault(e.fault);
        if (e.fault === 'InvalidContent') store.counters.invalid++;
        throw { Fault: { faultcode: 'soap:Server', faultstring: e.message, detail: { $xml: e.detailXml }, statusCode: 500 } };
      }
    };
  }
  // node-soap mounts the route only once the WSDL and its XSDs are read: wait for that.
  await new Promise<void>((resolve, reject) => soap.listen(app, {
    path: d.path,
    services: { SMEVMessageExchangeService: { SMEVMessageExchangeEndpoint: port } },
    xml: readFileSync(wsdlPath(), 'utf8'),
    uri: wsdlPath(),
    enableChunkedEncoding: false,
    suppressStack: true,
    callback: (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
  } as soap.IServerOptions));
  return app;
}
