/**
 * `diary-gateway access-codes register|issue|list|show`: families' requests for a personal access
 * code and the regulation's deadline for issuing it (src/sla/access-codes.ts). The family is named
 * by the school's reference (an application number), never by name. A second open request for the
 * same family, or issuing a request twice, fails with GW_ACCESS_CODE_CONFLICT (exit 3).
 */
import type { Command } from 'commander';
import { GatewayError } from '../core/errors';
import type { AccessCodeView } from '../sla/access-codes';
import { openConsentStore } from '../families/consent/runtime';
import { consentFamilyChannels } from '../sla/channels';
import { SlaRuntime } from '../sla/runtime';
import { makeLogger, openConfiguredLedger } from './context';
import { EXIT, printJson, printTable, reportError } from './output';

interface Globals { config: string; json?: boolean }

const actor = (): string => `cli:${process.env.USER ?? 'operator'}`;

/**
 * Opens the ledger and the SLA runtime for one command (after `precheck`, which may throw on bad
 * options before anything is opened), sets the exit code `fn` returns, and reports errors with
 * the CLI's exit codes. Shared by `access-codes` and `report sla`.
 */
export async function withSlaRuntime(cmd: Command, fn: (rt: SlaRuntime, json: boolean) => Promise<number>, precheck?: () => void): Promise<void> {
  const g = cmd.optsWithGlobals<Globals>();
  const logger = makeLogger('warn', 'json');
  try {
    precheck?.();
    const { ledger, config } = await openConfiguredLedger(g.config);
    try {
      // The same family channels as the running gateway (src/runtime/gateway.ts): they are part
      // of each school's fingerprint, so a CLI judging without them would re-judge the schools.
      const familyChannels = consentFamilyChannels(openConsentStore(config, ledger, logger.log));
      const rt = SlaRuntime.create({ config, ledger, log: logger.log, now: () => new Date(), owner: `cli:${process.pid}`, familyChannels });
      if (rt === undefined) throw new GatewayError('GW_CONFIG_INVALID', 'No school in the configuration has SLA settings (schools[].sla).');
      process.exitCode = await fn(rt, !!g.json);
    } finally {
      await ledger.close();
    }
  } catch (e: unknown) {
    process.exitCode = reportError(e, !!g.json);
  } finally {
    await logger.close();
  }
}

function idArg(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw new GatewayError('GW_API_BAD_REQUEST', `request id must be a number, got ${id}`);
  return Number(id);
}

function line(v: AccessCodeView): string {
  const issued = v.issuedAt !== undefined ? `, issued ${v.issuedAt} by ${v.issuedBy ?? '?'}` : '';
  return `request ${v.id} (${v.ref}) school ${v.schoolId}, family ${v.familyRef}: received ${v.receivedAt}, registered ${v.registeredAt}`
    + `${v.movedToNextWorkingDay ? ' (after hours or a day off: the next working day)' : ''}, due ${v.dueAt} (${v.dueDate}), ${v.status}${issued}\n`;
}

/** Adds `access-codes …` to the program. */
export function registerAccessCodeCommands(program: Command): void {
  const ac = program.command('access-codes').description('families\' requests for a personal access code and their deadline (5 working days in kamensk-uralsky-19)');
  ac.command('register')
    .description('register a request; after hours or on a day off it counts from the next working day')
    .requiredOption('--school <id>', 'school id from the config')
    .requiredOption('--family <ref>', 'the school\'s reference for the family (application number; never a name)')
    .option('--received-at <iso>', 'when the request reached the school (default: now)')
    .action(async (o: { school: string; family: string; receivedAt?: string }, cmd: Command) => {
      await withSlaRuntime(cmd, async (rt, json) => {
        const v = await rt.accessCodes.register({ schoolId: o.school, familyRef: o.family, ...(o.receivedAt ? { receivedAt: o.receivedAt } : {}), actor: actor(), now: new Date() });
        if (json) printJson(v); else process.stdout.write(line(v));
        return EXIT.ok;
      });
    });
  ac.command('issue <id>')
    .description('record that the code was handed over')
    .option('--issued-at <iso>', 'when it was handed over (default: now)')
    .action(async (id: string, o: { issuedAt?: string }, cmd: Command) => {
      await withSlaRuntime(cmd, async (rt, json) => {
        const v = await rt.accessCodes.issue(idArg(id), { ...(o.issuedAt ? { issuedAt: o.issuedAt } : {}), actor: actor(), now: new Date() });
        if (json) printJson(v); else process.stdout.write(line(v));
        return v.status === 'issued_late' ? EXIT.attention : EXIT.ok;
      });
    });
  ac.command('list')
    .description('requests, oldest first')
    .option('--school <id>').option('--open', 'only requests not yet issued')
    .action(async (o: { school?: string; open?: boolean }, cmd: Command) => {
      await withSlaRuntime(cmd, async (rt, json) => {
        const rows = await rt.accessCodes.list({ ...(o.school ? { schoolId: o.school } : {}), ...(o.open ? { open: true } : {}) }, new Date());
        if (json) printJson(rows);
        else printTable(rows.map((v) => ({ id: v.id, school: v.schoolId, family: v.familyRef, received: v.receivedAt, registered: v.registeredAt, due: v.dueAt, status: v.status, issued: v.issuedAt ?? '' })),
          ['id', 'school', 'family', 'received', 'registered', 'due', 'status', 'issued']);
        return rows.some((v) => v.status === 'overdue') ? EXIT.attention : EXIT.ok;
      });
    });
  ac.command('show <id>')
    .description('one request with its deadline')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await withSlaRuntime(cmd, async (rt, json) => {
        const v = await rt.accessCodes.get(idArg(id), new Date());
        if (json) printJson(v); else process.stdout.write(line(v));
        return EXIT.ok;
      });
    });
}
