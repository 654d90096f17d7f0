/**
 * Configuration loading: parse → validate (schema + cross-references + adapter specs) → resolve
 * `${ENV}` references.
 *
 * Choices worth knowing:
 * - Validation runs on the *unresolved* config, so `validate-config` works without secrets in the
 *   environment. On a string that contains a `${NAME}` reference, value checks that the final value
 *   decides (format, pattern, minLength, maxLength, enum, const) are skipped; the type check stays, so a
 *   reference in a number or boolean field is an error. `resolveSecrets(cfg, env, specOf)` re-runs the
 *   adapter schemas on the resolved values, so a bad URL in an environment variable is still caught.
 * - Fields marked `"x-secret": true` in an adapter spec must be a whole `${NAME}` reference.
 * - Every problem is collected and thrown at once (GW_CONFIG_INVALID with `issues`), each with a JSON
 *   pointer path; no message echoes a value (values may be secrets or personal data).
 * - The resolved config lives only in memory; nothing here writes a config back.
 * - One ajv instance compiles each adapter configSchema once (cached per schema object).
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import type { DataValidationCxt } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { validate as validateCron } from 'node-cron';
import type { AdapterSpec } from '../core/adapter';
import { GatewayError, type Issue } from '../core/errors';
import type { HoldPolicy } from '../core/ledger';
import type { FgisIssuerConfig } from '../http/fgis/jwt';
import type { LogFormat, LogLevel } from './logger';
import { isDenylistedKey, MIN_SECRET_LENGTH, REDACTED } from './redact';
import { gatewayConfigSchema } from './config-schema';

export interface AdapterSpecLookup { (adapterId: string): AdapterSpec | undefined }

export interface DeliveryPolicy {
  batchSize: number; maxAttempts: number; backoffBaseMs: number; backoffCapMs: number; leaseMs: number; pollIntervalMs: number;
  breakerThreshold: number; breakerOpenMs: number; breakerMaxOpenMs: number;
  /** Per sink only: records per second at most. */
  ratePerSecond?: number;
}
/** What a sink may override of the gateway-wide delivery policy. */
export type DeliveryOverrides = Partial<Pick<DeliveryPolicy, 'batchSize' | 'maxAttempts' | 'backoffBaseMs' | 'backoffCapMs' | 'ratePerSecond' | 'breakerThreshold' | 'breakerOpenMs' | 'breakerMaxOpenMs'>>;
export interface LedgerConfig { driver: 'sqlite'; path: string }
export interface AdminConfig { enabled: boolean; host: string; port: number; /** Name of the env variable with the tokens. */ tokensEnv: string }
export interface GatewaySettings {
  ledger: LedgerConfig; admin: AdminConfig; idNamespace: string; logLevel: LogLevel; logFormat: LogFormat;
  delivery: DeliveryPolicy; scheduleJitterMs: number; safetyHold: HoldPolicy;
  intake: { host: string; port: number };
  /** Filled in from the blocks' own schemas (src/infra/config-schema.ts); read through their modules. */
  email?: Record<string, unknown>; sms?: Record<string, unknown>; families?: Record<string, unknown>;
  fgis: { enabled: boolean; basePath: string; clientsEnv: string; signingKeyEnv: string; tokenTtlSeconds: number; maxWindowDays: number; issuer?: FgisIssuerConfig };
}
export interface SimulatorConfig { system: string; host: string; port: number; live: boolean; seed?: number }
export interface SinkInstanceConfig { id: string; adapter: string; config: Record<string, unknown>; delivery: DeliveryOverrides }
export interface SourceInstanceConfig {
  id: string; adapter: string;
  /** node-cron expression in the school's time zone; absent = on demand only. */
  schedule?: string;
  runOnStart: boolean;
  /** Absent = every stream of the adapter. */
  streams?: string[];
  config: Record<string, unknown>;
}
export interface SchoolConfig {
  id: string; name: string; timezone: string; sources: SourceInstanceConfig[]; sinks: string[];
  /** Overrides of gateway.safetyHold. */
  safetyHold?: Partial<HoldPolicy>;
  /** E-mail, SMS, forecast and paper-extract settings (src/families). */
  families?: Record<string, unknown>;
}
/** The config file after validation, with defaults filled in (`$schema` is allowed for editors). */
export interface GatewayConfig {
  $schema?: string; gateway: GatewaySettings; simulators: SimulatorConfig[]; sinks: SinkInstanceConfig[]; schools: SchoolConfig[];
}
export interface ValidateOptions {
  /** Simulator systems that exist; when given, an unknown `simulators[].system` is an issue. */
  knownSimulators?: readonly string[];
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** Keywords whose verdict depends on the final value, skipped while a reference is unresolved. */
const VALUE_KEYWORDS = new Set(['format', 'pattern', 'minLength', 'maxLength', 'enum', 'const']);

/** True when the whole string is one `${NAME}` reference. */
export function isEnvReference(value: unknown): value is string {
  return typeof value === 'string' && WHOLE_REF.test(value);
}

// ---------------------------------------------------------------- ajv

type Json = Record<string, unknown>;
interface SecretHit { path: string; value: unknown }
/** Set only during one synchronous validate call: the `x-secret` keyword reports where it matched. */
let secretHits: SecretHit[] | null = null;
let ajvInstance: Ajv2020 | undefined;
let gatewayValidate: ValidateFunction | undefined;
const specValidators = new WeakMap<object, ValidateFunction>();

function ajv(): Ajv2020 {
  if (ajvInstance) return ajvInstance;
  const a = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(a);
  // Annotations: they never fail. x-secret also records the matched instance paths.
  a.addKeyword({
    keyword: 'x-secret', schemaType: 'boolean', errors: false,
    validate: (schema: boolean, data: unknown, _parent?: unknown, cxt?: DataValidationCxt) => {
      if (schema && secretHits && cxt) secretHits.push({ path: cxt.instancePath, value: data });
      return true;
    },
  });
  a.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  ajvInstance = a;
  return a;
}

function specValidator(spec: AdapterSpec): ValidateFunction {
  let v = specValidators.get(spec.configSchema);
  if (!v) {
    v = ajv().compile(spec.configSchema);
    specValidators.set(spec.configSchema, v);
  }
  return v;
}

/** Validates `data` in place (defaults are filled in) and reports errors and x-secret matches. */
function runSpec(validate: ValidateFunction, data: unknown): { errors: ErrorObject[]; secrets: SecretHit[] } {
  const hits: SecretHit[] = [];
  secretHits = hits;
  try {
    validate(data);
  } finally {
    secretHits = null;
  }
  return { errors: validate.errors ? [...validate.errors] : [], secrets: hits };
}

const esc = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

function ajvIssue(e: ErrorObject, base: string): Issue {
  const p = e.params as Record<string, unknown>;
  const at = `${base}${e.instancePath}`;
  if (e.keyword === 'required') return { path: `${at}/${esc(String(p.missingProperty))}`, message: 'is required' };
  if (e.keyword === 'additionalProperties') return { path: `${at}/${esc(String(p.additionalProperty))}`, message: 'is not an allowed property' };
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) return { path: at, message: `must be one of: ${p.allowedValues.map(String).join(', ')}` };
  return { path: at, message: e.message ?? `fails "${e.keyword}"` };
}

function pointerGet(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

// ---------------------------------------------------------------- loading

/** Reads and parses a JSON config file. Unreadable or malformed → GW_CONFIG_INVALID naming file, line and column. */
export function loadConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    throw new GatewayError('GW_CONFIG_INVALID', `Cannot read config file ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: e, context: { file: path } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    let line = 1;
    let column = 1;
    if (lc) {
      line = Number(lc[1]);
      column = Number(lc[2]);
    } else {
      const end = pos ? Number(pos[1]) : /end of JSON input/i.test(msg) ? text.length : 0;
      for (let i = 0; i < end && i < text.length; i++) {
        if (text[i] === '\n') { line++; column = 1; } else column++;
      }
    }
    // V8 quotes a snippet of the text; leave it out (it may hold anything).
    const reason = msg.replace(/,? ".*" is not valid JSON/s, '').replace(/ in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
    throw new GatewayError('GW_CONFIG_INVALID', `${path}:${line}:${column}: invalid JSON: ${reason}`, {
      cause: e, issues: [{ path: '', message: `invalid JSON at line ${line}, column ${column}: ${reason}` }], context: { file: path, line, column },
    });
  }
}

// ---------------------------------------------------------------- validation

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Calls `visit` for every string in `value`, with its pointer and the key it sits under. */
function eachString(value: unknown, path: string, key: string, visit: (s: string, path: string, key: string) => void): void {
  if (typeof value === 'string') visit(value, path, key);
  else if (Array.isArray(value)) value.forEach((v, i) => eachString(v, `${path}/${i}`, key, visit));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) eachString(v, `${path}/${esc(k)}`, k, visit);
}

function checkUnique(items: unknown[], field: string, base: string, what: string, issues: Issue[]): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const id = isObj(item) ? item[field] : undefined;
    if (typeof id !== 'string') return;
    if (seen.has(id)) issues.push({ path: `${base}/${i}/${field}`, message: `duplicate ${what} "${id}"` });
    seen.add(id);
  });
  return seen;
}

function checkBackoff(policy: unknown, path: string, issues: Issue[]): void {
  if (!isObj(policy)) return;
  const { backoffBaseMs: base, backoffCapMs: cap } = policy;
  if (typeof base === 'number' && typeof cap === 'number' && cap < base) {
    issues.push({ path: `${path}/backoffCapMs`, message: 'must not be less than backoffBaseMs' });
  }
}

function checkInstance(inst: unknown, path: string, kind: 'source' | 'sink', specOf: AdapterSpecLookup, issues: Issue[]): void {
  if (!isObj(inst) || typeof inst.adapter !== 'string') return;
  const spec = specOf(inst.adapter);
  if (!spec) {
    issues.push({ path: `${path}/adapter`, message: `unknown adapter "${inst.adapter}": no such ${kind} adapter is registered (GW_ADAPTER_UNKNOWN)` });
    return;
  }
  if (spec.kind !== kind) {
    issues.push({ path: `${path}/adapter`, message: `adapter "${inst.adapter}" is a ${spec.kind} adapter, expected a ${kind} adapter` });
    return;
  }
  if (!isObj(inst.config)) return; // the gateway schema already reported it
  let validate: ValidateFunction;
  try {
    validate = specValidator(spec);
  } catch (e: unknown) {
    issues.push({ path: `${path}/adapter`, message: `the configSchema of adapter "${spec.id}" does not compile: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }
  const config = inst.config;
  const { errors, secrets } = runSpec(validate, config);
  for (const e of errors) {
    const v = pointerGet(config, e.instancePath);
    if (VALUE_KEYWORDS.has(e.keyword) && typeof v === 'string' && new RegExp(REF.source).test(v)) continue;
    issues.push(ajvIssue(e, `${path}/config`));
  }
  for (const hit of secrets) {
    if (hit.value !== undefined && !isEnvReference(hit.value)) {
      issues.push({ path: `${path}/config${hit.path}`, message: 'secrets must be environment references like ${NAME}, not literal values' });
    }
  }
}

/**
 * Validates a parsed config: the gateway schema (defaults filled in), unique ids, school → sink
 * references, cron expressions, time zones, adapter ids and kinds, and each instance `config` against
 * its adapter's configSchema. Returns a new object; `raw` is not modified.
 * @throws GatewayError GW_CONFIG_INVALID with every problem in `issues`.
 */
export function validateConfig(raw: unknown, specOf: AdapterSpecLookup, opts: ValidateOptions = {}): GatewayConfig {
  const issues: Issue[] = [];
  const cfg: unknown = structuredClone(raw);
  if (!gatewayValidate) gatewayValidate = ajv().compile(gatewayConfigSchema());
  if (!gatewayValidate(cfg)) for (const e of gatewayValidate.errors ?? []) issues.push(ajvIssue(e, ''));
  if (isObj(cfg)) {
    eachString(cfg, '', '', (s, path) => {
      if (s.replace(REF, '').includes('${')) issues.push({ path, message: 'malformed environment reference; write ${NAME} with letters, digits and _' });
    });
    const g = isObj(cfg.gateway) ? cfg.gateway : {};
    checkBackoff(g.delivery, '/gateway/delivery', issues);

    const sims = arr(cfg.simulators);
    checkUnique(sims, 'system', '/simulators', 'simulator', issues);
    if (opts.knownSimulators) {
      sims.forEach((s, i) => {
        if (isObj(s) && typeof s.system === 'string' && !opts.knownSimulators?.includes(s.system)) {
          issues.push({ path: `/simulators/${i}/system`, message: `unknown simulator "${s.system}" (GW_ADAPTER_UNKNOWN)` });
        }
      });
    }

    const sinks = arr(cfg.sinks);
    const sinkIds = checkUnique(sinks, 'id', '/sinks', 'sink id', issues);
    sinks.forEach((s, i) => {
      checkInstance(s, `/sinks/${i}`, 'sink', specOf, issues);
      // Only when the sink overrides part of the backoff; otherwise the gateway check already spoke.
      const own = isObj(s) && isObj(s.delivery) ? s.delivery : {};
      if (isObj(g.delivery) && ('backoffBaseMs' in own || 'backoffCapMs' in own)) {
        checkBackoff({ ...g.delivery, ...own }, `/sinks/${i}/delivery`, issues);
      }
    });

    const schools = arr(cfg.schools);
    checkUnique(schools, 'id', '/schools', 'school id', issues);
    schools.forEach((school, i) => {
      if (!isObj(school)) return;
      const base = `/schools/${i}`;
      if (typeof school.timezone === 'string') {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: school.timezone });
        } catch {
          issues.push({ path: `${base}/timezone`, message: 'is not a known IANA time zone' });
        }
      }
      const sources = arr(school.sources);
      checkUnique(sources, 'id', `${base}/sources`, 'source id', issues);
      sources.forEach((src, j) => {
        if (isObj(src) && typeof src.schedule === 'string' && !safeCron(src.schedule)) {
          issues.push({ path: `${base}/sources/${j}/schedule`, message: 'is not a valid cron expression' });
        }
        checkInstance(src, `${base}/sources/${j}`, 'source', specOf, issues);
      });
      arr(school.sinks).forEach((id, k) => {
        if (typeof id === 'string' && !sinkIds.has(id)) {
          issues.push({ path: `${base}/sinks/${k}`, message: `names sink "${id}", which is not defined in /sinks` });
        }
      });
    });
  }
  if (issues.length > 0) throw invalid(issues, 'Configuration is invalid');
  return cfg as GatewayConfig;
}

function safeCron(expr: string): boolean {
  try {
    return validateCron(expr);
  } catch {
    return false;
  }
}

function invalid(all: Issue[], title: string): GatewayError {
  const seen = new Set<string>();
  const issues = all.filter((i) => !seen.has(`${i.path}\n${i.message}`) && seen.add(`${i.path}\n${i.message}`));
  const list = issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
  return new GatewayError('GW_CONFIG_INVALID', `${title} (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${list}`, { issues });
}

// ---------------------------------------------------------------- secrets

interface Instance { path: string; kind: 'source' | 'sink'; inst: Json }

function instancesOf(cfg: GatewayConfig): Instance[] {
  const out: Instance[] = cfg.sinks.map((s, i) => ({ path: `/sinks/${i}`, kind: 'sink' as const, inst: s as unknown as Json }));
  cfg.schools.forEach((school, i) => school.sources.forEach((s, j) => out.push({ path: `/schools/${i}/sources/${j}`, kind: 'source', inst: s as unknown as Json })));
  return out;
}

/** Pointers (from the config root) of the `x-secret` fields present in the instances' configs. */
function secretPointers(cfg: GatewayConfig, specOf: AdapterSpecLookup | undefined): Set<string> {
  const out = new Set<string>();
  if (!specOf) return out;
  for (const { path, inst } of instancesOf(cfg)) {
    const spec = typeof inst.adapter === 'string' ? specOf(inst.adapter) : undefined;
    if (!spec || !isObj(inst.config)) continue;
    let validate: ValidateFunction;
    try {
      validate = specValidator(spec);
    } catch {
      continue; // validateConfig reports a spec that does not compile
    }
    for (const hit of runSpec(validate, structuredClone(inst.config)).secrets) out.add(`${path}/config${hit.path}`);
  }
  return out;
}

const looksSecret = (key: string, refName?: string): boolean => isDenylistedKey(key) || (refName !== undefined && isDenylistedKey(refName));

/** Deep copy with every string passed through `fn`. */
function mapStrings(value: unknown, path: string, key: string, fn: (s: string, path: string, key: string) => string): unknown {
  if (typeof value === 'string') return fn(value, path, key);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, `${path}/${i}`, key, fn));
  if (isObj(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, `${path}/${esc(k)}`, k, fn);
    return out;
  }
  return value;
}

/**
 * Replaces `${NAME}` references anywhere in the config with values from `env` (an empty value counts
 * as missing) and returns the values the redactor must mask: references in `x-secret` fields (known
 * when `specOf` is given), under denylisted keys, or naming secret-looking variables (`*_PASSWORD`,
 * `*_TOKEN`, …), literals in x-secret fields, and the admin tokens. With `specOf`, the resolved
 * instance configs are validated again against their adapter schemas.
 * @throws GatewayError GW_CONFIG_SECRET_MISSING listing every missing name with its path;
 *         GW_CONFIG_INVALID when a resolved value breaks an adapter schema.
 */
export function resolveSecrets(cfg: GatewayConfig, env: NodeJS.ProcessEnv, specOf?: AdapterSpecLookup): { config: GatewayConfig; secretValues: string[] } {
  const secretPaths = secretPointers(cfg, specOf);
  const missing: Issue[] = [];
  const missingNames = new Set<string>();
  const secrets = new Set<string>();
  const config = mapStrings(cfg, '', '', (s, path, key) => {
    const atSecret = secretPaths.has(path);
    let hadRef = false;
    const out = s.replace(REF, (m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        missing.push({ path, message: `environment variable ${name} is not set` });
        missingNames.add(name);
        return m;
      }
      hadRef = true;
      if (atSecret || looksSecret(key, name)) secrets.add(v);
      return v;
    });
    if (atSecret || (hadRef && looksSecret(key))) secrets.add(out);
    return out;
  }) as GatewayConfig;
  if (missing.length > 0) {
    throw new GatewayError('GW_CONFIG_SECRET_MISSING', `Environment variables not set: ${[...missingNames].join(', ')} (${missing.map((i) => i.path).join(', ')})`, { issues: missing });
  }
  const tokens = env[config.gateway.admin.tokensEnv];
  if (tokens) [tokens, ...tokens.split(',').map((t) => t.trim())].forEach((t) => secrets.add(t));

  if (specOf) {
    const issues: Issue[] = [];
    for (const { path, inst } of instancesOf(config)) {
      const spec = typeof inst.adapter === 'string' ? specOf(inst.adapter) : undefined;
      if (!spec || !isObj(inst.config)) continue;
      for (const e of runSpec(specValidator(spec), inst.config).errors) {
        const issue = ajvIssue(e, `${path}/config`);
        issues.push({ ...issue, message: `${issue.message} (after resolving environment references)` });
      }
    }
    if (issues.length > 0) throw invalid(issues, 'Configuration is invalid after resolving environment references');
  }
  return { config, secretValues: [...secrets].filter((v) => v.length >= MIN_SECRET_LENGTH) };
}

// ---------------------------------------------------------------- helpers for callers

/** The gateway-wide delivery policy with the sink's overrides applied. */
/** The safety-hold policy of one school: the gateway's, with the school's overrides. */
export function effectiveHoldPolicy(cfg: GatewayConfig, schoolId: string): HoldPolicy {
  const school = cfg.schools.find((s) => s.id === schoolId);
  return { ...cfg.gateway.safetyHold, ...(school?.safetyHold ?? {}) };
}

export function effectiveDeliveryPolicy(cfg: GatewayConfig, sinkId: string): DeliveryPolicy {
  const sink = cfg.sinks.find((s) => s.id === sinkId);
  return { ...cfg.gateway.delivery, ...(sink?.delivery ?? {}) };
}

export interface ConfigSummary {
  gateway: GatewaySettings;
  simulators: SimulatorConfig[];
  sinks: Array<{ id: string; adapter: string; delivery: DeliveryPolicy; config: unknown }>;
  schools: Array<{
    id: string; name: string; timezone: string; sinks: string[];
    sources: Array<{ id: string; adapter: string; schedule: string | null; runOnStart: boolean; streams: string[] | 'all'; config: unknown }>;
  }>;
  /** Every `${NAME}` the config needs, where, and whether it holds a secret. */
  envReferences: Array<{ path: string; name: string; secret: boolean }>;
}

/**
 * A printable summary (for `validate-config --json`). References are shown as written
 * (`${NAME}` is a name, not a value); any other value in an x-secret field (known with `specOf`) or
 * under a denylisted key is `[REDACTED]`, so even a resolved config prints safely.
 */
export function describeConfig(cfg: GatewayConfig, specOf?: AdapterSpecLookup): ConfigSummary {
  const secretPaths = secretPointers(cfg, specOf);
  const envReferences: ConfigSummary['envReferences'] = [];
  const masked = mapStrings(cfg, '', '', (s, path, key) => {
    for (const m of s.matchAll(REF)) envReferences.push({ path, name: m[1] ?? '', secret: secretPaths.has(path) || looksSecret(key, m[1]) });
    if (isEnvReference(s)) return s;
    // Only adapter config blocks hold secrets; gateway settings such as admin.tokensEnv are names.
    const inAdapterConfig = /^\/(sinks\/\d+|schools\/\d+\/sources\/\d+)\/config\//.test(path);
    return secretPaths.has(path) || (inAdapterConfig && looksSecret(key)) ? REDACTED : s;
  }) as GatewayConfig;
  return {
    gateway: masked.gateway,
    simulators: masked.simulators,
    sinks: masked.sinks.map((s) => ({ id: s.id, adapter: s.adapter, delivery: effectiveDeliveryPolicy(cfg, s.id), config: s.config })),
    schools: masked.schools.map((sc) => ({
      id: sc.id, name: sc.name, timezone: sc.timezone, sinks: sc.sinks,
      sources: sc.sources.map((s) => ({
        id: s.id, adapter: s.adapter, schedule: s.schedule ?? null, runOnStart: s.runOnStart, streams: s.streams ?? 'all', config: s.config,
      })),
    })),
    envReferences,
  };
}

/** loadConfigFile + validateConfig + resolveSecrets: what `run` needs. `validated` keeps the references. */
export function loadConfig(path: string, specOf: AdapterSpecLookup, env: NodeJS.ProcessEnv, opts: ValidateOptions = {}): { validated: GatewayConfig; config: GatewayConfig; secretValues: string[] } {
  const validated = validateConfig(loadConfigFile(path), specOf, opts);
  return { validated, ...resolveSecrets(validated, env, specOf) };
}
