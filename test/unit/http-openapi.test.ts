import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { buildOpenApiDocument } from '../../src/http/openapi';
import { delivery, harness, listAppRoutes, toOpenApiPath, TOKEN } from './http-kit.test';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The structural core of the OpenAPI 3.1 schema (spec.openapis.org/oas/3.1/schema): enough
 * to catch a malformed document without the network or an extra package.
 */
const OPENAPI_31_SHAPE = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' } } },
    jsonSchemaDialect: { type: 'string' },
    security: { $ref: '#/$defs/security' },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: [...METHODS, 'parameters', 'summary', 'description'] },
        patternProperties: { [`^(${METHODS.join('|')})$`]: { $ref: '#/$defs/operation' } },
      },
    },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object' },
        responses: { type: 'object', additionalProperties: { $ref: '#/$defs/response' } },
        parameters: { type: 'object', additionalProperties: { $ref: '#/$defs/parameter' } },
        securitySchemes: { type: 'object', additionalProperties: { type: 'object', required: ['type'], properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } } } },
      },
    },
  },
  $defs: {
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    ref: { type: 'object', required: ['$ref'], properties: { $ref: { type: 'string' } } },
    parameter: {
      oneOf: [
        { $ref: '#/$defs/ref' },
        {
          type: 'object', required: ['name', 'in'],
          properties: { name: { type: 'string' }, in: { enum: ['query', 'header', 'path', 'cookie'] }, required: { type: 'boolean' } },
          if: { properties: { in: { const: 'path' } } }, then: { required: ['required'], properties: { required: { const: true } } },
        },
      ],
    },
    response: {
      oneOf: [{ $ref: '#/$defs/ref' }, { type: 'object', required: ['description'], properties: { $ref: false, description: { type: 'string' } } }],
    },
    operation: {
      type: 'object', required: ['responses', 'operationId'],
      properties: {
        operationId: { type: 'string' },
        parameters: { type: 'array', items: { $ref: '#/$defs/parameter' } },
        security: { $ref: '#/$defs/security' },
        responses: {
          type: 'object', minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: { $ref: '#/$defs/response' },
        },
      },
    },
  },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const doc = buildOpenApiDocument() as unknown as { [k: string]: Json } & { paths: Record<string, Record<string, Json>> };

/** Resolves a local `#/a/b` pointer in the document. */
function resolve(pointer: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const part of pointer.replace(/^#\//, '').split('/')) {
    cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? cur[part] : undefined;
  }
  return cur;
}

function collectRefs(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** Validators of component schemas, compiled with ajv (2020-12, the OpenAPI 3.1 dialect), strict. */
export function schemaValidator(name: string): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const schemas = JSON.parse(JSON.stringify((doc['components'] as { schemas: Json } | undefined)?.schemas)
    .replace(/#\/components\/schemas\//g, 'https://diary-gateway.test/oas.json#/$defs/')) as Record<string, Json>;
  ajv.addSchema({ $id: 'https://diary-gateway.test/oas.json', $defs: schemas });
  return ajv.compile({ $ref: `https://diary-gateway.test/oas.json#/$defs/${name}` });
}

export function assertMatchesSchema(name: string, body: unknown): void {
  const validate = schemaValidator(name);
  assert.ok(validate(body), `${name}: ${JSON.stringify(validate.errors)}`);
}

describe('http OpenAPI document', () => {
  it('has the shape of an OpenAPI 3.1 document', () => {
    assert.equal(doc['openapi'], '3.1.0');
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(OPENAPI_31_SHAPE);
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    // The check itself must be able to fail.
    assert.equal(validate({ ...doc, openapi: '3.0.3' }), false);
    assert.equal(validate({ ...doc, paths: { '/x': { get: { operationId: 'x' } } } }), false);
  });

  it('documents exactly the routes the app serves', () => {
    const served = listAppRoutes(harness().app).map((r) => `${r.method} ${toOpenApiPath(r.path)}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, served);
  });

  it('declares every path parameter, resolves every $ref, and has unique operation ids', () => {
    for (const ref of collectRefs(doc)) assert.notEqual(resolve(ref), undefined, ref);
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, opJson] of Object.entries(item)) {
        const op = opJson as { operationId: string; parameters?: Array<{ $ref?: string; in?: string; name?: string }> };
        ids.push(op.operationId);
        const params = (op.parameters ?? []).map((p) => (p.$ref ? resolve(p.$ref) as { in: string; name: string } : p));
        const declared = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
        assert.deepEqual(declared, templated, `${method} ${path}`);
      }
    }
    assert.equal(new Set(ids).size, ids.length);
  });

  it('compiles every component schema under ajv strict (JSON Schema 2020-12)', () => {
    const names = Object.keys((doc['components'] as { schemas: Record<string, Json> }).schemas);
    assert.ok(names.length > 20);
    for (const name of names) assert.doesNotThrow(() => schemaValidator(name), name);
  });

  it('documents /metrics as protected only when metricsAuth is on', () => {
    const sec = (d: ReturnType<typeof buildOpenApiDocument>): unknown => (d.paths['/metrics'] as { get: { security: unknown } }).get.security;
    assert.deepEqual(sec(buildOpenApiDocument()), []);
    assert.deepEqual(sec(buildOpenApiDocument({ metricsAuth: true })), [{ bearerAuth: [] }]);
  });
});

describe('http OpenAPI: answers match the documented schemas', () => {
  const AUTH = `Bearer ${TOKEN}`;

  it('is served at /api/v1/openapi.json behind auth', async () => {
    const h = harness();
    assert.equal((await request(h.app).get('/api/v1/openapi.json')).status, 401);
    const res = await request(h.app).get('/api/v1/openapi.json').set('Authorization', AUTH);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, JSON.parse(JSON.stringify(doc)));
  });

  it('problem answers, lists and details validate', async () => {
    const h = harness();
    h.ledger.deliveries = [delivery(1, 'dead'), delivery(2, 'rejected', { lastError: { code: 'GW_SINK_REJECTED', class: 'invalid_data', message: 'x', actor: 'school_it', remedy: 'r' } })];
    h.runtime.list = [{ schoolId: 's1', sourceInstance: 'netschool', adapter: 'netschool-source', running: false, healthy: true }];
    const cases: Array<[string, string, number]> = [
      ['/api/v1/deliveries', 'DeliveryList', 200],
      ['/api/v1/deliveries/2', 'DeliveryDetail', 200],
      ['/api/v1/schools', 'SchoolList', 200],
      ['/api/v1/schools/s1', 'SchoolView', 200],
      ['/api/v1/stats', 'Stats', 200],
      ['/api/v1/runs', 'RunList', 200],
      ['/api/v1/quarantine', 'QuarantineList', 200],
      ['/api/v1/deliveries?limit=0', 'Problem', 400],
      ['/api/v1/deliveries/9', 'Problem', 404],
    ];
    for (const [path, schema, status] of cases) {
      const res = await request(h.app).get(path).set('Authorization', AUTH);
      assert.equal(res.status, status, path);
      assertMatchesSchema(schema, JSON.parse(res.text));
    }
    assertMatchesSchema('Problem', JSON.parse((await request(h.app).get('/api/v1/stats')).text));
    // The validators are not vacuous.
    assert.equal(schemaValidator('DeliveryList')({ items: [{ id: 1 }], limit: 1, offset: 0 }), false);
  });
});
