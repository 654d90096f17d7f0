/**
 * push-source on its own: the config spec through the real config loader, `check`, `read`,
 * request authentication (HMAC and bearer) and the wire mapping. The HTTP path and the ledger
 * are covered by test/integration/push.test.ts and test/unit/push-intake.test.ts.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { canonicalId, DEFAULT_ID_NAMESPACE, makeIdResolver } from '../../../src/core/ids';
import { ENTITY_TYPES } from '../../../src/core/records';
import { resolveSecrets, validateConfig } from '../../../src/infra/config';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { checkSpec } from '../../../test/contract/spec-checks';
import { collect, makeContext } from '../../../test/support/harness';
import { pushSource, PUSH_SPEC, PUSH_STREAMS, resolvePushConfig, type PushSourceConfig } from '..';
import { signPushBody, verifyPushAuth, type PushCredentials } from '../auth';
import { jsonErrorOffset, mapPushItem, parsePushBody } from '../wire';

const SECRET = 'push-demo-secret-0123456789abcdef';
const OTHER = 'another-secret-0123456789abcdef!';
const specOf = (id: string) => (id === PUSH_SPEC.id ? PUSH_SPEC : undefined);

function gatewayConfig(config: Record<string, unknown>): Record<string, unknown> {
  return { schools: [{ id: 's1', name: 'Школа 1', timezone: 'Europe/Moscow', sources: [{ id: 'journal', adapter: 'push-source', config }], sinks: [] }] };
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    return (e as { opts: { issues: { path: string; message: string }[] } }).opts.issues;
  }
  assert.fail('expected a config error');
}

describe('push-source: config spec', () => {
  it('compiles under ajv strict with every secret-looking field marked x-secret', () => {
    assert.deepEqual(checkSpec(PUSH_SPEC).unmarked, []);
    const props = PUSH_SPEC.configSchema['properties'] as Record<string, Record<string, unknown>>;
    for (const f of ['hmacSecret', 'hmacSecretPrevious', 'bearerToken', 'bearerTokenPrevious']) assert.equal(props[f]?.['x-secret'], true, f);
  });

  it('is accepted by the config loader with ${ENV} secrets, and defaults are filled in', () => {
    const cfg = validateConfig(gatewayConfig({ auth: 'hmac', hmacSecret: '${PUSH_SECRET}' }), specOf);
    const inst = cfg.schools[0]?.sources[0]?.config as Record<string, unknown>;
    assert.deepEqual(inst, { auth: 'hmac', hmacSecret: '${PUSH_SECRET}', maxItems: 1000, maxBytes: 5 * 1024 * 1024, clockSkewSeconds: 300, sourceSystem: 'push' });
    const { config, secretValues } = resolveSecrets(cfg, { PUSH_SECRET: SECRET }, specOf);
    assert.equal((config.schools[0]?.sources[0]?.config as unknown as PushSourceConfig).hmacSecret, SECRET);
    assert.ok(secretValues.includes(SECRET), 'the resolved secret is handed to the redactor');
  });

  it('refuses literal secrets, a missing secret for the mode, and short resolved secrets', () => {
    assert.deepEqual(issuesOf(() => validateConfig(gatewayConfig({ auth: 'bearer', bearerToken: 'literal-token-0123456789' }), specOf)),
      [{ path: '/schools/0/sources/0/config/bearerToken', message: 'secrets must be environment references like ${NAME}, not literal values' }]);
    const missing = issuesOf(() => validateConfig(gatewayConfig({ auth: 'hmac', bearerToken: '${T}' }), specOf));
    assert.ok(missing.some((i) => i.path === '/schools/0/sources/0/config/hmacSecret' && i.message === 'is required'), JSON.stringify(missing));
    const badMode = issuesOf(() => validateConfig(gatewayConfig({ auth: 'basic' }), specOf));
    assert.ok(badMode.some((i) => i.path === '/schools/0/sources/0/config/auth'), JSON.stringify(badMode));
    const cfg = validateConfig(gatewayConfig({ auth: 'hmac', hmacSecret: '${PUSH_SECRET}' }), specOf);
    const short = issuesOf(() => resolveSecrets(cfg, { PUSH_SECRET: 'short' }, specOf));
    assert.equal(short[0]?.path, '/schools/0/sources/0/config/hmacSecret');
  });
});

describe('push-source: adapter', () => {
  it('declares one stream per canonical entity, each with a canonical schema', () => {
    assert.equal(PUSH_STREAMS.length, ENTITY_TYPES.length);
    const v = getCanonicalValidator();
    for (const s of PUSH_STREAMS) for (const e of s.entities) assert.ok(v.validatorFor(e), s.name);
    assert.ok(PUSH_STREAMS.some((s) => s.name === 'marks' && s.entities[0] === 'mark'));
  });

  it('check passes with a usable secret and fails as permanent without one', async () => {
    const ok = await pushSource.check(makeContext<PushSourceConfig>({ auth: 'hmac', hmacSecret: SECRET }));
    assert.deepEqual(ok, { ok: true, details: { auth: 'hmac', maxItems: 1000, maxBytes: 5 * 1024 * 1024, sourceSystem: 'push' } });
    for (const bad of [{ auth: 'hmac' }, { auth: 'bearer', hmacSecret: SECRET }, { auth: 'bearer', bearerToken: 'tiny-tok' }] as PushSourceConfig[]) {
      const res = await pushSource.check(makeContext(bad, { schoolId: 'school-9' }));
      assert.equal(res.ok, false, JSON.stringify(bad));
      if (!res.ok) {
        assert.equal(res.error.code, 'GW_CONFIG_INVALID');
        assert.equal(res.error.errorClass, 'permanent');
        assert.match(res.error.message, /school-9/);
        assert.ok(!res.error.message.includes('tiny-tok') && !res.error.message.includes(SECRET), 'the message never quotes a secret');
      }
    }
  });

  it('read yields nothing on every stream, whatever the cursor', async () => {
    const ctx = makeContext<PushSourceConfig>({ auth: 'bearer', bearerToken: SECRET });
    for (const s of PUSH_STREAMS) {
      assert.deepEqual(await collect(pushSource.read(ctx, s.name, null)), []);
      assert.deepEqual(await collect(pushSource.read(ctx, s.name, { v: 1, position: '9999' })), []);
    }
  });
});

describe('push-source: request authentication', () => {
  const body = Buffer.from('{"records":[]}');
  const now = new Date(1_760_000_000 * 1000);
  const hmacCfg = resolvePushConfig({ auth: 'hmac', hmacSecret: SECRET });
  const creds = (over: Partial<PushCredentials> = {}): PushCredentials => ({
    body, now, timestamp: '1760000000', signature: signPushBody(SECRET, 1760000000, body), ...over,
  });

  it('signs timestamp + "." + raw body with HMAC-SHA256 (known vector, also in the README)', () => {
    assert.equal(signPushBody(SECRET, 1760000000, '{"records":[]}'), 'sha256=924f00c7979e6eeab0840b0055961a562744bc6c7a69c2dc8fa30e96209f5e6b');
    const independent = createHmac('sha256', OTHER).update('42.').update(body).digest('hex');
    assert.equal(signPushBody(OTHER, 42, body), `sha256=${independent}`);
  });

  it('accepts a good signature, also in upper-case hex and at the edge of the skew', () => {
    assert.deepEqual(verifyPushAuth(hmacCfg, creds()), { ok: true });
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ signature: `sha256=${(creds().signature ?? '').slice(7).toUpperCase()}` })), { ok: true });
    const edge = creds({ timestamp: String(1760000000 - 300), signature: signPushBody(SECRET, 1760000000 - 300, body) });
    assert.deepEqual(verifyPushAuth(hmacCfg, edge), { ok: true });
  });

  it('refuses a wrong key, a tampered body, a missing or malformed header as unauthenticated', () => {
    const refused = { ok: false, reason: 'unauthenticated' };
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ signature: signPushBody(OTHER, 1760000000, body) })), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ body: Buffer.from('{"records":[] }') })), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, { body, now }), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ timestamp: undefined })), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ signature: 'sha256=abc' })), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ signature: (creds().signature ?? '').replace('sha256=', 'sha1=') })), refused);
    // The timestamp is part of what is signed: moving it breaks the signature.
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ timestamp: '1760000001' })), refused);
    assert.deepEqual(verifyPushAuth(hmacCfg, creds({ authorization: `Bearer ${SECRET}`, signature: undefined })), refused);
  });

  it('answers stale_timestamp only for a correctly signed old or future request', () => {
    for (const ts of [1760000000 - 301, 1760000000 + 301, 1760000000 * 1000]) {
      assert.deepEqual(verifyPushAuth(hmacCfg, creds({ timestamp: String(ts), signature: signPushBody(SECRET, ts, body) })), { ok: false, reason: 'stale_timestamp' }, String(ts));
      assert.deepEqual(verifyPushAuth(hmacCfg, creds({ timestamp: String(ts), signature: signPushBody(OTHER, ts, body) })), { ok: false, reason: 'unauthenticated' });
    }
  });

  it('accepts the previous key during rotation', () => {
    const rotating = resolvePushConfig({ auth: 'hmac', hmacSecret: OTHER, hmacSecretPrevious: SECRET });
    assert.deepEqual(verifyPushAuth(rotating, creds()), { ok: true });
    assert.deepEqual(verifyPushAuth(rotating, creds({ signature: signPushBody(OTHER, 1760000000, body) })), { ok: true });
  });

  it('bearer mode compares the token and ignores HMAC headers', () => {
    const cfg = resolvePushConfig({ auth: 'bearer', bearerToken: SECRET, bearerTokenPrevious: OTHER });
    assert.deepEqual(verifyPushAuth(cfg, { body, now, authorization: `Bearer ${SECRET}` }), { ok: true });
    assert.deepEqual(verifyPushAuth(cfg, { body, now, authorization: `bearer ${OTHER}` }), { ok: true });
    assert.deepEqual(verifyPushAuth(cfg, { body, now, authorization: `Bearer ${SECRET}x` }), { ok: false, reason: 'unauthenticated' });
    assert.deepEqual(verifyPushAuth(cfg, { body, now, authorization: `Basic ${SECRET}` }), { ok: false, reason: 'unauthenticated' });
    assert.deepEqual(verifyPushAuth(cfg, creds()), { ok: false, reason: 'unauthenticated' });
  });

  it('an unknown school or source is unauthenticated whatever is presented', () => {
    assert.deepEqual(verifyPushAuth(undefined, creds()), { ok: false, reason: 'unauthenticated' });
    assert.deepEqual(verifyPushAuth(undefined, { body, now, authorization: `Bearer ${SECRET}` }), { ok: false, reason: 'unauthenticated' });
    assert.deepEqual(verifyPushAuth(undefined, { body, now }), { ok: false, reason: 'unauthenticated' });
  });
});

describe('push-source: wire format', () => {
  const ids = makeIdResolver(DEFAULT_ID_NAMESPACE, 'push', 'school-1');

  it('parses {"records": [...]} and points at what is wrong otherwise', () => {
    assert.deepEqual(parsePushBody(Buffer.from('\uFEFF{"records":[{"a":1}]}')), { ok: true, records: [{ a: 1 }] });
    assert.deepEqual(parsePushBody(Buffer.alloc(0)), { ok: false, issues: [{ path: '/', message: 'body is empty; expected {"records": [...]}' }] });
    assert.deepEqual(parsePushBody(Buffer.from('[]')), { ok: false, issues: [{ path: '/', message: 'must be an object {"records": [...]}' }] });
    assert.deepEqual(parsePushBody(Buffer.from('{"record":[]}')), {
      ok: false, issues: [{ path: '/record', message: 'is not an allowed property' }, { path: '/records', message: 'is required' }],
    });
    assert.deepEqual(parsePushBody(Buffer.from('{"records":{}}')), { ok: false, issues: [{ path: '/records', message: 'must be an array' }] });
    assert.deepEqual(parsePushBody(Buffer.from([0x7b, 0xff, 0x7d])), { ok: false, issues: [{ path: '/', message: 'body is not valid UTF-8' }] });
  });

  it('reports bad JSON by line and column without quoting the body', () => {
    const res = parsePushBody(Buffer.from('{"records": [\n  {"sourceId": "Иванов-secret"},\n  {oops}\n]}'));
    assert.equal(res.ok, false);
    if (res.ok) return;
    assert.equal(res.issues.length, 1);
    assert.match(res.issues[0]?.message ?? '', /^body is not valid JSON \(line 3, column \d+\)$/);
    assert.ok(!JSON.stringify(res).includes('Иванов'));
  });

  it('finds the offset of the first character that breaks JSON', () => {
    const cases: Array<[string, number]> = [
      ['{"a": }', 6], ['[1,2', 4], ['{"a":1,}', 7], ['"abc', 4], ['tru', 0], ['{"a":1} x', 8], ['["\\x"]', 3],
      ['{"a":"\\u12G4"}', 7], ['{"a":01}', 6], ['{"a"\n:\n[1 2]}', 10], ['"tab\there"', 4],
    ];
    for (const [text, offset] of cases) {
      assert.throws(() => JSON.parse(text), SyntaxError, text);
      assert.equal(jsonErrorOffset(text), offset, JSON.stringify(text));
    }
    const valid = '{"records": [{"a": [true, null, -1.5e3, "\\u00e9"]}]}';
    assert.equal(jsonErrorOffset(valid), valid.length, 'valid JSON: the end');
  });

  it('maps an item to a MappedRecord, refs to canonical ids', () => {
    const item = {
      entityType: 'mark', sourceId: 'm-1', sourceModifiedAt: '2025-11-12T10:05:00Z', externalIds: [{ type: 'source-local', value: 'm-1' }],
      kind: 'current', markStatus: 'graded', value: { scale: 'five_point', raw: '5', numeric: 5 }, markedAt: '2025-11-12T10:05:00Z',
      refs: { studentId: { entityType: 'person', sourceId: 'st-5' }, subjectId: { entityType: 'subject', sourceId: 'sub-1' } },
    };
    const m = mapPushItem(item, ids);
    assert.equal(m.kind, 'record');
    if (m.kind !== 'record') return;
    assert.equal(m.tombstoneOnly, false);
    assert.deepEqual(m.record, {
      entityType: 'mark', sourceId: 'm-1', sourceModifiedAt: '2025-11-12T10:05:00Z', externalIds: [{ type: 'source-local', value: 'm-1' }],
      fields: {
        kind: 'current', markStatus: 'graded', value: { scale: 'five_point', raw: '5', numeric: 5 }, markedAt: '2025-11-12T10:05:00Z',
        studentId: canonicalId(DEFAULT_ID_NAMESPACE, 'push', 'school-1', 'person', 'st-5'),
        subjectId: canonicalId(DEFAULT_ID_NAMESPACE, 'push', 'school-1', 'subject', 'sub-1'),
      },
    });
    assert.equal(m.pathMap['/studentId'], '/refs/studentId/sourceId');
    const list = mapPushItem({ entityType: 'class_group', sourceId: 'c', title: '5А', refs: { teacherIds: { entityType: 'person', sourceIds: ['t1', 't2'] } } }, ids);
    assert.ok(list.kind === 'record');
    assert.deepEqual(list.kind === 'record' && list.record.fields['teacherIds'], [ids.ref('person', 't1'), ids.ref('person', 't2')]);
  });

  it('refuses gateway-owned fields, bad envelope hints and bad refs, naming each path', () => {
    const m = mapPushItem({
      entityType: 'subject', sourceId: 's-1', title: 'Математика', id: 'x', schoolId: 'other', contentHash: 'h', status: 'deleted',
      refs: { teacherId: { entityType: 'teacher', sourceId: 't' }, title: { entityType: 'subject', sourceId: 'x' }, a: { entityType: 'person' }, b: { entityType: 'person', sourceIds: ['', 'y'] } },
    }, ids);
    assert.equal(m.kind, 'invalid');
    if (m.kind !== 'invalid') return;
    assert.equal(m.sourceId, 's-1');
    assert.equal(m.entityType, 'subject');
    assert.deepEqual(m.issues.map((i) => i.path).sort(), [
      '/contentHash', '/id', '/refs/a', '/refs/b/sourceIds/0', '/refs/teacherId/entityType', '/refs/title', '/schoolId', '/status',
    ]);
    const bare = mapPushItem({ entityType: 'nope', sourceId: '' }, ids);
    assert.deepEqual(bare, {
      kind: 'invalid', raw: { entityType: 'nope', sourceId: '' },
      issues: [{ path: '/entityType', message: 'must be one of the canonical entity types' }, { path: '/sourceId', message: 'must be a string of 1 to 512 characters' }],
    });
    assert.deepEqual(mapPushItem('text', ids), { kind: 'invalid', raw: 'text', issues: [{ path: '/', message: 'must be an object' }] });
  });

  it('a tobedeleted item without entity fields is a tombstone by reference', () => {
    const t = mapPushItem({ entityType: 'mark', sourceId: 'm-1', status: 'tobedeleted' }, ids);
    assert.ok(t.kind === 'record' && t.tombstoneOnly && t.record.status === 'tobedeleted');
    const full = mapPushItem({ entityType: 'subject', sourceId: 's', status: 'tobedeleted', title: 'X' }, ids);
    assert.ok(full.kind === 'record' && !full.tombstoneOnly);
  });
});
