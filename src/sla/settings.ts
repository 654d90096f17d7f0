/**
 * The SLA engine's part of the gateway configuration: `gateway.sla` (engine-wide settings, the
 * e-mail transport) and `schools[].sla` (a school's regulation settings — school-sla.schema.json
 * — plus its risk window, which sinks count as delivered, and its IT contact).
 *
 * The JSON Schema fragments below are what config/gateway.schema.json carries; they are checked
 * again here, so the engine can be built from a config made in code (tests) and fails with the
 * same GW_CONFIG_INVALID paths.
 */
import { createHash } from 'node:crypto';
import { GatewayError, type Issue } from '../core/errors';
import type { CalendarSet } from './calendar-load';
import { assertNoIssues, compileValidator, createSlaAjv, type JsonValidator } from './json-config';
import { composeSchoolSla, type ProfileSet, type SchoolSla } from './profiles';

/** `gateway.sla` in config/gateway.schema.json. */
export const GATEWAY_SLA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'SLA engine: due times of the regulations, at-risk and breach alerts, reports. Schools opt in with schools[].sla.',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Run the SLA engine in `run` (schools without `sla` are never judged).' },
    evaluateEverySeconds: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'How often the engine judges new records, deliveries and due times.' },
    atRiskMinutes: { type: 'integer', minimum: 0, maximum: 10080, default: 240, description: 'A record not yet delivered is at risk this long before its due time.' },
    recoveryHoldMinutes: { type: 'integer', minimum: 0, maximum: 1440, default: 30, description: 'A school and obligation must stay clear this long before the "recovered" alert (no alert storms).' },
    regulationDirs: { type: 'array', default: [], items: { type: 'string', minLength: 1 }, description: 'Extra folders of regulation profiles (after config/regulations).' },
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 50, default: 8, description: 'Attempts to send one alert (webhook and e-mail) before giving up.' },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
        email: {
          type: 'object',
          additionalProperties: false,
          required: ['host', 'from'],
          description: 'SMTP transport for alerts to schools\' IT contacts (nodemailer).',
          properties: {
            host: { type: 'string', minLength: 1 },
            port: { type: 'integer', minimum: 1, maximum: 65535, default: 587 },
            secure: { type: 'boolean', default: false, description: 'TLS from the start (port 465); false uses STARTTLS when offered.' },
            user: { type: 'string', minLength: 1 },
            password: { type: 'string', minLength: 1, 'x-secret': true },
            from: { type: 'string', minLength: 3, description: 'Sender, e.g. "Шлюз дневника <gateway@example.ru>".' },
          },
        },
      },
    },
  },
} as const;

/** The engine's own keys of `schools[].sla` (the rest is school-sla.schema.json). */
const SCHOOL_ENGINE_PROPERTIES = {
  atRiskMinutes: { type: 'integer', minimum: 0, maximum: 10080, description: 'Overrides gateway.sla.atRiskMinutes.' },
  deliveredVia: {
    type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    description: 'Sinks whose delivery makes a record available to families. Default: every sink of the school.',
  },
  itContact: {
    type: 'object',
    additionalProperties: false,
    description: 'Where at-risk, breach and recovery alerts go.',
    properties: {
      email: { type: 'string', format: 'email' },
      webhookUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
      webhookToken: { type: 'string', minLength: 1, 'x-secret': true, description: 'Sent as Authorization: Bearer.' },
    },
  },
} as const;

/** `schools[].sla` in config/gateway.schema.json: school-sla.schema.json inlined, plus the engine's keys. */
export const SCHOOL_SLA_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['profiles'],
  description: 'The regulations this school follows (config/regulations) and where its alerts go. See config/regulations/README.md.',
  properties: {
    profiles: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } },
    calendarRegion: { type: 'string', pattern: '^[0-9]{2}$' },
    workingHours: {
      type: 'object', additionalProperties: false, required: ['start', 'end'],
      properties: {
        start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
        end: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' },
        shortenedByMinutes: { type: 'integer', minimum: 0, maximum: 240 },
      },
    },
    lateSourceAllowanceHours: { type: 'number', minimum: 0, maximum: 720 },
    overrides: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9][a-z0-9-]{0,63}/[a-z0-9][a-z0-9-]{0,63}$' },
      additionalProperties: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          enabled: { type: 'boolean' },
          allowed: {
            type: 'object', additionalProperties: false, required: ['amount', 'unit'],
            properties: { amount: { type: 'integer', minimum: 0, maximum: 8784 }, unit: { enum: ['calendar_days', 'working_days', 'hours'] } },
          },
          endOfDay: { type: 'boolean' },
          rollToWorkingDay: { type: 'boolean' },
        },
      },
    },
    ...SCHOOL_ENGINE_PROPERTIES,
  },
} as const;

export interface EmailTransportSettings { host: string; port: number; secure: boolean; user?: string; password?: string; from: string }

export interface GatewaySlaSettings {
  enabled: boolean;
  evaluateEverySeconds: number;
  atRiskMinutes: number;
  recoveryHoldMinutes: number;
  regulationDirs: string[];
  alerts: { maxAttempts: number; timeoutMs: number; email?: EmailTransportSettings };
}

export interface ItContact { email?: string; webhookUrl?: string; webhookToken?: string }

/** One school as the engine judges it. */
export interface SlaSchool {
  schoolId: string;
  name: string;
  sla: SchoolSla;
  /** Sinks whose delivery counts as delivered / available. */
  sinks: readonly string[];
  atRiskMs: number;
  itContact: ItContact;
  /** Fingerprint of everything that decides this school's due times; a change re-judges the school. */
  configHash: string;
}

/** The parts of a validated gateway config the SLA engine reads. */
export interface SlaConfigSource {
  gateway: object;
  schools: ReadonlyArray<{ id: string; name: string; timezone: string; sinks: readonly string[] }>;
}

let validators: { gateway: JsonValidator; school: JsonValidator } | undefined;

function slaValidators(): { gateway: JsonValidator; school: JsonValidator } {
  if (validators === undefined) {
    const ajv = createSlaAjv();
    ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
    // Wrapped, as in the gateway schema: a `default` at a schema's root is meaningless to ajv.
    const gateway = compileValidator(ajv, { type: 'object', properties: { sla: structuredClone(GATEWAY_SLA_SCHEMA) } });
    validators = { gateway, school: compileValidator(ajv, structuredClone(SCHOOL_SLA_CONFIG_SCHEMA) as Record<string, unknown>) };
  }
  return validators;
}

const prefixed = (issues: Issue[], base: string): Issue[] => issues.map((i) => ({ ...i, path: `${base}${i.path}` }));

/** `gateway.sla` with defaults; GW_CONFIG_INVALID with /gateway/sla/... paths when it is malformed. */
export function readGatewaySlaSettings(cfg: SlaConfigSource): GatewaySlaSettings {
  const holder = { sla: structuredClone((cfg.gateway as { sla?: unknown }).sla ?? {}) };
  assertNoIssues(prefixed(slaValidators().gateway(holder), '/gateway'), 'gateway.sla is invalid');
  return holder.sla as GatewaySlaSettings;
}

/** The raw `schools[].sla` blocks of the schools that have one. */
export function schoolSlaBlocks(cfg: SlaConfigSource): Array<{ index: number; school: SlaConfigSource['schools'][number]; sla: Record<string, unknown> }> {
  return cfg.schools.flatMap((school, index) => {
    const sla = (school as { sla?: unknown }).sla;
    return sla === undefined ? [] : [{ index, school, sla: structuredClone(sla) as Record<string, unknown> }];
  });
}

/**
 * Every school with an `sla` block, composed (profiles, overrides, calendar) and fingerprinted.
 * All problems of all schools are reported at once.
 */
export function buildSlaSchools(cfg: SlaConfigSource, settings: GatewaySlaSettings, deps: { profiles: ProfileSet; calendars: CalendarSet }): SlaSchool[] {
  const issues: Issue[] = [];
  const schools: SlaSchool[] = [];
  for (const { index, school, sla } of schoolSlaBlocks(cfg)) {
    const base = `/schools/${index}/sla`;
    const own = slaValidators().school(sla);
    if (own.length > 0) { issues.push(...prefixed(own, base)); continue; }
    const { atRiskMinutes, deliveredVia, itContact, ...regulation } = sla as { atRiskMinutes?: number; deliveredVia?: string[]; itContact?: ItContact };
    for (const [i, sink] of (deliveredVia ?? []).entries()) {
      if (!school.sinks.includes(sink)) issues.push({ path: `${base}/deliveredVia/${i}`, message: `sink ${sink} is not among the school's sinks` });
    }
    let composed: SchoolSla;
    try {
      composed = composeSchoolSla({ schoolId: school.id, timeZone: school.timezone, sla: regulation }, deps);
    } catch (e: unknown) {
      if (!(e instanceof GatewayError)) throw e;
      issues.push(...(e.issues.length > 0 ? prefixed(e.issues, base) : [{ path: base, message: e.message }]));
      continue;
    }
    const atRisk = atRiskMinutes ?? settings.atRiskMinutes;
    const sinks = deliveredVia ?? [...school.sinks];
    const profiles = composed.profileIds.map((id) => deps.profiles.get(id));
    const configHash = createHash('sha256').update(JSON.stringify({
      regulation, timeZone: school.timezone, sinks, atRisk, profiles, calendar: composed.calendar.id, years: composed.calendar.coveredYears(),
    })).digest('hex').slice(0, 32);
    schools.push({ schoolId: school.id, name: school.name, sla: composed, sinks, atRiskMs: atRisk * 60_000, itContact: itContact ?? {}, configHash });
  }
  assertNoIssues(issues, 'SLA settings are invalid');
  return schools;
}
