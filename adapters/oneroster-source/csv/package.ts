/**
 * OneRoster CSV packages in a local folder: the manifest, streaming the files row by row
 * (csv-parse; a file is never loaded whole), and the packages as sources for the readers.
 *
 * `csvPath` is one package (a folder with manifest.csv), or an inbox of package folders taken
 * in name order (name them so they sort by time, e.g. `2025-10-16T0200Z`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { GatewayError } from '../../../src/core/errors';
import { COLLECTIONS, isCollection, type Collection } from '../collections';
import type { OneRosterSource } from '../source';
import { sourcedIdOf } from '../streams/common';
import { objectOfRow, roleOfRow } from './rows';

export type FileMode = 'bulk' | 'delta' | 'absent';

export interface Manifest {
  manifestVersion?: string;
  onerosterVersion?: string;
  /** `file.<name>` → mode; files not named are absent. */
  files: Record<string, FileMode>;
  systemName?: string;
  systemCode?: string;
}

export interface CsvPackage {
  name: string;
  dir: string;
  manifest: Manifest;
  /** Short hash of the manifest and the declared files' sizes and times. */
  fingerprint: string;
}

const PAGE = 500;

async function* rowsOf(file: string): AsyncGenerator<Record<string, string>> {
  const parser = fs.createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: false, relax_quotes: false }));
  try {
    for await (const row of parser) yield row as Record<string, string>;
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw new GatewayError('GW_SRC_PROTOCOL', `OneRoster CSV ${path.basename(file)} is not valid CSV`, { cause: e });
  }
}

/** Reads and checks `manifest.csv` (`propertyName,value` rows). */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'manifest.csv');
  if (!fs.existsSync(file)) throw new GatewayError('GW_CONFIG_INVALID', `OneRoster CSV package ${path.basename(dir)} has no manifest.csv`);
  const m: Manifest = { files: {} };
  for await (const row of rowsOf(file)) {
    const key = (row.propertyName ?? '').trim();
    const value = (row.value ?? '').trim();
    if (key === 'manifest.version') m.manifestVersion = value;
    else if (key === 'oneroster.version') m.onerosterVersion = value;
    else if (key === 'source.systemName') m.systemName = value;
    else if (key === 'source.systemCode') m.systemCode = value;
    else if (key.startsWith('file.')) {
      if (value !== 'bulk' && value !== 'delta' && value !== 'absent') {
        throw new GatewayError('GW_SRC_PROTOCOL', `OneRoster CSV manifest of ${path.basename(dir)}: ${key} is not bulk, delta or absent`);
      }
      m.files[key.slice(5)] = value;
    }
  }
  for (const [name, mode] of Object.entries(m.files)) {
    if (mode !== 'absent' && !fs.existsSync(path.join(dir, `${name}.csv`))) {
      throw new GatewayError('GW_SRC_PROTOCOL', `OneRoster CSV package ${path.basename(dir)} declares ${name}.csv (${mode}) but has no such file`);
    }
  }
  return m;
}

async function openPackage(dir: string): Promise<CsvPackage> {
  const manifest = await readManifest(dir);
  const h = createHash('sha256').update(fs.readFileSync(path.join(dir, 'manifest.csv')));
  for (const [name, mode] of Object.entries(manifest.files).sort()) {
    if (mode === 'absent') continue;
    const st = fs.statSync(path.join(dir, `${name}.csv`));
    h.update(`|${name}:${st.size}:${Math.floor(st.mtimeMs)}`);
  }
  return { name: path.basename(dir), dir, manifest, fingerprint: h.digest('hex').slice(0, 16) };
}

/** The packages under `csvPath`, oldest first (one when it is itself a package). */
export async function listPackages(csvPath: string): Promise<CsvPackage[]> {
  if (!fs.existsSync(csvPath) || !fs.statSync(csvPath).isDirectory()) {
    throw new GatewayError('GW_CONFIG_INVALID', 'OneRoster csvPath is not a folder');
  }
  if (fs.existsSync(path.join(csvPath, 'manifest.csv'))) return [await openPackage(csvPath)];
  const dirs = fs.readdirSync(csvPath, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(csvPath, d.name, 'manifest.csv'))).map((d) => d.name).sort();
  const out: CsvPackage[] = [];
  for (const d of dirs) out.push(await openPackage(path.join(csvPath, d)));
  return out;
}

/** Packages whose `file` matters for the state as of `upTo`: from its last bulk of that file on. */
function history(pkgs: readonly CsvPackage[], upTo: number, file: string): CsvPackage[] {
  let from = 0;
  for (let i = upTo; i >= 0; i--) if ((pkgs[i] as CsvPackage).manifest.files[file] === 'bulk') { from = i; break; }
  return pkgs.slice(from, upTo + 1).filter((p) => p.manifest.files[file] === 'bulk' || p.manifest.files[file] === 'delta');
}

/**
 * Rows of the files 1.2 split out of their parent: roles.csv (a user's roles) and
 * lineItemScoreScales.csv (a line item's score scale), keyed by the parent's sourcedId.
 */
export interface Joins { roles(): Promise<Map<string, Record<string, unknown>[]>>; lineItemScales(): Promise<Map<string, string>> }

async function* objectPages(pkgs: readonly CsvPackage[], c: Collection, joins: Joins): AsyncGenerator<unknown[]> {
  const file = COLLECTIONS[c].csvFile;
  const rolesByUser = c === 'users' ? await joins.roles() : undefined;
  const scales = c === 'lineItems' ? await joins.lineItemScales() : undefined;
  for (const p of pkgs) {
    let page: unknown[] = [];
    for await (const row of rowsOf(path.join(p.dir, `${file}.csv`))) {
      const id = row.sourcedId?.trim();
      const o = objectOfRow(file, row, rolesByUser && id ? rolesByUser.get(id) ?? [] : undefined);
      const scale = scales && id ? scales.get(id) : undefined;
      if (scale && o.scoreScale === undefined) o.scoreScale = { sourcedId: scale, type: 'scoreScale' };
      page.push(o);
      if (page.length >= PAGE) { yield page; page = []; }
    }
    if (page.length > 0) yield page;
  }
}

/**
 * Sources for the package at `index`: `data` reads that package's own files; `history` reads
 * the state as of that package (each file from its last bulk up to it, later rows winning) and
 * answers `one` from it — the lookups a delta package needs but does not carry.
 */
export function packageSources(pkgs: readonly CsvPackage[], index: number): { data: OneRosterSource; history: OneRosterSource } {
  const pkg = pkgs[index] as CsvPackage;
  let roles: Promise<Map<string, Record<string, unknown>[]>> | undefined;
  let scales: Promise<Map<string, string>> | undefined;
  const joins: Joins = {
    roles: () => roles ??= (async () => {
      // Later packages replace a user's roles (a delta roles row carries the user's current role).
      const m = new Map<string, Record<string, unknown>[]>();
      for (const p of history(pkgs, index, 'roles')) {
        const fresh = new Map<string, Record<string, unknown>[]>();
        for await (const row of rowsOf(path.join(p.dir, 'roles.csv'))) {
          const r = roleOfRow(row);
          if (r) fresh.set(r.userId, [...(fresh.get(r.userId) ?? []), r.role]);
        }
        for (const [k, v] of fresh) m.set(k, v);
      }
      return m;
    })(),
    lineItemScales: () => scales ??= (async () => {
      const m = new Map<string, string>();
      for (const p of history(pkgs, index, 'lineItemScoreScales')) {
        for await (const row of rowsOf(path.join(p.dir, 'lineItemScoreScales.csv'))) {
          const li = row.lineItemSourcedId?.trim();
          const ss = row.scoreScaleSourcedId?.trim();
          if (li && ss && row.status?.trim() !== 'tobedeleted') m.set(li, ss);
        }
      }
      return m;
    })(),
  };
  const byId = new Map<Collection, Promise<Map<string, unknown>>>();
  const historySource: OneRosterSource = {
    pages: (c) => objectPages(history(pkgs, index, COLLECTIONS[c].csvFile), c, joins),
    async one(c, id) {
      if (!isCollection(c)) return undefined;
      let m = byId.get(c);
      if (!m) {
        m = (async () => {
          const all = new Map<string, unknown>();
          for await (const page of historySource.pages(c)) for (const o of page) { const k = sourcedIdOf(o); if (k) all.set(k, o); }
          return all;
        })();
        byId.set(c, m);
      }
      return (await m).get(id);
    },
  };
  const own = (c: Collection): CsvPackage[] => {
    const mode = pkg.manifest.files[COLLECTIONS[c].csvFile];
    return mode === 'bulk' || mode === 'delta' ? [pkg] : [];
  };
  return {
    data: { pages: (c) => objectPages(own(c), c, joins), one: (c, id) => historySource.one(c, id) },
    history: historySource,
  };
}
