/**
 * `report sla` joins a `report` command another part of the CLI already made (families-print's
 * summary and lessons), instead of adding a second one; `access-codes` has its subcommands.
 */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerAccessCodeCommands } from '../../src/cli/access-codes';
import { registerSlaReportCommands } from '../../src/cli/report';

describe('sla CLI registration', () => {
  it('reuses an existing report command, and makes one when there is none', () => {
    const withOther = new Command();
    withOther.command('report').command('summary');
    registerSlaReportCommands(withOther);
    assert.deepEqual(withOther.commands.map((c) => c.name()), ['report']);
    assert.deepEqual(withOther.commands[0]?.commands.map((c) => c.name()), ['summary', 'sla']);
    const alone = new Command();
    registerSlaReportCommands(alone);
    registerAccessCodeCommands(alone);
    assert.deepEqual(alone.commands.map((c) => [c.name(), c.commands.map((x) => x.name())]), [['report', ['sla']], ['access-codes', ['register', 'issue', 'list', 'show']]]);
    const sla = alone.commands[0]?.commands[0];
    assert.deepEqual(sla?.options.map((o) => o.long), ['--school', '--from', '--to', '--format', '--out', '--no-evaluate', '--strict']);
  });
});
