import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import { loadConfigFile, validateConfig, type GatewayConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { createRedactor } from '../infra/redact';
import { piiFieldNames } from '../infra/schemas';
import { openLedger } from '../ledger';
import { Gateway } from '../runtime/gateway';
import { specOf } from '../runtime/registry';

export const DEFAULT_CONFIG = process.env.DIARY_GATEWAY_CONFIG ?? 'config/demo.json';

export interface CliLogger {
  log: Logger;
  addSecrets(values: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * The process logger: JSON lines (or pretty) on stderr, redacting secrets (learned once the
 * config is resolved), denylisted keys and fields the canonical schemas mark x-pii.
 */
export function makeLogger(level: string, format: 'json' | 'pretty'): CliLogger {
  const logger = createLogger({
    level, format, stream: process.stderr,
    redactor: createRedactor({ piiKeys: piiFieldNames() }),
  });
  return {
    log: logger,
    addSecrets: (values) => logger.addSecrets(values),
    close: () => logger.close(),
  };
}

export function readValidatedConfig(configPath: string): GatewayConfig {
  return validateConfig(loadConfigFile(configPath), specOf);
}

/** Opens the ledger named by the config (no simulators, no secrets needed). */
export async function openConfiguredLedger(configPath: string): Promise<{ ledger: Ledger; config: GatewayConfig }> {
  const config = readValidatedConfig(configPath);
  const p = config.gateway.ledger.path;
  const ledger = openLedger({ driver: 'sqlite', path: p === ':memory:' ? p : path.resolve(p) });
  await ledger.migrate();
  return { ledger, config };
}

export async function createGateway(configPath: string, logger: CliLogger, simulators = true): Promise<Gateway> {
  return Gateway.create({
    rawConfig: loadConfigFile(configPath), log: logger.log, addSecrets: (v) => logger.addSecrets(v), simulators,
  });
}

/** Admin tokens from the environment; for a local demo without any, a generated one kept in a 0600 file beside the ledger. */
export function adminTokens(config: GatewayConfig): { tokens: string[]; generatedFile?: string } {
  const envName = config.gateway.admin.tokensEnv;
  const fromEnv = (process.env[envName] ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  if (fromEnv.length > 0) return { tokens: fromEnv };
  const dir = config.gateway.ledger.path === ':memory:' ? 'data' : path.dirname(path.resolve(config.gateway.ledger.path));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'admin-token');
  let token = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (token.length < 32) {
    token = randomBytes(24).toString('hex');
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return { tokens: [token], generatedFile: path.relative(process.cwd(), file) };
}

export interface StopSignal {
  /** Resolves with the name of the first SIGINT or SIGTERM. */
  readonly received: Promise<'SIGINT' | 'SIGTERM'>;
  /** The signal already received, if any. */
  readonly signal: 'SIGINT' | 'SIGTERM' | undefined;
  /** Removes the handlers (a second Ctrl-C then ends the process at once). */
  dispose(): void;
}

/**
 * Takes SIGINT/SIGTERM over from Node's default (die at once) for a long-running command.
 * Call it before the command starts listening or prints "Ctrl-C stops": a signal sent right
 * after that banner must still stop gracefully, not kill the process mid-write. After the
 * first signal the handlers are removed, so a second Ctrl-C forces the exit.
 */
export function onStopSignal(): StopSignal {
  let resolve!: (sig: 'SIGINT' | 'SIGTERM') => void;
  let got: 'SIGINT' | 'SIGTERM' | undefined;
  const received = new Promise<'SIGINT' | 'SIGTERM'>((r) => { resolve = r; });
  const onInt = (): void => fire('SIGINT');
  const onTerm = (): void => fire('SIGTERM');
  const dispose = (): void => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); };
  const fire = (sig: 'SIGINT' | 'SIGTERM'): void => { got = sig; dispose(); resolve(sig); };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return { received, get signal() { return got; }, dispose };
}
