/**
 * CSV header → field paths, and a row → the loose tree `coerceRecord` reads (pure).
 *
 * A column name is a field path in dot notation: `kind`, `value.numeric`, `deferral.dueDate`;
 * a list of objects takes an index (`attachments.0.name`, `attachments.1.name`; without one the
 * index is 0); a list of values is one column with `|` between values (`teacherIds`) or one
 * column per value (`teacherIds.0`, `teacherIds.1`). Names are matched case-insensitively.
 */
import { reject } from '../errors';
import type { LooseNode, LooseTree } from './coerce';
import { ENVELOPE_FIELDS, type EntityPlan, type FieldKind } from './plan';

export type Segment = string | number;

export interface HeaderPlan {
  /** Canonical path of each column, in column order. */
  paths: Segment[][];
  /** Column names as written (field names, not data), for the cursor and messages. */
  names: string[];
}

/** Compiles a header row against an entity plan. Throws FileRejected (`csv-header`) naming the column. */
export function compileHeader(plan: EntityPlan, names: readonly string[]): HeaderPlan {
  const paths: Segment[][] = [];
  const seen = new Set<string>();
  names.forEach((raw, i) => {
    const name = raw.replace(/^\uFEFF/, '').trim();
    if (name === '') throw reject('csv-header', `line 1, column ${i + 1}: empty column name`);
    const path = resolvePath(plan, name);
    if (!path) throw reject('csv-header', `line 1, column ${i + 1} (${name.slice(0, 80)}): not a field of ${plan.entity}`);
    const key = path.join('.');
    if (seen.has(key)) throw reject('csv-header', `line 1: column ${name.slice(0, 80)} appears twice`);
    seen.add(key);
    paths.push(path);
  });
  if (!seen.has('sourceId')) throw reject('csv-header', 'line 1: no sourceId column (every record needs its id in the exporting journal)');
  return { paths, names: names.map((n) => n.replace(/^\uFEFF/, '').trim()) };
}

function resolvePath(plan: EntityPlan, name: string): Segment[] | undefined {
  const parts = name.split('.');
  const head = matchKey({ ...ENVELOPE_FIELDS, ...plan.fields }, parts[0] as string);
  if (!head) return undefined;
  const out: Segment[] = [head[0]];
  let kind: FieldKind = head[1];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as string;
    if (kind.t === 'array') {
      if (/^\d{1,3}$/.test(p)) { out.push(Number(p)); kind = kind.items; continue; }
      if (kind.items.t !== 'object') return undefined;
      out.push(0);
      kind = kind.items;
    }
    if (kind.t !== 'object') return undefined;
    const m = matchKey(kind.props, p);
    if (!m) return undefined;
    out.push(m[0]);
    kind = m[1];
  }
  if (kind.t === 'object') return undefined;
  if (kind.t === 'array' && kind.items.t === 'object') return undefined;
  return out;
}

function matchKey(props: Readonly<Record<string, FieldKind>>, name: string): [string, FieldKind] | undefined {
  const exact = props[name];
  if (exact) return [name, exact];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(props)) if (k.toLowerCase() === lower) return [k, v];
  return undefined;
}

/** One row's cells → a loose tree (cells beyond the header are ignored; the caller reports a count mismatch). */
export function rowTree(header: HeaderPlan, cells: readonly string[]): LooseTree {
  const tree: LooseTree = {};
  header.paths.forEach((path, i) => {
    const cell = cells[i];
    if (cell === undefined) return;
    put(tree, path, 0, cell);
  });
  return tree;
}

function put(tree: LooseTree, path: readonly Segment[], at: number, cell: string): void {
  const key = path[at] as string;
  const next = path[at + 1];
  const list = (tree[key] ??= []);
  if (next === undefined) { list.push(cell); return; }
  if (typeof next === 'number') {
    while (list.length <= next) list.push(path[at + 2] === undefined ? '' : {});
    if (path[at + 2] === undefined) { list[next] = cell; return; }
    let child = list[next] as LooseNode;
    if (typeof child === 'string') { child = {}; list[next] = child; }
    put(child, path, at + 2, cell);
    return;
  }
  let child = list[0];
  if (child === undefined || typeof child === 'string') { child = {}; list[0] = child; }
  put(child, path, at + 1, cell);
}
