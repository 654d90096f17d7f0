/**
 * `exportOneRosterCsv`: a OneRoster 1.2 CSV package of one school from the ledger — `bulk`
 * (every active record) or `delta` (every record whose revision is after `sinceRevision`,
 * tombstones included as `status: tobedeleted`) — and the revision to start the next delta
 * after. Rows are streamed: records are read a page at a time (`listRecords` by revision) and
 * written as they come; only the school index (csv/scan.ts) is held.
 *
 * Derived objects (the school's org, class × subject sections, categories, the columns of period
 * marks, students' section enrollments) are written once per package, when a record that needs
 * them is written (all of them in a bulk package).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../../src/core/errors';
import type { Ledger } from '../../../src/core/ledger';
import type { EntityType } from '../../../src/core/records';
import { COLLECTIONS, isCollection } from '../collections';
import { columnIdOf, homeroomCourseIdOf, orgIdOf, sectionEnrollmentIdOf, sectionIdOf } from '../ids';
import { hrefsOf, localDateOf, modifiedOf, isoSeconds, str, type Obj } from '../map/common';
import { categoryOf, columnLineItemOf, lineItemOf, markCategoryOf, resultOf, type GradebookOptions } from '../map/gradebook';
import {
  classOf, courseOf, enrollmentOf, homeroomCourseOf, orgOf, periodSessionOf, roleRowsOf, sectionEnrollmentOf, sectionOf, teacherEnrollmentOf, userOf, yearSessionOf,
} from '../map/roster';
import { checkOneRoster } from '../openapi';
import { DEFAULT_UTC_OFFSET } from '../spec';
import type { CsvFile } from './columns';
import { buildIndex, maxRevision, pages, type SchoolIndex } from './scan';
import { CsvPackageWriter } from './writer';

export interface OneRosterCsvExportOptions {
  ledger: Ledger;
  schoolId: string;
  /** The package folder (created); must not hold a package already. */
  outDir: string;
  mode: 'bulk' | 'delta';
  /**
   * Delta: rows for records whose revision is greater than this (the `highWater` of the previous
   * export). Absent with `destination`: the destination's stored watermark.
   */
  sinceRevision?: number;
  /**
   * Where this school's packages go (`oneroster-csv:<folder>` or a name): a delta without
   * `sinceRevision` starts after the watermark stored for (school, destination), and a complete
   * package moves it to its `highWater`. Absent: no watermark is read or written.
   */
  destination?: string;
  now: Date;
  utcOffset?: string;
  /** The school's org sourcedId at the consumer (default: UUIDv5 of the school id, as the REST sink). */
  orgSourcedId?: string;
}

export interface ExportIssue { file: string; sourcedId: string; path: string; message: string }

export interface OneRosterCsvExportResult {
  dir: string;
  mode: 'bulk' | 'delta';
  sinceRevision: number;
  /** Where a delta's start came from: given by the caller, or the destination's stored watermark. */
  since: 'bulk' | 'argument' | 'watermark';
  /** The destination whose watermark this package moved to `highWater` (absent: none given). */
  watermark?: { destination: string; revision: number };
  /** Pass this as `sinceRevision` next time: every change up to it is in this package. */
  highWater: number;
  /** Rows per file written. */
  files: Record<string, number>;
  /** Marks without a line item (a current mark without its work, a student without a class), and rows failing the official schema. */
  skipped: { marks: number; invalidRows: number };
  /** The first problems (paths only, no values). */
  issues: ExportIssue[];
}

const MAX_ISSUES = 50;

class Exporter {
  readonly skipped = { marks: 0, invalidRows: 0 };
  readonly issues: ExportIssue[] = [];
  private readonly done = new Map<CsvFile, Set<string>>();

  constructor(
    private readonly w: CsvPackageWriter, private readonly ix: SchoolIndex, private readonly o: GradebookOptions,
    private readonly x: { ledger: Ledger; schoolId: string; bulk: boolean; since: number; now: string },
  ) {}

  private note(file: string, id: string, p: string, message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ file, sourcedId: id, path: p, message });
  }

  /**
   * Writes a row once per package (by sourcedId), after checking the object against its OpenAPI
   * component. True when the row is in the package (written now or before).
   */
  private async emit(file: CsvFile, obj: Obj): Promise<boolean> {
    const id = String(obj.sourcedId);
    let seen = this.done.get(file);
    if (!seen) { seen = new Set(); this.done.set(file, seen); }
    if (seen.has(id)) return true;
    if (isCollection(file)) {
      const c = COLLECTIONS[file];
      const issues = checkOneRoster(c.service, c.objectSchema, obj);
      if (issues.length > 0) {
        this.skipped.invalidRows++;
        for (const i of issues.slice(0, 3)) this.note(file, id, i.path, i.message);
        return false;
      }
    }
    seen.add(id);
    await this.w.write(file, obj);
    return true;
  }

  private has(file: CsvFile, id: string): boolean {
    return this.done.get(file)?.has(id) ?? false;
  }

  /** Records of one kind for this package: all active ones (bulk), or every version after `since` (delta). */
  private async *records(e: EntityType): AsyncGenerator<Obj> {
    for await (const page of pages(this.x.ledger, this.x.schoolId, e, this.x.since)) {
      for (const r of page) if (!this.x.bulk || r.status === 'active') yield r.record;
    }
  }

  /** A section with its row and its students' enrollments (once per package). */
  private async section(classGroupId: string, subjectId: string, modified: string): Promise<boolean> {
    const id = sectionIdOf(classGroupId, subjectId);
    if (this.has('classes', id)) return true;
    const cg = this.ix.classes.get(classGroupId);
    if (!cg) { this.note('classes', id, '/classGroupId', 'class group unknown to the ledger'); return false; }
    if (!await this.emit('classes', sectionOf(cg, { id: subjectId, title: this.ix.subjects.get(subjectId) ?? subjectId }, this.ix.fallbackTerms, modified, this.o))) return false;
    for (const m of this.ix.students.get(classGroupId) ?? []) await this.emit('enrollments', sectionEnrollmentOf(m.rec, subjectId, this.o));
    return true;
  }

  async run(): Promise<void> {
    const { o, ix, x } = this;
    const org = this.o.orgOf(x.schoolId);
    for await (const r of this.records('school')) await this.emit('orgs', orgOf(x.schoolId, r, modifiedOf(r), o));
    if (x.bulk && !this.has('orgs', org)) await this.emit('orgs', orgOf(x.schoolId, undefined, x.now, o));

    for await (const r of this.records('academic_year')) await this.emit('academicSessions', yearSessionOf(r));
    for await (const r of this.records('reporting_period')) {
      await this.emit('academicSessions', periodSessionOf(r, o, ix.years.get(String(r.academicYearId))?.schoolYear));
    }
    for await (const r of this.records('subject')) await this.emit('courses', courseOf(r, o));

    for await (const r of this.records('class_group')) {
      const cls = classOf(r, ix.fallbackTerms, o);
      if ((cls.course as Obj).sourcedId === homeroomCourseIdOf(x.schoolId)) await this.emit('courses', homeroomCourseOf(x.schoolId, o));
      await this.emit('classes', cls);
      // A class's title or year changed: its sections change with it.
      if (!x.bulk) for (const [subjectId] of ix.sections.get(String(r.id)) ?? []) await this.section(String(r.id), subjectId, modifiedOf(r));
    }
    if (x.bulk) for (const [cg, subjects] of ix.sections) for (const [subjectId, modified] of subjects) await this.section(cg, subjectId, modified);

    await this.users();

    for await (const r of this.records('membership')) {
      await this.emit('enrollments', enrollmentOf(r, o));
      if (r.role !== 'student') continue;
      for (const [subjectId] of ix.sections.get(String(r.classGroupId)) ?? []) {
        if (this.has('enrollments', sectionEnrollmentIdOf(String(r.id), subjectId))) continue;
        await this.emit('enrollments', sectionEnrollmentOf(r, subjectId, o));
      }
    }
    for await (const r of this.records('teaching_assignment')) {
      if (await this.section(String(r.classGroupId), String(r.subjectId), modifiedOf(r))) await this.emit('enrollments', teacherEnrollmentOf(r, o));
    }
    for await (const r of this.records('assessment')) {
      await this.emit('categories', categoryOf(r));
      if (await this.section(String(r.classGroupId), String(r.subjectId), modifiedOf(r))) await this.emit('lineItems', lineItemOf(r, o));
    }
    for await (const r of this.records('mark')) await this.mark(r);
  }

  /** Persons → users.csv and roles.csv; a delta also re-sends guardians whose links changed (their `agents`). */
  private async users(): Promise<void> {
    const { o, ix, x } = this;
    const write = async (p: Obj): Promise<void> => {
      if (this.has('users', String(p.id))) return;
      if (await this.emit('users', userOf(p, p.status === 'active' ? ix.agents.get(String(p.id)) ?? [] : [], o))) {
        for (const role of roleRowsOf(p, o)) await this.emit('roles', role);
      }
    };
    for await (const r of this.records('person')) await write(r);
    if (x.bulk) return;
    for await (const link of this.records('guardian_link')) {
      const g = await x.ledger.getRecord(String(link.guardianId));
      if (g && g.schoolId === x.schoolId) await write(g.record);
    }
  }

  /** A mark → results.csv: on its assessment's line item (current), or on the column of its kind in its class's section. */
  private async mark(m: Obj): Promise<void> {
    const { o, ix } = this;
    const kind = String(m.kind);
    if (kind === 'current') {
      const r = resultOf(m, o);
      if (r.kind === 'result') { await this.emit('results', r.result); return; }
      this.skipped.marks++;
      this.note('results', String(m.id), r.path, r.reason);
      return;
    }
    const cgId = ix.homeroomOf.get(String(m.studentId));
    if (!cgId) { this.skipped.marks++; this.note('results', String(m.id), '/studentId', 'the student has no class in the ledger, so the mark has no column'); return; }
    const subjectId = String(m.subjectId);
    const modified = modifiedOf(m);
    if (!await this.section(cgId, subjectId, modified)) { this.skipped.marks++; return; }
    const sectionId = sectionIdOf(cgId, subjectId);
    const periodId = kind === 'period' ? str(m.reportingPeriodId) : undefined;
    const yearId = str(ix.classes.get(cgId)?.academicYearId);
    const sessionId = periodId ?? yearId;
    const span = periodId ? ix.periods.get(periodId) : yearId ? ix.years.get(yearId) : undefined;
    const day = str(m.date) ?? localDateOf(String(m.markedAt), o.utcOffset);
    const columnId = columnIdOf(sectionId, kind, sessionId ?? '');
    await this.emit('categories', markCategoryOf(kind));
    await this.emit('lineItems', columnLineItemOf({
      sourcedId: columnId, kind, sectionId, schoolId: this.x.schoolId, subjectTitle: ix.subjects.get(subjectId) ?? subjectId,
      ...(sessionId ? { sessionId } : {}), sessionIsPeriod: periodId !== undefined,
      startDate: span?.startDate ?? day, endDate: span?.endDate ?? day, modified,
    }, o));
    const r = resultOf(m, o, { lineItemId: columnId, classId: sectionId });
    if (r.kind === 'result') await this.emit('results', r.result);
  }
}

/** The start of a delta: the caller's revision, else the destination's watermark. Throws GW_API_BAD_REQUEST when neither exists. */
async function deltaStart(opts: OneRosterCsvExportOptions): Promise<{ since: number; from: 'argument' | 'watermark' }> {
  if (opts.sinceRevision !== undefined) {
    if (!Number.isSafeInteger(opts.sinceRevision) || opts.sinceRevision < 0) {
      throw new GatewayError('GW_API_BAD_REQUEST', 'sinceRevision must be a whole number ≥ 0 (the highWater of the previous export).', { issues: [{ path: 'sinceRevision', message: 'a whole number ≥ 0' }] });
    }
    return { since: opts.sinceRevision, from: 'argument' };
  }
  if (opts.destination === undefined) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'A delta export needs sinceRevision (the highWater of the previous export) or a destination with a stored watermark.', { issues: [{ path: 'sinceRevision', message: 'a whole number ≥ 0, or give destination' }] });
  }
  if (!opts.ledger.getExportWatermark) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'This ledger keeps no export watermarks; give sinceRevision.', { issues: [{ path: 'sinceRevision', message: 'required with this ledger' }] });
  }
  const w = await opts.ledger.getExportWatermark(opts.schoolId, opts.destination);
  if (!w) {
    throw new GatewayError('GW_API_BAD_REQUEST', `No complete export of school ${opts.schoolId} to ${opts.destination} is recorded: write a bulk package there first, or give the start revision.`, {
      issues: [{ path: 'sinceRevision', message: 'no stored watermark for this school and destination' }],
    });
  }
  return { since: w.revision, from: 'watermark' };
}

/**
 * Writes one package; see the file comment. Throws GW_API_BAD_REQUEST for bad options or a
 * package that cannot be written (the folder, the disk). The destination's watermark moves only
 * after the package is complete on disk (every file closed and synced, the manifest renamed in):
 * a failed export leaves it, and the next delta starts where the last complete one ended.
 */
export async function exportOneRosterCsv(opts: OneRosterCsvExportOptions): Promise<OneRosterCsvExportResult> {
  const { ledger, schoolId, mode } = opts;
  const start = mode === 'delta' ? await deltaStart(opts) : { since: 0, from: 'bulk' as const };
  if (fs.existsSync(path.join(opts.outDir, 'manifest.csv'))) {
    throw new GatewayError('GW_API_BAD_REQUEST', `${opts.outDir} already holds a OneRoster package; give a new folder.`, { issues: [{ path: 'outDir', message: 'holds manifest.csv' }] });
  }
  const since = start.since;
  const highWater = await maxRevision(ledger, schoolId, since);
  const ix = await buildIndex(ledger, schoolId);
  const orgId = opts.orgSourcedId ?? orgIdOf(schoolId);
  const o: GradebookOptions = {
    hrefs: hrefsOf('https://oneroster.invalid'), utcOffset: opts.utcOffset ?? DEFAULT_UTC_OFFSET, orgOf: () => orgId, lineItemClass: 'section',
  };
  let w: CsvPackageWriter | undefined;
  let files: Record<string, number>;
  let ex: Exporter;
  try {
    w = new CsvPackageWriter(opts.outDir, mode, { systemName: 'diary-gateway', systemCode: schoolId });
    ex = new Exporter(w, ix, o, { ledger, schoolId, bulk: mode === 'bulk', since, now: isoSeconds(opts.now.getTime()) });
    await ex.run();
    files = await w.finish();
  } catch (e) {
    w?.abort();
    throw writeError(e, opts.outDir);
  }
  let watermark: OneRosterCsvExportResult['watermark'];
  if (opts.destination !== undefined && ledger.setExportWatermark) {
    await ledger.setExportWatermark({
      schoolId, destination: opts.destination, revision: highWater, mode, lastPackage: path.resolve(opts.outDir), updatedAt: opts.now.toISOString(),
    });
    watermark = { destination: opts.destination, revision: highWater };
  }
  return {
    dir: opts.outDir, mode, sinceRevision: since, since: start.from, ...(watermark ? { watermark } : {}), highWater, files, skipped: ex.skipped, issues: ex.issues,
  };
}

/** A file-system failure while writing the package is the operator's to fix (path, rights, space); anything else passes through. */
function writeError(e: unknown, dir: string): unknown {
  if (e instanceof GatewayError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new GatewayError('GW_API_BAD_REQUEST', `The package in ${dir} could not be written (${code}); it has no manifest and the export watermark did not move.`, {
      cause: e, issues: [{ path: 'outDir', message: `file system: ${code}` }],
    });
  }
  return e;
}
