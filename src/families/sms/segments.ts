/**
 * SMS length arithmetic: which encoding a text needs and how many segments it takes.
 *
 * GSM-7 (3GPP TS 23.038 default alphabet) carries 160 septets in one SMS and 153 per part of a
 * concatenated one (7 septets go to the user-data header); a character of the extension table
 * (`^ { } [ ] ~ \ | €` and form feed) is sent as ESC + char and costs 2 septets, and such a pair
 * is never split between parts. Any other character (every Cyrillic letter, «ёлочки», emoji)
 * forces UCS-2 for the whole message: 70 UTF-16 units in one SMS, 67 per part; a surrogate pair
 * (an emoji) costs 2 units and is not split either. Limits are configurable because some
 * aggregators quote other numbers (domain reference §4.2: 140/134 in 8-bit).
 */

/** The basic GSM-7 table, in code order (0x1B is the escape to the extension table, not a character). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
  + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The GSM-7 extension table (each costs ESC + char = 2 septets). */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set([...GSM7_BASIC].filter((c) => c !== '\u001b'));
const EXTENSION = new Set([...GSM7_EXTENSION]);

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface PartLimits {
  /** Units in a message sent as one SMS. */
  single: number;
  /** Units per part of a concatenated message. */
  multi: number;
}

export interface SmsLimits {
  gsm7: PartLimits;
  ucs2: PartLimits;
}

/** GSM-7 160/153 septets, UCS-2 70/67 units (domain reference §4.2). */
export const DEFAULT_SMS_LIMITS: Readonly<SmsLimits> = Object.freeze({
  gsm7: Object.freeze({ single: 160, multi: 153 }),
  ucs2: Object.freeze({ single: 70, multi: 67 }),
});

/** True when the character is in the GSM-7 basic table. */
export function isGsm7Basic(ch: string): boolean {
  return BASIC.has(ch);
}

/** True when the character is in the GSM-7 extension table (costs 2 septets). */
export function isGsm7Extension(ch: string): boolean {
  return EXTENSION.has(ch);
}

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Characters as people count them (code points). */
  characters: number;
  /** Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text. */
  units: number;
  /** SMS parts the operator bills; 0 for an empty text. */
  segments: number;
  /** Capacity of each part in units: `single` for one part, `multi` otherwise. */
  perSegment: number;
  /** Units still free in the last part. */
  remaining: number;
  /** Distinct characters that forced UCS-2 (empty for GSM-7), in order of appearance. */
  nonGsm: string[];
}

/** The cost of each character in units of the chosen encoding. */
function unitCosts(text: string): { encoding: SmsEncoding; costs: number[]; nonGsm: string[] } {
  const chars = [...text];
  const nonGsm: string[] = [];
  for (const c of chars) if (!BASIC.has(c) && !EXTENSION.has(c) && !nonGsm.includes(c)) nonGsm.push(c);
  if (nonGsm.length === 0) return { encoding: 'gsm7', costs: chars.map((c) => (EXTENSION.has(c) ? 2 : 1)), nonGsm };
  // UCS-2 counts UTF-16 code units: a character outside the BMP is a surrogate pair.
  return { encoding: 'ucs2', costs: chars.map((c) => c.length), nonGsm };
}

/**
 * Encoding, units and segments of a text. Parts are filled greedily, and a unit pair (an
 * extension character, a surrogate pair) that does not fit moves whole to the next part, as
 * handsets and operators do; so 153 septets with an extension character at the boundary take
 * one more part than a plain division suggests.
 */
export function countSegments(text: string, limits: SmsLimits = DEFAULT_SMS_LIMITS): SegmentCount {
  const { encoding, costs, nonGsm } = unitCosts(text);
  const lim = limits[encoding];
  const units = costs.reduce((a, b) => a + b, 0);
  const base = { encoding, characters: costs.length, units, nonGsm };
  if (units === 0) return { ...base, segments: 0, perSegment: lim.single, remaining: lim.single };
  if (units <= lim.single) return { ...base, segments: 1, perSegment: lim.single, remaining: lim.single - units };
  let segments = 1;
  let used = 0;
  for (const c of costs) {
    if (used + c > lim.multi) { segments++; used = 0; }
    used += c;
  }
  return { ...base, segments, perSegment: lim.multi, remaining: lim.multi - used };
}
