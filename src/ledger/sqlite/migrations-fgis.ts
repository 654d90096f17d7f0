/**
 * Ledger schema step 11: lookups by reference for the ФГИС «Моя школа» pull API (see
 * migrations.ts for the rules, field-lookups.ts for the queries these serve).
 *
 * `GET /Schedule/{ЕСИА id}` needs one person's class groups, the lessons of those groups in a
 * date window, and the homework, marks and attendance of those lessons. Before this step it read
 * every current record of ten kinds of the school per request (seconds for a school of 1,000
 * students and a year of lessons).
 *
 * - Single-valued reference fields are expression indexes on `record_versions.body`. They cover
 *   every version, history included; a query joins `records` on the current revision. SQLite
 *   keeps them right on every write, including the consent purge that rewrites a body in place
 *   (a purged body drops out of them), so there is no derived data to drift. Each is partial
 *   (only bodies that carry the field), so a kind without the field costs an index nothing but
 *   the check. The expressions here must stay textually equal to those in field-lookups.ts, or
 *   the planner cannot use them.
 * - Keys lead with the field records arrive grouped by (a lesson's marks and absences come
 *   together, a class's lessons day by day), so a batch dirties few index pages: marks and
 *   attendance are keyed (lessonId, studentId), not (studentId, lessonId), which cost 7 % of the
 *   intake rate on 100,000 marks against about nothing.
 * - A person's external ids (ЕСИА oid, …) are an array, which no expression index can key, so
 *   `person_external_ids` holds (type, value) per current person revision, kept by triggers on
 *   `records` (a person's pointer moves) and on `record_versions` (the purge rewrites a body);
 *   only persons pay for them. Backfilled here from the current records.
 */
import type { Migration } from './migrations';

export const FGIS_SQL = `
CREATE INDEX record_versions_person ON record_versions (json_extract(body, '$.personId'))
  WHERE json_extract(body, '$.personId') IS NOT NULL;
CREATE INDEX record_versions_guardian ON record_versions (json_extract(body, '$.guardianId'))
  WHERE json_extract(body, '$.guardianId') IS NOT NULL;
CREATE INDEX record_versions_class_date ON record_versions (json_extract(body, '$.classGroupId'), json_extract(body, '$.date'))
  WHERE json_extract(body, '$.classGroupId') IS NOT NULL AND json_extract(body, '$.date') IS NOT NULL;
CREATE INDEX record_versions_class_due ON record_versions (json_extract(body, '$.classGroupId'), json_extract(body, '$.dueDate'))
  WHERE json_extract(body, '$.classGroupId') IS NOT NULL AND json_extract(body, '$.dueDate') IS NOT NULL;
CREATE INDEX record_versions_due_lesson ON record_versions (json_extract(body, '$.dueLessonId'))
  WHERE json_extract(body, '$.dueLessonId') IS NOT NULL;
CREATE INDEX record_versions_lesson_student ON record_versions (json_extract(body, '$.lessonId'), json_extract(body, '$.studentId'))
  WHERE json_extract(body, '$.lessonId') IS NOT NULL AND json_extract(body, '$.studentId') IS NOT NULL;

CREATE TABLE person_external_ids (
  revision INTEGER NOT NULL,
  type     TEXT NOT NULL,
  value    TEXT NOT NULL
);
CREATE INDEX person_external_ids_value ON person_external_ids (type, value);
CREATE INDEX person_external_ids_revision ON person_external_ids (revision);

INSERT INTO person_external_ids (revision, type, value)
  SELECT r.revision, json_extract(e.value, '$.type'), json_extract(e.value, '$.value')
  FROM records r JOIN record_versions v ON v.revision = r.revision, json_each(v.body, '$.externalIds') e
  WHERE r.entity_type = 'person' AND json_extract(e.value, '$.type') IS NOT NULL AND json_extract(e.value, '$.value') IS NOT NULL;

CREATE TRIGGER person_external_ids_insert AFTER INSERT ON records WHEN NEW.entity_type = 'person'
BEGIN
  INSERT INTO person_external_ids (revision, type, value)
    SELECT NEW.revision, json_extract(e.value, '$.type'), json_extract(e.value, '$.value')
    FROM record_versions v, json_each(v.body, '$.externalIds') e
    WHERE v.revision = NEW.revision AND json_extract(e.value, '$.type') IS NOT NULL AND json_extract(e.value, '$.value') IS NOT NULL;
END;

CREATE TRIGGER person_external_ids_update AFTER UPDATE OF revision ON records
  WHEN (NEW.entity_type = 'person' OR OLD.entity_type = 'person') AND NEW.revision IS NOT OLD.revision
BEGIN
  DELETE FROM person_external_ids WHERE revision = OLD.revision;
  INSERT INTO person_external_ids (revision, type, value)
    SELECT NEW.revision, json_extract(e.value, '$.type'), json_extract(e.value, '$.value')
    FROM record_versions v, json_each(v.body, '$.externalIds') e
    WHERE NEW.entity_type = 'person' AND v.revision = NEW.revision
      AND json_extract(e.value, '$.type') IS NOT NULL AND json_extract(e.value, '$.value') IS NOT NULL;
END;

CREATE TRIGGER person_external_ids_delete AFTER DELETE ON records WHEN OLD.entity_type = 'person'
BEGIN
  DELETE FROM person_external_ids WHERE revision = OLD.revision;
END;

CREATE TRIGGER person_external_ids_rewrite AFTER UPDATE OF body ON record_versions
  WHEN EXISTS (SELECT 1 FROM records WHERE revision = NEW.revision AND entity_type = 'person')
BEGIN
  DELETE FROM person_external_ids WHERE revision = NEW.revision;
  INSERT INTO person_external_ids (revision, type, value)
    SELECT NEW.revision, json_extract(e.value, '$.type'), json_extract(e.value, '$.value')
    FROM json_each(NEW.body, '$.externalIds') e
    WHERE json_extract(e.value, '$.type') IS NOT NULL AND json_extract(e.value, '$.value') IS NOT NULL;
END;
`;

/** The step as wired in MIGRATIONS (versions 6–10 belong to other steps). */
export const FGIS_MIGRATION: Migration = { version: 10, name: 'lookups by reference (ФГИС pull API)', sql: FGIS_SQL };
