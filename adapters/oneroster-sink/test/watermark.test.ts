/**
 * The export watermark (ledger migration 9, `export_watermarks`): per (school, destination) the
 * revision every complete package there covers. Real SQLite ledger filled from the OneRoster
 * source's demo district, real packages on disk, changes made at the source and synced in.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import type { Ledger } from '../../../src/core/ledger';
import { fakeClock, tmpDir, type FakeClock } from '../../../test/support/harness';
import { exportOneRosterCsv } from '../index';
import { filledLedger, NOW, SCHOOL, touch, type Obj } from './helpers';

const readCsv = (file: string): Record<string, string>[] => parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

async function gradedMarks(l: Ledger): Promise<Obj[]> {
  return (await l.listRecords({ schoolId: SCHOOL, entityType: 'mark' }))
    .filter((r) => r.status === 'active' && r.record.kind === 'current' && (r.record.value as Obj | undefined)?.scale === 'five_point')
    .map((r) => r.record);
}

describe('oneroster-sink export watermark', function () {
  this.timeout(120_000);
  let clock: FakeClock;
  let env: Awaited<ReturnType<typeof filledLedger>>;
  let root: string;
  let destination: string;
  before(() => nock.enableNetConnect());
  beforeEach(async () => {
    clock = fakeClock(NOW);
    env = await filledLedger(clock);
    root = tmpDir('dgw-or-watermark-');
    destination = `oneroster-csv:${path.join(root, 'inbox')}`;
  });
  afterEach(async () => { await env.close(); fs.rmSync(root, { recursive: true, force: true }); });

  const exportTo = (name: string, mode: 'bulk' | 'delta'): ReturnType<typeof exportOneRosterCsv> =>
    exportOneRosterCsv({ ledger: env.ledger, schoolId: SCHOOL, outDir: path.join(root, 'inbox', name), mode, now: clock.now(), destination });
  const watermark = async (): Promise<number | undefined> => (await env.ledger.getExportWatermark?.(SCHOOL, destination))?.revision;
  const change = async (mark: Obj, score: number): Promise<void> => {
    clock.advance(3_600_000);
    await touch(env.source, 'results', String(mark.sourceId), { textScore: String(score), score });
    await env.sync();
  };
  const resultIds = (dir: string): string[] => readCsv(path.join(dir, 'results.csv')).map((r) => r.sourcedId as string).sort();

  it('two deltas in a row without a start: each continues from the last complete export and holds only what changed since', async () => {
    assert.equal(await watermark(), undefined);
    const bulk = await exportTo('p0-bulk', 'bulk');
    assert.equal(await watermark(), bulk.highWater);
    const [a, b] = await gradedMarks(env.ledger) as [Obj, Obj];

    await change(a, 2);
    const d1 = await exportTo('p1-delta', 'delta');
    assert.deepEqual([d1.since, d1.sinceRevision], ['watermark', bulk.highWater]);
    assert.ok(d1.highWater > bulk.highWater);
    assert.deepEqual(resultIds(d1.dir), [a.id]);
    assert.equal(await watermark(), d1.highWater);

    await change(b, 3);
    const d2 = await exportTo('p2-delta', 'delta');
    assert.deepEqual([d2.since, d2.sinceRevision], ['watermark', d1.highWater]);
    assert.deepEqual(resultIds(d2.dir), [b.id], 'the second delta does not carry the first one\'s change again');
    assert.equal(readCsv(path.join(d2.dir, 'results.csv'))[0]?.textScore, '3');
    const stored = await env.ledger.getExportWatermark?.(SCHOOL, destination);
    assert.deepEqual(stored && [stored.revision, stored.mode, stored.lastPackage], [d2.highWater, 'delta', path.resolve(d2.dir)]);

    const d3 = await exportTo('p3-delta', 'delta');
    assert.deepEqual(d3.files, {});
    // Another destination has its own watermark: none yet.
    await assert.rejects(
      exportOneRosterCsv({ ledger: env.ledger, schoolId: SCHOOL, outDir: path.join(root, 'other', 'p1'), mode: 'delta', now: clock.now(), destination: 'oneroster-csv:elsewhere' }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST' && /No complete export/.test(e.message),
    );
    assert.ok(!fs.existsSync(path.join(root, 'other')), 'nothing written without a start');
  });

  it('a package that fails while being written leaves no manifest and does not move the watermark; the next delta still has the change', async () => {
    const bulk = await exportTo('p0-bulk', 'bulk');
    const [a] = await gradedMarks(env.ledger) as [Obj];
    await change(a, 2);
    // results.csv cannot be created: a folder of that name is in the way (a real EISDIR from the file system).
    const broken = path.join(root, 'inbox', 'p1-broken');
    fs.mkdirSync(path.join(broken, 'results.csv'), { recursive: true });
    await assert.rejects(exportTo('p1-broken', 'delta'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST' && /EISDIR/.test(e.message));
    assert.ok(!fs.existsSync(path.join(broken, 'manifest.csv')), 'no manifest: a reader skips the folder');
    const stored = await env.ledger.getExportWatermark?.(SCHOOL, destination);
    assert.deepEqual(stored && [stored.revision, stored.lastPackage], [bulk.highWater, path.resolve(bulk.dir)]);

    const retry = await exportTo('p2-delta', 'delta');
    assert.equal(retry.sinceRevision, bulk.highWater);
    assert.deepEqual(resultIds(retry.dir), [a.id]);
    assert.equal(await watermark(), retry.highWater);
  });

  it('the stored watermark never moves back', async () => {
    const set = env.ledger.setExportWatermark?.bind(env.ledger);
    assert.ok(set, 'the SQLite ledger keeps export watermarks');
    const base = { schoolId: SCHOOL, destination, mode: 'delta' as const, updatedAt: NOW.toISOString() };
    await set({ ...base, revision: 50, lastPackage: '/x/p2' });
    await set({ ...base, revision: 40, lastPackage: '/x/p1' });
    assert.deepEqual((await env.ledger.getExportWatermark?.(SCHOOL, destination))?.lastPackage, '/x/p2');
    await set({ ...base, revision: 60, lastPackage: '/x/p3' });
    assert.equal(await watermark(), 60);
  });
});
