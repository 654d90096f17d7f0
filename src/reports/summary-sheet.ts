/**
 * Сводная ведомость: the period (or annual / final) marks of one class, a row per student and a
 * column per subject, with the usual totals: per subject the count of each mark, the average,
 * успеваемость (share of students with a positive result) and качество (share with 4 and 5);
 * per class the number of students on «5», on «4» and «5», with one «3», failing and not attested.
 *
 * Definitions (written on the sheet too): the base of a subject's shares is every student with a
 * result in it except «осв»; «н/а» and «отср.» (deferred for a valid reason) count in the base
 * but not as positive; «зач» is positive and has no place in качество. Of several marks of one
 * kind for one student and subject, the one entered last wins.
 */
import type { ClassGroup, Mark, Person, ReportingPeriod, Subject, TeachingAssignment } from '../core/canonical-types';
import type { ReportColumn, ReportDoc, ReportTable } from '../infra/report';
import type { SchoolView } from './ledger-view';
import { average, dateRu, markCell, percent, ru, shortNameRu } from './labels';
import { findClass, findPeriod, studentsOf, subgroupsOf } from './roster';

export type SheetKind = 'period' | 'annual' | 'final';

export interface SummarySheetInput {
  view: SchoolView;
  schoolName: string;
  classKey: string;
  periodKey: string;
  /** Default: `annual` for a period of kind year, else `period`. */
  kind?: SheetKind;
  generatedAt: string;
  timeZone: string;
}

export interface SubjectStats {
  subjectId: string;
  n5: number; n4: number; n3: number; n2: number; notAttested: number; exempt: number; passed: number; failedPass: number;
  base: number; average?: number; success?: number; quality?: number;
}

export interface ClassStats {
  students: number; excellent: number; good: number; oneThree: number; failing: number; notAttested: number;
}

export interface SummarySheet {
  doc: ReportDoc;
  classGroup: ClassGroup;
  period: ReportingPeriod;
  kind: SheetKind;
  students: Person[];
  subjects: Subject[];
  /** studentId → subjectId → mark. */
  marks: Map<string, Map<string, Mark>>;
  subjectStats: SubjectStats[];
  classStats: ClassStats;
}

const KIND_TITLE: Record<SheetKind, string> = { period: 'отметок за период', annual: 'годовых отметок', final: 'итоговых отметок' };

function markMatches(m: Mark, kind: SheetKind, p: ReportingPeriod): boolean {
  if (m.kind !== kind) return false;
  if (m.reportingPeriodId !== undefined) return m.reportingPeriodId === p.id;
  if (kind === 'period') return false;
  const d = m.date ?? m.markedAt.slice(0, 10);
  return p.startDate <= d && d <= p.endDate;
}

const isFive = (m: Mark): number | undefined => (m.markStatus === 'graded' && m.value?.numeric !== null && m.value?.numeric !== undefined && m.value.scale !== 'pass_fail' ? m.value.numeric : undefined);

export function buildSummarySheet(i: SummarySheetInput): SummarySheet {
  const { view } = i;
  const cls = findClass(view, i.classKey);
  const period = findPeriod(view, i.periodKey);
  const kind: SheetKind = i.kind ?? (period.kind === 'year' ? 'annual' : 'period');
  const students = studentsOf(view, cls.id, period.startDate, period.endDate);
  const studentIds = new Set(students.map((s) => s.id));

  const marks = new Map<string, Map<string, Mark>>();
  for (const m of view.all<Mark>('mark')) {
    if (!studentIds.has(m.studentId) || !markMatches(m, kind, period)) continue;
    const row = marks.get(m.studentId) ?? new Map<string, Mark>();
    const prev = row.get(m.subjectId);
    if (!prev || prev.markedAt <= m.markedAt) row.set(m.subjectId, m);
    marks.set(m.studentId, row);
  }
  const groupIds = new Set([cls.id, ...subgroupsOf(view, cls.id).map((g) => g.id)]);
  const subjectIds = new Set<string>();
  for (const row of marks.values()) for (const s of row.keys()) subjectIds.add(s);
  for (const t of view.all<TeachingAssignment>('teaching_assignment')) if (groupIds.has(t.classGroupId)) subjectIds.add(t.subjectId);
  const subjects = [...subjectIds].map((id) => view.get<Subject>(id)).filter((s): s is Subject => s !== undefined)
    .sort((a, b) => ru.compare(a.title, b.title));

  const subjectStats = subjects.map((s) => statsOf(s.id, students.map((st) => marks.get(st.id)?.get(s.id))));
  const classStats = classStatsOf(students.map((st) => [...(marks.get(st.id)?.values() ?? [])]));
  return { doc: docOf(i, cls, period, kind, students, subjects, marks, subjectStats, classStats), classGroup: cls, period, kind, students, subjects, marks, subjectStats, classStats };
}

function statsOf(subjectId: string, list: (Mark | undefined)[]): SubjectStats {
  const s: SubjectStats = { subjectId, n5: 0, n4: 0, n3: 0, n2: 0, notAttested: 0, exempt: 0, passed: 0, failedPass: 0, base: 0 };
  const nums: number[] = [];
  let numericBase = 0;
  for (const m of list) {
    if (!m) continue;
    if (m.markStatus === 'exempt') { s.exempt++; continue; }
    s.base++;
    if (m.markStatus === 'not_attested' || m.markStatus === 'deferred') { s.notAttested++; numericBase++; continue; }
    if (m.value?.scale === 'pass_fail') { if (m.value.passed) s.passed++; else s.failedPass++; continue; }
    const n = isFive(m);
    if (n === undefined) { if (m.markStatus === 'debt') s.n2++; continue; }
    numericBase++;
    nums.push(n);
    const r = Math.round(n);
    if (r >= 5) s.n5++; else if (r === 4) s.n4++; else if (r === 3) s.n3++; else s.n2++;
  }
  const avg = average(nums);
  const success = percent(s.n5 + s.n4 + s.n3 + s.passed, s.base);
  const quality = percent(s.n5 + s.n4, numericBase);
  return { ...s, ...(avg !== undefined ? { average: avg } : {}), ...(success !== undefined ? { success } : {}), ...(quality !== undefined ? { quality } : {}) };
}

function classStatsOf(rows: Mark[][]): ClassStats {
  const c: ClassStats = { students: rows.length, excellent: 0, good: 0, oneThree: 0, failing: 0, notAttested: 0 };
  for (const ms of rows) {
    const nums = ms.map(isFive).filter((n): n is number => n !== undefined).map(Math.round);
    const failing = nums.some((n) => n <= 2) || ms.some((m) => m.markStatus === 'debt' || (m.value?.scale === 'pass_fail' && m.value.passed === false));
    const na = ms.some((m) => m.markStatus === 'not_attested' || m.markStatus === 'deferred');
    if (failing) c.failing++;
    else if (na) c.notAttested++;
    else if (nums.length > 0 && nums.every((n) => n === 5)) c.excellent++;
    else if (nums.length > 0 && nums.every((n) => n >= 4)) c.good++;
    else if (nums.filter((n) => n === 3).length === 1) c.oneThree++;
  }
  return c;
}

function docOf(i: SummarySheetInput, cls: ClassGroup, p: ReportingPeriod, kind: SheetKind, students: Person[], subjects: Subject[],
  marks: Map<string, Map<string, Mark>>, subjectStats: SubjectStats[], c: ClassStats): ReportDoc {
  const subjCols: ReportColumn[] = subjects.map((s) => ({ key: `s:${s.id}`, title: s.shortTitle ?? s.title, align: 'center', width: 1 }));
  const sheet: ReportTable = {
    columns: [{ key: 'n', title: '№', align: 'right', width: 0.5 }, { key: 'name', title: 'Обучающийся', width: 3 }, ...subjCols,
      { key: 'avg', title: 'Средний балл', align: 'right', width: 1.1 }, { key: 'bad', title: '«2», н/а', align: 'right', width: 0.9 }],
    rows: students.map((st, idx) => {
      const row: Record<string, string | number | undefined> = { n: idx + 1, name: shortNameRu(st) };
      const nums: number[] = [];
      let bad = 0;
      for (const s of subjects) {
        const m = marks.get(st.id)?.get(s.id);
        row[`s:${s.id}`] = markCell(m);
        const n = m ? isFive(m) : undefined;
        if (n !== undefined) nums.push(n);
        if (m && ((n !== undefined && Math.round(n) <= 2) || m.markStatus === 'not_attested' || m.markStatus === 'deferred' || m.markStatus === 'debt')) bad++;
      }
      row.avg = average(nums);
      row.bad = bad;
      return row;
    }),
    empty: 'В классе нет обучающихся за этот период',
  };
  const statRow = (title: string, f: (s: SubjectStats) => string | number | undefined): Record<string, string | number | undefined> => {
    const row: Record<string, string | number | undefined> = { name: title };
    for (const s of subjectStats) row[`s:${s.subjectId}`] = f(s);
    return row;
  };
  const totals: ReportTable = {
    columns: [{ key: 'name', title: 'Показатель', width: 3.5 }, ...subjCols],
    rows: [
      statRow('Отметок «5»', (s) => s.n5), statRow('Отметок «4»', (s) => s.n4), statRow('Отметок «3»', (s) => s.n3),
      statRow('Отметок «2»', (s) => s.n2), statRow('«зач» / «незач»', (s) => (s.passed + s.failedPass > 0 ? `${s.passed} / ${s.failedPass}` : undefined)),
      statRow('н/а, отср.', (s) => s.notAttested), statRow('осв', (s) => s.exempt), statRow('Средний балл', (s) => s.average),
      statRow('Успеваемость, %', (s) => s.success), statRow('Качество, %', (s) => s.quality),
    ],
  };
  return {
    title: `Сводная ведомость ${KIND_TITLE[kind]}: ${cls.title}`,
    subtitle: `${i.schoolName} · ${p.title} (${dateRu(p.startDate)} – ${dateRu(p.endDate)})`,
    generatedAt: i.generatedAt,
    timeZone: i.timeZone,
    sections: [
      { table: sheet },
      {
        heading: 'Итоги по предметам',
        table: totals,
        paragraphs: [`Всего обучающихся: ${c.students}; на «5»: ${c.excellent}; на «4» и «5»: ${c.good}; с одной «3»: ${c.oneThree}; `
          + `неуспевающих: ${c.failing}; не аттестовано: ${c.notAttested}.`],
      },
    ],
    footer: 'Успеваемость — доля обучающихся с положительным результатом («5», «4», «3», «зач») среди получивших результат, кроме «осв»; '
      + 'качество — доля «5» и «4» среди отметок по пятибалльной шкале с учётом «н/а». «отср.» — аттестация отложена по уважительной причине. '
      + 'Ведомость сформирована по данным электронного журнала.',
  };
}
