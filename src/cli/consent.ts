/**
 * `diary-gateway consent …`: the consent registry from the command line. Works on the ledger
 * named by the config (no running gateway needed; a running one sees the changes at once,
 * as the gate reads the registry at every push).
 */
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { ConsentInput } from '../core/consent';
import { GatewayError } from '../core/errors';
import { csvTemplate, decodeCsv, importConsentCsv } from '../families/consent/csv';
import { openConsentStore } from '../families/consent/runtime';
import type { SqliteConsentStore } from '../ledger/sqlite/consent-store';
import { openConfiguredLedger } from './context';
import { EXIT, printJson, printTable, reportError } from './output';

interface GlobalOpts { config: string; json?: boolean }

const actor = (): string => `cli:${process.env.USER ?? 'operator'}`;

function positiveInt(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(value);
}

export function registerConsentCommands(program: Command): void {
  const globals = (): GlobalOpts => program.opts<GlobalOpts>();
  const run = async (fn: (store: SqliteConsentStore, g: GlobalOpts) => Promise<number>): Promise<void> => {
    const g = globals();
    try {
      const { ledger, config } = await openConfiguredLedger(g.config);
      try {
        process.exitCode = await fn(openConsentStore(config, ledger), g);
      } finally {
        await ledger.close();
      }
    } catch (e: unknown) {
      process.exitCode = reportError(e, !!g.json);
    }
  };
  const now = (): string => new Date().toISOString();

  const consent = program.command('consent').description('consent registry: consents and refusals (152-ФЗ ст. 9 ч. 4), withdrawals, contacts, the paper list, the withdrawal purge');

  consent.command('import <file>')
    .description('import a CSV register (UTF-8 or Windows-1251, ";" or ","); each row is a consent, refusal or withdrawal, with contacts. Bad rows are listed, the rest stored; re-importing stores nothing twice')
    .option('--school <id>', 'school of rows whose school_id is empty')
    .action((file: string, o: { school?: string }) => run(async (store, g) => {
      const text = decodeCsv(fs.readFileSync(file));
      const r = await importConsentCsv(store, text, { actor: actor(), now: now(), ...(o.school ? { schoolId: o.school } : {}) });
      if (g.json) printJson(r);
      else {
        process.stdout.write(`${file}: ${r.rows} row(s) — new ${r.created}, withdrawn ${r.withdrawn}, already registered ${r.unchanged}, rejected ${r.rejected.length}; withheld deliveries re-queued ${r.requeued}\n`);
        for (const bad of r.rejected) for (const i of bad.issues) process.stdout.write(`  line ${bad.line}: ${i.path || '(row)'}: ${i.message}\n`);
      }
      return r.rejected.length > 0 ? EXIT.attention : EXIT.ok;
    }));

  consent.command('register <file>')
    .description('register consents or refusals from a JSON file (one ConsentInput object or an array of them, as the admin API takes)')
    .action((file: string) => run(async (store, g) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
      } catch (e: unknown) {
        throw new GatewayError('GW_API_BAD_REQUEST', `${file} is not readable JSON`, { cause: e, issues: [{ path: '/', message: 'invalid JSON' }] });
      }
      const inputs = (Array.isArray(parsed) ? parsed : [parsed]) as ConsentInput[];
      const results = [];
      for (const input of inputs) results.push(await store.register(input, actor(), now()));
      if (g.json) printJson(results);
      else for (const r of results) process.stdout.write(`consent #${r.consent.id} (${r.consent.decision}): ${r.created ? 'registered' : 'already registered'}${r.requeued > 0 ? `; ${r.requeued} withheld delivery(ies) re-queued` : ''}\n`);
      return EXIT.ok;
    }));

  consent.command('template').description('print the CSV header of a blank register').action(() => { process.stdout.write(csvTemplate()); });

  consent.command('withdraw <consentId>')
    .description('record a withdrawal: electronic delivery stops at once, the family\'s data is destroyed when the purge falls due (at most 30 days)')
    .requiredOption('--evidence <ref>', 'reference of the written withdrawal (archive or document-system number)')
    .option('--at <date>', 'when the withdrawal was received (YYYY-MM-DD or ISO date-time; default now)')
    .action((id: string, o: { evidence: string; at?: string }) => run(async (store, g) => {
      const c = await store.withdraw(positiveInt(id), { evidenceRef: o.evidence, ...(o.at ? { withdrawnAt: o.at } : {}) }, actor(), now());
      if (g.json) printJson(c);
      else process.stdout.write(`consent #${c.id} withdrawn at ${c.withdrawnAt ?? '?'}; electronic delivery stopped; the family's data will be destroyed by ${c.purgeDueAt ?? '?'}\n`);
      return EXIT.ok;
    }));

  consent.command('list')
    .description('registrations, newest first (without the document items)')
    .option('--school <id>').option('--child <id>', 'canonical person id of the child')
    .option('--limit <n>', 'at most n rows', positiveInt, 50)
    .action((o: { school?: string; child?: string; limit: number }) => run(async (store, g) => {
      const rows = await store.list({ ...(o.school ? { schoolId: o.school } : {}), ...(o.child ? { childId: o.child } : {}), limit: o.limit });
      if (g.json) printJson(rows);
      else printTable(rows.map((c) => ({ id: c.id, school: c.schoolId, child: c.childId, applicant: `${c.applicantKind} ${c.applicantId}`, decision: c.decision, channels: c.channels.join(','), signed: c.signedAt.slice(0, 10), validTo: c.validTo?.slice(0, 10), withdrawn: c.withdrawnAt?.slice(0, 10), replacedBy: c.supersededBy })),
        ['id', 'school', 'child', 'applicant', 'decision', 'channels', 'signed', 'validTo', 'withdrawn', 'replacedBy']);
      return EXIT.ok;
    }));

  consent.command('show <consentId>')
    .description('one registration; --items also prints the document items (personal data)')
    .option('--items', 'include the ст. 9 ч. 4 items')
    .action((id: string, o: { items?: boolean }) => run(async (store, g) => {
      const c = await store.get(positiveInt(id));
      if (!c) throw new GatewayError('GW_API_NOT_FOUND', `no consent ${id}`);
      const { items, ...rest } = c;
      const shown = o.items ? c : rest;
      if (g.json) printJson(shown);
      else {
        for (const [k, v] of Object.entries(rest)) process.stdout.write(`${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}\n`);
        if (o.items && items) process.stdout.write(`items:\n${JSON.stringify(items, null, 2)}\n`);
      }
      return EXIT.ok;
    }));

  consent.command('status <childId>')
    .description('the child\'s consent state and the electronic channels allowed now')
    .requiredOption('--school <id>')
    .action((child: string, o: { school: string }) => run(async (store, g) => {
      const s = await store.status(o.school, child, now());
      if (g.json) printJson(s);
      else process.stdout.write(`${s.state}; allowed: ${s.channels.join(', ') || 'nothing electronic'}${s.purgeDueAt ? `; data destroyed by ${s.purgeDueAt}` : ''}${s.purgedAt ? `; purged ${s.purgedAt}` : ''}\n`);
      return EXIT.ok;
    }));

  consent.command('paper')
    .description('families served on paper (refusals, withdrawals, ended consents, chosen paper)')
    .option('--school <id>').option('--all', 'also students with nothing registered')
    .action((o: { school?: string; all?: boolean }) => run(async (store, g) => {
      const rows = await store.paperFamilies({ ...(o.school ? { schoolId: o.school } : {}), includeUnregistered: !!o.all }, now());
      if (g.json) printJson(rows);
      else printTable(rows.map((p) => ({ school: p.schoolId, child: p.childId, reason: p.reason, since: p.since?.slice(0, 10), purged: p.dataPurged ? 'yes' : '' })), ['school', 'child', 'reason', 'since', 'purged']);
      return EXIT.ok;
    }));

  consent.command('purge')
    .description('run the withdrawal purge now (it also runs on a timer inside `run`)')
    .action(() => run(async (store, g) => {
      const r = await store.purgeWithdrawn(now());
      if (g.json) printJson(r);
      else process.stdout.write(`purged the data of ${r.entries.length} child(ren); consent evidence items destroyed after retention: ${r.evidenceItemsPurged}\n`);
      return EXIT.ok;
    }));

  consent.command('purges')
    .description('the acts of destruction: what the purge destroyed, when and on what basis')
    .option('--school <id>').option('--child <id>').option('--limit <n>', 'at most n rows', positiveInt, 50)
    .action((o: { school?: string; child?: string; limit: number }) => run(async (store, g) => {
      const rows = await store.purgeLog({ ...(o.school ? { schoolId: o.school } : {}), ...(o.child ? { childId: o.child } : {}), limit: o.limit });
      if (g.json) printJson(rows);
      else printTable(rows.map((p) => ({ id: p.id, school: p.schoolId, child: p.childId, withdrawn: p.withdrawnAt.slice(0, 10), due: p.dueAt.slice(0, 10), purged: p.purgedAt, records: Object.values(p.destroyed.records).reduce((a, b) => a + (b ?? 0), 0), versions: p.destroyed.versions, contacts: p.destroyed.contacts, raws: p.destroyed.quarantineRaws })),
        ['id', 'school', 'child', 'withdrawn', 'due', 'purged', 'records', 'versions', 'contacts', 'raws']);
      return EXIT.ok;
    }));
}
