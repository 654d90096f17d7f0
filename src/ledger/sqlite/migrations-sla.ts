/**
 * Ledger schema step 3: the SLA engine's tables (owned by src/sla; see migrations.ts for the rules).
 *
 * Design notes:
 * - `sla_obligations` holds one row per (record, obligation): the due time and both verdicts as
 *   the engine last judged them. A record is re-judged as a whole (its rows replaced), so an
 *   obligation that no longer covers it (kind changed, record deleted) disappears. Access-code
 *   requests share the table under record ids `acr:<n>`.
 * - The engine reads `records`, `record_versions` and `delivery_attempts` read-only. Its
 *   watermarks (`sla_progress`: the last record revision and the last delivery attempt judged)
 *   move in the same transaction as the rows they produced, so a crash re-judges, never skips.
 * - `sla_obligations_check` is partial: only rows still waiting (pending, at risk, unresolved)
 *   carry `next_check_at`, so the per-minute "whose time has come" probe reads a small index.
 * - `sla_obligations_open` (partial) answers the alert levels: at-risk and breached rows per
 *   school and obligation, without scanning the history.
 * - `sla_schools.config_hash` fingerprints a school's SLA settings, calendars and profiles; a
 *   change makes the engine re-judge that school from scratch.
 * - `sla_alert_state` is the per (school, obligation) state machine of alerts; `sla_alerts` is
 *   the outbox of alerts to send (webhook, e-mail), written in the same transaction as the
 *   state change that caused them, so each transition is alerted exactly once.
 * - `sla_access_requests` keeps a family's request for a personal access code: a reference the
 *   school gives (never a name), when it was received and registered, the deadline and who
 *   registered and issued it.
 */
export const SLA_SQL = `
CREATE TABLE sla_obligations (
  record_id          TEXT NOT NULL,
  obligation         TEXT NOT NULL,
  school_id          TEXT NOT NULL,
  entity_type        TEXT NOT NULL,
  record_revision    INTEGER,
  record_ref         TEXT,
  class_group_id     TEXT,
  class_label        TEXT,
  subject_id         TEXT,
  subject_label      TEXT,
  event_date         TEXT,
  clock_start        TEXT,
  due_at             TEXT,
  due_date           TEXT,
  period_date        TEXT NOT NULL,
  met_at             TEXT,
  source_status      TEXT,
  source_late_ms     INTEGER NOT NULL DEFAULT 0,
  source_basis       TEXT,
  source_approximate INTEGER NOT NULL DEFAULT 0,
  gateway_status     TEXT,
  gateway_late_ms    INTEGER NOT NULL DEFAULT 0,
  gateway_due_at     TEXT,
  late_ms            INTEGER NOT NULL DEFAULT 0,
  state              TEXT NOT NULL CHECK (state IN ('on_time', 'late', 'at_risk', 'breached', 'pending', 'unresolved')),
  detail             TEXT,
  next_check_at      TEXT,
  evaluated_at       TEXT NOT NULL,
  PRIMARY KEY (record_id, obligation)
) WITHOUT ROWID;
CREATE INDEX sla_obligations_report ON sla_obligations (school_id, period_date);
CREATE INDEX sla_obligations_check ON sla_obligations (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX sla_obligations_open ON sla_obligations (school_id, obligation, due_at) WHERE state IN ('at_risk', 'breached');

CREATE TABLE sla_progress (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO sla_progress (name, value) VALUES ('revision', 0), ('attempt', 0);

CREATE TABLE sla_schools (
  school_id   TEXT PRIMARY KEY,
  config_hash TEXT NOT NULL,
  built_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sla_alert_state (
  school_id      TEXT NOT NULL,
  obligation     TEXT NOT NULL,
  alerted_level  TEXT NOT NULL CHECK (alerted_level IN ('ok', 'at_risk', 'breached')),
  alerted_at     TEXT,
  observed_level TEXT NOT NULL CHECK (observed_level IN ('ok', 'at_risk', 'breached')),
  observed_since TEXT NOT NULL,
  PRIMARY KEY (school_id, obligation)
) WITHOUT ROWID;

CREATE TABLE sla_alerts (
  id              INTEGER PRIMARY KEY,
  school_id       TEXT NOT NULL,
  obligation      TEXT NOT NULL,
  level           TEXT NOT NULL CHECK (level IN ('ok', 'at_risk', 'breached')),
  previous_level  TEXT NOT NULL CHECK (previous_level IN ('ok', 'at_risk', 'breached')),
  created_at      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  webhook_state   TEXT NOT NULL CHECK (webhook_state IN ('pending', 'sent', 'failed', 'skipped')),
  email_state     TEXT NOT NULL CHECK (email_state IN ('pending', 'sent', 'failed', 'skipped')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error      TEXT,
  sent_at         TEXT
);
CREATE INDEX sla_alerts_due ON sla_alerts (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX sla_alerts_school ON sla_alerts (school_id, id);

CREATE TABLE sla_access_requests (
  id            INTEGER PRIMARY KEY,
  school_id     TEXT NOT NULL,
  family_ref    TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  due_at        TEXT NOT NULL,
  due_date      TEXT NOT NULL,
  registered_by TEXT NOT NULL,
  issued_at     TEXT,
  issued_by     TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX sla_access_requests_school ON sla_access_requests (school_id, received_at);
CREATE UNIQUE INDEX sla_access_requests_open ON sla_access_requests (school_id, family_ref) WHERE issued_at IS NULL;
`;
