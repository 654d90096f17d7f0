import { EXPORTS_SQL } from './migrations-exports';
import { EXTRACTS_SQL } from './migrations-extracts';
import { FAMILIES_SQL } from './migrations-families';
import { FAMILIES2_SQL } from './migrations-families2';
import { FGIS_SQL } from './migrations-fgis';
import { SLA_SQL } from './migrations-sla';
import { TRANSPORT_SQL } from './migrations-transport';
import { TRANSPORT2_SQL } from './migrations-transport2';
import { GatewayError } from '../../core/errors';
import { mapSqliteError, type Db } from './connection';

/**
 * One schema step. Migrations are append-only: a released migration's SQL never changes, a fix
 * is a new version. Each is applied in its own transaction together with its
 * `schema_migrations` row, so a failed step leaves the ledger at the previous version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/*
 * Design notes for version 1:
 * - `records` is the current pointer without a body; `record_versions.revision` (AUTOINCREMENT,
 *   never reused) is the ledger-wide monotonic revision, and the current body is found by
 *   joining on it. History is therefore free and an update writes one body, not two.
 * - Canonical ids are random UUIDs. Only `records_id` is keyed by them; every other index keys a
 *   record by `records.seq`, an integer the ledger hands out in arrival order, so a new record
 *   appends to those indexes instead of dirtying a random page in each (about half the write
 *   cost of a large import).
 * - No foreign keys from records/deliveries to record_versions: a version row is written before
 *   the record pointer that names it, and `verify()` checks those links instead.
 * - `deliveries_claim` serves claiming (pending in (next_attempt_at, id) order, due retry_wait) and
 *   nextDueAt; `deliveries_record` serves superseding and the stale-version guard, and its
 *   uniqueness guards "one delivery per (sink, record version)".
 * - `deliveries_in_flight` is partial: only leased rows pay for it; it answers "is this record
 *   in flight for this sink" for claims and lists the rows recovery looks at.
 * - `stats()` is read on every metrics scrape, so it must not scan: `counters` holds the record
 *   and per-state delivery counts (the ledger adds each transaction's deltas in one write at its
 *   end; triggers cost 10 µs a row on intake; `verify()` recounts), and the partial
 *   `deliveries_queued` index answers the oldest waiting delivery.
 * - `quarantine_open` is partial and unique: one unresolved entry per (school, instance, source
 *   id, stream); re-seen entries update it (ON CONFLICT), resolved ones are history.
 */
const V1_SQL = `
CREATE TABLE records (
  seq                INTEGER PRIMARY KEY,
  id                 TEXT NOT NULL,
  entity_type        TEXT NOT NULL,
  school_id          TEXT NOT NULL,
  source_system      TEXT NOT NULL,
  source_instance    TEXT NOT NULL,
  source_id          TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('active', 'tobedeleted')),
  revision           INTEGER NOT NULL,
  content_hash       TEXT NOT NULL,
  date_last_modified TEXT NOT NULL,
  source_modified_at TEXT,
  source_created_at  TEXT,
  first_seen_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX records_id ON records (id);
CREATE UNIQUE INDEX records_revision ON records (revision);

CREATE TABLE record_versions (
  revision     INTEGER PRIMARY KEY AUTOINCREMENT,
  record_seq   INTEGER NOT NULL,
  record_id    TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('active', 'tobedeleted')),
  run_id       TEXT NOT NULL,
  ingested_at  TEXT NOT NULL,
  body         TEXT NOT NULL
);
CREATE INDEX record_versions_record ON record_versions (record_seq);

CREATE TABLE cursors (
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  stream          TEXT NOT NULL,
  cursor          TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (school_id, source_instance, stream)
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  sink_id         TEXT NOT NULL,
  record_seq      INTEGER NOT NULL,
  record_id       TEXT NOT NULL,
  entity_type     TEXT NOT NULL,
  school_id       TEXT NOT NULL,
  revision        INTEGER NOT NULL,
  content_hash    TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'retry_wait', 'dead', 'rejected', 'superseded')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  max_attempts    INTEGER NOT NULL,
  next_attempt_at TEXT,
  lease_until     TEXT,
  lease_owner     TEXT,
  last_error      TEXT,
  remote_ref      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  delivered_at    TEXT
);
CREATE INDEX deliveries_claim ON deliveries (sink_id, state, next_attempt_at);
CREATE UNIQUE INDEX deliveries_record ON deliveries (sink_id, record_seq, revision);
CREATE INDEX deliveries_in_flight ON deliveries (sink_id, record_seq) WHERE state = 'in_flight';

CREATE INDEX deliveries_queued ON deliveries (created_at) WHERE state IN ('pending', 'retry_wait');

CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, n) VALUES ('records', 0), ('deliveries.pending', 0), ('deliveries.in_flight', 0),
  ('deliveries.delivered', 0), ('deliveries.retry_wait', 0), ('deliveries.dead', 0), ('deliveries.rejected', 0),
  ('deliveries.superseded', 0);

CREATE TABLE delivery_attempts (
  id          INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
  attempt     INTEGER NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  at          TEXT NOT NULL,
  duration_ms INTEGER,
  error_code  TEXT,
  error_class TEXT,
  message     TEXT,
  actor       TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);

CREATE TABLE quarantine (
  id              INTEGER PRIMARY KEY,
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  stream          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  entity_type     TEXT,
  error_code      TEXT NOT NULL,
  message         TEXT NOT NULL,
  issues          TEXT NOT NULL,
  raw             TEXT,
  run_id          TEXT NOT NULL,
  first_seen_at   TEXT NOT NULL,
  last_seen_at    TEXT NOT NULL,
  seen_count      INTEGER NOT NULL DEFAULT 1,
  resolved_at     TEXT
);
CREATE UNIQUE INDEX quarantine_open ON quarantine (school_id, source_instance, source_id, stream) WHERE resolved_at IS NULL;

CREATE TABLE runs (
  run_id          TEXT PRIMARY KEY,
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  trigger         TEXT NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  status          TEXT NOT NULL,
  counts          TEXT NOT NULL,
  streams         TEXT,
  error           TEXT
);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE locks (
  name  TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * Safety holds. A run with a hold policy stages its changes to stored records in
 * `staged_changes` (hold_id NULL) with its routes and policy in `staged_runs`; settling moves
 * them into the records (within thresholds) or attaches them to a pending hold. `holds_open`
 * keeps one pending hold per school, instance and kind, so later runs join it instead of
 * piling up holds. `records_kind` answers the baseline count (active records of a kind).
 */
const V2_SQL = `
CREATE TABLE staged_runs (
  run_id          TEXT PRIMARY KEY,
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  routes          TEXT NOT NULL,
  settled_at      TEXT
);
CREATE INDEX staged_runs_open ON staged_runs (school_id, source_instance) WHERE settled_at IS NULL;

CREATE TABLE holds (
  id              INTEGER PRIMARY KEY,
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  entity_type     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
  baseline        INTEGER NOT NULL,
  deletes         INTEGER NOT NULL,
  changes         INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  run_ids         TEXT NOT NULL,
  routes          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  decided_at      TEXT,
  decided_by      TEXT,
  applied         INTEGER,
  superseded      INTEGER
);
CREATE UNIQUE INDEX holds_open ON holds (school_id, source_instance, entity_type) WHERE state = 'pending';

CREATE TABLE staged_changes (
  id              INTEGER PRIMARY KEY,
  run_id          TEXT NOT NULL,
  hold_id         INTEGER REFERENCES holds (id),
  school_id       TEXT NOT NULL,
  source_instance TEXT NOT NULL,
  entity_type     TEXT NOT NULL,
  record_id       TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('change', 'delete')),
  base_hash       TEXT NOT NULL,
  record          TEXT NOT NULL
);
CREATE UNIQUE INDEX staged_changes_run ON staged_changes (run_id, record_id) WHERE hold_id IS NULL;
CREATE UNIQUE INDEX staged_changes_hold ON staged_changes (hold_id, record_id) WHERE hold_id IS NOT NULL;

CREATE INDEX records_kind ON records (school_id, entity_type, status);
INSERT INTO counters (name, n) VALUES ('holds.pending', 0);
`;

/**
 * What pull consumers (ФГИС «Моя школа» `GET /Schedule/{ЕСИА id}`) were served: one row per
 * (consumer, record revision) the first time it was served, so the SLA engine can count a
 * served record as delivered. The account is kept only as a keyed hash.
 */
const V5_SQL = `
CREATE TABLE served (
  consumer     TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  account_hash TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  served_at    TEXT NOT NULL,
  PRIMARY KEY (consumer, record_id, revision)
) WITHOUT ROWID;
CREATE INDEX served_record ON served (record_id, served_at);
`;

/** The ledger schema, oldest first. Versions are consecutive from 1. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial ledger schema', sql: V1_SQL },
  { version: 2, name: 'safety holds', sql: V2_SQL },
  { version: 3, name: 'sla obligations', sql: SLA_SQL },
  { version: 4, name: 'families: consent and notifications', sql: FAMILIES_SQL },
  { version: 5, name: 'served to pull consumers', sql: V5_SQL },
  { version: 6, name: 'delivery transport ids and remote status', sql: TRANSPORT_SQL },
  { version: 7, name: 'paper extracts register', sql: EXTRACTS_SQL },
  { version: 8, name: 'delivery remote detail', sql: TRANSPORT2_SQL },
  { version: 9, name: 'export watermarks', sql: EXPORTS_SQL },
  { version: 10, name: 'lookups by reference (ФГИС pull API)', sql: FGIS_SQL },
  { version: 11, name: 'families: recipient time zone in contacts', sql: FAMILIES2_SQL },
];

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** The highest applied version; 0 for a fresh file. Reads only, creates nothing. */
export function appliedVersion(db: Db): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations').get();
  return row?.v ?? 0;
}

/**
 * Brings the schema up to the newest migration. Idempotent. Refuses a ledger written by a newer
 * gateway (its schema may mean things this code does not know) with GW_LEDGER_MIGRATION.
 */
export function applyMigrations(db: Db, migrations: readonly Migration[], now: () => string): { from: number; to: number } {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new GatewayError('GW_INTERNAL', `Ledger migrations must be numbered 1..n without gaps; found ${m.version} at position ${i + 1}`);
    }
  });
  const latest = latestVersion(ordered);
  db.exec(CREATE_MIGRATIONS_TABLE);
  const from = appliedVersion(db);
  if (from > latest) {
    throw new GatewayError('GW_LEDGER_MIGRATION', `The ledger schema is at version ${from}, newer than this gateway (${latest})`, {
      context: { ledgerVersion: from, codeVersion: latest },
    });
  }
  const record = db.prepare<[number, string, string]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied = db.prepare<[number], { one: number }>('SELECT 1 AS one FROM schema_migrations WHERE version = ?');
  for (const m of ordered) {
    if (m.version <= from) continue;
    try {
      db.transaction(() => {
        // Another process opening the same fresh file may have applied it while this one waited
        // for the write lock.
        if (applied.get(m.version) !== undefined) return;
        db.exec(m.sql);
        record.run(m.version, m.name, now());
      }).immediate();
    } catch (e: unknown) {
      const mapped = mapSqliteError(e);
      if (mapped.code !== 'GW_INTERNAL') throw mapped;
      const why = e instanceof Error ? e.message : String(e);
      throw new GatewayError('GW_LEDGER_MIGRATION', `Ledger migration ${m.version} (${m.name}) failed: ${why}`, { cause: e });
    }
  }
  return { from, to: Math.max(from, latest) };
}
