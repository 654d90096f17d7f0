/**
 * The SLA engine: production calendar, regulation profiles, deadlines and lateness (pure), and
 * around them the incremental engine over the ledger, alerts, reports and access-code requests.
 */
export * from './calendar';
export * from './calendar-load';
export * from './profiles';
export * from './due';
export { assertTimeZone, localDateOf, localToInstant, startOfLocalDay, endOfLocalDay, addHours, addCalendarDaysAt, offsetMsAt, toLocal } from './local-time';
export { GATEWAY_SLA_SCHEMA, SCHOOL_SLA_CONFIG_SCHEMA, buildSlaSchools, readGatewaySlaSettings, type GatewaySlaSettings, type SlaSchool, type ItContact } from './settings';
export { consentFamilyChannels, channelsFingerprint, type FamilyChannels, type FamilyChannelsSource, type SchoolChannels } from './channels';
export { SlaEngine, ACCESS_REQUEST_PREFIX, type EvaluationSummary, type SlaEngineDeps } from './engine';
export { planAlerts, alertPayload, levelOf, type AlertScope, type AlertPlan } from './alerts';
export { AlertDispatcher, smtpMailer, type Mailer, type MailMessage } from './notify';
export { computeSlaReport, buildSlaReport, renderSlaReport, slaReportCsv, formatLateness, type SlaReportData, type SlaReportFormat } from './report';
export { AccessCodeService, FAMILY_REF_PATTERN, type AccessCodeView, type AccessCodeStatus } from './access-codes';
export { SlaRuntime, SLA_LOCK, checkSlaConfig, type SlaRuntimeDeps, type TickResult } from './runtime';
