/**
 * Lesson statistics against the curriculum plan: per subject (and subgroup) of a class, lessons
 * planned for the period and up to the report date, lessons held, by type (in person, distance,
 * with a substitute teacher; moved away and cancelled ones apart), control works, and results
 * (current marks: count, average, quality).
 *
 * A lesson counts as held when its date is on or before the report date and it was not
 * cancelled or moved away (a `moved` record with only `movedTo` is the old slot; the new slot's
 * record, with `movedFrom`, is held). A `scheduled` lesson in the past counts as held: journals
 * rarely mark lessons held explicitly. The plan to date is the period plan pro rata by study days.
 */
import type { Assessment, ClassGroup, Lesson, Mark, ReportingPeriod, Subject } from '../core/canonical-types';
import type { ReportDoc } from '../infra/report';
import { derivedPlan, studyDays, type CurriculumPlan, type StudyDaysOptions } from './curriculum';
import type { SchoolView } from './ledger-view';
import { CONTROL_WORK_TYPES, dateRu, percent, ru } from './labels';
import { findClass, findPeriod, studentsOf, subgroupsOf } from './roster';

export interface LessonStatsInput extends StudyDaysOptions {
  view: SchoolView;
  schoolName: string;
  classKey: string;
  periodKey: string;
  /** Lessons up to this school-local date count (default: the period's end). */
  asOf?: string;
  /** The school's plan; absent = derived from the teaching load. */
  plan?: CurriculumPlan;
  generatedAt: string;
  timeZone: string;
}

export interface LessonStatsRow {
  groupId: string;
  subjectId: string;
  title: string;
  plannedPeriod?: number;
  plannedToDate?: number;
  held: number;
  inPerson: number;
  distant: number;
  substituted: number;
  movedAway: number;
  cancelled: number;
  /** held / plannedToDate, %. */
  fulfilment?: number;
  /** plannedToDate − held when positive. */
  behind?: number;
  controlWorks: number;
  plannedControlWorks?: number;
  marks: number;
  /** Marks of 4 and 5, and the sum of all marks (for exact totals). */
  goodMarks: number;
  markSum: number;
  average?: number;
  quality?: number;
}

export interface LessonStats {
  doc: ReportDoc;
  rows: LessonStatsRow[];
  total: LessonStatsRow;
  planSource: 'file' | 'derived';
  studyDaysPeriod: number;
  studyDaysToDate: number;
  asOf: string;
}

export function buildLessonStats(i: LessonStatsInput): LessonStats {
  const { view } = i;
  const cls = findClass(view, i.classKey);
  const period = findPeriod(view, i.periodKey);
  const asOf = i.asOf !== undefined && i.asOf < period.endDate ? i.asOf : period.endDate;
  const groups = [cls, ...subgroupsOf(view, cls.id)];
  const allDays = studyDays(view, cls, period.startDate, period.endDate, i);
  const toDate = allDays.filter((d) => d <= asOf).length;
  const plan = i.plan ?? derivedPlan(view, groups, period, allDays.length, i.daysPerWeek ?? 5);
  const planned = matchPlan(view, plan, groups, cls);

  const keyOf = (g: string, s: string): string => `${g}|${s}`;
  const rows = new Map<string, LessonStatsRow>();
  const row = (g: string, s: string): LessonStatsRow => {
    let r = rows.get(keyOf(g, s));
    if (!r) {
      const grp = view.get<ClassGroup>(g);
      const subj = view.get<Subject>(s)?.title ?? '—';
      r = { groupId: g, subjectId: s, title: g === cls.id ? subj : `${subj} (${grp?.title ?? 'группа'})`, held: 0, inPerson: 0, distant: 0, substituted: 0, movedAway: 0, cancelled: 0, controlWorks: 0, marks: 0, goodMarks: 0, markSum: 0 };
      rows.set(keyOf(g, s), r);
    }
    return r;
  };
  for (const [k, p] of planned) {
    const [g, s] = k.split('|') as [string, string];
    const r = row(g, s);
    r.plannedPeriod = p.planned;
    r.plannedToDate = allDays.length > 0 ? Math.round((p.planned * toDate) / allDays.length) : 0;
    if (p.controlWorks !== undefined) r.plannedControlWorks = p.controlWorks;
  }
  const groupIds = new Set(groups.map((g) => g.id));
  for (const l of view.all<Lesson>('lesson')) {
    if (!groupIds.has(l.classGroupId) || l.date < period.startDate || l.date > asOf) continue;
    const r = row(l.classGroupId, l.subjectId);
    if (l.state === 'cancelled') { r.cancelled++; continue; }
    if (l.state === 'moved' && l.movedTo !== undefined && l.movedFrom === undefined) { r.movedAway++; continue; }
    r.held++;
    if (l.isDistant) r.distant++; else r.inPerson++;
    if (l.state === 'substituted') r.substituted++;
  }
  for (const a of view.all<Assessment>('assessment')) {
    if (!groupIds.has(a.classGroupId) || a.date < period.startDate || a.date > asOf || !CONTROL_WORK_TYPES.has(a.workType.code)) continue;
    row(a.classGroupId, a.subjectId).controlWorks++;
  }
  const marks = view.all<Mark>('mark').filter((m) => m.kind === 'current' && m.markStatus === 'graded' && m.value?.numeric !== null && m.value?.numeric !== undefined
    && m.value.scale !== 'pass_fail' && (m.date ?? m.markedAt.slice(0, 10)) >= period.startDate && (m.date ?? m.markedAt.slice(0, 10)) <= asOf);
  for (const r of rows.values()) {
    const members = new Set(studentsOf(view, r.groupId, period.startDate, asOf).map((s) => s.id));
    const nums = marks.filter((m) => m.subjectId === r.subjectId && members.has(m.studentId)).map((m) => m.value!.numeric as number);
    r.marks = nums.length;
    r.goodMarks = nums.filter((n) => Math.round(n) >= 4).length;
    r.markSum = nums.reduce((a, b) => a + b, 0);
    finish(r);
  }
  const list = [...rows.values()].sort((a, b) => ru.compare(a.title, b.title));
  const total = totalOf(list);
  return { doc: docOf(i, cls, period, asOf, list, total, i.plan ? 'file' : 'derived', plan, allDays.length, toDate), rows: list, total, planSource: i.plan ? 'file' : 'derived', studyDaysPeriod: allDays.length, studyDaysToDate: toDate, asOf };
}

function finish(r: LessonStatsRow): void {
  if (r.marks > 0) {
    r.average = Math.round((r.markSum / r.marks) * 100) / 100;
    r.quality = percent(r.goodMarks, r.marks) as number;
  }
  if (r.plannedToDate !== undefined) {
    const f = percent(r.held, r.plannedToDate);
    if (f !== undefined) r.fulfilment = f;
    if (r.plannedToDate > r.held) r.behind = r.plannedToDate - r.held;
  }
}

/** Plan entries keyed `groupId|subjectId`; entries naming an unknown subject or group are skipped. */
function matchPlan(view: SchoolView, plan: CurriculumPlan, groups: readonly ClassGroup[], cls: ClassGroup): Map<string, CurriculumPlan['entries'][number]> {
  const subjects = view.all<Subject>('subject');
  const out = new Map<string, CurriculumPlan['entries'][number]>();
  for (const e of plan.entries) {
    const s = subjects.find((x) => x.id === e.subject) ?? subjects.find((x) => x.sourceId === e.subject) ?? subjects.find((x) => ru.compare(x.title, e.subject) === 0);
    const g = e.group === undefined ? cls : groups.find((x) => x.id === e.group || x.sourceId === e.group || ru.compare(x.title, e.group ?? '') === 0);
    if (s && g) out.set(`${g.id}|${s.id}`, e);
  }
  return out;
}

function totalOf(rows: readonly LessonStatsRow[]): LessonStatsRow {
  const sum = (f: (r: LessonStatsRow) => number | undefined): number => rows.reduce((n, r) => n + (f(r) ?? 0), 0);
  const marks = sum((r) => r.marks);
  const t: LessonStatsRow = {
    groupId: '', subjectId: '', title: 'Итого', plannedPeriod: sum((r) => r.plannedPeriod), plannedToDate: sum((r) => r.plannedToDate),
    held: sum((r) => r.held), inPerson: sum((r) => r.inPerson), distant: sum((r) => r.distant), substituted: sum((r) => r.substituted),
    movedAway: sum((r) => r.movedAway), cancelled: sum((r) => r.cancelled), controlWorks: sum((r) => r.controlWorks), marks,
    goodMarks: sum((r) => r.goodMarks), markSum: sum((r) => r.markSum),
  };
  finish(t);
  // Fulfilment and backlog over planned rows only: lessons of a subject the plan lacks are not "ahead".
  const planned = rows.filter((r) => r.plannedToDate !== undefined);
  const f = percent(planned.reduce((n, r) => n + r.held, 0), t.plannedToDate ?? 0);
  if (f !== undefined) t.fulfilment = f; else delete t.fulfilment;
  const behind = sum((r) => r.behind);
  if (behind > 0) t.behind = behind; else delete t.behind;
  return t;
}

function docOf(i: LessonStatsInput, cls: ClassGroup, p: ReportingPeriod, asOf: string, rows: LessonStatsRow[], total: LessonStatsRow,
  source: 'file' | 'derived', plan: CurriculumPlan, daysAll: number, daysToDate: number): ReportDoc {
  const all = [...rows, total];
  // Numeric columns wide enough that «Дистанционно» or «Выполнение, %» is not broken inside a word on A4 portrait.
  const n = (key: string, title: string, width = 1.25): { key: string; title: string; align: 'right'; width: number } => ({ key, title, align: 'right', width });
  const subject = { key: 'subject', title: 'Предмет', width: 2.2 };
  const table = (columns: { key: string; title: string }[], f: (r: LessonStatsRow) => Record<string, string | number | undefined>) => ({
    columns: [subject, ...columns], rows: all.map((r) => ({ subject: r.title, ...f(r) })), empty: 'Нет уроков и плана за этот период',
  });
  return {
    title: `Выполнение учебного плана: ${cls.title}`,
    subtitle: `${i.schoolName} · ${p.title} (${dateRu(p.startDate)} – ${dateRu(p.endDate)}) · на ${dateRu(asOf)}`,
    generatedAt: i.generatedAt,
    timeZone: i.timeZone,
    sections: [
      {
        heading: 'Уроки: план и проведено',
        paragraphs: [`План: ${source === 'file' ? plan.title ?? 'учебный план школы' : plan.title ?? ''}. Учебных дней в периоде: ${daysAll}, по ${dateRu(asOf)}: ${daysToDate}.`],
        table: table([n('plan', 'План на период'), n('planToDate', 'План на дату'), n('held', 'Проведено'), n('pct', 'Выполнение, %'), n('behind', 'Отставание')],
          (r) => ({ plan: r.plannedPeriod, planToDate: r.plannedToDate, held: r.held, pct: r.fulfilment, behind: r.behind })),
      },
      {
        heading: 'Проведённые уроки по видам',
        table: table([n('inPerson', 'Очно'), n('distant', 'Дистанционно', 1.5), n('subst', 'С заменой учителя'), n('moved', 'Перенесено на другой день'), n('cancelled', 'Отменено')],
          (r) => ({ inPerson: r.inPerson, distant: r.distant, subst: r.substituted, moved: r.movedAway, cancelled: r.cancelled })),
      },
      {
        heading: 'Результаты',
        table: table([n('control', 'Контрольных работ'), n('marks', 'Текущих отметок'), n('avg', 'Средний балл'), n('quality', 'Качество, %')],
          (r) => ({ control: r.plannedControlWorks !== undefined ? `${r.controlWorks} из ${r.plannedControlWorks}` : r.controlWorks, marks: r.marks, avg: r.average, quality: r.quality })),
      },
    ],
    footer: 'Проведённым считается урок с датой не позднее даты отчёта, кроме отменённых и перенесённых на другой день. '
      + 'План на дату — план на период пропорционально прошедшим учебным дням. Качество — доля отметок «5» и «4» среди текущих отметок по пятибалльной шкале.',
  };
}
