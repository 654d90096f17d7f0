/** Date helpers. Дневник.ру sends `YYYY-MM-DDTHH:MM:SS[.fff]` usually without an offset (sources §2.5). */

export { addDays, mondayOf } from '../../src/infra/adapter-kit/dates';

/** '+05:00' → 300; unlike the shared helper, a bad offset reads as UTC. */
export function offsetMinutes(utcOffset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset);
  if (!m) return 0;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

/** School-local calendar date of an instant. */
export function localDate(now: Date, utcOffset: string): string {
  return new Date(now.getTime() + offsetMinutes(utcOffset) * 60_000).toISOString().slice(0, 10);
}

/** The date part of a vendor date or datetime; undefined when it is not one. */
export function vendorDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:$|[T ])/.exec(v.trim());
  if (!m || Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`))) return undefined;
  return m[1];
}

/** `HH:MM` from `HH:MM[:SS]` or from a datetime; undefined otherwise. */
export function vendorTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /(?:^|T| )([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/**
 * A vendor datetime as a UTC instant (`...Z`). Without an offset it is school-local time
 * (`utcOffset`); fractional seconds are dropped, as dn-partners truncates to 19 characters.
 */
export function vendorDateTimeToUtc(v: unknown, utcOffset: string): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
  if (!m) return undefined;
  const time = (m[2] as string).length === 5 ? `${m[2]}:00` : m[2];
  const zone = m[3] === undefined ? utcOffset : m[3] === 'Z' ? 'Z' : m[3].includes(':') ? m[3] : `${m[3].slice(0, 3)}:${m[3].slice(3)}`;
  const t = Date.parse(`${m[1]}T${time}${zone}`);
  if (Number.isNaN(t)) return undefined;
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}
