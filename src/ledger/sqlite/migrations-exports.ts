/**
 * Ledger schema step 9: export watermarks (see migrations.ts for the rules).
 *
 * - `export_watermarks`: per (school, destination) the greatest ledger revision whose changes are
 *   all in a package completely written to that destination (CLI `export oneroster`; the
 *   destination is `oneroster-csv:<the folder the packages go into>` or a name the operator
 *   gives). A delta export without an explicit start continues from it. It is written only after
 *   the package is in place (its manifest renamed into it) and never moves back, so a failed or
 *   concurrent older export cannot make the next delta skip a change.
 */
export const EXPORTS_SQL = `
CREATE TABLE export_watermarks (
  school_id    TEXT NOT NULL,
  destination  TEXT NOT NULL,
  revision     INTEGER NOT NULL CHECK (revision >= 0),
  mode         TEXT NOT NULL CHECK (mode IN ('bulk', 'delta')),
  last_package TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (school_id, destination)
) WITHOUT ROWID;
`;

/** Row shape of `export_watermarks`. */
export interface ExportWatermarkRow {
  school_id: string;
  destination: string;
  revision: number;
  mode: 'bulk' | 'delta';
  last_package: string;
  updated_at: string;
}

export const SELECT_EXPORT_WATERMARK = `SELECT school_id, destination, revision, mode, last_package, updated_at
  FROM export_watermarks WHERE school_id = ? AND destination = ?`;

/** Insert or move forward; a revision lower than the stored one changes nothing. */
export const UPSERT_EXPORT_WATERMARK = `INSERT INTO export_watermarks (school_id, destination, revision, mode, last_package, updated_at)
  VALUES (@schoolId, @destination, @revision, @mode, @lastPackage, @updatedAt)
  ON CONFLICT (school_id, destination) DO UPDATE SET
    revision = excluded.revision, mode = excluded.mode, last_package = excluded.last_package, updated_at = excluded.updated_at
  WHERE excluded.revision >= export_watermarks.revision`;
