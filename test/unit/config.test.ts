import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AdapterSpec } from '../../src/core/adapter';
import { GatewayError, type Issue } from '../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import {
  describeConfig, effectiveDeliveryPolicy, effectiveHoldPolicy, loadConfig, loadConfigFile, resolveSecrets, validateConfig, type AdapterSpecLookup, type GatewayConfig,
} from '../../src/infra/config';
import { REDACTED } from '../../src/infra/redact';

// dist/test/unit → repository root; fixtures are not copied into dist.
const FIXTURES = resolve(__dirname, '../../../test/fixtures/config');
const fixture = (name: string): string => join(FIXTURES, name);

const fakeSource: AdapterSpec = {
  id: 'fake-source', system: 'fake', version: '1.0.0', kind: 'source', title: 'Fake journal',
  configSchema: {
    type: 'object', additionalProperties: false, required: ['baseUrl', 'login', 'password'],
    properties: {
      baseUrl: { type: 'string', format: 'uri' },
      login: { type: 'string', minLength: 1 },
      password: { type: 'string', 'x-secret': true },
      schoolName: { type: 'string' },
      timeoutMs: { type: 'integer', minimum: 100, default: 15000 },
    },
  },
};
const fakeSink: AdapterSpec = {
  id: 'fake-sink', system: 'fake-portal', version: '1.0.0', kind: 'sink', title: 'Fake portal',
  configSchema: {
    type: 'object', additionalProperties: false, required: ['baseUrl', 'token'],
    properties: { baseUrl: { type: 'string', format: 'uri' }, token: { type: 'string', 'x-secret': true } },
  },
};
const specs = new Map([fakeSource, fakeSink].map((s) => [s.id, s]));
const specOf: AdapterSpecLookup = (id) => specs.get(id);

const ENV = {
  DIARY_SIM_PORTAL_URL: 'http://127.0.0.1:41001',
  DIARY_SIM_PORTAL_TOKEN: 'portal-token-123',
  DIARY_SIM_NETSCHOOL_URL: 'http://127.0.0.1:41002',
  DIARY_SIM_NETSCHOOL_LOGIN: 'demo-login',
  DIARY_SIM_NETSCHOOL_PASSWORD: 'netschool-pass-456',
  DIARY_SIM_NETSCHOOL_SCHOOL: 'МБОУ СОШ № 1',
};

/** A small valid config, fresh on every call. */
function minimal(): Record<string, unknown> {
  return {
    sinks: [{ id: 'portal', adapter: 'fake-sink', config: { baseUrl: 'https://portal.test/api', token: '${PORTAL_TOKEN}' } }],
    schools: [{
      id: 'school-1', name: 'Школа 1',
      sources: [{ id: 'journal', adapter: 'fake-source', schedule: '0 * * * *', config: { baseUrl: 'https://journal.test', login: 'u', password: '${JOURNAL_PASSWORD}' } }],
      sinks: ['portal'],
    }],
  };
}

function issuesOf(fn: () => unknown, code = 'GW_CONFIG_INVALID'): Issue[] {
  try {
    fn();
  } catch (e: unknown) {
    assert.ok(e instanceof GatewayError, `expected GatewayError, got ${String(e)}`);
    assert.equal(e.code, code);
    return e.issues;
  }
  assert.fail('expected a GatewayError');
}

const paths = (issues: Issue[]): string[] => issues.map((i) => i.path);

describe('config', () => {
  it('loads the good fixture and fills in defaults without touching the input', () => {
    const raw = loadConfigFile(fixture('good.json'));
    const before = JSON.stringify(raw);
    const cfg = validateConfig(raw, specOf);
    assert.equal(JSON.stringify(raw), before);
    assert.deepEqual(cfg.gateway.ledger, { driver: 'sqlite', path: 'data/ledger.sqlite' });
    assert.deepEqual(cfg.gateway.admin, { enabled: true, host: '127.0.0.1', port: 8780, tokensEnv: 'DIARY_GATEWAY_ADMIN_TOKENS' });
    assert.equal(cfg.gateway.idNamespace, DEFAULT_ID_NAMESPACE);
    assert.equal(cfg.gateway.logLevel, 'debug');
    assert.equal(cfg.gateway.logFormat, 'json');
    assert.deepEqual(cfg.gateway.delivery, { batchSize: 50, maxAttempts: 8, backoffBaseMs: 30000, backoffCapMs: 3600000, leaseMs: 120000, pollIntervalMs: 1000, breakerThreshold: 3, breakerOpenMs: 30000, breakerMaxOpenMs: 600000 });
    assert.equal(cfg.gateway.scheduleJitterMs, 5000);
    assert.deepEqual(cfg.simulators[1], { system: 'rest-portal', port: 0, host: '127.0.0.1', live: false });
    const source = cfg.schools[0]?.sources[0];
    assert.equal(source?.config.timeoutMs, 15000, 'adapter spec defaults are applied too');
    assert.equal(source?.config.password, '${DIARY_SIM_NETSCHOOL_PASSWORD}', 'validation keeps references unresolved');
    assert.deepEqual(effectiveDeliveryPolicy(cfg, 'portal'), { ...cfg.gateway.delivery, maxAttempts: 3 });
    assert.deepEqual(cfg.gateway.safetyHold, { enabled: true, deletePercent: 10, changePercent: 75, minRecords: 20 }, 'safety hold defaults');
    const school = cfg.schools[0]!;
    assert.deepEqual(effectiveHoldPolicy(cfg, school.id), cfg.gateway.safetyHold);
    const tuned = { ...cfg, schools: [{ ...school, safetyHold: { deletePercent: 25, minRecords: 5 } }] };
    assert.deepEqual(effectiveHoldPolicy(tuned, school.id), { enabled: true, deletePercent: 25, changePercent: 75, minRecords: 5 }, 'a school overrides part of it');
  });

  it('lists every problem of a broken config with its path, without echoing values', () => {
    let err: unknown;
    try {
      validateConfig(loadConfigFile(fixture('several-errors.json')), specOf);
    } catch (e: unknown) {
      err = e;
    }
    assert.ok(err instanceof GatewayError && err.code === 'GW_CONFIG_INVALID');
    const got = paths(err.issues);
    const expected = [
      '/extra', '/gateway/logLevel', '/gateway/delivery/batchSize',
      '/sinks/0/config/baseUrl', '/sinks/0/config/token', '/sinks/1/id', '/sinks/1/adapter',
      '/schools/0/id', '/schools/0/timezone', '/schools/0/sources/0/schedule',
      '/schools/0/sources/0/config/password', '/schools/0/sources/0/config/timeoutMs', '/schools/0/sinks/1',
    ];
    assert.deepEqual([...got].sort(), [...expected].sort());
    assert.ok(!got.includes('/schools/0/sources/0/config/baseUrl'), 'a ${NAME} reference skips the uri format check');
    const byPath = new Map(err.issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('/sinks/1/adapter') ?? '', /unknown adapter "no-such-sink".*GW_ADAPTER_UNKNOWN/);
    assert.match(byPath.get('/schools/0/sources/0/config/password') ?? '', /environment references/);
    assert.match(byPath.get('/schools/0/sinks/1') ?? '', /sink "smev"/);
    assert.match(byPath.get('/gateway/logLevel') ?? '', /error, warn, info, debug/);
    assert.ok(!JSON.stringify(err.issues).includes('hunter2') && !err.message.includes('hunter2'));
    assert.match(err.message, /13 problems/);
  });

  it('names file, line and column of a JSON syntax error', () => {
    const cases: Array<[string, number, number]> = [['syntax-error.json', 7, 5], ['truncated.json', 3, 1]];
    for (const [name, line, column] of cases) {
      try {
        loadConfigFile(fixture(name));
        assert.fail('should throw');
      } catch (e: unknown) {
        assert.ok(e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID', String(e));
        assert.ok(e.message.startsWith(`${fixture(name)}:${line}:${column}: invalid JSON`), e.message);
        assert.deepEqual(e.opts.context, { file: fixture(name), line, column });
      }
    }
    assert.throws(() => loadConfigFile(fixture('absent.json')), /Cannot read config file .*absent\.json \(ENOENT\)/);
  });

  it('rejects a literal in an x-secret field, but not in other fields', () => {
    const raw = minimal();
    ((raw.sinks as Array<Record<string, Record<string, unknown>>>)[0] as Record<string, Record<string, unknown>>).config = { baseUrl: 'https://p.test', token: 'literal-token' };
    const issues = issuesOf(() => validateConfig(raw, specOf));
    assert.deepEqual(issues, [{ path: '/sinks/0/config/token', message: 'secrets must be environment references like ${NAME}, not literal values' }]);
    assert.doesNotThrow(() => validateConfig(minimal(), specOf));
  });

  it('rejects a bad cron expression and an unknown sink reference', () => {
    const raw = minimal() as { schools: Array<{ sources: Array<{ schedule: string }>; sinks: string[] }> };
    raw.schools[0]!.sources[0]!.schedule = '61 * * * *';
    raw.schools[0]!.sinks = ['portal', 'nowhere'];
    const issues = issuesOf(() => validateConfig(raw, specOf));
    assert.deepEqual(paths(issues), ['/schools/0/sources/0/schedule', '/schools/0/sinks/1']);
  });

  it('rejects an adapter of the wrong kind, malformed references and a cap below the base', () => {
    const raw = minimal() as { gateway?: unknown; sinks: Array<{ adapter: string; config: Record<string, string> }>; schools: Array<{ sources: Array<{ config: Record<string, string> }> }> };
    raw.sinks[0]!.adapter = 'fake-source';
    raw.schools[0]!.sources[0]!.config.login = '${not closed';
    raw.gateway = { delivery: { backoffBaseMs: 1000, backoffCapMs: 10 } };
    const issues = issuesOf(() => validateConfig(raw, specOf));
    assert.deepEqual(paths(issues).sort(), ['/gateway/delivery/backoffCapMs', '/schools/0/sources/0/config/login', '/sinks/0/adapter']);
    const own = minimal() as { sinks: Array<{ delivery?: unknown }> };
    own.sinks[0]!.delivery = { backoffCapMs: 5 };
    assert.deepEqual(paths(issuesOf(() => validateConfig(own, specOf))), ['/sinks/0/delivery/backoffCapMs'], 'a sink override is checked against the gateway base');
  });

  it('resolves references, returns the secret values, and never changes the validated config', () => {
    const validated = validateConfig(loadConfigFile(fixture('good.json')), specOf);
    const before = JSON.stringify(validated);
    const { config, secretValues } = resolveSecrets(validated, { ...ENV, DIARY_GATEWAY_ADMIN_TOKENS: 'adm-1, adm-2' }, specOf);
    assert.equal(JSON.stringify(validated), before);
    assert.deepEqual(config.schools[0]?.sources[0]?.config, {
      baseUrl: ENV.DIARY_SIM_NETSCHOOL_URL, login: 'demo-login', password: 'netschool-pass-456', schoolName: 'МБОУ СОШ № 1', timeoutMs: 15000,
    });
    assert.equal(config.sinks[0]?.config.token, 'portal-token-123');
    assert.deepEqual([...secretValues].sort(), ['adm-1', 'adm-1, adm-2', 'adm-2', 'netschool-pass-456', 'portal-token-123']);
  });

  it('lists every missing environment variable with its path', () => {
    const validated = validateConfig(loadConfigFile(fixture('good.json')), specOf);
    const env = { ...ENV, DIARY_SIM_PORTAL_TOKEN: undefined, DIARY_SIM_NETSCHOOL_PASSWORD: '' };
    let err: unknown;
    try {
      resolveSecrets(validated, env);
    } catch (e: unknown) {
      err = e;
    }
    assert.ok(err instanceof GatewayError && err.code === 'GW_CONFIG_SECRET_MISSING');
    assert.deepEqual(err.issues, [
      { path: '/sinks/0/config/token', message: 'environment variable DIARY_SIM_PORTAL_TOKEN is not set' },
      { path: '/schools/0/sources/0/config/password', message: 'environment variable DIARY_SIM_NETSCHOOL_PASSWORD is not set' },
    ]);
    assert.match(err.message, /DIARY_SIM_PORTAL_TOKEN, DIARY_SIM_NETSCHOOL_PASSWORD/);
  });

  it('checks resolved values against the adapter schema (formats skipped before resolution)', () => {
    const validated = validateConfig(loadConfigFile(fixture('good.json')), specOf);
    const issues = issuesOf(() => resolveSecrets(validated, { ...ENV, DIARY_SIM_PORTAL_URL: 'not a url' }, specOf));
    assert.deepEqual(paths(issues), ['/sinks/0/config/baseUrl']);
    assert.ok(!JSON.stringify(issues).includes('not a url'));
  });

  it('describeConfig shows references, masks literal secrets, and lists the environment it needs', () => {
    const validated = validateConfig(loadConfigFile(fixture('good.json')), specOf);
    const summary = describeConfig(validated, specOf);
    assert.equal((summary.schools[0]?.sources[0]?.config as Record<string, unknown>).password, '${DIARY_SIM_NETSCHOOL_PASSWORD}');
    assert.equal(summary.gateway.admin.tokensEnv, 'DIARY_GATEWAY_ADMIN_TOKENS');
    assert.equal(summary.sinks[0]?.delivery.maxAttempts, 3);
    assert.deepEqual(summary.envReferences.filter((r) => r.secret).map((r) => r.name).sort(), ['DIARY_SIM_NETSCHOOL_PASSWORD', 'DIARY_SIM_PORTAL_TOKEN']);
    assert.equal(summary.envReferences.length, 6);
    const resolved = resolveSecrets(validated, ENV, specOf).config;
    const text = JSON.stringify(describeConfig(resolved, specOf));
    assert.ok(!text.includes('netschool-pass-456') && !text.includes('portal-token-123'));
    assert.ok(text.includes(REDACTED) && text.includes('demo-login'));
  });

  it('loadConfig chains load, validation and resolution; unknown simulators are reported when known ones are given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ ...minimal(), simulators: [{ system: 'netschool' }, { system: 'eljur' }] }));
    const env = { PORTAL_TOKEN: 'tok-aaa', JOURNAL_PASSWORD: 'pw-bbb' };
    const { validated, config, secretValues }: { validated: GatewayConfig; config: GatewayConfig; secretValues: string[] } = loadConfig(file, specOf, env);
    assert.equal(validated.sinks[0]?.config.token, '${PORTAL_TOKEN}');
    assert.equal(config.sinks[0]?.config.token, 'tok-aaa');
    assert.deepEqual(secretValues.sort(), ['pw-bbb', 'tok-aaa']);
    const issues = issuesOf(() => loadConfig(file, specOf, env, { knownSimulators: ['netschool'] }));
    assert.deepEqual(paths(issues), ['/simulators/1/system']);
  });
});
