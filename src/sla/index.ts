/**
 * SLA engine foundation: production calendar, regulation profiles, deadlines and lateness.
 * Pure library over data in config/calendars and config/regulations; no ledger or HTTP.
 */
export * from './calendar';
export * from './calendar-load';
export * from './profiles';
export * from './due';
export { assertTimeZone, localDateOf, localToInstant, startOfLocalDay, endOfLocalDay, addHours, addCalendarDaysAt, offsetMsAt, toLocal } from './local-time';
