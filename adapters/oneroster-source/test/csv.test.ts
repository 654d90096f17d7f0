/**
 * CSV mode against packages written by the generator (simulator/csv-package.ts) from the same
 * demo district the REST simulator serves, and against hand-written packages for the binding's
 * edges: bulk and delta, an inbox of packages, lookups from earlier packages, tombstones, roles.csv,
 * 1.1 shapes, quoting, and broken manifests. Real files, real ledger, fake clock.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import type { MappedRecord } from '../../../src/core/records';
import { collect, fakeClock, ingestAll, makeContext, tmpDir, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { checkpoints, records } from '../../../test/support/source-run';
import { createOneRosterSource, oneRosterSimulator, type OneRosterConfig } from '../index';
import { DemoDistrict, writeCsvPackage } from '../simulator';

const NOW = new Date('2025-11-12T09:00:00Z');
const STREAMS = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments', 'line_items', 'results'];

function write(dir: string, files: Record<string, string[]>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${name}.csv`), `${lines.join('\r\n')}\r\n`);
}

describe('oneroster source in CSV mode', function () {
  this.timeout(60_000);
  let clock: FakeClock;
  let district: DemoDistrict;
  let root: string;
  const ctx = (cfg: OneRosterConfig): RunContext<OneRosterConfig> => makeContext(cfg, { clock, system: 'oneroster' });
  const csv = (csvPath: string, extra: Partial<OneRosterConfig> = {}): OneRosterConfig => ({ mode: 'csv', csvPath, demographics: true, ...extra });
  beforeEach(() => { clock = fakeClock(NOW); district = new DemoDistrict(7, clock.now); root = tmpDir('dgw-or-csv-'); });
  afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

  it('maps a bulk package exactly as the REST provider serves the same data (tobedeleted objects left out of bulk)', async () => {
    writeCsvPackage(path.join(root, 'p'), district, { mode: 'bulk' });
    const sim = await oneRosterSimulator.start({ seed: 7, now: clock.now });
    try {
      const rest: OneRosterConfig = {
        baseUrl: sim.env.DIARY_SIM_ONEROSTER_URL, authUrl: sim.env.DIARY_SIM_ONEROSTER_AUTH_URL, demographics: true,
        clientId: sim.env.DIARY_SIM_ONEROSTER_CLIENT_ID, clientSecret: sim.env.DIARY_SIM_ONEROSTER_CLIENT_SECRET,
      };
      const adapter = createOneRosterSource();
      for (const s of STREAMS) {
        const fromCsv = records(await collect(adapter.read(ctx(csv(path.join(root, 'p'))), s, null)));
        const fromRest = records(await collect(adapter.read(ctx(rest), s, null))).filter((r) => r.status !== 'tobedeleted');
        const key = (r: MappedRecord): string => `${r.entityType}:${r.sourceId}`;
        assert.ok(fromCsv.length > 0, s);
        assert.deepEqual(fromCsv.map(key).sort(), fromRest.map(key).sort(), s);
        const byKey = new Map(fromRest.map((r) => [key(r), r]));
        for (const r of fromCsv) assert.deepEqual(r, byKey.get(key(r)), `${s} ${key(r)}`);
      }
    } finally { await sim.close(); }
  });

  it('takes an inbox of packages in name order: a delta package resolves its references from earlier packages, and tobedeleted rows become tombstones', async () => {
    const inbox = path.join(root, 'inbox');
    writeCsvPackage(path.join(inbox, '2025-11-12T0900Z'), district, { mode: 'bulk' });
    const { ledger } = await tmpLedger();
    try {
      const adapter = createOneRosterSource();
      const first = await ingestAll(ledger, adapter, ctx(csv(inbox)), { clock });
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      const before = (await ledger.stats()).records;
      const nothing = await ingestAll(ledger, adapter, ctx(csv(inbox)), { clock });
      assert.equal(nothing.counts.read, 0, 'a package is taken in once');

      const since = clock.now().toISOString();
      clock.advance(3_600_000);
      const live = district.addLiveResult() as string;
      const gone = district.data.results[40]?.sourcedId as string;
      district.touch('results', gone, { status: 'tobedeleted' });
      district.touch('users', 'u-st-5a-03', { familyName: 'Новикова' });
      writeCsvPackage(path.join(inbox, '2025-11-12T1000Z'), district, { mode: 'delta', since });
      const second = await ingestAll(ledger, adapter, ctx(csv(inbox)), { clock });
      assert.equal(second.status, 'ok', JSON.stringify(second.streams));
      assert.equal(second.counts.quarantined, 0, 'line items and classes come from the bulk package');
      assert.equal(second.counts.inserted, 1, 'the live mark');
      assert.equal(second.counts.updated, 2, 'the tombstone and the renamed student');
      assert.equal((await ledger.stats()).records, before + 1);
      const cursor = await ledger.getCursor('test-school', 'src', 'results');
      assert.match(cursor?.position ?? '', /^2025-11-12T1000Z@[0-9a-f]{16}$/);
      const marks = records(await collect(adapter.read(ctx(csv(inbox)), 'results', { v: 1, position: cursor?.position.replace('1000Z', '0930Z') as string })));
      assert.deepEqual(marks.map((m) => [m.sourceId, m.status]).sort(), [[gone, 'tobedeleted'], [live, 'active']].sort());
    } finally { await ledger.close(); }
  });

  it('re-reads a single package folder only when it changed; a 1.1-style bulk (blank status and dates) is all active', async () => {
    const dir = path.join(root, 'one');
    writeCsvPackage(dir, district, { mode: 'bulk', blankBulkStatus: true });
    const adapter = createOneRosterSource();
    const first = await collect(adapter.read(ctx(csv(dir)), 'courses', null));
    const rs = records(first);
    assert.equal(rs.length, 9);
    assert.ok(rs.every((r) => r.status === 'active' && r.sourceModifiedAt === undefined));
    const [cp] = checkpoints(first);
    assert.deepEqual(await collect(adapter.read(ctx(csv(dir)), 'courses', cp ?? null)), []);
    writeCsvPackage(dir, district, { mode: 'bulk', systemName: 'Другая выгрузка' });
    assert.equal(records(await collect(adapter.read(ctx(csv(dir)), 'courses', cp ?? null))).length, 9);
    const check = await adapter.check(ctx(csv(dir)));
    assert.deepEqual(check, { ok: true, details: { packages: 1, latest: 'one', sourceSystem: 'Другая выгрузка' } });
  });

  it('reads 1.1 users (role + orgSourcedIds), userIds pairs, quoted cells with commas and line breaks, and a BOM', async () => {
    const dir = path.join(root, 'hand');
    write(dir, {
      manifest: ['propertyName,value', 'manifest.version,1.0', 'oneroster.version,1.1', 'file.users,delta', 'file.results,delta', 'file.orgs,absent'],
      users: ['\uFEFFsourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,metadata.classLetter',
        'u-1,active,2025-11-10T08:00:00Z,true,org-school-7,student,ivanova,"{ESIA:555},{SNILS:123-456}",Анна,Иванова,,S-1,,,,"u-2,u-3","05",А',
        'u-2,tobedeleted,2025-11-10T09:00:00Z,true,org-school-7,parent,p,,Елена,Иванова,,,,,"8 912 555-01-01",u-1,,'],
      results: ['sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment,textScore,classSourcedId,inProgress,incomplete,late,missing',
        'r-1,active,2025-11-10T10:00:00Z,li-x,u-1,fully graded,4,2025-11-10,"Хорошо, но\nнеполно",,c-x,false,false,true,false'],
    });
    const adapter = createOneRosterSource();
    const users = records(await collect(adapter.read(ctx(csv(dir, { demographics: false })), 'users', null)));
    assert.deepEqual(users.map((u) => [u.entityType, u.sourceId, u.status]), [['person', 'u-1', 'active'], ['person', 'u-2', 'tobedeleted'], ['guardian_link', 'u-1|u-2', 'tobedeleted']]);
    assert.deepEqual(users[0]?.fields, { roles: ['student'], familyName: 'Иванова', givenName: 'Анна' });
    assert.deepEqual(users[0]?.externalIds?.map((e) => e.type), ['source-local', 'esia-oid', 'oneroster-identifier']);
    assert.deepEqual(users[1]?.fields.phones, ['+79125550101']);
    const res = await collect(adapter.read(ctx(csv(dir)), 'results', null));
    const bad = res.filter((m) => m.kind === 'invalid');
    assert.equal(bad.length, 1, 'the result names a line item no package has');
    assert.ok(bad[0]?.kind === 'invalid' && bad[0].error.issues[0]?.path === '/lineItem/sourcedId');
    assert.equal((bad[0] as { raw: { comment: string } }).raw.comment, 'Хорошо, но\nнеполно');
  });

  it('refuses broken packages: a declared file missing or an unknown mode is a protocol error, a missing folder a config error', async () => {
    const a = path.join(root, 'a');
    write(a, { manifest: ['propertyName,value', 'file.users,bulk'] });
    const adapter = createOneRosterSource();
    await assert.rejects(collect(adapter.read(ctx(csv(a)), 'users', null)), (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL' && /users\.csv/.test(e.message));
    const b = path.join(root, 'b');
    write(b, { manifest: ['propertyName,value', 'file.users,partial'] });
    await assert.rejects(collect(adapter.read(ctx(csv(b)), 'users', null)), (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL');
    const missing = await adapter.check(ctx(csv(path.join(root, 'nope'))));
    assert.ok(!missing.ok && missing.error.code === 'GW_CONFIG_INVALID' && missing.error.errorClass === 'permanent');
    fs.mkdirSync(path.join(root, 'empty'));
    const empty = await adapter.check(ctx(csv(path.join(root, 'empty'))));
    assert.deepEqual(empty, { ok: true, details: { packages: 0 } }, 'an empty inbox is fine');
    const future = { v: 1 as const, position: 'x@0', signpost: '2026-01-01T00:00:00Z' };
    assert.deepEqual(await collect(adapter.read(ctx(csv(a)), 'users', future)), []);
  });
});
