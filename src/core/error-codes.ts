/**
 * The one catalog of gateway error codes.
 *
 * Every `GatewayError` carries one of these codes. The class decides what the
 * runtime does next (retry, stop the adapter, quarantine the record, fail the run);
 * `actor` says who must act; `remedy` says what they should do.
 *
 * Invariant: the README table "Error codes" lists exactly these codes with the same
 * class and HTTP status (test/unit/error-catalog.test.ts keeps them in step).
 */
export type ErrorClass = 'retryable' | 'permanent' | 'invalid_data' | 'internal';

/** Who must act to clear the error. */
export type Actor = 'nobody' | 'school_it' | 'journal_vendor' | 'portal_operator' | 'gateway_operator' | 'developer';

export interface ErrorCodeInfo {
  readonly class: ErrorClass;
  /** HTTP status used when this error is answered by the admin or intake API. */
  readonly httpStatus: number;
  readonly actor: Actor;
  readonly description: string;
  readonly remedy: string;
}

export const ERROR_CODES = {
  GW_CONFIG_INVALID: {
    class: 'permanent', httpStatus: 500, actor: 'school_it',
    description: 'The configuration file does not match its schema or an adapter config spec.',
    remedy: 'Run `diary-gateway validate-config` and fix every listed path.',
  },
  GW_CONFIG_SECRET_MISSING: {
    class: 'permanent', httpStatus: 500, actor: 'school_it',
    description: 'A ${ENV} secret reference in the configuration names an unset environment variable.',
    remedy: 'Set the named environment variable for the gateway process.',
  },
  GW_SCHOOL_UNKNOWN: {
    class: 'permanent', httpStatus: 404, actor: 'gateway_operator',
    description: 'No school with this id is configured.',
    remedy: 'Check the school id against `diary-gateway status`.',
  },
  GW_ADAPTER_UNKNOWN: {
    class: 'permanent', httpStatus: 500, actor: 'school_it',
    description: 'The configuration names an adapter or simulator that is not registered.',
    remedy: 'Use one of the adapter ids listed by `diary-gateway --help`.',
  },
  GW_SRC_AUTH_FAILED: {
    class: 'permanent', httpStatus: 502, actor: 'school_it',
    description: 'The journal refused the configured credentials.',
    remedy: 'Check the login, password and school name or id in the school\'s adapter config, then run `diary-gateway check <school>`.',
  },
  GW_SRC_SESSION_EXPIRED: {
    class: 'retryable', httpStatus: 502, actor: 'nobody',
    description: 'The journal session or token expired; the adapter logs in again.',
    remedy: 'None; repeated occurrences point at a clock or session-lifetime problem.',
  },
  GW_SRC_SESSION_COLLISION: {
    class: 'retryable', httpStatus: 502, actor: 'nobody',
    description: 'The journal reported another session under the same login.',
    remedy: 'None if it clears; otherwise give the gateway its own journal account.',
  },
  GW_SRC_UNAVAILABLE: {
    class: 'retryable', httpStatus: 502, actor: 'journal_vendor',
    description: 'The journal answered with a server error or maintenance page.',
    remedy: 'Wait; the gateway retries. If it lasts, contact the journal vendor.',
  },
  GW_SRC_RATE_LIMITED: {
    class: 'retryable', httpStatus: 502, actor: 'nobody',
    description: 'The journal asked the gateway to slow down (HTTP 429).',
    remedy: 'None; the gateway honours Retry-After. Widen the schedule if it recurs.',
  },
  GW_SRC_TIMEOUT: {
    class: 'retryable', httpStatus: 504, actor: 'journal_vendor',
    description: 'The journal did not answer within the configured timeout.',
    remedy: 'Wait; the gateway retries. Raise timeoutMs if the journal is just slow.',
  },
  GW_SRC_NETWORK: {
    class: 'retryable', httpStatus: 502, actor: 'school_it',
    description: 'The journal could not be reached (DNS, connection refused or reset).',
    remedy: 'Check baseUrl, DNS and the network path from the gateway to the journal.',
  },
  GW_SRC_PROTOCOL: {
    class: 'permanent', httpStatus: 502, actor: 'developer',
    description: 'The journal answered in a shape the adapter does not understand (unknown endpoint, changed API).',
    remedy: 'Check the journal version; report it with the run id so the adapter can be updated.',
  },
  GW_SRC_NOT_FOUND: {
    class: 'permanent', httpStatus: 502, actor: 'school_it',
    description: 'The journal does not know the configured school, student or year.',
    remedy: 'Check the school name or id and the account\'s rights in the journal.',
  },
  GW_RECORD_INVALID: {
    class: 'invalid_data', httpStatus: 422, actor: 'school_it',
    description: 'A record does not validate against the canonical schema; it is quarantined.',
    remedy: 'Look at `diary-gateway quarantine show <id>`; fix the record in the journal; it is taken in on the next sync.',
  },
  GW_RECORD_UNMAPPABLE: {
    class: 'invalid_data', httpStatus: 422, actor: 'school_it',
    description: 'A journal record could not be mapped to the canonical schema (missing or malformed field); it is quarantined.',
    remedy: 'Look at `diary-gateway quarantine show <id>`; fix the record in the journal, or report the shape to the developers.',
  },
  GW_SINK_AUTH_FAILED: {
    class: 'permanent', httpStatus: 502, actor: 'portal_operator',
    description: 'The destination refused the gateway\'s credentials.',
    remedy: 'Check the sink token or certificate; deliveries wait and drain once it is fixed.',
  },
  GW_SINK_UNAVAILABLE: {
    class: 'retryable', httpStatus: 502, actor: 'portal_operator',
    description: 'The destination answered with a server error or could not be reached.',
    remedy: 'Wait; deliveries retry with backoff and drain when the destination returns.',
  },
  GW_SINK_RATE_LIMITED: {
    class: 'retryable', httpStatus: 502, actor: 'nobody',
    description: 'The destination asked the gateway to slow down (HTTP 429).',
    remedy: 'None; the gateway honours Retry-After.',
  },
  GW_SINK_TIMEOUT: {
    class: 'retryable', httpStatus: 504, actor: 'portal_operator',
    description: 'The destination did not answer within the configured timeout.',
    remedy: 'Wait; the delivery is retried with the same idempotency key.',
  },
  GW_SINK_REJECTED: {
    class: 'invalid_data', httpStatus: 422, actor: 'school_it',
    description: 'The destination rejected one record with a reason; the delivery is marked rejected.',
    remedy: 'Read the reason with `diary-gateway deliveries --state rejected`, fix the data, then replay.',
  },
  GW_SINK_PROTOCOL: {
    class: 'permanent', httpStatus: 502, actor: 'developer',
    description: 'The destination answered in a shape the sink does not understand.',
    remedy: 'Check the destination API version; report it with the delivery id.',
  },
  GW_DELIVERY_EXHAUSTED: {
    class: 'retryable', httpStatus: 502, actor: 'gateway_operator',
    description: 'A delivery failed on every allowed attempt and is dead.',
    remedy: 'Fix the cause shown as the last error, then `diary-gateway replay <id>` or `replay --all-dead`.',
  },
  GW_LEDGER_BUSY: {
    class: 'retryable', httpStatus: 503, actor: 'nobody',
    description: 'The ledger database was locked by another writer.',
    remedy: 'None; the operation is retried.',
  },
  GW_LEDGER_MIGRATION: {
    class: 'permanent', httpStatus: 500, actor: 'gateway_operator',
    description: 'The ledger schema is newer than this gateway or a migration failed.',
    remedy: 'Run the gateway version that wrote the ledger, or restore the ledger from backup.',
  },
  GW_RUN_LOCKED: {
    class: 'retryable', httpStatus: 409, actor: 'nobody',
    description: 'A run for this school and adapter is already in progress.',
    remedy: 'Wait for the running sync to finish.',
  },
  GW_HOLD_DECIDED: {
    class: 'permanent', httpStatus: 409, actor: 'gateway_operator',
    description: 'The safety hold was already approved or rejected.',
    remedy: 'List pending holds with `diary-gateway holds list`; a decided hold cannot be decided again.',
  },
  GW_CONSENT_MISSING: {
    class: 'invalid_data', httpStatus: 403, actor: 'school_it',
    description: 'No valid consent covers this child for this channel, so the record is withheld from it.',
    remedy: 'Register the family\'s written consent (`diary-gateway consent import` or the admin API); withheld deliveries are re-queued when it is registered.',
  },
  GW_SLA_CALENDAR_MISSING: {
    class: 'permanent', httpStatus: 500, actor: 'gateway_operator',
    description: 'The production calendar does not cover the year a deadline falls in.',
    remedy: 'Add config/calendars/ru-<year>.json from the government decree for that year (see config/calendars/README.md).',
  },
  GW_ACCESS_CODE_CONFLICT: {
    class: 'permanent', httpStatus: 409, actor: 'school_it',
    description: 'An access-code request for this applicant and child is already open, or the request was already answered.',
    remedy: 'Look the request up with `diary-gateway access-codes list --school <school>` instead of registering it again.',
  },
  GW_PUSH_UNAUTHORIZED: {
    class: 'permanent', httpStatus: 401, actor: 'journal_vendor',
    description: 'A push was not authenticated for this school and source (signature, token, timestamp or path).',
    remedy: 'Sign the exact body with the school\'s secret (X-Diary-Timestamp, X-Diary-Signature) or send its bearer token; check the clock and the path.',
  },
  GW_PUSH_TOO_LARGE: {
    class: 'invalid_data', httpStatus: 413, actor: 'journal_vendor',
    description: 'A pushed batch is larger than the source allows (bytes or items).',
    remedy: 'Split the batch; the limits are the source\'s maxBytes and maxItems.',
  },
  GW_PUSH_KEY_REUSED: {
    class: 'invalid_data', httpStatus: 422, actor: 'journal_vendor',
    description: 'An Idempotency-Key was reused with a different body within 24 hours.',
    remedy: 'Use a new Idempotency-Key for a new batch; repeat a key only to retry the same body.',
  },
  GW_API_UNAUTHORIZED: {
    class: 'permanent', httpStatus: 401, actor: 'gateway_operator',
    description: 'The admin API call had no valid bearer token.',
    remedy: 'Send `Authorization: Bearer <token>` with a token from DIARY_GATEWAY_ADMIN_TOKENS.',
  },
  GW_API_NOT_FOUND: {
    class: 'permanent', httpStatus: 404, actor: 'gateway_operator',
    description: 'The requested resource does not exist.',
    remedy: 'Check the id or path.',
  },
  GW_API_BAD_REQUEST: {
    class: 'invalid_data', httpStatus: 400, actor: 'gateway_operator',
    description: 'The request parameters are invalid.',
    remedy: 'Fix the parameters listed in `issues`.',
  },
  GW_INTERNAL: {
    class: 'internal', httpStatus: 500, actor: 'developer',
    description: 'A bug in the gateway.',
    remedy: 'Report it with the run id and the log line; the run was failed, nothing was committed past the last checkpoint.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
