/**
 * The demo district of the OneRoster simulator, deterministic from (seed, now): one school with
 * homeroom classes 5А and 5Б (12 students each, one of them moved away = tobedeleted), 8 subject
 * courses and their scheduled classes, subject and homeroom teachers, parents linked through
 * `agents`, demographics, the school year with four terms, gradebook categories, a pass/fail
 * score scale for PE, line items over the last four weeks with results, and term marks for terms
 * that have ended. Objects are kept in wire shape (GUIDRefs without `href`; serialize.ts adds it).
 */
import { addDays, localDate, weekdayIndex } from '../../../src/infra/adapter-kit/dates';
import { fakePersonName } from '../../../src/infra/sim/people';
import { pick, rngFor, shuffle, type Rng } from '../../../src/infra/sim/rng';
import type { Collection } from '../collections';

export type Obj = Record<string, unknown>;

export const SIM_OFFSET_HOURS = 3;
export const SCHOOL_ID = 'org-school-7';
export const DISTRICT_ID = 'org-district-demo';

const ref = (sourcedId: string, type: string): Obj => ({ sourcedId, type });
/** UTC instant of a school-local day and hour ('YYYY-MM-DD', 9 → '…T06:00:00Z'). */
export const localTime = (day: string, hour: number, minute = 0): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + ((hour - SIM_OFFSET_HOURS) * 60 + minute) * 60_000).toISOString().replace(/\.000Z$/, 'Z');

const SUBJECTS = [
  ['math', 'Математика', 'MATH'], ['rus', 'Русский язык', 'RUS'], ['lit', 'Литература', 'LIT'], ['eng', 'Английский язык', 'ENG'],
  ['hist', 'История', 'HIST'], ['bio', 'Биология', 'BIO'], ['geo', 'География', 'GEO'], ['pe', 'Физическая культура', 'PE'],
] as const;

/** Categories: [id, title, weight, share of line items]. The term category holds term marks. */
const CATEGORIES = [
  ['cat-oral', 'Ответ на уроке', 1, 0.45], ['cat-homework', 'Домашняя работа', 1, 0.2], ['cat-independent', 'Самостоятельная работа', 2, 0.15],
  ['cat-control', 'Контрольная работа', 3, 0.12], ['cat-test', 'Тест', 1.5, 0.08], ['cat-term', 'Четвертная отметка', undefined, 0],
] as const;

const COMMENTS = ['Молодец!', 'Повтори правило', 'Есть ошибки в вычислениях', 'Хороший ответ, но неполный'] as const;

export class DemoDistrict {
  readonly today: string;
  readonly schoolYear: number;
  readonly yearStart: string;
  readonly data: Record<Collection, Obj[]> = {
    orgs: [], academicSessions: [], courses: [], classes: [], users: [], demographics: [], enrollments: [],
    categories: [], lineItems: [], results: [], scoreScales: [],
  };
  private liveSeq = 0;
  private readonly rosterTime: string;
  private readonly termList: { id: string; title: string; start: string; end: string }[];

  constructor(readonly seed: number, readonly now: () => Date) {
    this.today = localDate(now(), `+0${SIM_OFFSET_HOURS}:00`);
    const y = Number(this.today.slice(0, 4));
    const startYear = Number(this.today.slice(5, 7)) >= 9 ? y : y - 1;
    this.schoolYear = startYear + 1;
    this.yearStart = `${startYear}-09-01`;
    this.rosterTime = localTime(addDays(this.yearStart, -10), 9);
    this.termList = this.makeTerms();
    this.orgsAndSessions();
    this.roster();
    this.gradebook();
  }

  private base(id: string, modified = this.rosterTime, status = 'active'): Obj {
    return { sourcedId: id, status, dateLastModified: modified };
  }

  terms(): { id: string; title: string; start: string; end: string }[] {
    return this.termList;
  }

  /** An instant no later than a minute before now (demo data never lies in the future). */
  private cap(iso: string): string {
    return new Date(Math.min(Date.parse(iso), this.now().getTime() - 60_000)).toISOString().replace(/\.000Z$/, 'Z');
  }

  private makeTerms(): { id: string; title: string; start: string; end: string }[] {
    const y = Number(this.yearStart.slice(0, 4));
    const b = [[`${y}-09-01`, `${y}-10-26`], [`${y}-11-05`, `${y}-12-28`], [`${y + 1}-01-09`, `${y + 1}-03-22`], [`${y + 1}-03-31`, `${y + 1}-08-31`]];
    return b.map(([start, end], i) => ({ id: `as-${this.schoolYear}-q${i + 1}`, title: `${i + 1} четверть`, start: start as string, end: end as string }));
  }

  private orgsAndSessions(): void {
    const d = this.data;
    d.orgs.push({ ...this.base(DISTRICT_ID), name: 'Управление образования г. Демограда', type: 'district', identifier: 'UO-DEMO', children: [ref(SCHOOL_ID, 'org')] });
    d.orgs.push({ ...this.base(SCHOOL_ID), name: 'МБОУ «Средняя общеобразовательная школа № 7»', type: 'school', identifier: '7453012345', parent: ref(DISTRICT_ID, 'org') });
    const yearId = `as-${this.schoolYear}`;
    const terms = this.terms();
    d.academicSessions.push({
      ...this.base(yearId), title: `${this.schoolYear - 1}/${this.schoolYear} учебный год`, type: 'schoolYear',
      startDate: this.yearStart, endDate: `${this.schoolYear}-08-31`, schoolYear: String(this.schoolYear), children: terms.map((t) => ref(t.id, 'academicSession')),
    });
    for (const t of terms) {
      d.academicSessions.push({ ...this.base(t.id), title: t.title, type: 'term', startDate: t.start, endDate: t.end, parent: ref(yearId, 'academicSession'), schoolYear: String(this.schoolYear) });
    }
    for (const [id, title, weight] of CATEGORIES) d.categories.push({ ...this.base(id), title, ...(weight !== undefined ? { weight } : {}) });
  }

  private user(id: string, rng: Rng, role: string, gender: 'm' | 'f', extra: Obj = {}): Obj {
    const n = fakePersonName(rng, gender);
    return {
      ...this.base(id), enabledUser: 'true', username: id, givenName: n.givenName, familyName: n.familyName, middleName: n.middleName,
      roles: [{ roleType: 'primary', role, org: ref(SCHOOL_ID, 'org') }], primaryOrg: ref(SCHOOL_ID, 'org'), ...extra,
    };
  }

  private roster(): void {
    const d = this.data;
    const termRefs = this.terms().map((t) => ref(t.id, 'academicSession'));
    const yearRef = ref(`as-${this.schoolYear}`, 'academicSession');
    const srng = rngFor(this.seed, 'staff');
    const teachers = SUBJECTS.map(([code], i) => this.user(`u-te-${code}`, srng, 'teacher', srng() < 0.8 ? 'f' : 'm', {
      email: `teacher${i + 1}@school7.example`, userIds: [{ type: 'ESIA', identifier: String(1_000_300 + i) }],
    }));
    d.users.push(...teachers, this.user('u-admin', srng, 'siteAdministrator', 'f'));
    d.courses.push({ ...this.base('course-5-homeroom'), title: 'Классный час', courseCode: 'HR-5', grades: ['05'], org: ref(SCHOOL_ID, 'org'), schoolYear: yearRef });
    for (const [code, title, cc] of SUBJECTS) {
      d.courses.push({ ...this.base(`course-5-${code}`), title, courseCode: `${cc}-5`, grades: ['05'], subjects: [title], subjectCodes: [cc], org: ref(SCHOOL_ID, 'org'), schoolYear: yearRef });
    }
    for (const [ci, letter] of (['a', 'b'] as const).entries()) {
      const title = `5${letter === 'a' ? 'А' : 'Б'}`;
      const hrId = `class-5${letter}`;
      const homeroomTeacher = teachers[ci + 1] as Obj;
      d.classes.push({ ...this.base(hrId), title, classCode: title, classType: 'homeroom', grades: ['05'], course: ref('course-5-homeroom', 'course'), school: ref(SCHOOL_ID, 'org'), terms: termRefs });
      d.enrollments.push({ ...this.base(`enr-${hrId}-${homeroomTeacher.sourcedId as string}`), user: ref(homeroomTeacher.sourcedId as string, 'user'), class: ref(hrId, 'class'), school: ref(SCHOOL_ID, 'org'), role: 'teacher', primary: 'true', beginDate: this.yearStart });
      const crng = rngFor(this.seed, 'class', title);
      const students: Obj[] = [];
      for (let k = 1; k <= 12; k++) {
        const id = `u-st-5${letter}-${String(k).padStart(2, '0')}`;
        const gone = letter === 'b' && k === 12;
        const gender = crng() < 0.5 ? 'm' : 'f';
        const s = this.user(id, crng, 'student', gender, {
          identifier: `${this.schoolYear}-${ci + 1}${String(k).padStart(2, '0')}`, grades: ['05'],
          ...(k % 3 === 0 ? { userIds: [{ type: 'ESIA', identifier: String(1_100_000 + ci * 100 + k) }] } : {}),
        });
        if (gone) { s.status = 'tobedeleted'; s.dateLastModified = this.cap(localTime(addDays(this.yearStart, 30), 10)); }
        const parents = [this.user(`u-pa-5${letter}-${String(k).padStart(2, '0')}-1`, crng, k === 7 ? 'guardian' : 'parent', 'f', {
          email: `parent.5${letter}${k}@mail.example`, phone: `8 (912) 555-${String(1000 + ci * 100 + k).slice(-4)}`,
        })];
        if (k % 2 === 0) parents.push(this.user(`u-pa-5${letter}-${String(k).padStart(2, '0')}-2`, crng, 'parent', 'm', { sms: `+7912666${String(1000 + ci * 100 + k).slice(-4)}` }));
        s.agents = parents.map((p) => ref(p.sourcedId as string, 'user'));
        for (const p of parents) { p.agents = [ref(id, 'user')]; if (gone) { p.status = 'tobedeleted'; p.dateLastModified = s.dateLastModified; } }
        students.push(s);
        d.users.push(s, ...parents);
        const birth = `${this.schoolYear - 12}-${String(1 + Math.floor(crng() * 12)).padStart(2, '0')}-${String(1 + Math.floor(crng() * 28)).padStart(2, '0')}`;
        d.demographics.push({ ...this.base(id, s.dateLastModified as string, s.status as string), birthDate: birth, sex: gender === 'f' ? 'female' : 'male' });
        const enr = (classId: string, primary: boolean): void => {
          d.enrollments.push({
            ...this.base(`enr-${classId}-${id}`, s.dateLastModified as string, s.status as string), user: ref(id, 'user'), class: ref(classId, 'class'), school: ref(SCHOOL_ID, 'org'),
            role: 'student', primary: String(primary), ...(k % 5 === 0 ? {} : { beginDate: this.yearStart }), ...(gone ? { endDate: addDays(this.yearStart, 30) } : {}),
          });
        };
        enr(hrId, true);
        for (const [code] of SUBJECTS) enr(`class-5${letter}-${code}`, false);
      }
      for (const [si, [code, subject]] of SUBJECTS.entries()) {
        const cid = `class-5${letter}-${code}`;
        d.classes.push({
          ...this.base(cid), title: `${title} ${subject}`, classType: 'scheduled', grades: ['05'], course: ref(`course-5-${code}`, 'course'),
          school: ref(SCHOOL_ID, 'org'), terms: termRefs, subjects: [subject], periods: [String(1 + ((si + ci) % 5))],
        });
        d.enrollments.push({ ...this.base(`enr-${cid}-u-te-${code}`), user: ref(`u-te-${code}`, 'user'), class: ref(cid, 'class'), school: ref(SCHOOL_ID, 'org'), role: 'teacher', primary: 'true', beginDate: this.yearStart });
        if (code === 'pe') {
          d.scoreScales.push({
            ...this.base(`ss-pass-${cid}`), title: 'Зачётная шкала', type: 'ext:pass_fail', class: ref(cid, 'class'),
            scoreScaleValue: [{ itemValueLHS: 'pass', itemValueRHS: 'зач' }, { itemValueLHS: 'fail', itemValueRHS: 'незач' }],
          });
        }
      }
      this.classStudents.set(title, students.map((s) => s.sourcedId as string));
    }
  }

  /** Homeroom title → student ids (the one who moved away included). */
  readonly classStudents = new Map<string, string[]>();

  private gradebook(): void {
    const from = [addDays(this.today, -28), this.yearStart].sort()[1] as string;
    for (const [ci, letter] of (['a', 'b'] as const).entries()) {
      const students = this.classStudents.get(ci === 0 ? '5А' : '5Б') ?? [];
      for (const [si, [code]] of SUBJECTS.entries()) {
        const cid = `class-5${letter}-${code}`;
        for (let day = from; day <= this.today; day = addDays(day, 1)) {
          if (weekdayIndex(day) > 4 || !this.terms().some((t) => t.start <= day && day <= t.end)) continue;
          if ((weekdayIndex(day) + si + ci) % 3 === 1) continue; // not every subject every day
          this.lineItemWithResults(cid, code, day, students, rngFor(this.seed, 'li', cid, day));
        }
        for (const t of this.terms().filter((x) => x.end < this.today)) this.termMarks(cid, t, students);
      }
    }
    const victim = this.data.results[5];
    if (victim) { victim.status = 'tobedeleted'; victim.dateLastModified = this.cap(localTime(this.today, 8)); }
  }

  private lineItemWithResults(cid: string, code: string, day: string, students: readonly string[], rng: Rng): void {
    const r = rng();
    let acc = 0;
    const cat = CATEGORIES.find((c) => { acc += c[3]; return r < acc; }) ?? CATEGORIES[0];
    const liId = `li-${cid}-${day}`;
    const term = this.terms().find((t) => t.start <= day && day <= t.end);
    this.data.lineItems.push({
      ...this.base(liId, this.cap(localTime(day, 8))), title: `${cat[1]}: ${day}`, assignDate: localTime(day, 0), dueDate: localTime(addDays(day, 7), 0),
      class: ref(cid, 'class'), school: ref(SCHOOL_ID, 'org'), category: ref(cat[0], 'category'),
      ...(term ? { gradingPeriod: ref(term.id, 'academicSession') } : {}),
      ...(code === 'pe' ? { scoreScale: ref(`ss-pass-${cid}`, 'scoreScale') } : { resultValueMin: 1, resultValueMax: 5 }),
    });
    const present = students.filter((s) => !s.endsWith('5b-12'));
    const graded = cat[0] === 'cat-oral' ? shuffle(rng, present).slice(0, 2 + Math.floor(rng() * 3))
      : cat[0] === 'cat-homework' ? shuffle(rng, present).slice(0, 5) : present;
    for (const sid of graded) this.data.results.push(this.result(`res-${liId}-${sid}`, liId, cid, sid, day, code, rng));
  }

  private result(id: string, liId: string, cid: string, sid: string, day: string, code: string, rng: Rng): Obj {
    const ability = rngFor(this.seed, 'ability', sid)();
    const x = rng() * 0.6 + ability * 0.55;
    const mark = x > 0.85 ? 5 : x > 0.6 ? 4 : x > 0.35 ? 3 : 2;
    const modified = this.cap(new Date(Date.parse(localTime(day, 14)) + Math.floor(rng() * 40) * 3_600_000).toISOString());
    const entered = Date.parse(modified);
    const o: Obj = { ...this.base(id, modified), lineItem: ref(liId, 'lineItem'), student: ref(sid, 'user'), class: ref(cid, 'class'), scoreDate: localDate(new Date(entered), '+03:00') };
    const roll = rng();
    if (code === 'pe') Object.assign(o, roll < 0.08 ? { scoreStatus: 'exempt', textScore: 'осв' } : { scoreStatus: 'fully graded', textScore: mark > 2 ? 'pass' : 'fail' });
    else if (roll < 0.04) Object.assign(o, { scoreStatus: 'not submitted', missing: 'true' });
    else if (roll < 0.1) Object.assign(o, { scoreStatus: 'fully graded', textScore: mark === 5 ? '5-' : `${mark}+` });
    else Object.assign(o, { scoreStatus: 'fully graded', score: mark });
    if (rng() < 0.08) o.comment = pick(rng, COMMENTS);
    return o;
  }

  private termMarks(cid: string, t: { id: string; end: string }, students: readonly string[]): void {
    const liId = `li-${cid}-${t.id}-final`;
    this.data.lineItems.push({
      ...this.base(liId, localTime(t.end, 15)), title: `Четвертная отметка`, assignDate: localTime(t.end, 0), dueDate: localTime(t.end, 0),
      class: ref(cid, 'class'), school: ref(SCHOOL_ID, 'org'), category: ref('cat-term', 'category'), gradingPeriod: ref(t.id, 'academicSession'),
    });
    for (const sid of students.filter((s) => !s.endsWith('5b-12'))) {
      const rng = rngFor(this.seed, 'term', cid, t.id, sid);
      const na = rng() < 0.04;
      this.data.results.push({
        ...this.base(`res-${liId}-${sid}`, localTime(t.end, 16)), lineItem: ref(liId, 'lineItem'), student: ref(sid, 'user'), class: ref(cid, 'class'),
        scoreDate: t.end, ...(na ? { scoreStatus: 'ext:not-attested', textScore: 'н/а' } : { scoreStatus: 'fully graded', score: 3 + Math.floor(rng() * 3) }),
      });
    }
  }

  /** A new oral-answer result on the latest line item, modified now; returns its sourcedId. */
  addLiveResult(): string | undefined {
    const li = [...this.data.lineItems].reverse().find((l) => (l.category as Obj).sourcedId === 'cat-oral');
    if (!li) return undefined;
    const rng = rngFor(this.seed, 'live', ++this.liveSeq);
    const cid = (li.class as Obj).sourcedId as string;
    const students = this.classStudents.get(cid.startsWith('class-5a') ? '5А' : '5Б') ?? [];
    const sid = pick(rng, students.filter((s) => !s.endsWith('5b-12')));
    const nowIso = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const o: Obj = { ...this.base(`res-live-${this.liveSeq}`, nowIso), lineItem: ref(li.sourcedId as string, 'lineItem'), student: ref(sid, 'user'), class: ref(cid, 'class'), scoreDate: this.today, scoreStatus: 'fully graded', score: 3 + Math.floor(rng() * 3) };
    this.data.results.push(o);
    return o.sourcedId as string;
  }

  /** Marks an object changed now (optionally tobedeleted, or with new fields); false when unknown. */
  touch(c: Collection, sourcedId: string, patch: Obj = {}): boolean {
    const o = this.data[c].find((x) => x.sourcedId === sourcedId);
    if (!o) return false;
    Object.assign(o, patch, { dateLastModified: this.now().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    return true;
  }
}
