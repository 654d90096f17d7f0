/**
 * The official OneRoster 1.2 OpenAPI component schemas (schemas/oneroster-1.2/, copied from
 * purl.imsglobal.org) as ajv validators. Every body the sink sends, every row the CSV export
 * writes and every body the simulated consumer receives is checked against them.
 *
 * One Ajv instance per process, built on first use; each component is compiled once, on its
 * first check. Not strict: the documents carry OpenAPI keywords ajv does not know; `float` and
 * `int32` are OpenAPI formats added here.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { GatewayError, type Issue } from '../../src/core/errors';
import { schemasDir } from '../../src/infra/schemas';

export type OrService = 'rostering' | 'gradebook';

export const OPENAPI_FILES: Readonly<Record<OrService, string>> = {
  rostering: 'onerosterv1p2rostersservice_openapi3_v1p0.json',
  gradebook: 'onerosterv1p2gradebookservice_openapi3_v1p0.json',
};

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv {
  if (ajv) return ajv;
  const a = new Ajv({ strict: false, allErrors: true });
  addFormats(a);
  a.addFormat('float', { type: 'number', validate: (x: number) => Number.isFinite(x) });
  a.addFormat('int32', { type: 'number', validate: (x: number) => Number.isInteger(x) });
  for (const [service, file] of Object.entries(OPENAPI_FILES)) {
    const doc = JSON.parse(fs.readFileSync(path.join(schemasDir(), 'oneroster-1.2', file), 'utf8')) as { components: unknown };
    a.addSchema({ $id: `or-${service}`, components: doc.components });
  }
  ajv = a;
  return a;
}

/** The compiled validator of one component schema, e.g. (`gradebook`, `SingleResultDType`). */
export function validatorOf(service: OrService, name: string): ValidateFunction {
  const key = `${service}#${name}`;
  let v = compiled.get(key);
  if (!v) {
    v = instance().getSchema(`or-${service}#/components/schemas/${name}`);
    if (!v) throw new GatewayError('GW_INTERNAL', `no component schema ${name} in the OneRoster ${service} OpenAPI file`);
    compiled.set(key, v);
  }
  return v;
}

/** Issues of `body` against a component schema (empty = valid). Messages never quote values. */
export function checkOneRoster(service: OrService, name: string, body: unknown): Issue[] {
  const v = validatorOf(service, name);
  if (v(body)) return [];
  return (v.errors ?? []).slice(0, 20).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ''}`,
  }));
}
