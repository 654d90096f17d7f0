/**
 * Reprinting the class bundles the withdrawal purge removed. A class bundle PDF carries every
 * paper family of the class that week, so destroying a withdrawn child's pages destroys the
 * bundle; right after the purge has committed, each removed bundle is printed again for the
 * families left in it (the register's latest extracts of that school, week and class), in the
 * same place. The families' own extracts are reassembled the same way a run does: unchanged
 * ones keep their version, a week changed since (a late mark) gets a new version.
 *
 * Runs under the school's extract lock (`extracts:<school>`); a bundle whose school is locked by
 * a running extract job, or whose purge did not commit, is left for the next run of that week.
 */
import { dirname } from 'node:path';
import { toGatewayError } from '../../core/errors';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import type { RemovedBundle, SqliteExtractRegister } from './register';
import { runWeeklyExtracts } from './run';
import { withExtractsLock, type ExtractSchool } from './schedule';
import { parseIsoWeek } from './week';

export interface ReprintDeps {
  ledger: Ledger;
  register: SqliteExtractRegister;
  schools: readonly ExtractSchool[];
  now(): Date;
  log: Logger;
  /** Lock owner. */
  owner: string;
}

export interface ReprintOutcome {
  schoolId: string;
  week: string;
  classGroupId: string;
  /** reprinted: the bundle is on disk again; empty: no family is left in it; the rest: left for the next run. */
  status: 'reprinted' | 'empty' | 'locked' | 'not_purged' | 'failed';
  families?: number;
  file?: string;
  code?: string;
}

/** `<outDir>/<school>/<week>/<class>.pdf` → `<outDir>` (run.ts lays the files out so). */
const outDirOf = (bundle: string): string => dirname(dirname(dirname(bundle)));

export async function reprintClassBundles(bundles: readonly RemovedBundle[], d: ReprintDeps): Promise<ReprintOutcome[]> {
  const out: ReprintOutcome[] = [];
  const bySchool = new Map<string, RemovedBundle[]>();
  for (const b of bundles) bySchool.set(b.schoolId, [...(bySchool.get(b.schoolId) ?? []), b]);
  for (const [schoolId, list] of bySchool) {
    const base = (b: RemovedBundle) => ({ schoolId, week: b.week, classGroupId: b.classGroupId });
    const school = d.schools.find((s) => s.id === schoolId);
    if (!school) { out.push(...list.map((b) => ({ ...base(b), status: 'failed' as const, code: 'GW_SCHOOL_UNKNOWN' }))); continue; }
    const run = await withExtractsLock(d.ledger, schoolId, d.owner, d.now(), async () => {
      for (const b of list) {
        if (b.purgedChildren.some((c) => d.register.hasStudent(schoolId, c))) { out.push({ ...base(b), status: 'not_purged' }); continue; }
        try {
          const left = [...new Set((await d.register.list({ schoolId, week: b.week, classGroupId: b.classGroupId }))
            .filter((x) => x.state !== 'superseded').map((x) => x.studentId))];
          if (left.length === 0) { out.push({ ...base(b), status: 'empty', families: 0 }); continue; }
          const res = await runWeeklyExtracts({
            ledger: d.ledger, register: d.register, now: d.now, log: d.log,
            recipients: { paperFamilies: () => Promise.resolve(left.map((studentId) => ({ studentId }))) },
          }, {
            schoolId, schoolName: school.name, timeZone: school.timezone, week: parseIsoWeek(b.week), classKey: b.classGroupId,
            outDir: outDirOf(b.path), extracts: school.extracts, ...(school.forecast ? { forecast: school.forecast } : {}),
          });
          const c = res.classes.find((x) => x.classGroupId === b.classGroupId);
          out.push(c ? { ...base(b), status: 'reprinted', families: c.families, ...(c.file ? { file: c.file } : {}) } : { ...base(b), status: 'empty', families: 0 });
        } catch (e: unknown) {
          const code = toGatewayError(e).code;
          d.log.error('class bundle reprint after the purge failed', { schoolId, week: b.week, code });
          out.push({ ...base(b), status: 'failed', code });
        }
      }
    });
    if (run.locked) {
      d.log.warn('class bundles not reprinted after the purge: the school\'s extract job holds the lock', { schoolId, bundles: list.length });
      out.push(...list.map((b) => ({ ...base(b), status: 'locked' as const })));
    }
  }
  const done = out.filter((o) => o.status === 'reprinted').length;
  if (out.length > 0) d.log.info('class bundles reprinted after the withdrawal purge', { bundles: out.length, reprinted: done });
  return out;
}
