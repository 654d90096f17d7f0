/**
 * The storage contract of the SLA engine (src/sla): obligations with their due times and
 * verdicts, the engine's watermarks, the alert state machine and outbox, and access-code
 * requests — plus the read-only view of the ledger the engine judges from.
 *
 * Like the Ledger, every method is async so a shared PostgreSQL store can serve the same
 * engine; the embedded implementation is src/ledger/sqlite/sla-store.ts, in the ledger's own
 * SQLite file. Times are ISO 8601 UTC strings; local dates are 'YYYY-MM-DD' of the school.
 */

/** Where one (record, obligation) stands. */
export type SlaState = 'on_time' | 'late' | 'at_risk' | 'breached' | 'pending' | 'unresolved';
export const SLA_STATES: readonly SlaState[] = ['on_time', 'late', 'at_risk', 'breached', 'pending', 'unresolved'];

/** One clock's status as the deadline engine reports it (src/sla/due.ts). */
export type SlaClockStatus = 'on_time' | 'late' | 'pending' | 'overdue' | 'unknown';

/**
 * One record judged against one obligation. `lateMs` is the whole lateness: the journal's
 * share (`sourceLateMs`) plus the gateway's (`gatewayLateMs`).
 */
export interface SlaObligationRow {
  /** Canonical record id, or `acr:<n>` for an access-code request. */
  recordId: string;
  /** '<profile id>/<obligation id>'. */
  obligation: string;
  schoolId: string;
  entityType: string;
  recordRevision?: number;
  /** A short reference for reports (first 8 characters of the canonical id); never a name. */
  recordRef?: string;
  classGroupId?: string;
  classLabel?: string;
  subjectId?: string;
  subjectLabel?: string;
  /** Local date of the start event (lesson, period end, entry, registration). */
  eventDate?: string;
  /** The instant the clock started. */
  clockStart?: string;
  dueAt?: string;
  /** Local last day of the term. */
  dueDate?: string;
  /** Local date the row is reported under: the due date, else the event date, else when the gateway saw it. */
  periodDate: string;
  /** When the obligation was met (journal had it / delivered / served). */
  metAt?: string;
  sourceStatus?: SlaClockStatus;
  sourceLateMs: number;
  sourceBasis?: string;
  /** The journal's time is the gateway's first sight: a late verdict may be overstated. */
  sourceApproximate: boolean;
  gatewayStatus?: SlaClockStatus;
  gatewayLateMs: number;
  gatewayDueAt?: string;
  lateMs: number;
  state: SlaState;
  /** Why it is unresolved (missing facts, calendar), or other notes. Safe to show. */
  detail?: string;
  /** When the engine must look at this row again (pending, at risk, unresolved). */
  nextCheckAt?: string;
  evaluatedAt: string;
}

/** A ledger record as the engine needs it: the envelope columns and every version, oldest first. */
export interface SlaLedgerRecord {
  recordId: string;
  schoolId: string;
  entityType: string;
  status: 'active' | 'tobedeleted';
  revision: number;
  /** When the gateway first took it in. */
  firstSeenAt: string;
  /** Oldest first; the last is the current version. */
  versions: Array<{ revision: number; ingestedAt: string; record: Record<string, unknown> }>;
}

export interface SlaProgress {
  /** Highest record revision judged. */
  revision: number;
  /** Highest delivery attempt (audit row id) looked at. */
  attempt: number;
}

export interface SlaEvaluationWrite {
  /** Records (or requests) judged: their previous rows are replaced by the rows given for them. */
  recordIds: readonly string[];
  rows: readonly SlaObligationRow[];
  /** Watermarks to move in the same transaction. */
  progress?: Partial<SlaProgress>;
}

export interface SlaObligationFilter {
  schoolId: string;
  /** period_date window, inclusive (local dates). */
  fromDate?: string;
  toDate?: string;
  states?: readonly SlaState[];
  obligation?: string;
  limit?: number;
  offset?: number;
}

/** Rows of one (obligation, class, month of the period date, state) of a school's report window. */
export interface SlaReportCell {
  obligation: string;
  classLabel?: string;
  /** 'YYYY-MM' of period_date. */
  month: string;
  state: SlaState;
  count: number;
  /** Rows with a journal delay / a gateway delay. */
  lateSource: number;
  lateGateway: number;
}

/** The lateness of one late row, for medians. */
export interface SlaLateValue {
  obligation: string;
  classLabel?: string;
  month: string;
  lateMs: number;
}

export type SlaAlertLevel = 'ok' | 'at_risk' | 'breached';

/** Open (at-risk and breached) rows of one school and obligation. */
export interface SlaOpenCounts {
  schoolId: string;
  obligation: string;
  atRisk: number;
  breached: number;
  earliestDueAt?: string;
}

/** The alert state machine of one school and obligation. */
export interface SlaAlertState {
  schoolId: string;
  obligation: string;
  /** What the school was last told. */
  alertedLevel: SlaAlertLevel;
  alertedAt?: string;
  /** What the engine sees now, and since when. */
  observedLevel: SlaAlertLevel;
  observedSince: string;
}

export type SlaChannelState = 'pending' | 'sent' | 'failed' | 'skipped';

export interface SlaAlertInput {
  schoolId: string;
  obligation: string;
  level: SlaAlertLevel;
  previousLevel: SlaAlertLevel;
  createdAt: string;
  /** The machine and Russian text fields sent; counts and dates only, no personal data. */
  payload: Record<string, unknown>;
  webhook: boolean;
  email: boolean;
}

export interface SlaAlertRow {
  id: number;
  schoolId: string;
  obligation: string;
  level: SlaAlertLevel;
  previousLevel: SlaAlertLevel;
  createdAt: string;
  payload: Record<string, unknown>;
  webhookState: SlaChannelState;
  emailState: SlaChannelState;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  sentAt?: string;
}

export interface SlaAlertUpdate {
  webhookState: SlaChannelState;
  emailState: SlaChannelState;
  attempts: number;
  /** Absent: nothing left to send. */
  nextAttemptAt?: string;
  lastError?: string;
  sentAt?: string;
}

/** A family's request for a personal access code. */
export interface AccessCodeRequestRow {
  id: number;
  schoolId: string;
  /** The school's reference for the family (application number, guardian's canonical id); never a name. */
  familyRef: string;
  receivedAt: string;
  /** When it counts as registered (after hours or on a day off: the next working day's opening). */
  registeredAt: string;
  dueAt: string;
  dueDate: string;
  registeredBy: string;
  issuedAt?: string;
  issuedBy?: string;
  createdAt: string;
  updatedAt: string;
}

export type AccessCodeRequestInput = Pick<AccessCodeRequestRow, 'schoolId' | 'familyRef' | 'receivedAt' | 'registeredAt' | 'dueAt' | 'dueDate' | 'registeredBy'> & {
  now: string;
};

export interface SlaStore {
  // --- the ledger, read-only -------------------------------------------------------------
  progress(): Promise<SlaProgress>;
  /**
   * Records whose current revision is above `afterRevision`, oldest revision first, at most
   * `limit` scanned. Only records of `entityTypes` are returned; `lastRevision` is the highest
   * revision scanned (returned or not), so the watermark moves past records of other kinds; `scanned` counts them.
   */
  changedRecords(afterRevision: number, entityTypes: readonly string[], limit: number): Promise<{ records: SlaLedgerRecord[]; lastRevision: number; scanned: number }>;
  /** Active records of a school and kinds, by arrival order after `afterSeq` (a full re-judge). */
  recordsOfSchool(schoolId: string, entityTypes: readonly string[], afterSeq: number, limit: number): Promise<{ records: SlaLedgerRecord[]; lastSeq: number }>;
  recordsByIds(ids: readonly string[]): Promise<SlaLedgerRecord[]>;
  /**
   * Records of `entityTypes` with a delivery that became `delivered` after attempt (audit row)
   * `afterAttempt`, at most `limit` attempts scanned; `lastAttempt` is the highest scanned.
   */
  deliveredSince(afterAttempt: number, entityTypes: readonly string[], limit: number): Promise<{ recordIds: string[]; lastAttempt: number; scanned: number }>;
  /**
   * Earliest delivery of each record to any of `sinkIds`, counting only versions from
   * `fromRevision` on (a deferred mark's own delivery does not deliver the final mark). Only
   * deliveries the sink acknowledged count; the moment is the destination's own clock when the
   * transport recorded one (СМЭВ 3 `SendingTimestamp`), else the gateway's `delivered_at`.
   * Returned as UTC ISO strings.
   */
  firstDeliveries(items: ReadonlyArray<{ recordId: string; fromRevision: number }>, sinkIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Earliest moment each record was served to a pull consumer (ФГИС «Моя школа» pull API,
   * ledger table `served`) at a revision from `fromRevision` on. Served counts as delivered.
   */
  firstServed(items: ReadonlyArray<{ recordId: string; fromRevision: number }>): Promise<Map<string, string>>;
  /**
   * Earliest hand-over (`paper_extracts.handed_over_at`) of a weekly paper extract that carried
   * the record at a revision from `fromRevision` on: when the record reached a paper family.
   */
  firstHandedOver(items: ReadonlyArray<{ recordId: string; fromRevision: number }>): Promise<Map<string, string>>;
  /**
   * Records of rows still open on the gateway's clock (pending, at risk, breached) that were
   * served to a pull consumer or handed over on paper after the row was last judged (less
   * `slackMs`, for a serve committed while a pass was reading): record ids above `afterRecordId`
   * in id order, at most `limit`.
   */
  servedSinceJudged(slackMs: number, afterRecordId: string, limit: number): Promise<string[]>;
  /** Current bodies of referenced records (lessons, assessments, periods, classes, subjects). */
  currentBodies(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
  /** studentId → classGroupId of the school's active student memberships (primary ones win). */
  studentClasses(schoolId: string): Promise<Map<string, string>>;

  // --- obligations -----------------------------------------------------------------------
  /** One transaction: replace the rows of the judged records and move the watermarks. */
  writeEvaluation(w: SlaEvaluationWrite): Promise<void>;
  /** Record ids of rows whose `nextCheckAt` has come, earliest first. */
  dueForCheck(now: string, limit: number): Promise<string[]>;
  listObligations(filter: SlaObligationFilter): Promise<SlaObligationRow[]>;
  /** The report's counts and late values over period_date [fromDate, toDate], aggregated in the store. */
  reportCells(schoolId: string, fromDate: string, toDate: string): Promise<{ cells: SlaReportCell[]; lateValues: SlaLateValue[] }>;
  /** Counts of rows per state of one school (whole history). */
  stateCounts(schoolId: string): Promise<Record<SlaState, number>>;
  schoolHash(schoolId: string): Promise<string | undefined>;
  /** Drops every row of the school (before a full re-judge) and forgets its hash. */
  clearSchool(schoolId: string): Promise<void>;
  setSchoolHash(schoolId: string, hash: string, now: string): Promise<void>;

  // --- alerts ----------------------------------------------------------------------------
  openCounts(): Promise<SlaOpenCounts[]>;
  alertStates(schoolId?: string): Promise<SlaAlertState[]>;
  /** One transaction: save the state machines and queue the alerts; returns the alert ids. */
  saveAlertStates(states: readonly SlaAlertState[], alerts: readonly SlaAlertInput[]): Promise<number[]>;
  /** Alerts with something left to send whose time has come. */
  dueAlerts(now: string, limit: number): Promise<SlaAlertRow[]>;
  updateAlert(id: number, update: SlaAlertUpdate): Promise<void>;
  listAlerts(filter: { schoolId?: string; limit?: number }): Promise<SlaAlertRow[]>;

  // --- access-code requests --------------------------------------------------------------
  /** Throws GW_ACCESS_CODE_CONFLICT (409) when the family already has an open request at the school. */
  insertAccessRequest(input: AccessCodeRequestInput): Promise<AccessCodeRequestRow>;
  /** Throws GW_API_NOT_FOUND for an unknown id, GW_ACCESS_CODE_CONFLICT (409) when already issued. */
  issueAccessRequest(id: number, issuedAt: string, issuedBy: string, now: string): Promise<AccessCodeRequestRow>;
  getAccessRequest(id: number): Promise<AccessCodeRequestRow | undefined>;
  listAccessRequests(filter: { schoolId?: string; open?: boolean; limit?: number }): Promise<AccessCodeRequestRow[]>;
}
