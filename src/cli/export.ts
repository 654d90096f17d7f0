/**
 * `diary-gateway export oneroster --school S --out DIR [--delta [--since-revision N]] [--destination NAME]`:
 * a OneRoster 1.2 CSV package of one school from the ledger named by the config
 * (adapters/oneroster-sink, `exportOneRosterCsv`). The ledger keeps a watermark per (school,
 * destination) — the destination is the folder the package folders go into, or `--destination` —
 * moved only once a package is complete, so `--delta` alone continues from the last complete
 * export there; `--since-revision` overrides it.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { exportOneRosterCsv } from '../../adapters/oneroster-sink';
import { GatewayError } from '../core/errors';
import { openConfiguredLedger } from './context';
import { EXIT, printJson, reportError } from './output';

interface Globals { config: string; json?: boolean }
interface ExportOpts { school: string; out: string; delta?: boolean; sinceRevision?: number; destination?: string; utcOffset: string; orgSourcedId?: string }

/** The watermark key of the packages' destination: a name the operator gives, else the folder the package folders go into. */
export function exportDestination(out: string, name?: string): string {
  return `oneroster-csv:${name ?? path.resolve(path.dirname(path.resolve(out)))}`;
}

function revisionArg(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number ≥ 0 (the revision printed by the previous export).');
  return n;
}

/** Adds `export oneroster` to the program. */
export function registerExportCommands(program: Command): void {
  const exp = program.command('export').description('export a school\'s data in interchange formats');
  exp.command('oneroster')
    .description('write a OneRoster 1.2 CSV package of one school: bulk (everything active), or delta (changes and deletions since the last complete export to the same destination)')
    .requiredOption('--school <id>', 'school id from the config')
    .requiredOption('--out <dir>', 'package folder to write (created; must not hold a package)')
    .option('--delta', 'only records changed since the last complete export to this destination (or --since-revision), deletions as status tobedeleted')
    .option('--since-revision <n>', 'with --delta: start after this revision instead of the stored watermark', revisionArg)
    .option('--destination <name>', 'the watermark\'s destination name (default: the folder that holds --out)')
    .option('--utc-offset <offset>', 'UTC offset of the school\'s local dates', '+03:00')
    .option('--org-sourced-id <id>', 'the school\'s org sourcedId at the consumer (default: derived from the school id)')
    .addHelpText('after', `
Files: manifest.csv, orgs, academicSessions, courses, classes, users, roles, enrollments, categories,
lineItems, results (OneRoster 1.2 CSV headers). Results hold current marks on their work's line item and
period, annual, final and exam marks on a column line item per class section.
Watermark: the ledger stores, per school and destination, the revision every complete package there
covers; it moves only after the package's manifest is in place, so a failed export changes nothing.
Examples:
  diary-gateway export oneroster --school demo-school --out export/2025-11-12T0200Z
  diary-gateway export oneroster --school demo-school --out export/2025-11-13T0200Z --delta
  diary-gateway export oneroster --school demo-school --out export/2025-11-13T0200Z --delta --since-revision 48211`)
    .action(async (o: ExportOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals & ExportOpts>();
      try {
        if (!o.delta && o.sinceRevision !== undefined) {
          throw new GatewayError('GW_API_BAD_REQUEST', '--since-revision goes with --delta.', { issues: [{ path: '--delta', message: 'add --delta, or drop --since-revision for a bulk package' }] });
        }
        if (!/^[+-](0\d|1[0-4]):[0-5]\d$/.test(o.utcOffset)) {
          throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid --utc-offset.', { issues: [{ path: '--utc-offset', message: 'like +03:00' }] });
        }
        const { ledger, config } = await openConfiguredLedger(g.config);
        try {
          if (!config.schools.some((s) => s.id === o.school)) throw new GatewayError('GW_SCHOOL_UNKNOWN', `No school ${o.school} in ${g.config}.`);
          const res = await exportOneRosterCsv({
            ledger, schoolId: o.school, outDir: o.out, mode: o.delta ? 'delta' : 'bulk', now: new Date(), utcOffset: o.utcOffset,
            destination: exportDestination(o.out, o.destination),
            ...(o.sinceRevision !== undefined ? { sinceRevision: o.sinceRevision } : {}), ...(o.orgSourcedId ? { orgSourcedId: o.orgSourcedId } : {}),
          });
          if (g.json) {
            printJson({ ok: true, ...res });
          } else {
            const rows = Object.entries(res.files).map(([f, n]) => `${f} ${n}`).join(', ');
            const after = res.mode === 'delta' ? ` (after revision ${res.sinceRevision}${res.since === 'watermark' ? ', the stored watermark' : ''})` : '';
            process.stdout.write(`${res.dir}: OneRoster 1.2 ${res.mode} package of ${o.school}${after}: ${rows || 'no rows'}\n`);
            if (res.skipped.marks + res.skipped.invalidRows > 0) {
              process.stdout.write(`skipped: ${res.skipped.marks} mark(s) without a line item, ${res.skipped.invalidRows} row(s) failing the OneRoster schema\n`);
              for (const i of res.issues.slice(0, 10)) process.stdout.write(`  ${i.file} ${i.sourcedId} ${i.path}: ${i.message}\n`);
            }
            const dest = o.destination !== undefined ? ` --destination ${o.destination}` : '';
            process.stdout.write(`watermark of ${res.watermark?.destination ?? '(none)'} now at revision ${res.highWater}; next time run\n`
              + `  diary-gateway export oneroster --school ${o.school} --out <new folder beside this one> --delta${dest}\n`);
          }
          process.exitCode = res.skipped.marks + res.skipped.invalidRows > 0 ? EXIT.attention : EXIT.ok;
        } finally {
          await ledger.close();
        }
      } catch (e: unknown) {
        process.exitCode = reportError(e, !!g.json);
      }
    });
}
