/**
 * The SLA engine: keeps a due time and two verdicts for every (record, obligation) of the
 * schools that follow regulations, and the alert state of each (school, obligation).
 *
 * `evaluate(now)` is incremental, so it can run every minute on a big ledger. It judges
 *  1. every record of a school whose SLA settings changed (or that is new), from scratch;
 *  2. records whose revision is above the engine's watermark (new or changed records);
 *  3. records with a delivery that became `delivered` since the last look (delivery audit rows),
 *     and records of open rows that a pull consumer was served or a paper extract handed over
 *     since they were judged (the served counts as delivered, the hand-over as served on paper);
 *  4. rows whose `nextCheckAt` has come (a risk window opened, a due time passed, an unresolved
 *     fact may have arrived);
 * then plans alerts (alerts.ts) and queues them. Each page of work is one transaction together
 * with the watermark it moves. Passes are bounded per call; what is left is done next call.
 * Calls do not overlap: a second call while one runs gets the running one's result.
 */
import { GatewayError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { CanonicalRecord } from '../core/records';
import type { AccessCodeRequestRow, SlaLedgerRecord, SlaObligationRow, SlaStore } from '../core/sla-store';
import { planAlerts, type AlertScope } from './alerts';
import { channelsFingerprint, type FamilyChannels, type FamilyChannelsSource, type SchoolChannels } from './channels';
import { covers, evaluateRecord, type AccessCodeRequest, type ObligationResult, type RecordFacts, type SlaSubject } from './due';
import { current, deliveryFloor, deriveFacts, firstLevelRefs, lessonClass, secondLevelRefs, studentOf } from './facts';
import type { SlaSchool } from './settings';
import { toRow } from './verdict';

export const ACCESS_REQUEST_PREFIX = 'acr:';

export interface SlaEngineDeps {
  store: SlaStore;
  schools: readonly SlaSchool[];
  log: Logger;
  /** A school and obligation must stay clear this long before the "recovered" alert. */
  recoveryHoldMs: number;
  /** Whether an e-mail transport exists (else e-mail alerts are recorded as skipped). */
  emailEnabled: boolean;
  /**
   * How the families of a school are reached (paper for families who refused electronic
   * delivery), asked once per school and pass; without it every family is electronic.
   */
  familyChannels?: FamilyChannelsSource;
  /** A serve or hand-over this long before a row's judgement still triggers a re-judge (default 60 s). */
  servedSlackMs?: number;
  /** Records per page (one transaction). */
  pageSize?: number;
  /** Records per pass and call; the rest waits for the next call. */
  maxPerPass?: number;
}

export interface EvaluationSummary {
  /** Records and requests judged. */
  judged: number;
  /** Obligation rows written. */
  rows: number;
  /** Schools judged from scratch. */
  rebuilt: string[];
  /** Alerts queued. */
  alerts: number;
  /** False when a pass stopped at its bound (more work waits). */
  complete: boolean;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
const NO_CHANNELS: SchoolChannels = new Map();
const earliest = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined ? a : Date.parse(b) < Date.parse(a) ? b : a);

export class SlaEngine {
  readonly schools: ReadonlyMap<string, SlaSchool>;
  private readonly entityTypes: string[];
  private readonly pageSize: number;
  private readonly maxPerPass: number;
  private running: Promise<EvaluationSummary> | undefined;
  /** Family channels per school, fetched once per pass (cleared when a pass starts). */
  private channels = new Map<string, Promise<SchoolChannels>>();

  constructor(private readonly deps: SlaEngineDeps) {
    this.schools = new Map(deps.schools.map((s) => [s.schoolId, s]));
    this.entityTypes = [...new Set(deps.schools.flatMap((s) => s.sla.obligations.flatMap((o) => o.covers.entityTypes)))]
      .filter((t) => t !== 'access_code_request').sort();
    this.pageSize = deps.pageSize ?? 500;
    this.maxPerPass = deps.maxPerPass ?? 20_000;
  }

  evaluate(now: Date): Promise<EvaluationSummary> {
    if (this.running !== undefined) return this.running;
    this.running = this.run(now).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async run(now: Date): Promise<EvaluationSummary> {
    const sum: EvaluationSummary = { judged: 0, rows: 0, rebuilt: [], alerts: 0, complete: true };
    const store = this.deps.store;
    const add = (n: { judged: number; rows: number }): void => { sum.judged += n.judged; sum.rows += n.rows; };
    const cache = new Map<string, Promise<Map<string, string>>>();
    this.channels = new Map();

    // 1. Schools whose settings (or families' channels) changed. Before anything was judged, pass 2 covers them anyway.
    const judgedBefore = (await store.progress()).revision > 0;
    for (const school of this.schools.values()) {
      const hash = await this.effectiveHash(school, now);
      if ((await store.schoolHash(school.schoolId)) === hash) continue;
      await store.clearSchool(school.schoolId);
      if (judgedBefore) {
        for (let afterSeq = 0; ;) {
          const page = await store.recordsOfSchool(school.schoolId, this.entityTypes, afterSeq, this.pageSize);
          if (page.records.length === 0) break;
          add(await this.judgeAndWrite(page.records, now, cache));
          afterSeq = page.lastSeq;
          if (page.records.length < this.pageSize) break;
          await yieldToLoop();
        }
      }
      for (const r of await store.listAccessRequests({ schoolId: school.schoolId })) add(await this.writeRequest(r, now));
      await store.setSchoolHash(school.schoolId, hash, now.toISOString());
      sum.rebuilt.push(school.schoolId);
    }

    // 2. New and changed records.
    for (let done = 0; ;) {
      if (done >= this.maxPerPass) { sum.complete = false; break; }
      const from = (await store.progress()).revision;
      const page = await store.changedRecords(from, this.entityTypes, this.pageSize);
      if (page.lastRevision === from) break;
      add(await this.judgeAndWrite(page.records, now, cache, { revision: page.lastRevision }));
      done += page.scanned;
      if (page.scanned < this.pageSize) break;
      await yieldToLoop();
    }

    // 3. Records delivered since the last look.
    for (let done = 0; ;) {
      if (done >= this.maxPerPass) { sum.complete = false; break; }
      const from = (await store.progress()).attempt;
      const page = await store.deliveredSince(from, this.entityTypes, this.pageSize * 4);
      if (page.lastAttempt === from) break;
      const records = page.recordIds.length > 0 ? await store.recordsByIds(page.recordIds) : [];
      add(await this.judgeAndWrite(records, now, cache, { attempt: page.lastAttempt }));
      done += page.scanned;
      if (page.scanned < this.pageSize * 4) break;
      await yieldToLoop();
    }

    // 3b. Open rows whose record was served (pull API) or handed over on paper since they were judged.
    // One sweep in record-id order: a re-judge moves evaluated_at to `now`, so a serve older than
    // the slack is not seen by the next pass, and one within it is not taken twice in this one.
    for (let done = 0, after = ''; ;) {
      if (done >= this.maxPerPass) { sum.complete = false; break; }
      const ids = await store.servedSinceJudged(this.deps.servedSlackMs ?? 60_000, after, this.pageSize);
      if (ids.length === 0) break;
      add(await this.rejudge(ids, now, cache));
      done += ids.length;
      after = ids[ids.length - 1] as string;
      if (ids.length < this.pageSize) break;
      await yieldToLoop();
    }

    // 4. Rows whose time has come. Every rewrite moves nextCheckAt past `now`, so this ends.
    const seen = new Set<string>();
    for (;;) {
      const ids = (await store.dueForCheck(now.toISOString(), this.pageSize)).filter((id) => !seen.has(id));
      if (ids.length === 0) break;
      if (seen.size >= this.maxPerPass) { sum.complete = false; break; }
      ids.forEach((id) => seen.add(id));
      add(await this.rejudge(ids, now, cache));
      await yieldToLoop();
    }

    sum.alerts = await this.planAndQueueAlerts(now);
    const log = sum.judged > 0 || sum.alerts > 0 || sum.rebuilt.length > 0 ? this.deps.log.info.bind(this.deps.log) : this.deps.log.debug.bind(this.deps.log);
    log('sla evaluated', { judged: sum.judged, rows: sum.rows, rebuilt: sum.rebuilt.length, alerts: sum.alerts, complete: sum.complete });
    return sum;
  }

  /** Re-judges records and requests by id (rows of unknown or unconfigured ones are dropped). */
  async rejudge(ids: readonly string[], now: Date, cache = new Map<string, Promise<Map<string, string>>>()): Promise<{ judged: number; rows: number }> {
    const requestIds = ids.filter((id) => id.startsWith(ACCESS_REQUEST_PREFIX));
    const recordIds = ids.filter((id) => !id.startsWith(ACCESS_REQUEST_PREFIX));
    const total = { judged: 0, rows: 0 };
    for (const id of requestIds) {
      const row = await this.deps.store.getAccessRequest(Number(id.slice(ACCESS_REQUEST_PREFIX.length)));
      if (row === undefined || !this.schools.has(row.schoolId)) await this.deps.store.writeEvaluation({ recordIds: [id], rows: [] });
      else { const r = await this.writeRequest(row, now); total.judged += r.judged; total.rows += r.rows; }
    }
    if (recordIds.length > 0) {
      const records = await this.deps.store.recordsByIds(recordIds);
      const found = new Set(records.map((r) => r.recordId));
      const gone = recordIds.filter((id) => !found.has(id));
      if (gone.length > 0) await this.deps.store.writeEvaluation({ recordIds: gone, rows: [] });
      const r = await this.judgeAndWrite(records, now, cache);
      total.judged += r.judged;
      total.rows += r.rows;
    }
    return total;
  }

  /** Judges one access-code request and stores its rows. */
  async writeRequest(req: AccessCodeRequestRow, now: Date): Promise<{ judged: number; rows: number }> {
    const school = this.schools.get(req.schoolId);
    const id = `${ACCESS_REQUEST_PREFIX}${req.id}`;
    if (school === undefined) return { judged: 0, rows: 0 };
    const subject: AccessCodeRequest = { entityType: 'access_code_request', id, schoolId: req.schoolId, receivedAt: req.receivedAt };
    const facts: RecordFacts = req.issuedAt !== undefined ? { servedAt: req.issuedAt } : {};
    const rows = this.judge(school, subject, facts, now).map((r) => toRow(r, {
      recordId: id, schoolId: req.schoolId, entityType: 'access_code_request', timeZone: school.sla.timeZone, seenAt: req.receivedAt, atRiskMs: school.atRiskMs, now,
    }));
    await this.deps.store.writeEvaluation({ recordIds: [id], rows });
    return { judged: 1, rows: rows.length };
  }

  private async judgeAndWrite(
    records: readonly SlaLedgerRecord[], now: Date, cache: Map<string, Promise<Map<string, string>>>, progress?: { revision?: number; attempt?: number },
  ): Promise<{ judged: number; rows: number }> {
    const store = this.deps.store;
    const mine = records.filter((r) => this.schools.has(r.schoolId));
    const refs = await store.currentBodies(mine.flatMap(firstLevelRefs));
    const classes = new Map<string, string | undefined>();
    for (const rec of mine) {
      const student = studentOf(rec);
      if (student === undefined || lessonClass(rec, refs) !== undefined) continue;
      if (!cache.has(rec.schoolId)) cache.set(rec.schoolId, store.studentClasses(rec.schoolId));
      classes.set(rec.recordId, (await cache.get(rec.schoolId))?.get(student));
    }
    const second = mine.flatMap((r) => secondLevelRefs(r, refs)).concat([...classes.values()].filter((v): v is string => v !== undefined));
    for (const [k, v] of await store.currentBodies(second.filter((id) => !refs.has(id)))) refs.set(k, v);
    // The gateway's clock: first delivery to a sink or serve to a pull consumer, whichever came
    // first; on paper, the first hand-over of an extract carrying the record (families on paper only).
    const delivered = new Map<string, string>();
    const family = new Map<string, FamilyChannels>();
    const paperItems: Array<{ recordId: string; fromRevision: number }> = [];
    for (const school of this.schools.values()) {
      const ofSchool = mine.filter((r) => r.schoolId === school.schoolId);
      if (ofSchool.length === 0) continue;
      const items = ofSchool.map((r) => ({ recordId: r.recordId, fromRevision: deliveryFloor(r) }));
      for (const [k, v] of await store.firstDeliveries(items, school.sinks)) delivered.set(k, v);
      for (const [k, v] of await store.firstServed(items)) delivered.set(k, earliest(delivered.get(k), v) as string);
      const channels = await this.channelsOf(school, now);
      for (const [i, rec] of ofSchool.entries()) {
        const student = studentOf(rec);
        const f = student !== undefined ? channels.get(student) : undefined;
        if (f === undefined) continue;
        family.set(rec.recordId, f);
        if (f.channels.includes('paper')) paperItems.push(items[i] as { recordId: string; fromRevision: number });
      }
    }
    const handedOver = paperItems.length > 0 ? await store.firstHandedOver(paperItems) : new Map<string, string>();
    const rows: SlaObligationRow[] = [];
    for (const rec of mine) {
      const school = this.schools.get(rec.schoolId) as SlaSchool;
      const body = current(rec) as CanonicalRecord;
      const f = family.get(rec.recordId);
      const studentClass = classes.get(rec.recordId);
      const deliveredAt = delivered.get(rec.recordId);
      const servedAt = handedOver.get(rec.recordId);
      const d = deriveFacts({
        rec, refs, ...(studentClass !== undefined ? { studentClass } : {}), ...(deliveredAt !== undefined ? { deliveredAt } : {}),
        ...(servedAt !== undefined ? { servedAt } : {}), ...(f !== undefined ? { channels: f.channels, ...(f.since !== undefined ? { channelsSince: f.since } : {}) } : {}),
      });
      const labels = { classGroupId: d.classGroupId, classLabel: d.classLabel, subjectId: d.subjectId, subjectLabel: d.subjectLabel };
      for (const r of this.judge(school, body, d.facts, now)) {
        rows.push(toRow(r, {
          recordId: rec.recordId, schoolId: rec.schoolId, entityType: rec.entityType, timeZone: school.sla.timeZone, recordRevision: rec.revision,
          seenAt: rec.firstSeenAt, atRiskMs: school.atRiskMs, now, labels,
        }));
      }
    }
    await store.writeEvaluation({ recordIds: records.map((r) => r.recordId), rows, ...(progress !== undefined ? { progress } : {}) });
    return { judged: mine.length, rows: rows.length };
  }

  /** The families' channels of a school for this pass (none when no obligation of the school depends on them). */
  private channelsOf(school: SlaSchool, now: Date): Promise<SchoolChannels> {
    const source = this.deps.familyChannels;
    if (source === undefined || !school.sla.obligations.some((o) => o.covers.channels !== undefined)) return Promise.resolve(NO_CHANNELS);
    let p = this.channels.get(school.schoolId);
    if (p === undefined) {
      p = source(school.schoolId, now);
      this.channels.set(school.schoolId, p);
    }
    return p;
  }

  /** The school's settings hash, plus its families' channels when an obligation depends on them. */
  private async effectiveHash(school: SlaSchool, now: Date): Promise<string> {
    if (this.deps.familyChannels === undefined || !school.sla.obligations.some((o) => o.covers.channels !== undefined)) return school.configHash;
    return `${school.configHash}:channels:${channelsFingerprint(await this.channelsOf(school, now))}`;
  }

  /**
   * evaluateRecord, except that a date outside the production calendar makes the covering
   * obligations unresolved (naming the year) instead of failing the whole pass.
   */
  private judge(school: SlaSchool, subject: SlaSubject, facts: RecordFacts, now: Date): ObligationResult[] {
    try {
      return evaluateRecord(school.sla, subject, facts, now);
    } catch (e: unknown) {
      if (!(e instanceof GatewayError) || e.code !== 'GW_SLA_CALENDAR_MISSING') throw e;
      this.deps.log.warn('sla: record cannot be judged', { schoolId: school.schoolId, recordId: subject.id, code: 'GW_SLA_CALENDAR_MISSING', reason: e.message });
      if (subject.status === 'tobedeleted') return [];
      return school.sla.obligations.filter((o) => covers(o, subject, facts.channels ?? ['electronic'])).map((o) => ({
        key: o.key, profileId: o.profileId, obligationId: o.id, title: o.title, metBy: o.metBy, state: 'unresolved' as const,
        startEvent: o.startEvent, missing: [`производственный календарь ${calendarYear(e)}`], source: null, gateway: null,
      }));
    }
  }

  private async planAndQueueAlerts(now: Date): Promise<number> {
    const scopes: AlertScope[] = [...this.schools.values()].map((s) => ({
      schoolId: s.schoolId, schoolName: s.name, timeZone: s.sla.timeZone, itContact: s.itContact,
      obligations: new Map(s.sla.obligations.map((o) => [o.key, o.title])),
    }));
    const plan = planAlerts({
      open: await this.deps.store.openCounts(), states: await this.deps.store.alertStates(), scopes, now,
      recoveryHoldMs: this.deps.recoveryHoldMs, emailEnabled: this.deps.emailEnabled,
    });
    if (plan.states.length === 0 && plan.alerts.length === 0) return 0;
    await this.deps.store.saveAlertStates(plan.states, plan.alerts);
    for (const a of plan.alerts) this.deps.log.info('sla alert queued', { schoolId: a.schoolId, obligation: a.obligation, level: a.level, previousLevel: a.previousLevel });
    return plan.alerts.length;
  }
}

function calendarYear(e: GatewayError): string {
  const year = e.opts.context?.['year'];
  return year !== undefined ? `не покрывает ${String(year)} год` : 'не покрывает дату';
}
