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
    token = require('node:crypto').randomBytes(24).toString('hex') as string;
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return { tokens: [token], generatedFile: path.relative(process.cwd(), file) };
}
