/**
 * Config spec of the СМЭВ 3 consumer sink. The JSON Schema is the source of truth (the config
 * loader compiles it with ajv strict + useDefaults); `resolveSmev3Config` repeats the defaults
 * so the sink behaves the same with a config that skipped the loader (tests, scripts).
 */
import type { AdapterSpec } from '../../src/core/adapter';
import { DEFAULT_PAYLOAD_NS, RESPONSE_ROOT } from './protocol';

/** The built-in test signer: a syntactically valid ds:Signature with a fake value. Never for production. */
export interface TestSignerConfig {
  kind: 'test';
  /** Written into the fake certificate; the simulator knows `diary-gateway-test` by default. */
  certificateAlias?: string;
}

/** An external signing service of a certified crypto provider (GOST XML-DSig is never done in-process). */
export interface SigningServiceConfig {
  kind: 'signing-service';
  /** POST endpoint of the service, e.g. `https://signer.internal/api/v1/smev3/sign`. */
  url: string;
  /** Key (container) alias the service signs with. */
  keyAlias: string;
  /** Bearer token for the service. Secret. */
  token: string;
  timeoutMs?: number;
}

export interface Smev3SinkConfig {
  /** СМЭВ 3 message-exchange 1.1 endpoint, e.g. `http://smev3-n0.test.gosuslugi.ru:7500/smev/v1.1/ws`. */
  endpoint: string;
  timeoutMs?: number;
  /** Namespace of the diary payload ("вид сведений"), as registered in СМЭВ. */
  payloadNamespace?: string;
  /** Mark every request `TestMessage` (test environments: the provider must not change data). */
  testMessage?: boolean;
  transactionCode?: string;
  nodeId?: string;
  /** Sets `EOL` = send time + this many minutes; absent = no EOL. */
  eolMinutes?: number;
  /** Records per СМЭВ message at most. */
  maxRecordsPerMessage?: number;
  /** A batch whose records take more bytes than this travels as an MTOM attachment. */
  inlineLimitBytes?: number;
  /** Largest attachment per message; bigger batches are split into several messages. */
  maxAttachmentBytes?: number;
  /** A MessageID stays the same for retries within this many hours (see message-id.ts). */
  messageIdWindowHours?: number;
  /** GetResponse selector; `{}` = any type. Default: payloadNamespace + DiaryBatchResponse. */
  responseSelector?: { namespaceUri?: string; rootElementLocalName?: string };
  /** Validate every outgoing body against the СМЭВ XSDs before sending. */
  validateOutgoing?: boolean;
  /** Follow-up polling by the runtime: GetResponse + Ack, and GetStatus for messages left without an answer. */
  poll?: Smev3PollConfig;
  signer: TestSignerConfig | SigningServiceConfig;
}

export interface Smev3PollConfig {
  /** Poll while the gateway runs (default true). */
  enabled?: boolean;
  /** Seconds between polls (default 60). */
  intervalSeconds?: number;
  /** GetStatus is drained when a message has had no answer (and no new status) for this long (default 10). */
  statusAfterMinutes?: number;
  /** GetResponse / GetStatus messages read per poll at most (default 100); the rest waits for the next poll. */
  maxMessages?: number;
}

export interface ResolvedSmev3Config extends Required<Omit<Smev3SinkConfig, 'transactionCode' | 'nodeId' | 'eolMinutes' | 'responseSelector' | 'poll'>> {
  poll: Required<Smev3PollConfig>;
  transactionCode?: string;
  nodeId?: string;
  eolMinutes?: number;
  responseSelector: { namespaceUri?: string; rootElementLocalName?: string };
}

/** 60 s: СМЭВ answers SendRequest after synchronous checks only; a slow answer is a sick node. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** 200 records keep an inline message around 150–300 kB. */
export const DEFAULT_MAX_RECORDS = 200;
/** 1 MiB of records inline; more goes as an attachment (no official figure, see README). */
export const DEFAULT_INLINE_LIMIT = 1_048_576;
/** 5 MiB: the MTOM limit one public client cites (unverified); larger batches are split. */
export const DEFAULT_MAX_ATTACHMENT = 5_242_880;
/** 24 h: well inside the "two days" after which СМЭВ calls a MessageID stale. */
export const DEFAULT_ID_WINDOW_HOURS = 24;
export const DEFAULT_TEST_CERTIFICATE = 'diary-gateway-test';
/** 30 s: a signing service answers in milliseconds; longer means its HSM is stuck. */
export const DEFAULT_SIGNER_TIMEOUT_MS = 30_000;
/** 60 s: answers of a registered provider take minutes; a poll a minute keeps the queue short at one cheap call. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;
/** 10 min: statuses are only worth reading for a message that has gone quiet; most are answered sooner. */
export const DEFAULT_STATUS_AFTER_MINUTES = 10;
/** 100 messages per poll: bounds one poll's time; a longer queue drains over the next polls. */
export const DEFAULT_POLL_MAX_MESSAGES = 100;

const NCNAME = '^[A-Za-z_][A-Za-z0-9._-]*$';

export const smev3ConfigSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/smev3-sink.config.schema.json',
  title: 'СМЭВ 3 consumer sink config',
  type: 'object',
  additionalProperties: false,
  required: ['endpoint', 'signer'],
  properties: {
    endpoint: { type: 'string', format: 'uri', pattern: '^https?://', description: 'СМЭВ 3 message-exchange 1.1 endpoint.' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: DEFAULT_TIMEOUT_MS },
    payloadNamespace: { type: 'string', minLength: 1, maxLength: 500, default: DEFAULT_PAYLOAD_NS, description: 'Namespace of the diary payload as registered in СМЭВ.' },
    testMessage: { type: 'boolean', default: false, description: 'Send every request as TestMessage (test environments).' },
    transactionCode: { type: 'string', minLength: 1, maxLength: 1500 },
    nodeId: { type: 'string', minLength: 1, maxLength: 50 },
    eolMinutes: { type: 'integer', minimum: 1, maximum: 525_600 },
    maxRecordsPerMessage: { type: 'integer', minimum: 1, maximum: 10_000, default: DEFAULT_MAX_RECORDS },
    inlineLimitBytes: { type: 'integer', minimum: 1024, maximum: 104_857_600, default: DEFAULT_INLINE_LIMIT },
    maxAttachmentBytes: { type: 'integer', minimum: 1024, maximum: 1_073_741_824, default: DEFAULT_MAX_ATTACHMENT },
    messageIdWindowHours: { type: 'integer', minimum: 1, maximum: 47, default: DEFAULT_ID_WINDOW_HOURS },
    responseSelector: {
      type: 'object',
      additionalProperties: false,
      properties: {
        namespaceUri: { type: 'string', minLength: 1, maxLength: 500 },
        rootElementLocalName: { type: 'string', pattern: NCNAME },
      },
      dependentRequired: { namespaceUri: ['rootElementLocalName'], rootElementLocalName: ['namespaceUri'] },
    },
    validateOutgoing: { type: 'boolean', default: true },
    poll: {
      type: 'object',
      additionalProperties: false,
      description: 'Follow-up polling by the runtime: GetResponse + Ack for answers, GetStatus for messages left without an answer.',
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        intervalSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: DEFAULT_POLL_INTERVAL_SECONDS },
        statusAfterMinutes: { type: 'integer', minimum: 0, maximum: 10_080, default: DEFAULT_STATUS_AFTER_MINUTES },
        maxMessages: { type: 'integer', minimum: 1, maximum: 10_000, default: DEFAULT_POLL_MAX_MESSAGES },
      },
    },
    signer: {
      description: 'Who signs the envelopes (ЭП-ОВ). Defaults inside the branches are applied by resolveSmev3Config: ajv strict ignores defaults under oneOf.',
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind'],
          properties: {
            kind: { const: 'test' },
            certificateAlias: { type: 'string', minLength: 1, maxLength: 100, description: `Alias written into the fake certificate (default ${DEFAULT_TEST_CERTIFICATE}).` },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'url', 'keyAlias', 'token'],
          properties: {
            kind: { const: 'signing-service' },
            url: { type: 'string', format: 'uri', pattern: '^https?://' },
            keyAlias: { type: 'string', minLength: 1, maxLength: 200 },
            token: { type: 'string', minLength: 1, 'x-secret': true, description: 'Bearer token of the signing service; give it as ${ENV_NAME}.' },
            timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, description: `Per-request timeout (default ${DEFAULT_SIGNER_TIMEOUT_MS}).` },
          },
        },
      ],
    },
  },
};

export const smev3Spec: AdapterSpec = {
  id: 'smev3-sink',
  system: 'smev3',
  version: '1.0.0',
  kind: 'sink',
  title: 'СМЭВ 3 consumer (SendRequest / GetResponse / Ack / GetStatus, message exchange 1.1)',
  configSchema: smev3ConfigSchema,
};

export function resolveSmev3Config(c: Readonly<Smev3SinkConfig>): ResolvedSmev3Config {
  const ns = c.payloadNamespace ?? DEFAULT_PAYLOAD_NS;
  return {
    endpoint: c.endpoint,
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    payloadNamespace: ns,
    testMessage: c.testMessage ?? false,
    ...(c.transactionCode !== undefined ? { transactionCode: c.transactionCode } : {}),
    ...(c.nodeId !== undefined ? { nodeId: c.nodeId } : {}),
    ...(c.eolMinutes !== undefined ? { eolMinutes: c.eolMinutes } : {}),
    maxRecordsPerMessage: c.maxRecordsPerMessage ?? DEFAULT_MAX_RECORDS,
    inlineLimitBytes: c.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT,
    maxAttachmentBytes: c.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT,
    messageIdWindowHours: c.messageIdWindowHours ?? DEFAULT_ID_WINDOW_HOURS,
    responseSelector: c.responseSelector ?? { namespaceUri: ns, rootElementLocalName: RESPONSE_ROOT },
    validateOutgoing: c.validateOutgoing ?? true,
    poll: {
      enabled: c.poll?.enabled ?? true,
      intervalSeconds: c.poll?.intervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS,
      statusAfterMinutes: c.poll?.statusAfterMinutes ?? DEFAULT_STATUS_AFTER_MINUTES,
      maxMessages: c.poll?.maxMessages ?? DEFAULT_POLL_MAX_MESSAGES,
    },
    signer: c.signer.kind === 'test'
      ? { kind: 'test', certificateAlias: c.signer.certificateAlias ?? DEFAULT_TEST_CERTIFICATE }
      : { ...c.signer, timeoutMs: c.signer.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS },
  };
}
