/**
 * The OpenAPI 3.1 document of the admin API, served at `/api/v1/openapi.json`.
 *
 * Written by hand next to the routes rather than generated from them: the document is the
 * contract operators' tools read, so it states intent, and a unit test compares its `paths`
 * with the routes the app actually serves (in both directions) and validates real answers
 * against its schemas. Enumerations come from the core catalogs so they cannot drift.
 */
import { SLA_OPENAPI_PATHS, SLA_OPENAPI_SCHEMAS } from './sla-routes';
import { DELIVERY_STATES, REPLAYABLE_STATES } from '../core/delivery-states';
import { ERROR_CODES } from '../core/error-codes';
import { ENTITY_TYPES } from '../core/records';

/** A JSON value; the document is plain data. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type OpenApiDocument = { openapi: '3.1.0'; info: { title: string; version: string; description?: string }; paths: Record<string, JsonValue> } & Record<string, JsonValue>;

export interface OpenApiOptions {
  /** Whether `/metrics` requires the bearer token (AdminDeps.metricsAuth). */
  metricsAuth?: boolean;
  /** API version shown in `info.version`. */
  version?: string;
}

const ref = (name: string): JsonValue => ({ $ref: `#/components/schemas/${name}` });
const nullable = (name: string): JsonValue => ({ oneOf: [ref(name), { type: 'null' }] });
const json = (schema: JsonValue, description: string): JsonValue => ({
  description,
  content: { 'application/json': { schema } },
});
const respRef = (name: string): JsonValue => ({ $ref: `#/components/responses/${name}` });
const paramRef = (name: string): JsonValue => ({ $ref: `#/components/parameters/${name}` });
const str = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const int0 = { type: 'integer', minimum: 0 } as const;

/** The errors every authenticated operation may answer. */
const commonErrors = {
  '400': respRef('BadRequest'),
  '401': respRef('Unauthorized'),
  '500': respRef('Internal'),
  '503': respRef('Unavailable'),
};

function op(operationId: string, summary: string, extra: Record<string, JsonValue>, ok: JsonValue, errors: Record<string, JsonValue> = {}): JsonValue {
  return { operationId, summary, tags: ['admin'], ...extra, responses: { '200': ok, ...commonErrors, ...errors } };
}

function query(name: string, description: string, schema: JsonValue): JsonValue {
  return { name, in: 'query', required: false, description, schema };
}

const schemas: Record<string, JsonValue> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details with the gateway error code, its remedy and who must act.',
    required: ['type', 'title', 'status', 'code', 'detail', 'issues', 'remedy', 'actor'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', description: '`urn:diary-gateway:error:<code>`' },
      title: str,
      status: { type: 'integer' },
      code: ref('ErrorCode'),
      detail: str,
      issues: { type: 'array', items: ref('Issue') },
      remedy: str,
      actor: ref('Actor'),
    },
  },
  ErrorCode: { type: 'string', enum: Object.keys(ERROR_CODES) },
  Actor: { type: 'string', enum: [...new Set(Object.values(ERROR_CODES).map((c) => c.actor))].sort() },
  Issue: {
    type: 'object', required: ['path', 'message'],
    properties: { path: { type: 'string', description: 'JSON pointer, e.g. `/query/limit`.' }, message: str },
  },
  SerializedError: {
    type: 'object', required: ['code', 'class', 'message', 'actor', 'remedy'],
    properties: {
      code: ref('ErrorCode'),
      class: { type: 'string', enum: ['retryable', 'permanent', 'invalid_data', 'internal'] },
      message: str, actor: ref('Actor'), remedy: str,
      httpStatus: { type: 'integer' },
      issues: { type: 'array', items: ref('Issue') },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok', 'ready', 'not_ready'] } } },
  Cursor: {
    type: 'object', required: ['v', 'position'],
    description: 'Opaque to the pipeline; shown for diagnosis.',
    properties: { v: { const: 1 }, position: str, signpost: str },
  },
  RunCounts: {
    type: 'object', required: ['read', 'inserted', 'updated', 'unchanged', 'quarantined', 'enqueued'],
    properties: {
      read: int0, inserted: int0, updated: int0, unchanged: int0, quarantined: int0, enqueued: int0,
      staged: { ...int0, description: 'Changes to stored records staged for the safety hold.' },
      held: { ...int0, description: 'Of those, changes held for an operator.' },
    },
  },
  RunSummary: {
    type: 'object', required: ['runId', 'schoolId', 'sourceInstance', 'trigger', 'startedAt', 'status', 'counts'],
    properties: {
      runId: str, schoolId: str, sourceInstance: str,
      trigger: { type: 'string', enum: ['schedule', 'manual', 'startup', 'watch', 'push'] },
      startedAt: dateTime, finishedAt: dateTime,
      status: { type: 'string', enum: ['running', 'ok', 'partial', 'failed'] },
      counts: ref('RunCounts'),
      streams: { type: 'object', additionalProperties: { oneOf: [{ const: 'ok' }, ref('SerializedError')] } },
      error: ref('SerializedError'),
    },
  },
  SourceView: {
    type: 'object',
    required: ['sourceInstance', 'adapter', 'running', 'healthy', 'lastRun', 'counts', 'cursors'],
    additionalProperties: false,
    properties: {
      sourceInstance: str, adapter: str,
      schedule: { type: 'string', description: 'cron expression' },
      nextRunAt: dateTime,
      running: { type: 'boolean' },
      healthy: { type: 'boolean' },
      lastError: { ...(ref('SerializedError') as object), description: 'Why the source is unhealthy: remedy says what to do, actor who must act.' },
      lastRun: nullable('RunSummary'),
      counts: nullable('RunCounts'),
      cursors: {
        type: 'array',
        items: { type: 'object', required: ['stream', 'cursor', 'updatedAt'], properties: { stream: str, cursor: ref('Cursor'), updatedAt: dateTime } },
      },
    },
  },
  SchoolView: {
    type: 'object', required: ['schoolId', 'healthy', 'running', 'sources'], additionalProperties: false,
    properties: {
      schoolId: str, schoolName: str,
      healthy: { type: 'boolean' }, running: { type: 'boolean' },
      sources: { type: 'array', items: ref('SourceView') },
    },
  },
  SchoolList: {
    type: 'object', required: ['items'], additionalProperties: false,
    properties: { items: { type: 'array', items: ref('SchoolView') } },
  },
  DeliveryState: { type: 'string', enum: [...DELIVERY_STATES] },
  EntityType: { type: 'string', enum: [...ENTITY_TYPES] },
  DeliveryView: {
    type: 'object',
    required: ['id', 'sinkId', 'recordId', 'entityType', 'schoolId', 'revision', 'idempotencyKey', 'state', 'attempts', 'maxAttempts', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'integer', minimum: 1 }, sinkId: str, recordId: str, entityType: ref('EntityType'), schoolId: str,
      revision: { type: 'integer' }, idempotencyKey: str, state: ref('DeliveryState'),
      attempts: int0, maxAttempts: int0, nextAttemptAt: dateTime,
      lastError: ref('SerializedError'), remoteRef: str,
      createdAt: dateTime, updatedAt: dateTime, deliveredAt: dateTime,
      transport: ref('DeliveryTransport'),
    },
  },
  DeliveryTransport: {
    type: 'object', additionalProperties: false,
    description: 'What the destination\'s own transport said (СМЭВ 3: MessageID, SendingTimestamp, GetResponse/GetStatus results); present when a sink wrote any.',
    properties: {
      transportId: { ...str, description: 'The destination\'s message id (СМЭВ MessageID), written before the send.' },
      sendingTimestamp: { ...str, description: 'When the destination took the message, as it wrote it (СМЭВ SendingTimestamp): the SLA start.' },
      remoteStatus: { ...str, description: 'Latest remote status, e.g. requestIsQueued, responseIsDelivered, accepted, rejected.' },
      remoteStatusAt: dateTime,
      remoteDetail: { ...str, description: 'Reason codes of a refusal (never payload).' },
      acknowledgedAt: dateTime,
    },
  },
  DeliveryAttempt: {
    type: 'object', required: ['deliveryId', 'attempt', 'fromState', 'toState', 'at', 'actor'],
    properties: {
      deliveryId: { type: 'integer' }, attempt: int0,
      fromState: ref('DeliveryState'), toState: ref('DeliveryState'),
      at: dateTime, durationMs: { type: 'number', minimum: 0 },
      errorCode: str, errorClass: str, message: str,
      actor: { type: 'string', description: '`gateway`, or `admin-api:<token fingerprint>` for replays.' },
    },
  },
  DeliveryDetail: {
    allOf: [ref('DeliveryView'), {
      type: 'object', required: ['attemptLog'],
      properties: { attemptLog: { type: 'array', items: ref('DeliveryAttempt') } },
    }],
  },
  DeliveryList: {
    type: 'object', required: ['items', 'limit', 'offset'], additionalProperties: false,
    properties: { items: { type: 'array', items: ref('DeliveryView') }, limit: { type: 'integer' }, offset: int0 },
  },
  ReplayRequest: {
    type: 'object', additionalProperties: false, minProperties: 1,
    description: 'At least one member. `state` defaults to `dead`.',
    properties: {
      state: { type: 'string', enum: [...REPLAYABLE_STATES], default: 'dead' },
      sinkId: str, schoolId: str, from: dateTime, to: dateTime,
    },
  },
  ReplayResult: {
    type: 'object', required: ['replayed', 'superseded'], additionalProperties: false,
    properties: {
      replayed: { ...int0, description: 'Re-queued as pending.' },
      superseded: { ...int0, description: 'Not re-queued because a newer version of the record is queued.' },
    },
  },
  QuarantineSummary: {
    type: 'object',
    description: 'A quarantine entry without the raw record (which holds personal data).',
    required: ['id', 'schoolId', 'sourceInstance', 'stream', 'sourceId', 'errorCode', 'message', 'issues', 'runId', 'firstSeenAt', 'lastSeenAt', 'seenCount'],
    properties: {
      raw: false,
      id: { type: 'integer', minimum: 1 }, schoolId: str, sourceInstance: str, stream: str, sourceId: str,
      entityType: ref('EntityType'), errorCode: str, message: str,
      issues: { type: 'array', items: ref('Issue') },
      runId: str, firstSeenAt: dateTime, lastSeenAt: dateTime, seenCount: { type: 'integer', minimum: 1 },
      resolvedAt: dateTime,
    },
  },
  QuarantineEntry: {
    type: 'object',
    required: ['id', 'schoolId', 'sourceInstance', 'stream', 'sourceId', 'errorCode', 'message', 'issues', 'raw', 'runId', 'firstSeenAt', 'lastSeenAt', 'seenCount'],
    properties: {
      id: { type: 'integer', minimum: 1 }, schoolId: str, sourceInstance: str, stream: str, sourceId: str,
      entityType: ref('EntityType'), errorCode: str, message: str,
      issues: { type: 'array', items: ref('Issue') },
      raw: { description: 'The record as received; personal data.' },
      runId: str, firstSeenAt: dateTime, lastSeenAt: dateTime, seenCount: { type: 'integer', minimum: 1 },
      resolvedAt: dateTime,
    },
  },
  QuarantineList: {
    type: 'object', required: ['items', 'limit', 'offset'], additionalProperties: false,
    properties: { items: { type: 'array', items: ref('QuarantineSummary') }, limit: { type: 'integer' }, offset: int0 },
  },
  Hold: {
    type: 'object', additionalProperties: false,
    description: 'A sync held by the safety hold: its changes of one kind wait for an operator.',
    required: ['id', 'schoolId', 'sourceInstance', 'entityType', 'state', 'baseline', 'deletes', 'changes', 'reason', 'runIds', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'integer', minimum: 1 }, schoolId: str, sourceInstance: str, entityType: ref('EntityType'),
      state: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
      baseline: { ...int0, description: 'Active records of this kind in the school when the hold was made.' },
      deletes: int0, changes: int0, reason: str, runIds: { type: 'array', items: str },
      createdAt: dateTime, updatedAt: dateTime, decidedAt: dateTime, decidedBy: str,
      applied: { ...int0, description: 'Changes applied on approval.' },
      superseded: { ...int0, description: 'Held changes dropped because a newer version had been applied meanwhile.' },
    },
  },
  HoldList: {
    type: 'object', required: ['items', 'limit'], additionalProperties: false,
    properties: { items: { type: 'array', items: ref('Hold') }, limit: { type: 'integer' } },
  },
  RunList: {
    type: 'object', required: ['items', 'limit'], additionalProperties: false,
    properties: { items: { type: 'array', items: ref('RunSummary') }, limit: { type: 'integer' } },
  },
  Stats: {
    type: 'object', required: ['records', 'quarantineOpen', 'deliveries', 'oldestPendingAgeSeconds'], additionalProperties: false,
    properties: {
      records: int0, quarantineOpen: int0, holdsPending: int0,
      deliveries: {
        type: 'object', required: [...DELIVERY_STATES], additionalProperties: false,
        properties: Object.fromEntries(DELIVERY_STATES.map((s) => [s, int0])),
      },
      oldestPendingAt: dateTime,
      oldestPendingAgeSeconds: { type: ['integer', 'null'], minimum: 0 },
    },
  },
};

const problem = (description: string): JsonValue => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

const parameters: Record<string, JsonValue> = {
  limit: query('limit', `Page size, 1..1000 (default 100; runs: 20).`, { type: 'integer', minimum: 1, maximum: 1000 }),
  offset: query('offset', 'Items to skip.', int0),
  school: query('school', 'School id.', str),
  from: query('from', 'Created at or after (date or date-time with offset).', { type: 'string' }),
  to: query('to', 'Created at or before (date or date-time with offset).', { type: 'string' }),
  id: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
  schoolId: { name: 'schoolId', in: 'path', required: true, schema: str },
};

/** Builds the document; `metricsAuth` decides whether `/metrics` is documented as protected. */
export function buildOpenApiDocument(opts: OpenApiOptions = {}): OpenApiDocument {
  const open: JsonValue = [];
  return {
    openapi: '3.1.0',
    info: {
      title: 'diary-gateway admin API',
      version: opts.version ?? '1.0.0',
      description: 'Operate the diary gateway: source health, deliveries and their replay, quarantine, runs. '
        + 'Every /api/ call needs `Authorization: Bearer <token>`; errors are application/problem+json.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ bearerAuth: [] }],
    tags: [{ name: 'admin' }, { name: 'probes' }, { name: 'sla' }],
    paths: {
      '/healthz': {
        get: { operationId: 'getHealth', summary: 'Liveness', tags: ['probes'], security: open, responses: { '200': json(ref('Health'), 'Alive') } },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness', summary: 'Readiness: ledger open, config loaded, scheduler started', tags: ['probes'], security: open,
          responses: { '200': json(ref('Health'), 'Ready'), '503': json(ref('Health'), 'Not ready') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics', summary: 'Prometheus metrics', tags: ['probes'],
          security: opts.metricsAuth ? [{ bearerAuth: [] }] : open,
          responses: {
            '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: str } } },
            ...(opts.metricsAuth ? { '401': respRef('Unauthorized') } : {}),
          },
        },
      },
      '/api/v1/schools': {
        get: op('listSchools', 'Schools with per-source health, last run, next run and cursors', {}, json(ref('SchoolList'), 'Schools')),
      },
      '/api/v1/schools/{schoolId}': {
        get: op('getSchool', 'One school', { parameters: [paramRef('schoolId')] }, json(ref('SchoolView'), 'School'), { '404': respRef('NotFound') }),
      },
      '/api/v1/deliveries': {
        get: op('listDeliveries', 'Deliveries, newest first', {
          parameters: [
            query('state', 'Delivery state.', ref('DeliveryState')),
            query('sink', 'Sink id.', str),
            paramRef('school'), paramRef('from'), paramRef('to'), paramRef('limit'), paramRef('offset'),
          ],
        }, json(ref('DeliveryList'), 'Deliveries')),
      },
      '/api/v1/deliveries/{id}': {
        get: op('getDelivery', 'One delivery with its attempt log', { parameters: [paramRef('id')] }, json(ref('DeliveryDetail'), 'Delivery'), { '404': respRef('NotFound') }),
      },
      '/api/v1/deliveries/{id}/replay': {
        post: op('replayDelivery', 'Re-queue one dead or rejected delivery', { parameters: [paramRef('id')] }, json(ref('ReplayResult'), 'Replayed'), { '404': respRef('NotFound') }),
      },
      '/api/v1/deliveries/replay': {
        post: op('replayDeliveries', 'Re-queue dead (default) or rejected deliveries matching a filter', {
          requestBody: { required: true, content: { 'application/json': { schema: ref('ReplayRequest') } } },
        }, json(ref('ReplayResult'), 'Replayed')),
      },
      '/api/v1/quarantine': {
        get: op('listQuarantine', 'Quarantined records (without the raw record)', {
          parameters: [
            paramRef('school'),
            query('includeResolved', 'Include resolved entries (true|false).', { type: 'boolean' }),
            paramRef('limit'), paramRef('offset'),
          ],
        }, json(ref('QuarantineList'), 'Quarantine entries')),
      },
      '/api/v1/quarantine/{id}': {
        get: op('getQuarantine', 'One quarantine entry with the raw record', { parameters: [paramRef('id')] }, json(ref('QuarantineEntry'), 'Entry'), { '404': respRef('NotFound') }),
      },
      '/api/v1/holds': {
        get: op('listHolds', 'Safety holds, newest first', {
          parameters: [paramRef('school'), query('state', 'pending, approved or rejected.', { type: 'string', enum: ['pending', 'approved', 'rejected'] }), paramRef('limit')],
        }, json(ref('HoldList'), 'Holds')),
      },
      '/api/v1/holds/{id}': {
        get: op('getHold', 'One safety hold', { parameters: [paramRef('id')] }, json(ref('Hold'), 'Hold'), { '404': respRef('NotFound') }),
      },
      '/api/v1/holds/{id}/approve': {
        post: op('approveHold', 'Apply the held changes', { parameters: [paramRef('id')] }, json(ref('Hold'), 'Approved'), { '404': respRef('NotFound'), '409': respRef('Conflict') }),
      },
      '/api/v1/holds/{id}/reject': {
        post: op('rejectHold', 'Discard the held changes', { parameters: [paramRef('id')] }, json(ref('Hold'), 'Rejected'), { '404': respRef('NotFound'), '409': respRef('Conflict') }),
      },
      '/api/v1/runs': {
        get: op('listRuns', 'Source runs, newest first', {
          parameters: [paramRef('school'), query('source', 'Source instance id.', str), paramRef('limit')],
        }, json(ref('RunList'), 'Runs')),
      },
      '/api/v1/stats': {
        get: op('getStats', 'Ledger statistics', {}, json(ref('Stats'), 'Statistics')),
      },
      ...SLA_OPENAPI_PATHS,
      '/api/v1/openapi.json': {
        get: op('getOpenApi', 'This document', {}, json({ type: 'object' }, 'OpenAPI 3.1 document')),
      },
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from DIARY_GATEWAY_ADMIN_TOKENS.' } },
      parameters,
      responses: {
        BadRequest: problem('Invalid parameters (GW_API_BAD_REQUEST); `issues` names each one.'),
        Unauthorized: problem('Missing or invalid bearer token (GW_API_UNAUTHORIZED).'),
        NotFound: problem('No such resource (GW_API_NOT_FOUND, GW_SCHOOL_UNKNOWN).'),
        Conflict: problem('The resource is not in a state that allows this (GW_HOLD_DECIDED).'),
        Internal: problem('A bug (GW_INTERNAL).'),
        Unavailable: problem('The ledger is busy (GW_LEDGER_BUSY); retry.'),
      },
      schemas: { ...schemas, ...SLA_OPENAPI_SCHEMAS },
    },
  };
}
