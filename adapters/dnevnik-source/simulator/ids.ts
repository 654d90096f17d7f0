/**
 * Demo ids. Дневник.ру ids exceed 2^53 (sources §2.4), so the sim makes every id a 19-digit
 * decimal kept as a string, and writes the numeric twin as a raw JSON number (serialize.ts).
 */
const BASE = 1_000_000_000_000_000_000n;

export const KIND = { school: 1n, group: 2n, person: 3n, subject: 4n, lesson: 5n, work: 6n, mark: 7n, period: 8n, workType: 9n, finalMark: 10n, user: 11n } as const;

/** Id of the n-th object of a kind: BASE + kind·10^16 + n. */
export function simId(kind: bigint, n: number | bigint): string {
  return (BASE + kind * 10_000_000_000_000_000n + BigInt(n)).toString();
}
