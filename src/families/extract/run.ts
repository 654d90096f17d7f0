/**
 * The weekly paper-extract job of one school: for every family that gets its information on
 * paper (the consent registry says who, through `PaperRecipients`), assemble the week from the
 * ledger, render a PDF, record it in the extract register with its deadline, and render one PDF
 * per class for printing. Idempotent: a family whose week did not change keeps its extract
 * (no new version); one whose week changed (a mark entered late) gets a new version.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import { toPdf } from '../../infra/report';
import { loadSchoolView, REPORT_ENTITIES } from '../../reports';
import { ru } from '../../reports/labels';
import { findClass } from '../../reports/roster';
import { resolveForecastPolicy, type ForecastConfig } from '../forecast';
import { assembleFamilyExtract, extractContentHash, type FamilyExtractData } from './assemble';
import type { ExtractRegister, PaperExtract } from './register';
import { classBundleDoc, familyExtractDoc } from './render';
import { extractDueAt, lastFinishedWeek, type IsoWeek } from './week';

/** A family that gets the weekly extract on paper, named by the student. */
export interface PaperRecipient {
  studentId: string;
  reason?: 'refused_electronic' | 'no_access' | 'requested_paper';
}

/** Who gets paper this week; the consent registry's `paperFamilies()` implements it. */
export interface PaperRecipients {
  paperFamilies(schoolId: string, week: IsoWeek): Promise<readonly PaperRecipient[]>;
}

/** `schools[].families.extracts` (JSON Schema fragment for config/gateway.schema.json). */
export const EXTRACTS_CONFIG_SCHEMA = {
  type: 'object', additionalProperties: false,
  description: 'Weekly paper extracts for families without electronic delivery.',
  properties: {
    enabled: { type: 'boolean', default: true },
    schedule: { type: 'string', minLength: 1, default: '0 7 * * 1', description: "node-cron, school time; each run makes the last finished week's extracts." },
    handOverWeeks: { type: 'integer', minimum: 0, maximum: 2, default: 1, description: 'Deadline: end of Sunday this many weeks after the extract week.' },
    upcomingDays: { type: 'integer', minimum: 1, maximum: 60, default: 14 },
    outDir: { type: 'string', minLength: 1, default: 'data/extracts', description: 'Where the PDFs are written: <outDir>/<school>/<week>/.' },
  },
} as const;

export interface ExtractsConfig { enabled?: boolean; schedule?: string; handOverWeeks?: number; upcomingDays?: number; outDir?: string }

export interface WeeklyExtractDeps {
  ledger: Ledger;
  register: ExtractRegister;
  recipients: PaperRecipients;
  now(): Date;
  log: Logger;
}

export interface WeeklyExtractOptions {
  schoolId: string;
  schoolName: string;
  timeZone: string;
  /** Default: the last week that has ended in the school's zone. */
  week?: IsoWeek;
  /** Only this class (id, journal id or title). */
  classKey?: string;
  forecast?: ForecastConfig;
  extracts?: ExtractsConfig;
  /** Write PDFs here (<outDir>/<school>/<week>/); absent = keep them in memory only. */
  outDir?: string;
}

export interface FamilyResult {
  studentId: string;
  classGroupId: string;
  extract: PaperExtract;
  /** False when the week did not change since the last run (no new version). */
  created: boolean;
  pdf: Buffer;
  file?: string;
  data: FamilyExtractData;
}

export interface ClassResult {
  classGroupId: string;
  title: string;
  families: number;
  pdf: Buffer;
  file?: string;
}

export interface WeeklyExtractResult {
  week: IsoWeek;
  dueAt: string;
  families: FamilyResult[];
  classes: ClassResult[];
  /** Recipients with no enrolment in the school that week. */
  skipped: string[];
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const fileSafe = (s: string): string => s.replace(/[^\p{L}\p{N}._-]+/gu, '_');

export async function runWeeklyExtracts(deps: WeeklyExtractDeps, o: WeeklyExtractOptions): Promise<WeeklyExtractResult> {
  const now = deps.now();
  const generatedAt = now.toISOString();
  const week = o.week ?? lastFinishedWeek(now, o.timeZone);
  const dueAt = extractDueAt(week, o.timeZone, o.extracts?.handOverWeeks ?? 1);
  const view = await loadSchoolView(deps.ledger, o.schoolId, REPORT_ENTITIES);
  const onlyClass = o.classKey !== undefined ? findClass(view, o.classKey).id : undefined;
  const forecastPolicy = resolveForecastPolicy(o.forecast);
  const recipients = [...new Map((await deps.recipients.paperFamilies(o.schoolId, week)).map((r) => [r.studentId, r])).values()];
  // Absolute: the register keeps the path so the withdrawal purge can find the file from any working directory.
  const dir = o.outDir !== undefined ? resolve(o.outDir, fileSafe(o.schoolId), week.id) : undefined;
  if (dir) await mkdir(dir, { recursive: true });

  const families: FamilyResult[] = [];
  const skipped: string[] = [];
  for (const r of recipients) {
    const data = assembleFamilyExtract(view, r.studentId, {
      schoolName: o.schoolName, timeZone: o.timeZone, week, dueAt, forecastPolicy, ...(o.extracts?.upcomingDays ? { upcomingDays: o.extracts.upcomingDays } : {}),
    });
    if (!data) { skipped.push(r.studentId); continue; }
    if (onlyClass !== undefined && data.classGroup.id !== onlyClass) continue;
    const pdf = await toPdf(familyExtractDoc(data, generatedAt));
    const { extract, created } = await deps.register.record({
      schoolId: o.schoolId, week: week.id, weekStart: week.start, weekEnd: week.end, classGroupId: data.classGroup.id, studentId: r.studentId,
      dueAt: dueAt.toISOString(), generatedAt, contentHash: extractContentHash(data), pdfSha256: sha256(pdf), refs: data.refs,
    });
    let file: string | undefined;
    if (dir && created) {
      file = join(dir, fileSafe(data.classGroup.title), `${extract.id}.pdf`);
      await mkdir(join(dir, fileSafe(data.classGroup.title)), { recursive: true });
      await writeFile(file, pdf);
      await deps.register.setPdfPath(extract.id, file);
      extract.pdfPath = file;
    }
    families.push({ studentId: r.studentId, classGroupId: data.classGroup.id, extract, created, pdf, data, ...(file ? { file } : {}) });
  }

  const byClass = new Map<string, FamilyResult[]>();
  for (const f of families) byClass.set(f.classGroupId, [...(byClass.get(f.classGroupId) ?? []), f]);
  const classes: ClassResult[] = [];
  for (const [classGroupId, list] of byClass) {
    list.sort((a, b) => ru.compare(a.data.student.name, b.data.student.name));
    const title = list[0]!.data.classGroup.title;
    const pdf = await toPdf(classBundleDoc(list.map((f) => f.data), { schoolName: o.schoolName, classTitle: title, weekId: week.id, generatedAt, timeZone: o.timeZone }));
    const file = dir ? join(dir, `${fileSafe(title)}.pdf`) : undefined;
    if (file) {
      await writeFile(file, pdf);
      await deps.register.recordBundle?.({ path: file, schoolId: o.schoolId, week: week.id, classGroupId, studentIds: list.map((f) => f.studentId) });
    }
    classes.push({ classGroupId, title, families: list.length, pdf, ...(file ? { file } : {}) });
  }
  classes.sort((a, b) => ru.compare(a.title, b.title));
  deps.log.info('weekly paper extracts', {
    schoolId: o.schoolId, week: week.id, families: families.length, created: families.filter((f) => f.created).length, classes: classes.length, skipped: skipped.length,
  });
  return { week, dueAt: dueAt.toISOString(), families, classes, skipped };
}
