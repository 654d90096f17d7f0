/**
 * Builds the families parts from a validated config and an open ledger: the consent store (with
 * `gateway.families` settings and the id namespace, and the paper extract register joining its
 * withdrawal purge), the gate, the weekly extract scheduler, and — when `gateway.email` is
 * configured — the e-mail notifier. Used by the CLI and by the runtime wiring (gateway.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ConsentGate, PurgeHook } from '../../core/consent';
import { DEFAULT_ID_NAMESPACE } from '../../core/ids';
import type { Ledger } from '../../core/ledger';
import { nullLogger, type Logger } from '../../core/logger';
import type { GatewayConfig } from '../../infra/config';
import { SqliteConsentStore } from '../../ledger/sqlite/consent-store';
import { emailTransportConfig, notifierSchools } from '../email/config';
import { familiesSettings } from './settings';
import { EmailNotifier, type ForecastProvider } from '../email/notifier';
import { createMailTransport, type MailTransport } from '../email/transport';
import { createConsentGate } from '../gate';
import { createExtractRegister, type SqliteExtractRegister } from '../extract/register';
import { consentPaperRecipients } from '../extract/recipients';
import { extractSchools, WeeklyExtractScheduler } from '../extract/schedule';
import { reprintClassBundles } from '../extract/reprint';
import { createHttpSmsGateway, type SmsGateway } from '../sms/client';
import { resolveSmsPolicy, schoolSmsSettings, smsGatewayConfigOf, type SmsChannelConfig, type SmsPolicyOverrides } from '../sms/config';
import { SmsNotifier, type SmsNotifierSchool } from '../sms/notifier';
import { SmsOptOuts } from '../sms/opt-outs';
import { createHttpClient } from '../../infra/http-client';
import { loadCalendarSet, type CalendarSet } from '../../sla/calendar-load';
import { SqliteLedger } from '../../ledger/sqlite/sqlite-ledger';
import { forecastSchools, ledgerForecastProvider } from '../forecast-provider';

/** The paper extract register on the ledger's file, with the configured id namespace. */
export function openExtractRegister(config: GatewayConfig, ledger: Ledger): SqliteExtractRegister {
  return createExtractRegister(ledger, config.gateway.idNamespace ?? DEFAULT_ID_NAMESPACE);
}

/**
 * The consent store. The extract register's purge hooks always join (a withdrawal destroys the
 * family's printed extracts too); `purgeHooks` adds others after them.
 */
export function openConsentStore(config: GatewayConfig, ledger: Ledger, log?: Logger, purgeHooks?: readonly PurgeHook[]): SqliteConsentStore {
  const s = familiesSettings(config);
  const optOuts = ledger instanceof SqliteLedger ? [new SmsOptOuts(ledger.database()).purgeHook()] : [];
  const register = openExtractRegister(config, ledger);
  const hooks = [...register.purgeHooks(), ...optOuts, ...(purgeHooks ?? [])];
  const schools = extractSchools(config);
  return new SqliteConsentStore(ledger, {
    purgeAfterDays: s.purgeAfterDays, purgeIntervalMs: s.purgeIntervalMinutes * 60_000, evidenceRetentionDays: s.evidenceRetentionDays,
    idNamespace: config.gateway.idNamespace ?? DEFAULT_ID_NAMESPACE, ...(log ? { log } : {}), purgeHooks: hooks,
    // The class bundles that carried a purged child's pages are printed again for the families left in them.
    afterPurge: (report) => reprintClassBundles(register.takeRemovedBundles(), {
      ledger, register, schools, now: () => new Date(report.at), log: log ?? nullLogger, owner: `purge:${randomUUID().slice(0, 8)}`,
    }),
  });
}

export interface FamiliesRuntime {
  store: SqliteConsentStore;
  gate: ConsentGate;
  /** The register of weekly paper extracts (ledger tables of migration 7). */
  extracts: SqliteExtractRegister;
  /** Weekly paper extracts per school on their cron schedule (`start()` is the gateway's). */
  extractScheduler: WeeklyExtractScheduler;
  /** Present when `gateway.email` is configured and enabled. */
  notifier?: EmailNotifier;
  /** Present when `gateway.sms` is enabled: instant notices by SMS (falls back to e-mail when `notifier`'s transport exists). */
  smsNotifier?: SmsNotifier;
  sms?: SmsGateway;
  transport?: MailTransport;
  /** ms between purge runs (`gateway.families.purgeIntervalMinutes`). */
  purgeIntervalMs: number;
  /** ms between notifier passes (`gateway.families.notifyIntervalSeconds`). */
  notifyIntervalMs: number;
}

/** Everything the running gateway needs; `config` must have its secrets resolved. */
export function createFamiliesRuntime(config: GatewayConfig, ledger: Ledger, deps: {
  log: Logger; now(): Date; forecast?: ForecastProvider; purgeHooks?: readonly PurgeHook[];
  /** Owner of the run locks (the gateway's). */
  owner?: string;
}): FamiliesRuntime {
  const settings = familiesSettings(config);
  const store = openConsentStore(config, ledger, deps.log.child({ component: 'consent' }), deps.purgeHooks);
  const gate = createConsentGate(ledger, store);
  const extracts = openExtractRegister(config, ledger);
  const extractScheduler = new WeeklyExtractScheduler({
    ledger, register: extracts, recipients: consentPaperRecipients(store, deps.now), schools: extractSchools(config),
    log: deps.log.child({ component: 'extracts' }), now: deps.now, owner: deps.owner ?? `extracts:${randomUUID().slice(0, 8)}`,
  });
  const emailCfg = emailTransportConfig(config);
  const out: FamiliesRuntime = {
    store, gate, extracts, extractScheduler, purgeIntervalMs: settings.purgeIntervalMinutes * 60_000, notifyIntervalMs: settings.notifyIntervalSeconds * 1000,
  };
  if (emailCfg) {
    const transport = createMailTransport(emailCfg);
    out.transport = transport;
    out.notifier = new EmailNotifier({
      ledger, store, gate, transport, schools: notifierSchools(config), log: deps.log.child({ component: 'email' }), now: deps.now,
      policy: { maxAttempts: emailCfg.maxAttempts, backoffBaseMs: emailCfg.backoffBaseMs, backoffCapMs: emailCfg.backoffCapMs },
      forecast: deps.forecast ?? ledgerForecastProvider(ledger, forecastSchools(config)),
    });
  }
  const smsCfg = (config.gateway as unknown as { sms?: SmsChannelConfig }).sms;
  const smsClient = smsCfg ? smsGatewayConfigOf(smsCfg) : undefined;
  if (smsCfg && smsClient) {
    const log = deps.log.child({ component: 'sms' });
    const calendars = loadCalendarSet();
    const sms = createHttpSmsGateway({
      config: smsClient, now: deps.now, log,
      http: createHttpClient({ log, side: 'sink', now: deps.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), timeoutMs: smsCfg.timeoutMs }),
    });
    out.sms = sms;
    out.smsNotifier = new SmsNotifier({
      ledger, store, gate, sms, schools: smsSchools(config, smsCfg, calendars), calendar: calendars.federal, log, now: deps.now,
      policy: { maxAttempts: emailCfg?.maxAttempts ?? 8, backoffBaseMs: emailCfg?.backoffBaseMs ?? 60_000, backoffCapMs: emailCfg?.backoffCapMs ?? 3_600_000 },
      ...(out.transport ? { mail: { transport: out.transport } } : {}),
    });
  }
  return out;
}

/**
 * Schools as the SMS notifier sees them: `schools[].families.sms` over `gateway.sms`. Quiet hours
 * use the school's regional production calendar when `schools[].sla.calendarRegion` names one
 * (a regional holiday is a day off for the families there too); an unknown region is GW_CONFIG_INVALID.
 */
export function smsSchools(config: GatewayConfig, gateway: Partial<SmsChannelConfig>, calendars?: CalendarSet): SmsNotifierSchool[] {
  return config.schools.map((s) => {
    const block = s as unknown as { families?: { sms?: SmsPolicyOverrides }; sla?: { calendarRegion?: unknown } };
    const raw = (block.families ?? {}).sms ?? {};
    const region = typeof block.sla?.calendarRegion === 'string' ? block.sla.calendarRegion : undefined;
    return {
      id: s.id, name: s.name, timezone: s.timezone, sms: schoolSmsSettings(raw), policy: resolveSmsPolicy(gateway, raw),
      ...(region && calendars ? { calendar: calendars.forRegion(region) } : {}),
    };
  });
}
