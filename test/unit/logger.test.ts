import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { GatewayError } from '../../src/core/errors';
import { createLogger, setLoggerSecrets, type CreateLoggerOptions } from '../../src/infra/logger';
import { createRedactor, personRef, PII_MASK, REDACTED } from '../../src/infra/redact';

/** A stream that keeps what was written, split into lines. */
function collector(): { stream: Writable; lines(): string[]; json(): Array<Record<string, unknown>>; ended(): boolean } {
  const chunks: string[] = [];
  let ended = false;
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) { chunks.push(chunk.toString()); cb(); },
    final(cb) { ended = true; cb(); },
  });
  const lines = (): string[] => chunks.join('').split('\n').filter((l) => l.length > 0);
  return { stream, lines, json: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>), ended: () => ended };
}

const FIXED = new Date('2025-03-01T09:30:00.000Z');

function setup(opts: Partial<CreateLoggerOptions> = {}) {
  const out = collector();
  const log = createLogger({ level: 'info', format: 'json', stream: out.stream, now: () => FIXED, ...opts });
  return { out, log };
}

describe('logger', () => {
  it('writes one JSON object per line with ts, level, msg, base and child fields', async () => {
    const { out, log } = setup({ base: { service: 'diary-gateway' } });
    const child = log.child({ runId: 'run-1', schoolId: 'demo-school' }).child({ adapter: 'netschool-source', stream: 'diary' });
    child.info('read finished', { records: 42 });
    log.child({ deliveryId: 7 }).warn('retry scheduled');
    await log.close();
    const [first, second] = out.json();
    assert.deepEqual(first, {
      ts: FIXED.toISOString(), level: 'info', msg: 'read finished', service: 'diary-gateway',
      runId: 'run-1', schoolId: 'demo-school', adapter: 'netschool-source', stream: 'diary', records: 42,
    });
    assert.equal(second?.deliveryId, 7);
    assert.equal(second?.runId, undefined, 'sibling children do not share fields');
    assert.deepEqual(Object.keys(first ?? {}).slice(0, 3), ['ts', 'level', 'msg']);
  });

  it('filters by level and rejects unknown levels', async () => {
    const { out, log } = setup({ level: 'warn' });
    log.info('hidden');
    log.debug('hidden too');
    log.error('shown');
    await log.close();
    assert.deepEqual(out.json().map((l) => l.msg), ['shown']);
    assert.throws(() => createLogger({ level: 'loud', stream: collector().stream }), (e: unknown) => e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID');
  });

  it('masks secret values in the message and in nested fields, including secrets learned later', async () => {
    const { out, log } = setup({ secretValues: ['early-secret-1'] });
    const child = log.child({ runId: 'r' });
    child.info('login with early-secret-1 ok', { url: 'https://x.test/?p=early-secret-1', nested: { list: ['a', 'late-secret-2'] } });
    setLoggerSecrets(log, ['late-secret-2']);
    child.info('now late-secret-2 is known', { nested: { list: ['late-secret-2'] } });
    await log.close();
    const text = out.lines().join('\n');
    const [a, b] = out.json();
    assert.equal(a?.msg, `login with ${REDACTED} ok`);
    assert.equal(a?.url, `https://x.test/?p=${REDACTED}`);
    assert.equal(b?.msg, `now ${REDACTED} is known`);
    assert.deepEqual(b?.nested, { list: [REDACTED] });
    assert.ok(!text.includes('early-secret-1'));
    assert.ok(text.includes('late-secret-2'), 'before it was taught, the value was not known (proves the later call did the work)');
  });

  it('masks values under denylisted keys, whatever their case or separators', async () => {
    const { out, log } = setup();
    log.info('request', {
      headers: { Authorization: 'Bearer abc', Cookie: 'ESRNSec=1', 'Set-Cookie': 'x=1', 'X-Api-Key': 'k1', at: 'tok', 'wsse:Security': { u: 'x' } },
      form: { LoginName: 'demo', pw2: 'h', PW: 'h', access_token: 't', client_secret: 's', devkey: 'd', passwd: 'p' },
      attempt: 2, path: '/webapi/login', status: 200,
    });
    await log.close();
    const [line] = out.json();
    assert.deepEqual(line?.headers, {
      Authorization: REDACTED, Cookie: REDACTED, 'Set-Cookie': REDACTED, 'X-Api-Key': REDACTED, at: REDACTED, 'wsse:Security': REDACTED,
    });
    assert.deepEqual(line?.form, {
      LoginName: 'demo', pw2: REDACTED, PW: REDACTED, access_token: REDACTED, client_secret: REDACTED, devkey: REDACTED, passwd: REDACTED,
    });
    assert.equal(line?.attempt, 2, '"at" matches only as a whole key');
    assert.equal(line?.path, '/webapi/login');
  });

  it('masks personal-data keys as [PII] (given keys plus the baseline)', async () => {
    const { out, log } = setup({ redactor: createRedactor({ piiKeys: new Set(['lastName', 'guardians']) }) });
    log.info('mapped', { student: { lastName: 'Иванов', email: 'a@b.ru', grade: 5 }, guardians: [{ phone: '+7 900' }], ref: personRef('salt', 'student', '1001') });
    await log.close();
    const [line] = out.json();
    assert.deepEqual(line?.student, { lastName: PII_MASK, email: PII_MASK, grade: 5 });
    assert.equal(line?.guardians, PII_MASK);
    assert.match(String(line?.ref), /^[0-9a-f]{12}$/);
    assert.ok(!out.lines().join('').includes('Иванов'));
  });

  it('serialises errors without stack, redacts secrets in their message, and keeps the stack for internal errors', async () => {
    const { out, log } = setup({ secretValues: ['pa55word-xyz'] });
    log.error('login failed', { err: new GatewayError('GW_SRC_AUTH_FAILED', 'journal refused pa55word-xyz', { httpStatus: 401 }) });
    log.error('bug', { err: new TypeError('cannot read pa55word-xyz') });
    await log.close();
    const [gw, bug] = out.json();
    assert.deepEqual(gw?.err, {
      code: 'GW_SRC_AUTH_FAILED', class: 'permanent', message: `journal refused ${REDACTED}`, actor: 'school_it',
      remedy: new GatewayError('GW_SRC_AUTH_FAILED', '').remedy, httpStatus: 401,
    });
    const b = bug?.err as Record<string, unknown>;
    assert.equal(b.class, 'internal');
    assert.equal(b.message, `cannot read ${REDACTED}`);
    assert.match(String(b.stack), /TypeError: cannot read \[REDACTED\]\n\s+at /);
    assert.ok(!out.lines().join('').includes('pa55word-xyz'));
  });

  it('keeps reserved line fields from being overwritten by meta', async () => {
    const { out, log } = setup();
    log.info('real', { msg: 'fake', level: 'error', ts: 'then' });
    await log.close();
    const [line] = out.json();
    assert.equal(line?.msg, 'real');
    assert.equal(line?.level, 'info');
    assert.equal(line?.ts, FIXED.toISOString());
    assert.equal(line?.msg_, 'fake');
  });

  it('pretty format prints one readable, redacted line', async () => {
    const { out, log } = setup({ format: 'pretty', secretValues: ['topsecret'] });
    log.child({ schoolId: 'demo-school' }).warn('slow topsecret', { err: new GatewayError('GW_SRC_TIMEOUT', 'timed out'), ms: 5000 });
    await log.close();
    assert.deepEqual(out.lines(), ['09:30:00.000 WARN  slow [REDACTED]  schoolId=demo-school err=GW_SRC_TIMEOUT(retryable): timed out ms=5000']);
  });

  it('close() flushes, ignores later lines and leaves the stream open', async () => {
    const { out, log } = setup();
    log.info('before');
    await log.close();
    log.info('after');
    await log.close();
    assert.deepEqual(out.json().map((l) => l.msg), ['before']);
    assert.equal(out.ended(), false);
  });
});

describe('createRedactor', () => {
  it('copies without mutating, handles cycles, binary data, depth, Maps, Dates and nested errors', () => {
    const redact = createRedactor({ secretValues: ['k3y-value', 'ab'], maxDepth: 3 });
    const input: Record<string, unknown> = {
      s: 'x k3y-value y', short: 'ab stays', buf: Buffer.from('raw'), when: new Date(FIXED),
      deep: { a: { b: { c: 1 } } }, map: new Map([['token', 'v']]), n: 10n,
      err: Object.assign(new Error('boom k3y-value'), { code: 'ECONNRESET', extra: 'dropped' }),
    };
    input.self = input;
    const out = redact(input) as Record<string, unknown>;
    assert.equal(input.s, 'x k3y-value y', 'input untouched');
    assert.equal(out.s, `x ${REDACTED} y`);
    assert.equal(out.short, 'ab stays', 'secrets shorter than 3 characters are ignored');
    assert.equal(out.buf, '[Binary 3 bytes]');
    assert.equal(out.when, FIXED.toISOString());
    assert.deepEqual(out.deep, { a: { b: '[Truncated]' } });
    assert.deepEqual(out.map, { token: REDACTED });
    assert.equal(out.n, '10');
    assert.deepEqual(out.err, { name: 'Error', message: `boom ${REDACTED}`, code: 'ECONNRESET' });
    assert.equal(out.self, '[Circular]');
    const shared = { v: 1 };
    assert.deepEqual(redact({ a: shared, b: shared }), { a: { v: 1 }, b: { v: 1 } }, 'shared (non-cyclic) references are kept');
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const redact = createRedactor({ secretValues: ['abc', 'abcdef'] });
    assert.equal(redact('x abcdef y abc'), `x ${REDACTED} y ${REDACTED}`);
  });

  it('extraKeys extend the denylist', () => {
    const redact = createRedactor({ extraKeys: ['sessionId'] });
    assert.deepEqual(redact({ SessionID: 'x', id: 1 }), { SessionID: REDACTED, id: 1 });
  });

  it('personRef is a stable 12-hex keyed hash', () => {
    assert.equal(personRef('s', 'student', '1'), personRef('s', 'student', '1'));
    assert.notEqual(personRef('s', 'student', '1'), personRef('t', 'student', '1'));
    assert.notEqual(personRef('s', 'student', '1'), personRef('s', 'guardian', '1'));
    assert.match(personRef('s', 'student', '1'), /^[0-9a-f]{12}$/);
  });
});
