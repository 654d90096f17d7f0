/** Deterministic pseudo-randomness for the demo data: the same seed and key give the same school. */

/** FNV-1a over a string key, 32-bit. */
export function hashKey(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const s = parts.join('|');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough for fake data. */
export function rngFrom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

export function rngFor(...parts: (string | number)[]): Rng {
  return rngFrom(hashKey(...parts));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const x = items[Math.floor(rng() * items.length)];
  if (x === undefined) throw new Error('pick from an empty list');
  return x;
}

export function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  }
  return a;
}

/** Hex string of `len` characters (tokens, cookies, salts). */
export function hex(rng: Rng, len: number): string {
  let s = '';
  while (s.length < len) s += Math.floor(rng() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, len);
}
