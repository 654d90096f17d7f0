import { GatewayError, toGatewayError } from '../core/errors';

/**
 * Exit codes of the CLI (documented in the README and in `--help`).
 * 0 ok · 1 internal error · 2 bad usage or invalid configuration · 3 a source or sink
 * failed (check, sync) · 4 done, but something needs attention (partial sync, dead
 * deliveries, open quarantine with `status --strict`).
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, failed: 3, attention: 4 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]): string => vals.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(columns)}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

/** Prints an error for people (or as JSON) and returns the exit code it deserves. */
export function reportError(e: unknown, json: boolean): number {
  const err = toGatewayError(e);
  if (json) {
    printJson({ ok: false, error: err.toJSON() });
  } else {
    process.stderr.write(`error ${err.code} (${err.errorClass}): ${err.message}\n`);
    for (const i of err.issues) process.stderr.write(`  ${i.path || '/'}: ${i.message}\n`);
    process.stderr.write(`  who must act: ${err.actor}; what to do: ${err.remedy}\n`);
    if (err.errorClass === 'internal' && err.cause instanceof Error && err.cause.stack) process.stderr.write(`${err.cause.stack}\n`);
  }
  return exitCodeFor(err);
}

export function exitCodeFor(err: GatewayError): number {
  if (err.code === 'GW_CONFIG_INVALID' || err.code === 'GW_CONFIG_SECRET_MISSING' || err.code === 'GW_ADAPTER_UNKNOWN'
    || err.code === 'GW_SCHOOL_UNKNOWN' || err.code === 'GW_API_BAD_REQUEST' || err.code === 'GW_API_NOT_FOUND') return EXIT.usage;
  if (err.errorClass === 'internal') return EXIT.internal;
  return EXIT.failed;
}
