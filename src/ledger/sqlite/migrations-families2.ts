/**
 * Ledger schema step 11: the recipient's own time zone in a family's contact statement (see
 * migrations.ts for the rules; step 4 created `family_contacts`).
 *
 * - `family_contacts.timezone`: an IANA zone name (Asia/Vladivostok) the family gave with its
 *   contacts, or NULL. SMS quiet hours are kept in this zone when given, in the school's
 *   otherwise (src/families/sms/quiet-hours.ts). The contacts are columns, not one JSON document,
 *   so the zone needs its own column; NULL for every statement given before this step.
 */
export const FAMILIES2_SQL = `
ALTER TABLE family_contacts ADD COLUMN timezone TEXT;
`;
