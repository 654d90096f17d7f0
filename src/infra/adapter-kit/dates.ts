/**
 * Calendar arithmetic on school-local dates ('YYYY-MM-DD' strings), shared by the source adapters.
 *
 * Journal payloads carry no time zone: dates are the school's wall clock. Working on date
 * strings through UTC midnights keeps the arithmetic free of the host's time zone and of DST.
 */

export const DAY_MS = 86_400_000;

export function parseDate(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(date: string, n: number): string {
  return formatDate(new Date(parseDate(date).getTime() + n * DAY_MS));
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayIndex(date: string): number {
  return (parseDate(date).getUTCDay() + 6) % 7;
}

export function mondayOf(date: string): string {
  return addDays(date, -weekdayIndex(date));
}

export function daysBetween(from: string, to: string): number {
  return Math.round((parseDate(to).getTime() - parseDate(from).getTime()) / DAY_MS);
}

/** '+05:00' → 300; throws on anything else. */
export function offsetMinutes(utcOffset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset);
  if (!m) throw new Error(`bad UTC offset ${utcOffset}`);
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

/** The school-local calendar date of an instant. */
export function localDate(now: Date, utcOffset: string): string {
  return formatDate(new Date(now.getTime() + offsetMinutes(utcOffset) * 60_000));
}

/** The date itself when 'YYYY-MM-DD' names a real calendar day ('2025-02-30' does not). */
export function realDate(date: string): string | undefined {
  return formatDate(parseDate(date)) === date ? date : undefined;
}
