/**
 * The consent registry on a real SQLite ledger file: the legal checks of a registration
 * (152-ФЗ ст. 9 ч. 4 items, signature per form, the separate-document rule, the student from
 * 14), idempotent registration, how applicants combine into the child's status, withdrawal,
 * recipients per channel and the paper list.
 */
import assert from 'node:assert/strict';
import type { ConsentInput } from '../../src/core/consent';
import { GatewayError } from '../../src/core/errors';
import type { Ledger } from '../../src/core/ledger';
import { MAX_PURGE_DAYS, SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { consentIssues } from '../../src/families/consent/validate';
import { importConsentCsv } from '../../src/families/consent/csv';
import { consentOf, World } from '../fixtures/families/world';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';

const NOW = '2025-11-13T05:00:00.000Z';

async function rejects(p: Promise<unknown>, paths: string[]): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.code, 'GW_API_BAD_REQUEST');
    for (const path of paths) assert.ok(e.issues.some((i) => i.path === path), `expected an issue at ${path}, got ${JSON.stringify(e.issues)}`);
    return e;
  }
  assert.fail('expected GW_API_BAD_REQUEST');
}

describe('families consent registry', () => {
  let ledger: Ledger;
  let store: SqliteConsentStore;
  let clock: FakeClock;
  const w = new World('school-5');
  const kid = w.id('person', 's1');
  const dad = w.id('person', 'g2');

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date(NOW));
    await w.ingest(ledger, [w.student('s1', 'Иванов', 'Пётр', '2011-05-20'), w.student('s2', 'Сидорова', 'Анна', '2014-01-01'),
      w.guardian('g1', 'Иванова', 'Мария'), w.guardian('g2', 'Иванов', 'Олег'), w.link('l1', 's1', 'g1'), w.link('l2', 's1', 'g2')], [], clock);
    store = new SqliteConsentStore(ledger);
  });
  afterEach(() => ledger.close());

  it('names every missing ст. 9 ч. 4 item with its number', () => {
    const input = consentOf(w, 's1', 'g1');
    const { items, signature: _s, ...rest } = input;
    const bare = { ...rest, items: { subject: items?.subject } } as unknown as ConsentInput;
    const issues = consentIssues(bare, NOW);
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    for (const [path, n] of [['/items/operator', 3], ['/items/purpose', 4], ['/items/dataCategories', 5], ['/items/processors', 6], ['/items/actions', 7],
      ['/items/methods', 7], ['/items/validity', 8], ['/items/withdrawalMethod', 8], ['/items/representative', 2], ['/signature', 9]] as const) {
      assert.match(byPath.get(path) ?? '', new RegExp(`ст\\. 9 ч\\. 4 п\\. ${n}\\b`), path);
    }
    assert.equal(consentIssues(input, NOW).length, 0);
  });

  it('refuses a consent signed after 1 Sep 2025 that is not a separate document, and a paper one signed electronically', async () => {
    const { separateDocument: _d, ...notSeparate } = consentOf(w, 's1', 'g1');
    await rejects(store.register(notSeparate, 'op', NOW), ['/separateDocument']);
    const older = { ...notSeparate, signedAt: '2025-08-20' };
    assert.equal((await store.register(older, 'op', NOW)).created, true);
    await rejects(store.register({ ...consentOf(w, 's1', 'g2'), signature: 'esia' }, 'op', NOW), ['/signature']);
  });

  it('accepts the student as applicant only from 14, proven by the ledger or the registration', async () => {
    await rejects(store.register(consentOf(w, 's2', 's2', { kind: 'student' }), 'op', NOW), ['/applicant/kind']);
    const r = await store.register(consentOf(w, 's1', 's1', { kind: 'student' }), 'op', NOW);
    assert.equal(r.consent.applicantId, kid, 'a student applicant is the child');
    const unknown = { ...consentOf(w, 's1', 's1', { kind: 'student' }), child: { sourceId: 'nobody', sourceSystem: 'famjournal' } };
    await rejects(store.register(unknown, 'op', NOW), ['/child/birthDate']);
    const proven = { ...unknown, child: { ...unknown.child, birthDate: '2010-01-01' } };
    assert.equal((await store.register(proven, 'op', NOW)).created, true);
  });

  it('resolves a child named by the journal id through the ledger', async () => {
    const input = { ...consentOf(w, 's1', 'g1'), child: { sourceId: 's1' } };
    const r = await store.register(input, 'op', NOW);
    assert.equal(r.consent.childId, kid);
    await rejects(store.register({ ...input, child: { sourceId: 'missing' } }, 'op', NOW), ['/child/sourceId']);
  });

  it('stores a registration once however often it is imported, and keeps the items out of lists', async () => {
    const a = await store.register(consentOf(w, 's1', 'g1'), 'op', NOW);
    const b = await store.register(consentOf(w, 's1', 'g1'), 'op', NOW);
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.consent.id, a.consent.id);
    const [listed] = await store.list({ schoolId: 'school-5' });
    assert.equal(listed?.items, undefined);
    assert.equal((await store.get(a.consent.id))?.items?.operator.name, 'МАОУ «СОШ № 5»');
  });

  it('combines applicants: channels are the union of consents, any standing objection blocks everything', async () => {
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal'] }), 'op', NOW);
    await store.register(consentOf(w, 's1', 'g2', { channels: ['email'] }), 'op', NOW);
    let s = await store.status('school-5', kid, NOW);
    assert.equal(s.state, 'consented');
    assert.deepEqual(s.channels, ['portal', 'email']);

    const dadRow = (await store.list({ childId: kid })).find((c) => c.applicantId === dad);
    assert.ok(dadRow);
    await store.withdraw(dadRow.id, { evidenceRef: 'ZAYAV-77' }, 'op', NOW);
    s = await store.status('school-5', kid, NOW);
    assert.equal(s.state, 'withdrawn');
    assert.deepEqual(s.channels, []);
    assert.equal(s.purgeDueAt, new Date(Date.parse(NOW) + MAX_PURGE_DAYS * 86_400_000).toISOString());

    // Only the objecting applicant's new consent lifts the objection.
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal', 'api'], signedAt: '2025-11-01' }), 'op', NOW);
    assert.equal((await store.status('school-5', kid, NOW)).state, 'withdrawn');
    await store.register(consentOf(w, 's1', 'g2', { channels: ['email'], signedAt: '2025-11-10' }), 'op', NOW);
    s = await store.status('school-5', kid, NOW);
    assert.equal(s.state, 'consented');
    assert.deepEqual(s.channels, ['portal', 'api', 'email']);
  });

  it('turns a refusal after a consent in force away, and supersedes by signature date whatever the import order', async () => {
    await store.register(consentOf(w, 's1', 'g1', { signedAt: '2025-10-01', channels: ['portal'] }), 'op', NOW);
    await rejects(store.register(consentOf(w, 's1', 'g1', { decision: 'refusal', signedAt: '2025-10-05' }), 'op', NOW), ['/decision']);
    // An older document imported late becomes history at once.
    const old = await store.register(consentOf(w, 's1', 'g1', { signedAt: '2025-09-02', channels: ['sms'] }), 'op', NOW);
    assert.ok((await store.get(old.consent.id))?.supersededBy !== undefined);
    assert.deepEqual((await store.status('school-5', kid, NOW)).channels, ['portal']);
  });

  it('expires a consent at the end of its last day and lists the family for paper', async () => {
    await store.register(consentOf(w, 's1', 'g1', { validTo: '2025-11-12' }), 'op', '2025-11-01T00:00:00.000Z');
    assert.equal((await store.status('school-5', kid, '2025-11-12T23:59:59.000Z')).state, 'consented');
    assert.equal((await store.status('school-5', kid, '2025-11-13T00:00:00.000Z')).state, 'expired');
    const paper = await store.paperFamilies({ schoolId: 'school-5' }, NOW);
    assert.deepEqual(paper.map((p) => [p.childId, p.reason]), [[kid, 'consent_expired']]);
  });

  it('routes refusals to paper and sends e-mail only to applicants whose own consent covers it', async () => {
    const kid2 = w.id('person', 's2');
    await store.register(consentOf(w, 's2', 'g1', { decision: 'refusal' }), 'op', NOW);
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal', 'email'], contacts: { emails: ['mum@example.ru'], phones: ['+79001234567'], channels: ['email', 'sms'], form: 'paper', evidenceRef: 'ARCH-1', givenAt: '2025-09-02' } }), 'op', NOW);
    await store.setContacts({ schoolId: 'school-5', child: { id: kid }, applicant: { kind: 'parent', id: dad }, emails: ['dad@example.ru'], phones: [], channels: ['email', 'paper'], form: 'electronic', evidenceRef: 'EDS-9', givenAt: '2025-09-03' }, 'op', NOW);
    assert.deepEqual((await store.recipients('school-5', kid, 'email', NOW)).map((r) => r.addresses), [['mum@example.ru']], 'dad gave an address but signed nothing');
    assert.deepEqual(await store.recipients('school-5', kid, 'sms', NOW), [], 'the consent does not cover SMS');
    const paper = await store.paperFamilies({ schoolId: 'school-5' }, NOW);
    assert.deepEqual(paper.map((p) => [p.childId, p.reason]).sort(), [[kid, 'chosen_paper'], [kid2, 'refusal']].sort());
    const withUnregistered = await store.paperFamilies({ schoolId: 'school-5', includeUnregistered: true }, NOW);
    assert.equal(withUnregistered.length, 2, 'every student of the ledger is registered here');
  });

  it("keeps the recipient's own IANA time zone of a contact statement (API body and CSV column), and refuses an unknown one", async () => {
    const contacts = { emails: [], phones: ['+79001112233'], channels: ['sms' as const], form: 'paper' as const, evidenceRef: 'ARCH-TZ', givenAt: '2025-09-02' };
    await store.register(consentOf(w, 's1', 'g1', { channels: ['sms'], contacts: { ...contacts, timezone: 'Asia/Vladivostok' } as typeof contacts }), 'op', NOW);
    assert.deepEqual((await store.recipients('school-5', kid, 'sms', NOW)).map((r) => [r.addresses, r.timezone]), [[['+79001112233'], 'Asia/Vladivostok']]);
    assert.equal((await store.contactsOf('school-5', kid)).map((c) => (c as { timezone?: string }).timezone)[0], 'Asia/Vladivostok');
    const base = { schoolId: 'school-5', child: { id: kid }, applicant: { kind: 'parent' as const, id: dad }, ...contacts, givenAt: '2025-09-03' };
    for (const timezone of ['Mars/Olympus_Mons', 'MSK+7', '', 'Europe/Moscow; DROP']) {
      await rejects(store.setContacts({ ...base, timezone } as typeof base, 'op', NOW), ['/timezone']);
    }
    const set = await store.setContacts({ ...base, timezone: 'Asia/Kamchatka' } as typeof base, 'op', NOW);
    assert.equal((set as { timezone?: string }).timezone, 'Asia/Kamchatka');
    const cleared = await store.setContacts(base, 'op', NOW);
    assert.equal((cleared as { timezone?: string }).timezone, undefined, 'a new statement without a zone replaces the old one whole');

    const header = 'school_id;child_id;applicant_kind;applicant_id;decision;text_version;form;signature;evidence_ref;signed_at;phones;contact_channels;contacts_timezone';
    const row = (ref: string, tz: string): string => ['school-5', w.id('person', 's2'), 'parent', w.id('person', 'g2'), 'refusal', 'edn-2025-09', 'paper', 'handwritten', ref, '2025-09-04', '+79004445566', 'paper', tz].join(';');
    const res = await importConsentCsv(store, [header, row('CSV-1', 'Asia/Yekaterinburg'), row('CSV-2', 'Nowhere/Town')].join('\n'), { actor: 'op', now: NOW });
    assert.deepEqual([res.created, res.rejected.map((r) => [r.line, r.issues.map((i) => i.path)])], [1, [[3, ['contacts_timezone']]]]);
    assert.deepEqual((await store.contactsOf('school-5', w.id('person', 's2'))).map((c) => (c as { timezone?: string }).timezone), ['Asia/Yekaterinburg']);
  });

  it('never accepts a purge period over 30 days', () => {
    assert.throws(() => new SqliteConsentStore(ledger, { purgeAfterDays: 31 }), (e: unknown) => e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID');
    assert.doesNotThrow(() => new SqliteConsentStore(ledger, { purgeAfterDays: 10 }));
  });
});
