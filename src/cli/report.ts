/**
 * `diary-gateway report sla --school S --from D --to D --format csv|html|pdf|json [--out FILE]`:
 * the compliance report of one school (src/sla/report.ts) from the ledger named by the config.
 * The judgements are brought up to date first (unless --no-evaluate, or a running gateway is
 * judging right now); alerts are never sent from here.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { GatewayError } from '../core/errors';
import { renderSlaReport, type SlaReportFormat } from '../sla/report';
import { withSlaRuntime } from './access-codes';
import { EXIT } from './output';

interface ReportOpts { school: string; from: string; to: string; format: SlaReportFormat; out?: string; evaluate: boolean; strict?: boolean }

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Adds `report sla` to the program. Other helpers add their own `report …` subcommands (summary,
 * lessons: src/cli/families-print.ts), so an existing `report` command is reused, not duplicated.
 */
export function registerSlaReportCommands(program: Command): void {
  const report = program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('reports for schools and officials (in Russian)');
  report.command('sla')
    .description('compliance with the regulations\' deadlines for one school: per obligation, class and month, with the late records')
    .requiredOption('--school <id>', 'school id from the config')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (school-local; records are counted by their due date)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'html', 'pdf', 'json']).default('html'))
    .option('-o, --out <file>', 'write the report to this file instead of stdout')
    .option('--no-evaluate', 'report what is stored; do not judge new records and deliveries first')
    .option('--strict', 'exit 4 when a record in the window was late or is missing')
    .addHelpText('after', `
Columns: on time, late (the journal's or the gateway's delay), missing (past due, not met), waiting,
no data; median and worst lateness of the late ones. Records are named by class, subject, date and a
short reference, never by a child's name.
Example:
  diary-gateway report sla --school demo-school --from 2025-09-01 --to 2026-05-31 --format pdf -o sla.pdf`)
    .action(async (o: ReportOpts, cmd: Command) => withSlaRuntime(cmd, async (rt) => {
      if (o.evaluate && (await rt.judgeNow()) === undefined) process.stderr.write('the running gateway is judging right now; the report shows what it has stored\n');
      const data = await rt.report(o.school, o.from, o.to);
      const out = await renderSlaReport(data, o.format);
      if (o.out !== undefined) {
        fs.writeFileSync(o.out, out.body);
        const total = data.summary.reduce((t, s) => ({ all: t.all + s.total, late: t.late + s.late, missing: t.missing + s.missing }), { all: 0, late: 0, missing: 0 });
        process.stderr.write(`${o.out}: ${o.format}, school ${o.school}, ${o.from}..${o.to}: ${total.all} record(s) with a deadline, ${total.late} late, ${total.missing} missing\n`);
      } else {
        process.stdout.write(out.body);
      }
      const attention = data.summary.some((s) => s.late > 0 || s.missing > 0);
      return o.strict && attention ? EXIT.attention : EXIT.ok;
    }, () => {
      const issues = [['from', o.from], ['to', o.to]].filter(([, v]) => !DATE.test(v as string)).map(([k]) => ({ path: `--${k as string}`, message: 'must be YYYY-MM-DD' }));
      if (issues.length === 0 && o.from > o.to) issues.push({ path: '--to', message: 'must not be before --from' });
      if (issues.length > 0) throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid report window.', { issues });
      if (o.format === 'pdf' && o.out === undefined && process.stdout.isTTY) {
        throw new GatewayError('GW_API_BAD_REQUEST', 'A PDF is not written to a terminal.', { issues: [{ path: '--out', message: 'give a file for the PDF, or pipe stdout' }] });
      }
    }));
}
