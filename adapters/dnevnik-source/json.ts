/**
 * Lossless JSON for Дневник.ру bodies. The partners API sends ids as JSON numbers that exceed
 * 2^53 (sources §2.4: `id` + `id_str`); `JSON.parse` would round them silently. Integer literals
 * of 16 or more digits outside strings are turned into strings before parsing, so a payload
 * without its `_str` twin still keeps exact ids. Everything else parses as usual.
 */
const MIN_UNSAFE_DIGITS = 16;

export function quoteLongIntegers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) { i += 2; continue; }
        i++;
        if (d === 0x22) break;
      }
      continue;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */) {
      let j = i + (c === 0x2d ? 1 : 0);
      while (j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
      const next = text[j];
      const digits = j - i - (c === 0x2d ? 1 : 0);
      if (digits >= MIN_UNSAFE_DIGITS && next !== '.' && next !== 'e' && next !== 'E') {
        out += `${text.slice(last, i)}"${text.slice(i, j)}"`;
        last = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Parses a body with exact long ids; throws SyntaxError like JSON.parse. */
export function parseLossless(text: string): unknown {
  return JSON.parse(quoteLongIntegers(text));
}
