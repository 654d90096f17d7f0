/**
 * Ledger schema step 4: consent registry, family contacts and notifications (see migrations.ts for the rules).
 *
 * - `consents`: one row per registration (consent or refusal) of one applicant for one child.
 *   Rows are never deleted: they are the operator's proof (152-ФЗ ст. 9 ч. 3). A newer
 *   registration of the same applicant sets `superseded_by` on the older one; the rows with
 *   `superseded_by IS NULL` are the ones in force (`consents_current`). `items` holds the
 *   ст. 9 ч. 4 items (personal data) until the evidence retention ends, then it is NULL and
 *   `items_purged_at` is set. `dedup_key` makes re-imports idempotent.
 * - `family_contacts`: the current contacts and chosen channels per (school, child, applicant);
 *   deleted by the withdrawal purge.
 * - `consent_withheld`: deliveries the gate withheld, per child, so a later consent re-queues
 *   exactly them (no scan of the outbox).
 * - `consent_purges`: one audit row per child per purge run that destroyed something (the act
 *   of destruction: what, how many, when, on what basis — never the data).
 * - `consent_events`: registry actions (register, withdraw, contacts) without personal data.
 * - `family_notices`: the e-mail outbox (and any other family channel): notices are composed
 *   at send time from the ledger, so the outbox itself holds no message text or address.
 * - `family_state`: small named values (the notifier's revision watermark).
 */
export const FAMILIES_SQL = `
CREATE TABLE consents (
  id                      INTEGER PRIMARY KEY,
  school_id               TEXT NOT NULL,
  child_id                TEXT NOT NULL,
  applicant_kind          TEXT NOT NULL CHECK (applicant_kind IN ('parent', 'legal_representative', 'student')),
  applicant_id            TEXT NOT NULL,
  decision                TEXT NOT NULL CHECK (decision IN ('consent', 'refusal')),
  channels                TEXT NOT NULL,
  text_version            TEXT NOT NULL,
  text_sha256             TEXT,
  form                    TEXT NOT NULL CHECK (form IN ('paper', 'electronic')),
  signature               TEXT,
  evidence_ref            TEXT NOT NULL,
  signed_at               TEXT NOT NULL,
  valid_from              TEXT NOT NULL,
  valid_to                TEXT,
  items                   TEXT,
  items_purged_at         TEXT,
  withdrawn_at            TEXT,
  withdrawal_evidence_ref TEXT,
  withdrawn_by            TEXT,
  purge_due_at            TEXT,
  superseded_by           INTEGER REFERENCES consents (id),
  dedup_key               TEXT NOT NULL,
  captured_at             TEXT NOT NULL,
  captured_by             TEXT NOT NULL
);
CREATE UNIQUE INDEX consents_dedup ON consents (dedup_key);
CREATE INDEX consents_child ON consents (school_id, child_id);
CREATE INDEX consents_current ON consents (school_id, child_id, applicant_id) WHERE superseded_by IS NULL;
CREATE INDEX consents_withdrawn ON consents (purge_due_at) WHERE withdrawn_at IS NOT NULL AND superseded_by IS NULL;

CREATE TABLE family_contacts (
  school_id      TEXT NOT NULL,
  child_id       TEXT NOT NULL,
  applicant_id   TEXT NOT NULL,
  applicant_kind TEXT NOT NULL,
  emails         TEXT NOT NULL,
  phones         TEXT NOT NULL,
  channels       TEXT NOT NULL,
  form           TEXT NOT NULL CHECK (form IN ('paper', 'electronic')),
  evidence_ref   TEXT NOT NULL,
  given_at       TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  updated_by     TEXT NOT NULL,
  PRIMARY KEY (school_id, child_id, applicant_id)
) WITHOUT ROWID;

CREATE TABLE consent_withheld (
  school_id   TEXT NOT NULL,
  child_id    TEXT NOT NULL,
  delivery_id INTEGER NOT NULL,
  PRIMARY KEY (school_id, child_id, delivery_id)
) WITHOUT ROWID;

CREATE TABLE consent_purges (
  id           INTEGER PRIMARY KEY,
  school_id    TEXT NOT NULL,
  child_id     TEXT NOT NULL,
  consent_ids  TEXT NOT NULL,
  withdrawn_at TEXT NOT NULL,
  due_at       TEXT NOT NULL,
  purged_at    TEXT NOT NULL,
  basis        TEXT NOT NULL,
  destroyed    TEXT NOT NULL
);
CREATE INDEX consent_purges_child ON consent_purges (school_id, child_id);

CREATE TABLE consent_events (
  id         INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  school_id  TEXT NOT NULL,
  child_id   TEXT NOT NULL,
  consent_id INTEGER,
  detail     TEXT
);
CREATE INDEX consent_events_child ON consent_events (school_id, child_id);

CREATE TABLE family_notices (
  id              INTEGER PRIMARY KEY,
  channel         TEXT NOT NULL,
  notice_key      TEXT NOT NULL,
  school_id       TEXT NOT NULL,
  child_id        TEXT NOT NULL,
  kind            TEXT NOT NULL,
  record_id       TEXT,
  window_from     TEXT,
  window_to       TEXT,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'retry_wait', 'sent', 'withheld', 'empty', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error      TEXT,
  message_ids     TEXT,
  recipients      INTEGER,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  sent_at         TEXT
);
CREATE UNIQUE INDEX family_notices_key ON family_notices (channel, notice_key);
CREATE INDEX family_notices_due ON family_notices (channel, state, next_attempt_at);
CREATE INDEX family_notices_child ON family_notices (school_id, child_id);

CREATE TABLE family_state (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;
