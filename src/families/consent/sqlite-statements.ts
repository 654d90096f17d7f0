/**
 * Rows of the consent registry's tables (migration 4) and the prepared statements of
 * SqliteConsentStore (src/ledger/sqlite/consent-store.ts), kept apart so the store stays readable.
 */
import type Database from 'better-sqlite3';
import type {
  ApplicantKind, ConsentDecision, ConsentForm, ConsentInput, ConsentItems, ConsentRecord, ContactChannel, ElectronicChannel, FamilyContacts,
  SignatureKind,
} from '../../core/consent';
import type { Db } from '../../ledger/sqlite/connection';
import type { CurrentRow } from './rules';
import { toInstant } from './validate';

export interface ConsentRow {
  id: number; school_id: string; child_id: string; applicant_kind: ApplicantKind; applicant_id: string; decision: ConsentDecision;
  channels: string; text_version: string; text_sha256: string | null; form: ConsentForm; signature: SignatureKind | null;
  evidence_ref: string; signed_at: string; valid_from: string; valid_to: string | null; items: string | null; items_purged_at: string | null;
  withdrawn_at: string | null; withdrawal_evidence_ref: string | null; withdrawn_by: string | null; purge_due_at: string | null;
  superseded_by: number | null; dedup_key: string; captured_at: string; captured_by: string;
}

export interface ContactRow {
  school_id: string; child_id: string; applicant_id: string; applicant_kind: ApplicantKind; emails: string; phones: string;
  channels: string; form: ConsentForm; evidence_ref: string; given_at: string; updated_at: string; updated_by: string;
  /** Schema step 11 (migrations-families2.ts); NULL when the family gave none. */
  timezone: string | null;
}

/**
 * The recipient's own IANA zone in a contact statement (optional; SMS quiet hours use it, the
 * school's zone otherwise). Kept beside the core ContactDetails type as an extension of it.
 */
export interface ContactZone {
  timezone?: string;
}

export function toCurrentRow(r: ConsentRow): CurrentRow {
  return {
    id: r.id, applicantKind: r.applicant_kind, applicantId: r.applicant_id, decision: r.decision,
    channels: JSON.parse(r.channels) as ElectronicChannel[], validFrom: r.valid_from,
    ...(r.valid_to !== null ? { validTo: r.valid_to } : {}),
    ...(r.withdrawn_at !== null ? { withdrawnAt: r.withdrawn_at } : {}),
    ...(r.purge_due_at !== null ? { purgeDueAt: r.purge_due_at } : {}),
  };
}

export function toRecord(r: ConsentRow, withItems: boolean): ConsentRecord {
  const opt = <K extends string, V>(k: K, v: V | null): Partial<Record<K, V>> => (v === null ? {} : ({ [k]: v } as Record<K, V>));
  return {
    id: r.id, schoolId: r.school_id, childId: r.child_id, applicantKind: r.applicant_kind, applicantId: r.applicant_id,
    decision: r.decision, channels: JSON.parse(r.channels) as ElectronicChannel[], textVersion: r.text_version,
    ...opt('textSha256', r.text_sha256), form: r.form, ...opt('signature', r.signature), evidenceRef: r.evidence_ref,
    signedAt: r.signed_at, validFrom: r.valid_from, ...opt('validTo', r.valid_to), ...opt('withdrawnAt', r.withdrawn_at),
    ...opt('withdrawalEvidenceRef', r.withdrawal_evidence_ref), ...opt('purgeDueAt', r.purge_due_at), ...opt('supersededBy', r.superseded_by),
    capturedAt: r.captured_at, capturedBy: r.captured_by, ...opt('itemsPurgedAt', r.items_purged_at),
    ...(withItems && r.items !== null ? { items: JSON.parse(r.items) as ConsentItems } : {}),
  };
}

/** Whether a repeated registration (same dedup key) says what the stored one says. */
export function sameContent(r: ConsentRow, input: ConsentInput): boolean {
  const validTo = input.validTo !== undefined ? toInstant(input.validTo, true) : null;
  return r.channels === JSON.stringify(input.channels ?? []) && r.valid_to === validTo && r.form === input.form
    && r.signature === (input.signature ?? null) && r.applicant_kind === input.applicant.kind
    && (input.items === undefined || r.items === null || r.items === JSON.stringify(input.items));
}

export function toContacts(r: ContactRow): FamilyContacts & ContactZone {
  return {
    schoolId: r.school_id, childId: r.child_id, applicantId: r.applicant_id, applicantKind: r.applicant_kind,
    emails: JSON.parse(r.emails) as string[], phones: JSON.parse(r.phones) as string[], channels: JSON.parse(r.channels) as ContactChannel[],
    form: r.form, evidenceRef: r.evidence_ref, givenAt: r.given_at, updatedAt: r.updated_at, updatedBy: r.updated_by,
    ...(r.timezone ? { timezone: r.timezone } : {}),
  };
}

/** Prepared once the migration exists. */
export class Statements {
  readonly byId: Database.Statement<[number], ConsentRow>;
  readonly byDedup: Database.Statement<[string], ConsentRow>;
  readonly currentOf: Database.Statement<[string, string, string], ConsentRow>;
  readonly currentOfMany: Database.Statement<[string, string], ConsentRow>;
  readonly lastPurgeOfMany: Database.Statement<[string, string], { child_id: string; at: string }>;
  readonly insert: Database.Statement<unknown[]>;
  readonly supersede: Database.Statement<[number, number]>;
  readonly withdraw: Database.Statement<[string, string, string, string, number]>;
  readonly event: Database.Statement<unknown[]>;
  readonly list: Database.Statement<[{ s: string | null; c: string | null; limit: number; offset: number }], ConsentRow>;
  readonly upsertContact: Database.Statement<unknown[]>;
  readonly contactOf: Database.Statement<[string, string, string], ContactRow>;
  readonly contactsOfChild: Database.Statement<[string, string], ContactRow>;
  readonly contactsOfSchool: Database.Statement<[string], ContactRow>;
  readonly noteWithheld: Database.Statement<[string, string, number]>;
  readonly withheldOf: Database.Statement<[string, string], { id: number }>;
  readonly forgetWithheld: Database.Statement<[string]>;
  readonly purges: Database.Statement<[{ s: string | null; c: string | null; limit: number }], { id: number; school_id: string; child_id: string; consent_ids: string; withdrawn_at: string; due_at: string; purged_at: string; basis: string; destroyed: string }>;
  readonly purgesOfChild: Database.Statement<[string, string], { destroyed: string }>;
  readonly restoreHash: Database.Statement<[string]>;
  readonly restoreRecordHash: Database.Statement<[string]>;
  readonly personBySource: Database.Statement<[string, string], { id: string }>;
  readonly personFacts: Database.Statement<[string], { birth: string | null; applicant: number | null }>;

  constructor(db: Db) {
    this.byId = db.prepare('SELECT * FROM consents WHERE id = ?');
    this.byDedup = db.prepare('SELECT * FROM consents WHERE dedup_key = ?');
    this.currentOf = db.prepare('SELECT * FROM consents WHERE school_id = ? AND child_id = ? AND applicant_id = ? AND superseded_by IS NULL ORDER BY signed_at DESC, id DESC LIMIT 1');
    this.currentOfMany = db.prepare('SELECT * FROM consents WHERE school_id = ? AND child_id IN (SELECT value FROM json_each(?)) AND superseded_by IS NULL ORDER BY id');
    this.lastPurgeOfMany = db.prepare(`SELECT child_id, MAX(purged_at) AS at FROM consent_purges
      WHERE school_id = ? AND child_id IN (SELECT value FROM json_each(?)) GROUP BY child_id`);
    this.insert = db.prepare(`INSERT INTO consents (school_id, child_id, applicant_kind, applicant_id, decision, channels, text_version, text_sha256,
      form, signature, evidence_ref, signed_at, valid_from, valid_to, items, dedup_key, captured_at, captured_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.supersede = db.prepare('UPDATE consents SET superseded_by = ? WHERE id = ?');
    this.withdraw = db.prepare('UPDATE consents SET withdrawn_at = ?, withdrawal_evidence_ref = ?, withdrawn_by = ?, purge_due_at = ? WHERE id = ?');
    this.event = db.prepare('INSERT INTO consent_events (at, actor, action, school_id, child_id, consent_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.list = db.prepare(`SELECT * FROM consents WHERE (@s IS NULL OR school_id = @s) AND (@c IS NULL OR child_id = @c)
      ORDER BY id DESC LIMIT @limit OFFSET @offset`);
    // A new statement replaces the old one whole: a statement without a zone clears the one given before.
    this.upsertContact = db.prepare(`INSERT INTO family_contacts (school_id, child_id, applicant_id, applicant_kind, emails, phones, channels, form,
      evidence_ref, given_at, updated_at, updated_by, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (school_id, child_id, applicant_id) DO UPDATE SET applicant_kind = excluded.applicant_kind, emails = excluded.emails,
        phones = excluded.phones, channels = excluded.channels, form = excluded.form, evidence_ref = excluded.evidence_ref,
        given_at = excluded.given_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by, timezone = excluded.timezone`);
    this.contactOf = db.prepare('SELECT * FROM family_contacts WHERE school_id = ? AND child_id = ? AND applicant_id = ?');
    this.contactsOfChild = db.prepare('SELECT * FROM family_contacts WHERE school_id = ? AND child_id = ? ORDER BY applicant_id');
    this.contactsOfSchool = db.prepare('SELECT * FROM family_contacts WHERE school_id = ? ORDER BY child_id, applicant_id');
    this.noteWithheld = db.prepare('INSERT OR IGNORE INTO consent_withheld (school_id, child_id, delivery_id) VALUES (?, ?, ?)');
    this.withheldOf = db.prepare(`SELECT DISTINCT d.id AS id FROM consent_withheld w JOIN deliveries d ON d.id = w.delivery_id
      WHERE w.school_id = ? AND w.child_id IN (SELECT value FROM json_each(?)) AND d.state = 'rejected'
        AND json_extract(d.last_error, '$.code') = 'GW_CONSENT_MISSING' ORDER BY d.id`);
    this.forgetWithheld = db.prepare('DELETE FROM consent_withheld WHERE delivery_id IN (SELECT value FROM json_each(?))');
    this.purges = db.prepare(`SELECT * FROM consent_purges WHERE (@s IS NULL OR school_id = @s) AND (@c IS NULL OR child_id = @c)
      ORDER BY id DESC LIMIT @limit`);
    this.purgesOfChild = db.prepare('SELECT destroyed FROM consent_purges WHERE school_id = ? AND child_id = ?');
    // Both the pointer and its current version carry the hash (verify() compares them).
    this.restoreHash = db.prepare(`UPDATE record_versions SET content_hash = '${RESTORE_HASH}' WHERE revision IN
      (SELECT revision FROM records WHERE id IN (SELECT value FROM json_each(?))) AND json_extract(body, '$.purged') IS NOT NULL`);
    this.restoreRecordHash = db.prepare(`UPDATE records SET content_hash = '${RESTORE_HASH}' WHERE id IN (SELECT value FROM json_each(?))
      AND revision IN (SELECT revision FROM record_versions WHERE content_hash = '${RESTORE_HASH}')`);
    this.personBySource = db.prepare("SELECT id FROM records WHERE school_id = ? AND entity_type = 'person' AND source_id = ?");
    this.personFacts = db.prepare(`SELECT json_extract(v.body, '$.birthDate') AS birth, json_extract(v.body, '$.canBeApplicant') AS applicant
      FROM records r JOIN record_versions v ON v.revision = r.revision WHERE r.id = ? AND json_extract(v.body, '$.purged') IS NULL`);
  }
}

/** A content hash no real content has: the next read of a purged record stores it again. */
export const RESTORE_HASH = `sha256:${'0'.repeat(64)}`;
