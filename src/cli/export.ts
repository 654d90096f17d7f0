/**
 * `diary-gateway export oneroster --school S --out DIR [--delta --since-revision N]`: a OneRoster
 * 1.2 CSV package of one school from the ledger named by the config (adapters/oneroster-sink,
 * `exportOneRosterCsv`). Prints the revision to pass as `--since-revision` next time; the gateway
 * does not remember it (see the adapter README, "Watermark").
 */
import { InvalidArgumentError, type Command } from 'commander';
import { exportOneRosterCsv } from '../../adapters/oneroster-sink';
import { GatewayError } from '../core/errors';
import { openConfiguredLedger } from './context';
import { EXIT, printJson, reportError } from './output';

interface Globals { config: string; json?: boolean }
interface ExportOpts { school: string; out: string; delta?: boolean; sinceRevision?: number; utcOffset: string; orgSourcedId?: string }

function revisionArg(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number ≥ 0 (the revision printed by the previous export).');
  return n;
}

/** Adds `export oneroster` to the program. */
export function registerExportCommands(program: Command): void {
  const exp = program.command('export').description('export a school\'s data in interchange formats');
  exp.command('oneroster')
    .description('write a OneRoster 1.2 CSV package of one school: bulk (everything active), or delta (changes and deletions after a revision)')
    .requiredOption('--school <id>', 'school id from the config')
    .requiredOption('--out <dir>', 'package folder to write (created; must not hold a package)')
    .option('--delta', 'only records changed after --since-revision, deletions as status tobedeleted')
    .option('--since-revision <n>', 'the revision printed by the previous export (with --delta)', revisionArg)
    .option('--utc-offset <offset>', 'UTC offset of the school\'s local dates', '+03:00')
    .option('--org-sourced-id <id>', 'the school\'s org sourcedId at the consumer (default: derived from the school id)')
    .addHelpText('after', `
Files: manifest.csv, orgs, academicSessions, courses, classes, users, roles, enrollments, categories,
lineItems, results (OneRoster 1.2 CSV headers). Results hold current marks on their work's line item and
period, annual, final and exam marks on a column line item per class section.
Examples:
  diary-gateway export oneroster --school demo-school --out export/2025-11-12T0200Z
  diary-gateway export oneroster --school demo-school --out export/2025-11-13T0200Z --delta --since-revision 48211`)
    .action(async (o: ExportOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals & ExportOpts>();
      try {
        if (o.delta && o.sinceRevision === undefined) {
          throw new GatewayError('GW_API_BAD_REQUEST', 'A delta export needs --since-revision.', { issues: [{ path: '--since-revision', message: 'give the revision printed by the previous export' }] });
        }
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
            ...(o.delta ? { sinceRevision: o.sinceRevision as number } : {}), ...(o.orgSourcedId ? { orgSourcedId: o.orgSourcedId } : {}),
          });
          if (g.json) {
            printJson({ ok: true, ...res });
          } else {
            const rows = Object.entries(res.files).map(([f, n]) => `${f} ${n}`).join(', ');
            process.stdout.write(`${res.dir}: OneRoster 1.2 ${res.mode} package of ${o.school}${res.mode === 'delta' ? ` (after revision ${res.sinceRevision})` : ''}: ${rows || 'no rows'}\n`);
            if (res.skipped.marks + res.skipped.invalidRows > 0) {
              process.stdout.write(`skipped: ${res.skipped.marks} mark(s) without a line item, ${res.skipped.invalidRows} row(s) failing the OneRoster schema\n`);
              for (const i of res.issues.slice(0, 10)) process.stdout.write(`  ${i.file} ${i.sourcedId} ${i.path}: ${i.message}\n`);
            }
            process.stdout.write(`revision ${res.highWater}: next time run\n  diary-gateway export oneroster --school ${o.school} --out <new folder> --delta --since-revision ${res.highWater}\n`);
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
