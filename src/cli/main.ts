#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { DELIVERY_STATES, type DeliveryState } from '../core/delivery-states';
import { GatewayError } from '../core/errors';
import type { HoldView } from '../core/ledger';
import type { DeliveryTransportState } from '../core/transport';
import { ERROR_CODES } from '../core/error-codes';
import { SIMULATORS, SINKS, SOURCES } from '../runtime/registry';
import { EXIT, printJson, printTable, reportError } from './output';
import { DEFAULT_CONFIG, createGateway, makeLogger, openConfiguredLedger, readValidatedConfig } from './context';
import { registerAccessCodeCommands } from './access-codes';
import { registerConsentCommands } from './consent';
import { registerExportCommands } from './export';
import { registerSlaReportCommands } from './report';
import { registerFamiliesPrint } from './families-print';
import { checkSlaConfig } from '../sla/runtime';
import { runCommand } from './run';
import { simulateCommand } from './simulate';

interface GlobalOpts { config: string; json?: boolean }

/** Option parser for whole numbers in [min, max]; a bad value is a usage error (exit 2), not an SQL error later. */
function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`);
    return n;
  };
}

const program = new Command();
program
  .name('diary-gateway')
  .description('Diary Exchange Gateway: takes in school e-journal data, normalizes it to the canonical diary schema, '
    + 'keeps it in a ledger and delivers it to portals with retries, dead letters and replay.')
  .option('-c, --config <file>', 'gateway configuration file (env DIARY_GATEWAY_CONFIG)', DEFAULT_CONFIG)
  .option('--json', 'machine-readable JSON output')
  .showHelpAfterError()
  // commander exits 1 on usage errors (unknown command or option, missing or invalid argument), but 1
  // means "internal error" here; usage errors are 2 as documented. Set before .command() so that
  // every subcommand inherits it. Help and --version still exit 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
  .addHelpText('after', `
Adapters:   sources: ${Object.keys(SOURCES).join(', ')}; sinks: ${Object.keys(SINKS).join(', ')}
Simulators: ${Object.keys(SIMULATORS).join(', ')}
Exit codes: 0 ok · 1 internal error · 2 bad usage or invalid configuration · 3 a source or sink failed
            · 4 done, but something needs attention (partial sync, dead deliveries, open quarantine, a held sync)
Environment: DIARY_GATEWAY_CONFIG (config file), DIARY_GATEWAY_ADMIN_TOKENS (comma-separated admin API
            bearer tokens), and whatever \${NAME} secret references the config uses.
Examples:
  diary-gateway run                                 # scheduler + delivery + admin API (Ctrl-C stops)
  diary-gateway validate-config -c config/prod.json
  diary-gateway sync demo-school --stream diary --since 2026-09-01
  diary-gateway deliveries --state dead --json
  diary-gateway replay --all-dead
  diary-gateway simulate netschool --port 8701`);

const globals = (): GlobalOpts => program.opts<GlobalOpts>();
const exit = (code: number): void => { process.exitCode = code; };

/** Opens the configured ledger for a read-or-replay command, closes it after, and reports errors. */
async function withLedger(g: GlobalOpts, fn: (opened: Awaited<ReturnType<typeof openConfiguredLedger>>) => Promise<void>): Promise<void> {
  try {
    const opened = await openConfiguredLedger(g.config);
    try { await fn(opened); } finally { await opened.ledger.close(); }
  } catch (e) { exit(reportError(e, !!g.json)); }
}

program.command('run')
  .description('run the gateway: scheduled syncs, delivery workers and the admin API, until Ctrl-C')
  .option('--no-simulators', 'do not start the simulators the config lists')
  .option('--summary-every <seconds>', 'print a one-line summary this often (0 = never)', intArg(0, 86_400), 30)
  .action(async (o: { simulators: boolean; summaryEvery: number }) => {
    exit(await runCommand(globals().config, { simulators: o.simulators, summaryEverySec: o.summaryEvery }));
  });

program.command('validate-config')
  .description('validate the configuration file and every adapter config block; list every problem with its path')
  .action(() => {
    const g = globals();
    try {
      const cfg = readValidatedConfig(g.config);
      // Regulation profiles, calendars and per-school SLA settings are data too: check them here
      // rather than at start-up.
      const sla = checkSlaConfig(cfg);
      const summary = {
        ok: true, config: g.config, schools: cfg.schools.map((s) => ({ id: s.id, sources: s.sources.map((x) => `${x.id} (${x.adapter})`), sinks: s.sinks })),
        sinks: cfg.sinks.map((s) => `${s.id} (${s.adapter})`),
        ...(sla ? { sla } : {}),
      };
      if (g.json) printJson(summary);
      else process.stdout.write(`${g.config}: valid (${cfg.schools.length} school(s), ${cfg.sinks.length} sink(s))\n`);
      exit(EXIT.ok);
    } catch (e) { exit(reportError(e, !!g.json)); }
  });

program.command('check <school>')
  .description('check that each source of a school accepts its credentials (a cheap authenticated call)')
  .action(async (school: string) => {
    const g = globals();
    const logger = makeLogger('warn', 'json');
    let gw;
    try {
      gw = await createGateway(g.config, logger);
      const results = [];
      for (const r of gw.findRunner(school)) {
        const res = await r.check();
        results.push({ source: r.inst.instanceId, adapter: r.inst.adapterId, ok: res.ok, ...(res.ok ? {} : { error: res.error.toJSON() }) });
      }
      if (g.json) printJson({ school, results });
      else for (const r of results) process.stdout.write(`${school}/${r.source} (${r.adapter}): ${r.ok ? 'ok' : `FAILED ${r.error?.code}: ${r.error?.message}\n  what to do: ${r.error?.remedy}`}\n`);
      exit(results.every((r) => r.ok) ? EXIT.ok : EXIT.failed);
    } catch (e) { exit(reportError(e, !!g.json)); } finally { await gw?.stop(); await logger.close(); }
  });

program.command('sync <school>')
  .description('sync one school now (all its sources, or --source), then deliver what was queued')
  .option('--source <id>', 'only this source instance')
  .option('--stream <name...>', 'only these streams')
  .option('--since <date>', 'ignore stored cursors and read from this date (YYYY-MM-DD)')
  .option('--no-deliver', 'take in only; leave deliveries queued for `run`')
  .action(async (school: string, o: { source?: string; stream?: string[]; since?: string; deliver: boolean }) => {
    const g = globals();
    const logger = makeLogger('warn', 'json');
    let gw;
    try {
      if (o.since && !/^\d{4}-\d{2}-\d{2}$/.test(o.since)) throw new GatewayError('GW_API_BAD_REQUEST', `--since must be YYYY-MM-DD, got ${o.since}`);
      gw = await createGateway(g.config, logger);
      const runs = [];
      for (const r of gw.findRunner(school, o.source)) {
        const s = await r.sync({ trigger: 'manual', ...(o.stream ? { streams: o.stream } : {}), ...(o.since ? { since: o.since } : {}) });
        if (s) runs.push(s);
      }
      let delivered = 0;
      if (o.deliver) for (const w of gw.workers.values()) { let n; while ((n = await w.tick()) > 0) delivered += n; }
      const stats = await gw.ledger.stats();
      if (g.json) printJson({ school, runs, deliveriesAttempted: delivered, deliveries: stats.deliveries });
      else {
        for (const r of runs) {
          process.stdout.write(`${school}/${r.sourceInstance}: ${r.status} — read ${r.counts.read}, new ${r.counts.inserted}, changed ${r.counts.updated}, unchanged ${r.counts.unchanged}, quarantined ${r.counts.quarantined}, queued ${r.counts.enqueued}\n`);
          if (r.error) process.stdout.write(`  ${r.error.code}: ${r.error.message}\n  what to do: ${r.error.remedy}\n`);
          for (const h of (r as { holds?: HoldView[] }).holds ?? []) process.stdout.write(`  HELD #${h.id} ${h.entityType}: ${h.reason}\n  what to do: check the journal, then \`diary-gateway holds approve ${h.id}\` or \`holds reject ${h.id}\`\n`);
        }
        process.stdout.write(`deliveries: ${Object.entries(stats.deliveries).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
      }
      const worst = runs.some((r) => r.status === 'failed') ? EXIT.failed : runs.some((r) => r.status === 'partial' || r.counts.quarantined > 0 || (r.counts.held ?? 0) > 0) ? EXIT.attention : EXIT.ok;
      exit(worst);
    } catch (e) { exit(reportError(e, !!g.json)); } finally { await gw?.stop(); await logger.close(); }
  });

program.command('status')
  .description('per school and source: last run, cursors, counts; ledger totals')
  .option('--verify', 'also run a full ledger consistency check')
  .option('--strict', 'exit 4 when there are dead deliveries or open quarantine')
  .action(async (o: { verify?: boolean; strict?: boolean }) => {
    const g = globals();
    await withLedger(g, async ({ ledger, config }) => {
      const stats = await ledger.stats();
      const sources = [];
      for (const s of config.schools) for (const src of s.sources) {
        const [last] = await ledger.listRuns({ schoolId: s.id, sourceInstance: src.id, limit: 1 });
        const cursors = (await ledger.listCursors(s.id)).filter((c) => c.sourceInstance === src.id);
        sources.push({ school: s.id, source: src.id, adapter: src.adapter, schedule: src.schedule, lastRun: last ?? null, cursors });
      }
      const problems = o.verify ? await ledger.verify() : undefined;
      if (g.json) printJson({ stats, sources, ...(problems ? { problems } : {}) });
      else {
        process.stdout.write(`records ${stats.records} · open quarantine ${stats.quarantineOpen} · deliveries ${Object.entries(stats.deliveries).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
        if (stats.holdsPending) process.stdout.write(`${stats.holdsPending} sync(s) held for approval: see \`diary-gateway holds list\`\n`);
        if (stats.oldestPendingAt) process.stdout.write(`oldest pending delivery since ${stats.oldestPendingAt}\n`);
        printTable(sources.map((x) => ({
          school: x.school, source: x.source, schedule: x.schedule, lastRun: x.lastRun?.startedAt, status: x.lastRun?.status,
          read: x.lastRun?.counts.read, new: x.lastRun?.counts.inserted, quarantined: x.lastRun?.counts.quarantined, error: x.lastRun?.error?.code,
        })), ['school', 'source', 'schedule', 'lastRun', 'status', 'read', 'new', 'quarantined', 'error']);
        if (problems) process.stdout.write(problems.length === 0 ? 'ledger consistent\n' : `ledger problems:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      }
      if (problems && problems.length > 0) exit(EXIT.failed);
      else exit(o.strict && (stats.deliveries.dead > 0 || stats.quarantineOpen > 0 || (stats.holdsPending ?? 0) > 0) ? EXIT.attention : EXIT.ok);
    });
  });

program.command('deliveries')
  .description('list deliveries, oldest first (the ledger pages by id)')
  .addOption(new Option('--state <state>', 'only this state').choices([...DELIVERY_STATES]))
  .option('--sink <id>', 'only this sink')
  .option('--school <id>', 'only this school')
  .option('--limit <n>', 'at most n rows', intArg(1, 100_000), 50)
  .action(async (o: { state?: DeliveryState; sink?: string; school?: string; limit: number }) => {
    const g = globals();
    await withLedger(g, async ({ ledger }) => {
      const rows = await ledger.listDeliveries({ ...(o.state ? { state: o.state } : {}), ...(o.sink ? { sinkId: o.sink } : {}), ...(o.school ? { schoolId: o.school } : {}), limit: o.limit });
      // Transport state (СМЭВ MessageID, SendingTimestamp, remote status), where a sink wrote one.
      const tr = ledger.transport ? await ledger.transport().lookup(rows.map((d) => d.id)) : new Map<number, DeliveryTransportState>();
      const withTransport = rows.map((d) => {
        const { deliveryId: _id, ...t } = tr.get(d.id) ?? { deliveryId: d.id };
        return Object.keys(t).length > 0 ? { ...d, transport: t } : d;
      });
      if (g.json) printJson(withTransport);
      else printTable(rows.map((d) => {
        const t = tr.get(d.id);
        return {
          id: d.id, sink: d.sinkId, school: d.schoolId, entity: d.entityType, rev: d.revision, state: d.state, attempts: `${d.attempts}/${d.maxAttempts}`, next: d.nextAttemptAt,
          transportId: t?.transportId, sendingTimestamp: t?.sendingTimestamp, remote: t?.remoteStatus ? `${t.remoteStatus}${t.remoteDetail ? ` (${t.remoteDetail})` : ''}` : undefined,
          lastError: d.lastError ? `${d.lastError.code}: ${d.lastError.message}` : '',
        };
      }), ['id', 'sink', 'school', 'entity', 'rev', 'state', 'attempts', 'next', 'transportId', 'sendingTimestamp', 'remote', 'lastError']);
      exit(EXIT.ok);
    });
  });

program.command('replay [deliveryId]')
  .description('re-queue a dead or rejected delivery, or all dead ones (--all-dead), optionally by school, sink or time window')
  .option('--all-dead', 'replay every dead delivery matching the filters')
  .option('--rejected', 'with --all-dead: replay rejected deliveries instead of dead ones')
  .option('--school <id>').option('--sink <id>')
  .option('--from <iso>', 'created at or after').option('--to <iso>', 'created at or before')
  .action(async (id: string | undefined, o: { allDead?: boolean; rejected?: boolean; school?: string; sink?: string; from?: string; to?: string }) => {
    const g = globals();
    try {
      if (!id && !o.allDead) throw new GatewayError('GW_API_BAD_REQUEST', 'give a delivery id or --all-dead');
      if (id && !/^\d+$/.test(id)) throw new GatewayError('GW_API_BAD_REQUEST', `delivery id must be a number, got ${id}`);
      const { ledger } = await openConfiguredLedger(g.config);
      try {
        const filter = id ? { ids: [Number(id)] } : {
          state: (o.rejected ? 'rejected' : 'dead') as DeliveryState,
          ...(o.school ? { schoolId: o.school } : {}), ...(o.sink ? { sinkId: o.sink } : {}), ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}),
        };
        const res = await ledger.replayDeliveries(filter, `cli:${process.env.USER ?? 'operator'}`, new Date().toISOString());
        const nothing = res.replayed + res.superseded === 0;
        if (g.json) printJson(res);
        else if (id && nothing) process.stderr.write(`delivery ${id}: nothing replayed — there is no such delivery, or it is not dead or rejected (see \`diary-gateway deliveries\`)\n`);
        else process.stdout.write(`replayed ${res.replayed}, superseded by newer versions ${res.superseded}${res.replayed > 0 ? '; a running gateway delivers them on its next poll' : ''}\n`);
        exit(id && nothing ? EXIT.failed : EXIT.ok);
      } finally { await ledger.close(); }
    } catch (e) { exit(reportError(e, !!g.json)); }
  });

const q = program.command('quarantine').description('records that failed validation or mapping');
q.command('list')
  .description('open quarantine entries: school, record and failing fields')
  .option('--school <id>').option('--all', 'include resolved entries').option('--limit <n>', 'at most n rows', intArg(1, 100_000), 50)
  .action(async (o: { school?: string; all?: boolean; limit: number }) => {
    const g = globals();
    await withLedger(g, async ({ ledger }) => {
      const rows = await ledger.listQuarantine({ ...(o.school ? { schoolId: o.school } : {}), includeResolved: !!o.all, limit: o.limit });
      if (g.json) printJson(rows.map(({ raw: _raw, ...r }) => r));
      else printTable(rows.map((r) => ({ id: r.id, school: r.schoolId, source: r.sourceInstance, stream: r.stream, record: `${r.entityType ?? '?'} ${r.sourceId}`, code: r.errorCode, fields: r.issues.map((i) => i.path).join(' '), seen: r.seenCount, resolved: r.resolvedAt ?? '' })),
        ['id', 'school', 'source', 'stream', 'record', 'code', 'fields', 'seen', 'resolved']);
      exit(EXIT.ok);
    });
  });
q.command('show <id>')
  .description('one quarantined record with every failing path and the record as received')
  .action(async (id: string) => {
    const g = globals();
    await withLedger(g, async ({ ledger }) => {
      const entry = /^\d+$/.test(id) ? await ledger.getQuarantine(Number(id)) : undefined;
      if (!entry) throw new GatewayError('GW_API_NOT_FOUND', `no quarantine entry ${id}`);
      if (g.json) printJson(entry);
      else {
        process.stdout.write(`#${entry.id} school ${entry.schoolId}, source ${entry.sourceInstance}, stream ${entry.stream}, ${entry.entityType ?? 'record'} ${entry.sourceId}\n`);
        process.stdout.write(`${entry.errorCode}: ${entry.message}\nwhat to do: ${ERROR_CODES[entry.errorCode as keyof typeof ERROR_CODES]?.remedy ?? ''}\n`);
        for (const i of entry.issues) process.stdout.write(`  ${i.path || '/'}: ${i.message}\n`);
        process.stdout.write(`first seen ${entry.firstSeenAt}, last seen ${entry.lastSeenAt} (${entry.seenCount}×)${entry.resolvedAt ? `, resolved ${entry.resolvedAt}` : ''}\nrecord as received:\n${JSON.stringify(entry.raw, null, 2)}\n`);
      }
      exit(EXIT.ok);
    });
  });

const holds = program.command('holds').description('syncs held by the safety hold (too many deletions or changes at once)');
holds.command('list')
  .description('safety holds, newest first (pending by default)')
  .option('--school <id>').option('--all', 'include approved and rejected holds').option('--limit <n>', 'at most n rows', intArg(1, 100_000), 50)
  .action(async (o: { school?: string; all?: boolean; limit: number }) => {
    const g = globals();
    await withLedger(g, async ({ ledger }) => {
      const rows = await ledger.listHolds({ ...(o.school ? { schoolId: o.school } : {}), ...(o.all ? {} : { state: 'pending' as const }), limit: o.limit });
      if (g.json) printJson(rows);
      else printTable(rows.map((h) => ({ id: h.id, school: h.schoolId, source: h.sourceInstance, kind: h.entityType, state: h.state, deletes: h.deletes, changes: h.changes, of: h.baseline, since: h.createdAt, decided: h.decidedBy ? `${h.decidedBy} ${h.decidedAt ?? ''}` : '' })),
        ['id', 'school', 'source', 'kind', 'state', 'deletes', 'changes', 'of', 'since', 'decided']);
      exit(EXIT.ok);
    });
  });
holds.command('show <id>')
  .description('one hold: why it was held, what it would change, who decided')
  .action(async (id: string) => {
    const g = globals();
    await withLedger(g, async ({ ledger }) => {
      const h = /^\d+$/.test(id) ? await ledger.getHold(Number(id)) : undefined;
      if (!h) throw new GatewayError('GW_API_NOT_FOUND', `no safety hold ${id}`);
      if (g.json) printJson(h);
      else {
        process.stdout.write(`hold #${h.id} — school ${h.schoolId}, source ${h.sourceInstance}, ${h.entityType}: ${h.state}\n${h.reason}\n`);
        process.stdout.write(`held: ${h.deletes} deletion(s), ${h.changes} change(s) of ${h.baseline} record(s); runs ${h.runIds.join(', ')}; since ${h.createdAt}\n`);
        if (h.state === 'pending') process.stdout.write(`what to do: check the journal; then \`diary-gateway holds approve ${h.id}\` to apply or \`diary-gateway holds reject ${h.id}\` to discard\n`);
        else process.stdout.write(`${h.state} by ${h.decidedBy ?? '?'} at ${h.decidedAt ?? '?'}${h.state === 'approved' ? ` — applied ${h.applied ?? 0}, superseded ${h.superseded ?? 0}` : ''}\n`);
      }
      exit(EXIT.ok);
    });
  });
for (const decision of ['approve', 'reject'] as const) {
  holds.command(`${decision} <id>`)
    .description(decision === 'approve' ? 'apply the held changes (a running gateway delivers them on its next poll)' : 'discard the held changes')
    .action(async (id: string) => {
      const g = globals();
      await withLedger(g, async ({ ledger }) => {
        if (!/^\d+$/.test(id)) throw new GatewayError('GW_API_BAD_REQUEST', `hold id must be a number, got ${id}`);
        const h = await ledger.decideHold(Number(id), decision, `cli:${process.env.USER ?? 'operator'}`, new Date().toISOString());
        if (g.json) printJson(h);
        else process.stdout.write(decision === 'approve'
          ? `hold #${h.id} approved: applied ${h.applied ?? 0} change(s)${h.superseded ? `, ${h.superseded} superseded by newer versions` : ''}\n`
          : `hold #${h.id} rejected: ${h.deletes + h.changes} change(s) discarded\n`);
        exit(EXIT.ok);
      });
    });
}

program.command('simulate <system>')
  .description(`start one simulator standalone with demo data (${Object.keys(SIMULATORS).join(', ')}) and print its address and demo credentials`)
  .option('-p, --port <n>', 'port (0 = any free port)', intArg(0, 65_535), 0)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--seed <n>', 'demo data seed (default: the simulator\'s own, the same data `run` with config/demo.json serves)', intArg(0))
  .option('--live', 'keep adding new data over time')
  .action(async (system: string, o: { port: number; host: string; seed?: number; live?: boolean }) => {
    exit(await simulateCommand(system, { port: o.port, host: o.host, ...(o.seed !== undefined ? { seed: o.seed } : {}), live: !!o.live, json: !!globals().json }));
  });

// Reports, paper extracts and SMS helpers (src/cli/families-print.ts).
registerFamiliesPrint(program, { globals, openLedger: openConfiguredLedger });
registerConsentCommands(program);
// After registerFamiliesPrint: it adds `report sla` to the same `report` command.
registerSlaReportCommands(program);
registerAccessCodeCommands(program);
registerExportCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.exitCode = reportError(e, !!program.opts<GlobalOpts>().json);
});
