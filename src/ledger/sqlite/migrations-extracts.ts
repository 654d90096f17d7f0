/**
 * Ledger schema step 7: the register of weekly paper extracts (see migrations.ts for the rules
 * and src/families/extract/register.ts for the states).
 *
 * - `paper_extracts`: one row per (school, week, student, version) with its weekly deadline and state.
 * - `paper_extract_records`: the ledger records an extract carried, so the SLA engine can take the
 *   moment a record reached the family on paper, and the withdrawal purge can find them.
 */
export const EXTRACTS_SQL = `
CREATE TABLE paper_extracts (
  id              TEXT PRIMARY KEY,
  school_id       TEXT NOT NULL,
  week            TEXT NOT NULL,
  week_start      TEXT NOT NULL,
  week_end        TEXT NOT NULL,
  class_group_id  TEXT NOT NULL,
  student_id      TEXT NOT NULL,
  version         INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('generated', 'printed', 'handed_over', 'superseded')),
  due_at          TEXT NOT NULL,
  generated_at    TEXT NOT NULL,
  content_hash    TEXT NOT NULL,
  pdf_sha256      TEXT NOT NULL,
  pdf_path        TEXT,
  printed_at      TEXT,
  handed_over_at  TEXT,
  handed_over_by  TEXT,
  superseded_by   TEXT,
  UNIQUE (school_id, week, student_id, version)
);
CREATE INDEX paper_extracts_due ON paper_extracts (state, due_at);
CREATE INDEX paper_extracts_class ON paper_extracts (school_id, week, class_group_id);
CREATE TABLE paper_extract_records (
  extract_id  TEXT NOT NULL REFERENCES paper_extracts (id),
  record_id   TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  PRIMARY KEY (extract_id, record_id)
);
CREATE INDEX paper_extract_records_record ON paper_extract_records (record_id);
`;
