/**
 * Reading the SLA data files (production calendars, regulation profiles) and checking them
 * against their JSON Schemas. Every failure is a `GW_CONFIG_INVALID` naming the file and the
 * failing paths, never the file's content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { GatewayError, type Issue } from '../core/errors';
import { issuesFromAjv } from '../infra/schemas';

let cachedConfigDir: string | undefined;

/**
 * The package's `config/` folder: walks up from this file to the folder holding `package.json`
 * and `config/calendars`, so it works from `src/` and from `dist/`.
 */
export function packageConfigDir(): string {
  if (cachedConfigDir !== undefined) return cachedConfigDir;
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'config', 'calendars'))) {
      cachedConfigDir = path.join(dir, 'config');
      return cachedConfigDir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new GatewayError('GW_INTERNAL', `config folder not found above ${__dirname}`);
    dir = parent;
  }
}

/** Parsed JSON object of `file`; GW_CONFIG_INVALID when it is missing, not JSON or not an object. */
export function readJsonObject(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new GatewayError('GW_CONFIG_INVALID', `${what} ${path.basename(file)} cannot be read`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    throw new GatewayError('GW_CONFIG_INVALID', `${what} ${path.basename(file)} is not valid JSON`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('GW_CONFIG_INVALID', `${what} ${path.basename(file)} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** A fresh strict Ajv 2020-12 instance with formats, for the SLA data schemas. */
export function createSlaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  return ajv;
}

export type JsonValidator = (data: unknown) => Issue[];

/** Compiles `schema` (after adding `refs` for `$ref`s between files) into an Issue-returning check. */
export function compileValidator(ajv: Ajv2020, schema: Record<string, unknown>, refs: Record<string, unknown>[] = []): JsonValidator {
  for (const r of refs) {
    const id = r['$id'];
    if (typeof id === 'string' && ajv.getSchema(id) === undefined) ajv.addSchema(r);
  }
  const id = schema['$id'];
  const fn = (typeof id === 'string' ? ajv.getSchema(id) : undefined) ?? ajv.compile(schema);
  return (data: unknown): Issue[] => (fn(data) ? [] : issuesFromAjv(fn.errors));
}

/** Throws GW_CONFIG_INVALID listing `issues` when there are any. */
export function assertNoIssues(issues: readonly Issue[], message: string, context?: Record<string, string | number>): void {
  if (issues.length === 0) return;
  throw new GatewayError('GW_CONFIG_INVALID', `${message} (${issues.length} problem${issues.length === 1 ? '' : 's'})`, {
    issues: [...issues],
    ...(context ? { context } : {}),
  });
}
