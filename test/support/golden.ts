/**
 * Golden-fixture helpers for the source adapters' mapping tests: each folder under
 * `adapters/<adapter>/test/fixtures` holds a vendor answer (`response.json`), the mapping context
 * (`context.json`), the expected output (`expected.json`) and what the case proves (`meta.json`).
 * UPDATE_GOLDEN=1 rewrites expected.json after a deliberate mapping change (review the diff).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { IdResolver } from '../../src/core/ids';

/** The repository root (the folder with package.json), found from the compiled file's place. */
export function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

/** `adapters/<adapter>/test/fixtures` in the source tree (fixtures are not copied to dist). */
export function fixturesDir(adapter: string): string {
  return path.join(repoRoot(), 'adapters', adapter, 'test', 'fixtures');
}

/** An IdResolver that shows references as `ref:<entity>:<sourceId>`, so the goldens stay readable. */
export const refIds: IdResolver = { ref: (entity, sourceId) => `ref:${entity}:${sourceId}` };

/** Parsed JSON of `file` in fixture folder `dir`. */
export const readJson = (dir: string, file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

/**
 * One test per fixture folder (`<runner>__<case>`): the runner named by the folder's prefix maps
 * `response.json` and the result must equal `expected.json`; plus a test that every folder has a runner.
 */
export function describeGoldens(title: string, root: string, runners: Record<string, (dir: string) => unknown[]>): void {
  describe(title, () => {
    const dirs = fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory()).sort();
    it('has a runner for every fixture folder', () => {
      assert.ok(dirs.length >= 5);
      for (const d of dirs) assert.ok(runners[d.split('__')[0] as string], d);
    });
    for (const d of dirs) {
      const dir = path.join(root, d);
      const meta = readJson(dir, 'meta.json') as { proves: string };
      it(`${d}: ${meta.proves.slice(0, 90)}…`, () => {
        const actual = (runners[d.split('__')[0] as string] as (dir: string) => unknown[])(dir);
        const file = path.join(dir, 'expected.json');
        if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
        assert.deepEqual(actual, readJson(dir, 'expected.json'));
      });
    }
  });
}
