/**
 * The `filter` query parameter of the OneRoster REST binding, as the simulator understands it:
 * `<field><predicate>'<value>'` with predicates `=`, `!=`, `>`, `>=`, `<`, `<=`, `~` (contains),
 * joined by ` AND ` / ` OR ` (AND binds tighter). A field may be dotted (`class.sourcedId`).
 * Values are compared as instants when both sides are date-times, as numbers when both are
 * numeric, else as strings. (portal-and-standards §B1: the grammar is known from the binding
 * document's description and public clients, so this is the common subset.)
 */

export type Predicate = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';
export interface Clause { field: string; op: Predicate; value: string }
/** OR of ANDs. */
export type Filter = Clause[][];

const CLAUSE = /^\s*([A-Za-z][A-Za-z0-9_.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*$/;

/** Parses a filter; undefined when it is not one (the provider answers 400 invalid_filter_field). */
export function parseFilter(s: string): Filter | undefined {
  if (s.trim() === '') return undefined;
  const ors = splitOutsideQuotes(s, ' OR ');
  const out: Filter = [];
  for (const or of ors) {
    const ands: Clause[] = [];
    for (const part of splitOutsideQuotes(or, ' AND ')) {
      const m = CLAUSE.exec(part);
      if (!m) return undefined;
      ands.push({ field: m[1] as string, op: m[2] as Predicate, value: (m[3] as string).replace(/''/g, "'") });
    }
    out.push(ands);
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "'") inQuote = !inQuote;
    else if (!inQuote && s.startsWith(sep, i)) { parts.push(s.slice(start, i)); start = i + sep.length; i += sep.length - 1; }
  }
  parts.push(s.slice(start));
  return parts;
}

/** The value at a dotted path (`class.sourcedId`); arrays match if any element does. */
export function valueAt(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (Array.isArray(cur)) cur = cur.map((x) => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[k] : undefined));
    else cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[k] : undefined;
  }
  return cur;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

function compare(a: string, b: string): number {
  if (DATE_TIME.test(a) && DATE_TIME.test(b)) {
    const x = Date.parse(a.length === 10 ? `${a}T00:00:00Z` : a);
    const y = Date.parse(b.length === 10 ? `${b}T00:00:00Z` : b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  }
  if (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function test(v: unknown, c: Clause): boolean {
  if (Array.isArray(v)) return v.some((x) => test(x, c));
  if (v === undefined || v === null || typeof v === 'object') return c.op === '!=';
  const s = String(v);
  switch (c.op) {
    case '=': return compare(s, c.value) === 0;
    case '!=': return compare(s, c.value) !== 0;
    case '>': return compare(s, c.value) > 0;
    case '>=': return compare(s, c.value) >= 0;
    case '<': return compare(s, c.value) < 0;
    case '<=': return compare(s, c.value) <= 0;
    case '~': return s.toLowerCase().includes(c.value.toLowerCase());
  }
}

export function matches(o: unknown, f: Filter): boolean {
  return f.some((ands) => ands.every((c) => test(valueAt(o, c.field), c)));
}
