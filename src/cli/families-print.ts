/**
 * CLI commands for what families and schools read on paper or in a spreadsheet:
 *
 *   report summary --school S --class C --period P [--kind period|annual|final] [--format csv|html|pdf] [--out FILE]
 *   report lessons --school S --class C --period P [--as-of DATE] [--plan plan.json] [--format …] [--out FILE]
 *   extracts [generate] --school S [--week YYYY-Www] [--class C] [--out DIR] [--all-students]
 *   extracts list --school S [--week W] [--class C] [--state S]
 *   extracts handed-over <extractId> --by NAME
 *   extracts overdue
 *   sms count <text…> [--translit]
 *
 * Registered by main.ts through `registerFamiliesPrint(program, deps)`. Who gets paper comes from
 * the consent registry in the ledger (`consentPaperRecipients`: refusals, withdrawals, expired or
 * missing consents, families who chose paper or whom no electronic channel reaches); the
 * extract register is the ledger's (tables of migration 7).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { GatewayError } from '../core/errors';
import type { Ledger } from '../core/ledger';
import { nullLogger, type Logger } from '../core/logger';
import type { GatewayConfig, SchoolConfig } from '../infra/config';
import type { ForecastConfig } from '../families/forecast';
import { extractsLockName, withExtractsLock } from '../families/extract/schedule';
import {
  consentPaperRecipients, parseIsoWeek, runWeeklyExtracts, type ExtractRegister, type ExtractState, type ExtractsConfig, type PaperRecipients,
} from '../families/extract';
import { openConsentStore, openExtractRegister } from '../families/consent/runtime';
import { composeText, countSegments, DEFAULT_SMS_LIMITS } from '../families/sms';
import {
  buildLessonStats, buildSummarySheet, findClass, loadSchoolView, parseCurriculumPlan, renderReport, REPORT_ENTITIES, studentsOf,
  type ReportFormat, type SheetKind,
} from '../reports';
import type { ClassGroup } from '../core/canonical-types';
import { EXIT, printJson, printTable, reportError } from './output';

export interface FamiliesPrintContext {
  config: GatewayConfig;
  ledger: Ledger;
}

export interface FamiliesPrintDeps {
  /** The global options (`-c`, `--json`). */
  globals(): { config: string; json?: boolean };
  /** main.ts passes openConfiguredLedger. */
  openLedger(configPath: string): Promise<FamiliesPrintContext>;
  /** Default: the consent registry in the ledger (`consentPaperRecipients`). */
  paperRecipients?(ctx: FamiliesPrintContext): PaperRecipients;
  /** Default: the register in the ledger (`openExtractRegister(config, ledger)`). */
  extractRegister?(ctx: FamiliesPrintContext): ExtractRegister;
  now?(): Date;
  log?: Logger;
}

/** What a school may say under `families` (config schema fragments in src/families/*). */
interface SchoolFamilies { forecast?: ForecastConfig; extracts?: ExtractsConfig }

const FORMATS: readonly ReportFormat[] = ['csv', 'html', 'pdf'];

function schoolOf(config: GatewayConfig, id: string): SchoolConfig & { families?: SchoolFamilies } {
  const s = config.schools.find((x) => x.id === id);
  if (!s) throw new GatewayError('GW_SCHOOL_UNKNOWN', `school ${JSON.stringify(id)} is not configured`);
  return s;
}

function dateArg(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new InvalidArgumentError('expected a date YYYY-MM-DD.');
  return v;
}

function defaultRegister(ctx: FamiliesPrintContext): ExtractRegister {
  return openExtractRegister(ctx.config, ctx.ledger);
}

/** Every student of the school's classes (or of one class) that week: for demos and for schools printing for all. */
export function allStudentsRecipients(ledger: Ledger, classKey?: string): PaperRecipients {
  return {
    async paperFamilies(schoolId, week) {
      const view = await loadSchoolView(ledger, schoolId, ['class_group', 'membership', 'person']);
      const classes = classKey !== undefined ? [findClass(view, classKey)] : view.all<ClassGroup>('class_group').filter((c) => c.kind === 'class');
      return classes.flatMap((c) => studentsOf(view, c.id, week.start, week.end)).map((p) => ({ studentId: p.id, reason: 'requested_paper' as const }));
    },
  };
}

async function withContext(deps: FamiliesPrintDeps, fn: (ctx: FamiliesPrintContext) => Promise<number | void>): Promise<void> {
  const g = deps.globals();
  try {
    const ctx = await deps.openLedger(g.config);
    try { process.exitCode = (await fn(ctx)) ?? EXIT.ok; } finally { await ctx.ledger.close(); }
  } catch (e) { process.exitCode = reportError(e, !!g.json); }
}

function emit(buf: Buffer, out: string | undefined, format: ReportFormat): void {
  if (out) { writeFileSync(out, buf); return; }
  if (format === 'pdf' && process.stdout.isTTY) throw new GatewayError('GW_API_BAD_REQUEST', 'a PDF is not written to a terminal: give --out FILE');
  process.stdout.write(buf);
}

const reportOptions = (c: Command): Command => c
  .requiredOption('--school <id>', 'school id from the config')
  .requiredOption('--class <class>', 'class: title (8б), canonical id or journal id')
  .requiredOption('--period <period>', 'reporting period: title (I четверть), canonical id or journal id')
  .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('pdf'))
  .option('--out <file>', 'write to this file (default: stdout)');

export function registerReportCommands(program: Command, deps: FamiliesPrintDeps): void {
  // One `report` command for all reports (the SLA reports add their subcommand to it too).
  const report = program.commands.find((c) => c.name() === 'report')
    ?? program.command('report').description('reports for schools and officials in Russian (CSV, HTML, PDF)');
  reportOptions(report.command('summary').description('сводная ведомость: period, annual or final marks of a class with totals'))
    .addOption(new Option('--kind <kind>', 'marks to show (default: annual for a year period, else period)').choices(['period', 'annual', 'final']))
    .action(async (o: { school: string; class: string; period: string; format: ReportFormat; out?: string; kind?: SheetKind }) => withContext(deps, async ({ ledger, config }) => {
      const school = schoolOf(config, o.school);
      const view = await loadSchoolView(ledger, school.id, REPORT_ENTITIES);
      const sheet = buildSummarySheet({ view, schoolName: school.name, classKey: o.class, periodKey: o.period, generatedAt: (deps.now?.() ?? new Date()).toISOString(), timeZone: school.timezone, ...(o.kind ? { kind: o.kind } : {}) });
      emit(await renderReport(sheet.doc, o.format), o.out, o.format);
      if (deps.globals().json && o.out) printJson({ ok: true, out: o.out, students: sheet.students.length, subjects: sheet.subjects.length, classStats: sheet.classStats });
    }));
  reportOptions(report.command('lessons').description('lessons held against the curriculum plan, by type, with results'))
    .option('--as-of <date>', 'count lessons up to this date (default: the period end)', dateArg)
    .option('--plan <file>', 'curriculum plan JSON ({entries: [{subject, group?, planned, controlWorks?}]}); default: derived from the teaching load')
    .action(async (o: { school: string; class: string; period: string; format: ReportFormat; out?: string; asOf?: string; plan?: string }) => withContext(deps, async ({ ledger, config }) => {
      const school = schoolOf(config, o.school);
      const plan = o.plan ? parseCurriculumPlan(JSON.parse(readFileSync(o.plan, 'utf8')) as unknown) : undefined;
      const view = await loadSchoolView(ledger, school.id, REPORT_ENTITIES);
      const stats = buildLessonStats({ view, schoolName: school.name, classKey: o.class, periodKey: o.period, generatedAt: (deps.now?.() ?? new Date()).toISOString(), timeZone: school.timezone,
        ...(o.asOf ? { asOf: o.asOf } : {}), ...(plan ? { plan } : {}) });
      emit(await renderReport(stats.doc, o.format, { landscape: false }), o.out, o.format);
      if (deps.globals().json && o.out) printJson({ ok: true, out: o.out, planSource: stats.planSource, total: stats.total });
    }));
}

export function registerExtractCommands(program: Command, deps: FamiliesPrintDeps): void {
  const ex = program.command('extracts').description('weekly paper extracts for families without electronic delivery');
  const register = (ctx: FamiliesPrintContext): ExtractRegister => (deps.extractRegister ?? defaultRegister)(ctx);

  ex.command('generate', { isDefault: true }).description('make the week\'s extracts: a PDF per family and one per class for printing')
    .requiredOption('--school <id>', 'school id from the config')
    .option('--week <week>', 'ISO week, e.g. 2025-W46 (default: the last finished week)')
    .option('--class <class>', 'only this class')
    .option('--out <dir>', 'folder for the PDFs (default: the school\'s families.extracts.outDir, else data/extracts)')
    .option('--all-students', 'print for every student, not only the families who get paper')
    .action(async (o: { school: string; week?: string; class?: string; out?: string; allStudents?: boolean }) => withContext(deps, async (ctx) => {
      const school = schoolOf(ctx.config, o.school);
      const now = deps.now ?? (() => new Date());
      const recipients = o.allStudents ? allStudentsRecipients(ctx.ledger, o.class)
        : deps.paperRecipients?.(ctx) ?? consentPaperRecipients(openConsentStore(ctx.config, ctx.ledger), now);
      const reg = register(ctx);
      const week = o.week ? parseIsoWeek(o.week) : undefined;
      // The same lock as the scheduled run (schedule.ts): a manual run and a gateway on this ledger never make the school's extracts at once.
      const owner = `cli:${process.pid}:${randomUUID().slice(0, 8)}`;
      const run = await withExtractsLock(ctx.ledger, school.id, owner, now(), () => runWeeklyExtracts({ ledger: ctx.ledger, register: reg, recipients, now, log: deps.log ?? nullLogger }, {
        schoolId: school.id, schoolName: school.name, timeZone: school.timezone, outDir: o.out ?? school.families?.extracts?.outDir ?? 'data/extracts',
        ...(week ? { week } : {}), ...(o.class ? { classKey: o.class } : {}),
        ...(school.families?.forecast ? { forecast: school.families.forecast } : {}), ...(school.families?.extracts ? { extracts: school.families.extracts } : {}),
      }));
      if (run.locked) {
        throw new GatewayError('GW_RUN_LOCKED', `the weekly paper extracts of school ${school.id} are being made by another process (lock ${extractsLockName(school.id)}); try again when it has finished`);
      }
      const res = run.value;
      const summary = { week: res.week.id, dueAt: res.dueAt, families: res.families.length, newOrChanged: res.families.filter((f) => f.created).length,
        classes: res.classes.map((c) => ({ class: c.title, families: c.families, file: c.file })), skipped: res.skipped.length };
      if (deps.globals().json) printJson(summary);
      else {
        process.stdout.write(`week ${summary.week}, due ${summary.dueAt}: ${summary.families} extracts (${summary.newOrChanged} new or changed), ${summary.skipped} skipped\n`);
        printTable(summary.classes, ['class', 'families', 'file']);
      }
      return res.skipped.length > 0 ? EXIT.attention : EXIT.ok;
    }));

  ex.command('list').description('extracts in the register')
    .requiredOption('--school <id>', 'school id')
    .option('--week <week>', 'ISO week')
    .option('--class <classId>', 'class group id')
    .addOption(new Option('--state <state>').choices(['generated', 'printed', 'handed_over', 'superseded']))
    .action(async (o: { school: string; week?: string; class?: string; state?: ExtractState }) => withContext(deps, async (ctx) => {
      const reg = register(ctx);
      const list = await reg.list({ schoolId: o.school, ...(o.week ? { week: parseIsoWeek(o.week).id } : {}), ...(o.class ? { classGroupId: o.class } : {}), ...(o.state ? { state: o.state } : {}) });
      const rows = list.map((x) => ({ id: x.id, week: x.week, student: x.studentId, version: x.version, state: x.state, dueAt: x.dueAt, handedOverAt: x.handedOverAt }));
      if (deps.globals().json) printJson(rows); else printTable(rows, ['id', 'week', 'student', 'version', 'state', 'dueAt', 'handedOverAt']);
    }));

  ex.command('handed-over <extractId>').description('record that a family received its extract')
    .requiredOption('--by <name>', 'who handed it over (e.g. the class teacher)')
    .option('--at <iso>', 'when (default: now)')
    .action(async (id: string, o: { by: string; at?: string }) => withContext(deps, async (ctx) => {
      const reg = register(ctx);
      const x = await reg.markHandedOver(id, o.by, o.at ?? (deps.now?.() ?? new Date()).toISOString());
      if (deps.globals().json) printJson(x); else process.stdout.write(`extract ${x.id} (week ${x.week}, version ${x.version}) handed over at ${x.handedOverAt}\n`);
    }));

  ex.command('overdue').description('extracts not handed over by their deadline (exit 4 when any)')
    .action(async () => withContext(deps, async (ctx) => {
      const reg = register(ctx);
      const list = await reg.overdue((deps.now?.() ?? new Date()).toISOString());
      const rows = list.map((x) => ({ id: x.id, school: x.schoolId, week: x.week, student: x.studentId, state: x.state, dueAt: x.dueAt }));
      if (deps.globals().json) printJson(rows); else printTable(rows, ['id', 'school', 'week', 'student', 'state', 'dueAt']);
      return rows.length > 0 ? EXIT.attention : EXIT.ok;
    }));
}

export function registerSmsCommands(program: Command, deps: Pick<FamiliesPrintDeps, 'globals'>): void {
  program.command('sms').description('SMS helpers').command('count <text...>')
    .description('encoding and SMS parts of a text (GSM-7 160/153, UCS-2 70/67), optionally transliterated')
    .option('--translit', 'also show the ICAO Doc 9303 transliteration')
    .action((words: string[], o: { translit?: boolean }) => {
      const text = words.join(' ');
      const c = countSegments(text);
      const t = o.translit ? composeText(text, { limits: DEFAULT_SMS_LIMITS, transliterate: 'always' }) : undefined;
      const out = { encoding: c.encoding, characters: c.characters, units: c.units, segments: c.segments, remaining: c.remaining, nonGsm: c.nonGsm.join(''),
        ...(t ? { translit: { text: t.text, segments: t.count.segments, encoding: t.count.encoding } } : {}) };
      if (deps.globals().json) printJson(out);
      else process.stdout.write(`${c.encoding}: ${c.characters} characters, ${c.segments} SMS part(s), ${c.remaining} left in the last${t ? `\ntransliterated (${t.count.encoding}, ${t.count.segments} part(s)): ${t.text}` : ''}\n`);
    });
}

/** Everything above; main.ts calls this once. */
export function registerFamiliesPrint(program: Command, deps: FamiliesPrintDeps): void {
  registerReportCommands(program, deps);
  registerExtractCommands(program, deps);
  registerSmsCommands(program, deps);
}
