/**
 * Builds the families parts from a validated config and an open ledger: the consent store (with
 * `gateway.families` settings and the id namespace), the gate, and — when `gateway.email` is
 * configured — the e-mail notifier. Used by the CLI and by the runtime wiring (gateway.ts).
 */
import type { ConsentGate, PurgeHook } from '../../core/consent';
import { DEFAULT_ID_NAMESPACE } from '../../core/ids';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import type { GatewayConfig } from '../../infra/config';
import { SqliteConsentStore } from '../../ledger/sqlite/consent-store';
import { emailTransportConfig, notifierSchools } from '../email/config';
import { familiesSettings } from './settings';
import { EmailNotifier, type ForecastProvider } from '../email/notifier';
import { createMailTransport, type MailTransport } from '../email/transport';
import { createConsentGate } from '../gate';

export function openConsentStore(config: GatewayConfig, ledger: Ledger, log?: Logger, purgeHooks?: readonly PurgeHook[]): SqliteConsentStore {
  const s = familiesSettings(config);
  return new SqliteConsentStore(ledger, {
    purgeAfterDays: s.purgeAfterDays, purgeIntervalMs: s.purgeIntervalMinutes * 60_000, evidenceRetentionDays: s.evidenceRetentionDays,
    idNamespace: config.gateway.idNamespace ?? DEFAULT_ID_NAMESPACE, ...(log ? { log } : {}), ...(purgeHooks ? { purgeHooks } : {}),
  });
}

export interface FamiliesRuntime {
  store: SqliteConsentStore;
  gate: ConsentGate;
  /** Present when `gateway.email` is configured and enabled. */
  notifier?: EmailNotifier;
  transport?: MailTransport;
  /** ms between purge runs (`gateway.families.purgeIntervalMinutes`). */
  purgeIntervalMs: number;
  /** ms between notifier passes (`gateway.families.notifyIntervalSeconds`). */
  notifyIntervalMs: number;
}

/** Everything the running gateway needs; `config` must have its secrets resolved. */
export function createFamiliesRuntime(config: GatewayConfig, ledger: Ledger, deps: {
  log: Logger; now(): Date; forecast?: ForecastProvider; purgeHooks?: readonly PurgeHook[];
}): FamiliesRuntime {
  const settings = familiesSettings(config);
  const store = openConsentStore(config, ledger, deps.log.child({ component: 'consent' }), deps.purgeHooks);
  const gate = createConsentGate(ledger, store);
  const emailCfg = emailTransportConfig(config);
  const out: FamiliesRuntime = { store, gate, purgeIntervalMs: settings.purgeIntervalMinutes * 60_000, notifyIntervalMs: settings.notifyIntervalSeconds * 1000 };
  if (emailCfg) {
    const transport = createMailTransport(emailCfg);
    out.transport = transport;
    out.notifier = new EmailNotifier({
      ledger, store, gate, transport, schools: notifierSchools(config), log: deps.log.child({ component: 'email' }), now: deps.now,
      policy: { maxAttempts: emailCfg.maxAttempts, backoffBaseMs: emailCfg.backoffBaseMs, backoffCapMs: emailCfg.backoffCapMs },
      ...(deps.forecast ? { forecast: deps.forecast } : {}),
    });
  }
  return out;
}
