/**
 * The consent registry contract: who may receive a child's records over which electronic
 * channel, and where the families without such a consent go instead (paper).
 *
 * Law (see /work/shared/reference/domain.md §1.4, §4): a written consent under 152-ФЗ
 * ст. 9 ч. 4 holds nine items; since 1 Sep 2025 it is a separate document; the operator must
 * prove it (ст. 9 ч. 3); after a withdrawal processing stops and the data is destroyed within
 * 30 days (ст. 21 ч. 5), proven by an act and an event-log extract (приказ РКН № 179). The
 * applicant is a parent or legal representative, or the student from 14.
 *
 * Invariants every implementation keeps:
 * - a child's record reaches an electronic channel only while the child's status allows that
 *   channel (`ChildConsentStatus.channels`) at the moment it is sent — never from a cached
 *   answer older than the send;
 * - any standing objection (a refusal, or a withdrawn consent not followed by a new consent of
 *   the same applicant) blocks every electronic channel, whatever other applicants signed;
 * - no method logs or returns in an error message any item of a consent, contact or record.
 * Times are ISO 8601 UTC strings; callers pass `now`.
 */
import type { EntityType } from './records';

/** Electronic channels a consent can cover. `api` = records read through the gateway's pull API. */
export const ELECTRONIC_CHANNELS = ['portal', 'api', 'email', 'sms'] as const;
export type ElectronicChannel = (typeof ELECTRONIC_CHANNELS)[number];

/** Channels a family chooses for notices (paper = printed extracts handed out by the school). */
export const CONTACT_CHANNELS = ['email', 'sms', 'paper'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

/** Who signed: a parent, another legal representative (guardian, foster parent), or the student aged 14 or more. */
export const APPLICANT_KINDS = ['parent', 'legal_representative', 'student'] as const;
export type ApplicantKind = (typeof APPLICANT_KINDS)[number];

export type ConsentDecision = 'consent' | 'refusal';
/** How the document was given: on paper, or as an electronic document (ЕПГУ, an electronic document system). */
export type ConsentForm = 'paper' | 'electronic';
/** Handwritten on paper; ПЭП (simple e-signature), УКЭП (qualified), or an ЕСИА confirmation. */
export const SIGNATURE_KINDS = ['handwritten', 'simple_electronic', 'qualified_electronic', 'esia'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

/** An identity document as written in a consent (item 1 and 2 of ст. 9 ч. 4). Personal data. */
export interface IdentityDocument {
  /** e.g. «паспорт гражданина РФ», «свидетельство о рождении». */
  type: string;
  number: string;
  /** YYYY-MM-DD. */
  issuedAt: string;
  issuer: string;
}

export interface PersonParticulars {
  fullName: string;
  address: string;
  document: IdentityDocument;
}

/**
 * The nine mandatory items of a written consent, 152-ФЗ ст. 9 ч. 4 (numbers in the comments).
 * Item 9, the signature, is `ConsentInput.signature` with the evidence reference.
 */
export interface ConsentItems {
  /** 1. The data subject (the child): full name, address, identity document. */
  subject: PersonParticulars;
  /** 2. The representative who signs for the child, with the document proving the authority (e.g. birth certificate). Absent when the student signs. */
  representative?: PersonParticulars & { authority: string };
  /** 3. The operator receiving the consent (the school). */
  operator: { name: string; address: string };
  /** 4. Purpose of processing. */
  purpose: string;
  /** 5. The personal data covered. */
  dataCategories: string[];
  /** 6. Processors acting on the operator's instruction (gateway host, mail provider, SMS aggregator); may be empty. */
  processors: Array<{ name: string; address: string }>;
  /** 7. Actions with the data and a general description of the methods. */
  actions: string[];
  methods: string;
  /** 8. Validity term and the method of withdrawal. */
  validity: string;
  withdrawalMethod: string;
}

/** How the child is named in a registration: the canonical person id, or the journal's id. */
export interface ChildRef {
  /** Canonical person id (UUID) of the child. */
  id?: string;
  /** The journal's id of the child; resolved through `sourceSystem`, or through the ledger when that is absent. */
  sourceId?: string;
  sourceSystem?: string;
  /** Needed for a student applicant when the ledger does not know it: proves the age of 14. */
  birthDate?: string;
}

export interface ContactDetails {
  emails: string[];
  /** E.164 (+79001234567); for SMS. */
  phones: string[];
  channels: ContactChannel[];
  form: ConsentForm;
  /** Where the written statement of the contacts is kept (archive number, document system id). */
  evidenceRef: string;
  /** When the family gave them (YYYY-MM-DD or date-time). */
  givenAt: string;
}

/** One registration: a consent or a refusal, by one applicant, for one child. */
export interface ConsentInput {
  schoolId: string;
  child: ChildRef;
  applicant: {
    kind: ApplicantKind;
    /** A stable id of the applicant (canonical guardian person id, or the journal's id). Defaults to the child for a student. */
    id?: string;
  };
  decision: ConsentDecision;
  /** Consent only: the electronic channels it covers. */
  channels?: ElectronicChannel[];
  /** Version label of the consent text the applicant signed. */
  textVersion: string;
  /** SHA-256 (hex) of that text, when known. */
  textSha256?: string;
  form: ConsentForm;
  signature?: SignatureKind;
  /** Where the document is kept: archive number, scan id, document-system id. Required: the burden of proof is the operator's. */
  evidenceRef: string;
  signedAt: string;
  /** Defaults to signedAt. */
  validFrom?: string;
  validTo?: string;
  /** Since 1 Sep 2025 a consent must be a separate document (156-ФЗ): the operator confirms it. */
  separateDocument?: boolean;
  /** Consent only: the ст. 9 ч. 4 items. */
  items?: ConsentItems;
  /** Contacts given with the same document. */
  contacts?: ContactDetails;
}

export interface ConsentRecord {
  id: number;
  schoolId: string;
  childId: string;
  applicantKind: ApplicantKind;
  applicantId: string;
  decision: ConsentDecision;
  channels: ElectronicChannel[];
  textVersion: string;
  textSha256?: string;
  form: ConsentForm;
  signature?: SignatureKind;
  evidenceRef: string;
  signedAt: string;
  validFrom: string;
  validTo?: string;
  withdrawnAt?: string;
  withdrawalEvidenceRef?: string;
  /** withdrawnAt + the purge period: when the family's data must be gone. */
  purgeDueAt?: string;
  /** A later registration of the same applicant replaced this one. */
  supersededBy?: number;
  capturedAt: string;
  capturedBy: string;
  /** Only from `get` (never in lists); absent once the evidence retention ended. */
  items?: ConsentItems;
  /** Set when the evidence retention ended and the items were destroyed. */
  itemsPurgedAt?: string;
}

export interface WithdrawalInput {
  /** When the withdrawal was received (defaults to now; never in the future). */
  withdrawnAt?: string;
  evidenceRef: string;
}

export interface RegisterResult {
  consent: ConsentRecord;
  /** False when the same registration was already stored (idempotent import). */
  created: boolean;
  /** Deliveries withheld for this child and re-queued now. */
  requeued: number;
}

export interface FamilyContacts extends ContactDetails {
  schoolId: string;
  childId: string;
  applicantId: string;
  applicantKind: ApplicantKind;
  updatedAt: string;
  updatedBy: string;
}

export interface ContactsInput extends ContactDetails {
  schoolId: string;
  child: ChildRef;
  applicant: { kind: ApplicantKind; id?: string };
}

export type ChildConsentState = 'consented' | 'refused' | 'withdrawn' | 'expired' | 'none';

export interface ChildConsentStatus {
  schoolId: string;
  childId: string;
  state: ChildConsentState;
  /** Electronic channels the child's records may go to now (empty unless state = consented). */
  channels: ElectronicChannel[];
  /** The registrations in force, one per applicant. */
  current: Array<Pick<ConsentRecord, 'id' | 'applicantKind' | 'applicantId' | 'decision' | 'channels' | 'validTo' | 'withdrawnAt'>>;
  purgeDueAt?: string;
  purgedAt?: string;
}

export type PaperReason = 'refusal' | 'withdrawn' | 'consent_expired' | 'chosen_paper' | 'no_consent';

/** A family served on paper, for the printed extracts. */
export interface PaperFamily {
  schoolId: string;
  childId: string;
  reason: PaperReason;
  /** Applicants of the family known to the registry. */
  applicantIds: string[];
  /** When the reason arose (refusal signed, withdrawal received, consent ended, contacts given). */
  since?: string;
  /** The gateway holds no data of the child any more (withdrawal purge done): the school prints from the journal. */
  dataPurged: boolean;
}

export interface PaperFilter {
  schoolId?: string;
  /** Also list students the ledger knows for whom nothing is registered (default false). */
  includeUnregistered?: boolean;
}

export interface Recipient {
  applicantId: string;
  applicantKind: ApplicantKind;
  /** E-mail addresses or E.164 phones, by the channel asked for. */
  addresses: string[];
}

/** What one purge destroyed for one child: the act (приказ РКН № 179), without the data itself. */
export interface PurgeAuditEntry {
  id: number;
  schoolId: string;
  childId: string;
  consentIds: number[];
  withdrawnAt: string;
  dueAt: string;
  purgedAt: string;
  /** Legal basis and trigger in words (152-ФЗ ст. 21 ч. 5; the withdrawal's evidence reference). */
  basis: string;
  destroyed: {
    contacts: number;
    /** Ledger records whose every version body was destroyed, by entity type. */
    records: Partial<Record<EntityType, number>>;
    versions: number;
    quarantineRaws: number;
    stagedChanges: number;
    notices: number;
    /** Canonical ids of the destroyed records (pseudonymous keys, kept as the event-log extract). */
    recordIds: string[];
    /** Counts reported by purge hooks of other family stores (e.g. printed extracts), by hook name. */
    other?: Record<string, number>;
  };
}

/**
 * Another store holding a family's data (printed extracts, an SMS log…) joins the withdrawal
 * purge through a hook: called once per purged child inside the purge's transaction on the
 * ledger's connection; it destroys what it holds about the child and returns how many items.
 */
export interface PurgeHook {
  name: string;
  destroy(schoolId: string, childId: string, now: string): number;
}

export interface PurgeReport {
  at: string;
  /** Children whose data was destroyed in this run (first purge or new arrivals). */
  entries: PurgeAuditEntry[];
  /** Consents whose evidence retention ended and whose items were destroyed. */
  evidenceItemsPurged: number;
}

export interface ConsentFilter {
  schoolId?: string;
  childId?: string;
  limit?: number;
  offset?: number;
}

/** The registry. Async so a shared database can serve it later, like the ledger. */
export interface ConsentStore {
  /**
   * Stores one consent or refusal (idempotent: the same registration twice is stored once),
   * with its contacts if given, and re-queues the child's withheld deliveries when the child
   * is now allowed. Throws GW_API_BAD_REQUEST listing every missing or invalid item.
   */
  register(input: ConsentInput, actor: string, now: string): Promise<RegisterResult>;
  /** Records a withdrawal: electronic delivery stops at once; the purge falls due after the purge period. */
  withdraw(consentId: number, input: WithdrawalInput, actor: string, now: string): Promise<ConsentRecord>;
  setContacts(input: ContactsInput, actor: string, now: string): Promise<FamilyContacts>;
  get(id: number): Promise<ConsentRecord | undefined>;
  /** Newest first, without items. */
  list(filter: ConsentFilter): Promise<ConsentRecord[]>;
  status(schoolId: string, childId: string, now: string): Promise<ChildConsentStatus>;
  /** Statuses of many children of one school at once (the gate's batch path). */
  statuses(schoolId: string, childIds: readonly string[], now: string): Promise<Map<string, ChildConsentStatus>>;
  /**
   * Addresses to notify about a child over e-mail or SMS: only applicants whose own consent in
   * force covers that channel and who chose it, and only while the child's status allows it.
   */
  recipients(schoolId: string, childId: string, channel: 'email' | 'sms', now: string): Promise<Recipient[]>;
  /** Families to serve on paper: refusals, withdrawals, ended consents, and those who chose paper. */
  paperFamilies(filter: PaperFilter, now: string): Promise<PaperFamily[]>;
  /** Notes deliveries the gate withheld, so a later consent re-queues exactly them. */
  noteWithheld(entries: ReadonlyArray<{ deliveryId: number; schoolId: string; childIds: readonly string[] }>): Promise<void>;
  /** Re-queues the withheld deliveries of these children (the gate checks them again at push). */
  requeueWithheld(schoolId: string, childIds: readonly string[], actor: string, now: string): Promise<number>;
  /**
   * Destroys the personal data of children whose withdrawal falls due before the next run
   * (`now` + the run interval), and writes one audit row per child. Idempotent; data of a
   * withdrawn child taken in after its first purge is destroyed by the next run.
   */
  purgeWithdrawn(now: string): Promise<PurgeReport>;
  purgeLog(filter: { schoolId?: string; childId?: string; limit?: number }): Promise<PurgeAuditEntry[]>;
  /** The canonical id of a child named by id or by journal id (GW_API_BAD_REQUEST when it cannot be resolved). */
  resolveChild(schoolId: string, child: ChildRef): Promise<string>;
  /** Contacts of one child, one entry per applicant (for the notifiers; addresses are personal data). */
  contactsOf(schoolId: string, childId: string): Promise<FamilyContacts[]>;
  /** Children of a school for whom some applicant chose `channel` (who gets a daily digest, an SMS…). */
  childrenWithChannel(schoolId: string, channel: ContactChannel): Promise<string[]>;
}

/** A record about to leave through a channel. */
export interface GateSubject {
  entityType: EntityType;
  schoolId: string;
  /** The canonical record (body) that would be sent. */
  payload: Record<string, unknown>;
  /** Set for ledger deliveries: a withheld one is noted for re-queueing. */
  deliveryId?: number;
}

export type GateReason = 'no_consent' | 'refused' | 'withdrawn' | 'expired' | 'channel_not_covered' | 'unresolved' | 'purged';

export interface GateDecision {
  allowed: boolean;
  /** The children the record is about (empty for class-level records). */
  childIds: string[];
  reason?: GateReason;
}

/** Decides, at send time, which records may leave through an electronic channel. */
export interface ConsentGate {
  check(subjects: readonly GateSubject[], channel: ElectronicChannel, now: string): Promise<GateDecision[]>;
}
