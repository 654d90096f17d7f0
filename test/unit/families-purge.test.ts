/**
 * The withdrawal purge on a real ledger: what it destroys (the child's record bodies and their
 * history, the guardian who has no other child, messages to them, quarantined raws naming the
 * child, a held change, contacts), what it keeps (other families, class-level records, ids and
 * hashes, the consent evidence), when (never after the due day), the audit row, later arrivals,
 * and the way back after a new consent.
 */
import assert from 'node:assert/strict';
import type { Ledger } from '../../src/core/ledger';
import type { Logger } from '../../src/core/logger';
import type { MappedRecord } from '../../src/core/records';
import { rawMentions } from '../../src/families/consent/sqlite-purge';
import { RESTORE_HASH, SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { normalizeRecord } from '../../src/pipeline/normalize';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import { consentOf, SYSTEM, World } from '../fixtures/families/world';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';

const DAY = 86_400_000;

function recordingLog(lines: string[]): Logger {
  const l: Logger = {
    error: (m, meta) => lines.push(JSON.stringify([m, meta])), warn: (m, meta) => lines.push(JSON.stringify([m, meta])),
    info: (m, meta) => lines.push(JSON.stringify([m, meta])), debug: (m, meta) => lines.push(JSON.stringify([m, meta])), child: () => l,
  };
  return l;
}

describe('families withdrawal purge', () => {
  let ledger: Ledger;
  let store: SqliteConsentStore;
  let clock: FakeClock;
  let logs: string[];
  let hookCalls: string[];
  const w = new World('school-3');
  const T0 = new Date('2025-11-13T05:00:00Z');
  const at = (days: number): string => new Date(T0.getTime() + days * DAY).toISOString();
  const body = async (entity: MappedRecord['entityType'], src: string): Promise<Record<string, unknown>> => {
    const r = await ledger.getRecord(w.id(entity, src));
    assert.ok(r, `${entity} ${src} stored`);
    return r.record;
  };
  const isStub = (b: Record<string, unknown>): boolean => typeof b['purged'] === 'object' && b['familyName'] === undefined && b['studentId'] === undefined;

  const roster: MappedRecord[] = [
    w.student('s1', 'Петров', 'Иван'), w.student('s3', 'Петрова', 'Зоя'), w.guardian('g1', 'Петрова', 'Анна', { phones: ['+79001112233'] }),
    w.guardian('g2', 'Петров', 'Олег'), w.teacher('t1', 'Смирнова', 'Ольга'), w.link('l1', 's1', 'g1'), w.link('l2', 's1', 'g2'), w.link('l3', 's3', 'g2'),
    w.subject('alg', 'Алгебра'), w.classGroup('7a', '7А'), w.membership('m1', 's1', '7a'), w.membership('m3', 's3', '7a'),
    w.mark('mk1', 's1', 'alg', 5), w.mark('mk3', 's3', 'alg', 4), w.absence('ab1', 's1', '2025-11-12'),
    w.homework('hw1', '7a', 'alg', 'стр. 10', '2025-11-14'), w.homework('hw2', '7a', 'alg', 'карточка', '2025-11-14', ['s1']),
    w.message('msg1', 't1', [{ type: 'person', src: 'g1' }], 'Иван опоздал'), w.message('msg2', 't1', [{ type: 'class_group', src: '7a' }], 'Собрание'),
  ];

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(T0);
    logs = [];
    await w.ingest(ledger, roster, [], clock);
    hookCalls = [];
    const hook = { name: 'paper_extracts', destroy: (school: string, child: string): number => { hookCalls.push(`${school}/${child}`); return hookCalls.length === 1 ? 2 : 0; } };
    store = new SqliteConsentStore(ledger, { log: recordingLog(logs), purgeHooks: [hook] });
    await store.register(consentOf(w, 's1', 'g1', { contacts: { emails: ['anna@example.ru'], phones: [], channels: ['email'], form: 'paper', evidenceRef: 'A-1', givenAt: '2025-09-02' } }), 'op', T0.toISOString());
    await store.register(consentOf(w, 's3', 'g2'), 'op', T0.toISOString());
    // Quarantined raws: two about the child (journal id under a pupil key, full name), one about another child.
    const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 'school-3', sourceSystem: SYSTEM, adapter: 'x', adapterVersion: '1', fetchedAt: T0.toISOString() };
    await ledger.ingest({
      runId: 'q', schoolId: 'school-3', sourceInstance: 'journal', stream: 'all', records: [], routes: [], now: T0.toISOString(),
      quarantine: [
        { stream: 'all', sourceId: 'x1', errorCode: 'GW_RECORD_UNMAPPABLE', message: 'bad mark', issues: [{ path: '/mark', message: 'bad' }], raw: { pupil_id: 's1', mark: 'пять' } },
        { stream: 'all', sourceId: 'x2', errorCode: 'GW_RECORD_UNMAPPABLE', message: 'bad note', issues: [], raw: { text: 'Замечание: ПЕТРОВ Иван шумел' } },
        { stream: 'all', sourceId: 'x3', errorCode: 'GW_RECORD_UNMAPPABLE', message: 'bad mark', issues: [], raw: { pupil_id: 's3', mark: 'четыре' } },
      ],
    });
    // A held change of the child's mark (safety hold with zero thresholds).
    const changed = normalizeRecord(w.mark('mk1', 's1', 'alg', 2), nctx).prepared;
    const hold = { enabled: true, deletePercent: 0, changePercent: 0, minRecords: 0 };
    await ledger.ingest({ runId: 'held', schoolId: 'school-3', sourceInstance: 'journal', stream: 'all', records: [changed], quarantine: [], routes: [], now: T0.toISOString(), hold });
    const settled = await ledger.settleRun('held', hold, T0.toISOString());
    assert.equal(settled.holds.length, 1);
  });
  afterEach(() => ledger.close());

  async function withdrawS1(): Promise<void> {
    const c = (await store.list({ childId: w.id('person', 's1') }))[0];
    assert.ok(c);
    await store.withdraw(c.id, { evidenceRef: 'ZAYAV-2025-77' }, 'op', T0.toISOString());
  }

  it('waits until the due day comes within the run interval, then destroys the family\'s data and keeps the rest', async () => {
    await withdrawS1();
    assert.deepEqual((await store.purgeWithdrawn(at(28))).entries, [], 'due on day 30, the daily run of day 28 does nothing');
    assert.equal((await body('person', 's1'))['familyName'], 'Петров');
    const report = await store.purgeWithdrawn(at(29));
    assert.equal(report.entries.length, 1);
    const e = report.entries[0];
    assert.ok(e);
    assert.equal(e.childId, w.id('person', 's1'));
    assert.ok(e.purgedAt <= e.dueAt, 'destroyed no later than 30 days after the withdrawal');
    assert.match(e.basis, /152-ФЗ ст\. 21 ч\. 5.*ZAYAV-2025-77/);
    assert.deepEqual(e.destroyed.records, { person: 2, guardian_link: 2, membership: 1, mark: 1, attendance_event: 1, homework: 1, message: 1 });
    assert.equal(e.destroyed.contacts, 1);
    assert.equal(e.destroyed.quarantineRaws, 2);
    assert.equal(e.destroyed.stagedChanges, 1);
    assert.deepEqual(e.destroyed.other, { paper_extracts: 2 }, 'other family stores join through their hook');
    assert.deepEqual(hookCalls, [`school-3/${w.id('person', 's1')}`], 'once per purged child and run');

    for (const [entity, src] of [['person', 's1'], ['person', 'g1'], ['guardian_link', 'l1'], ['guardian_link', 'l2'], ['membership', 'm1'], ['mark', 'mk1'],
      ['attendance_event', 'ab1'], ['homework', 'hw2'], ['message', 'msg1']] as const) {
      assert.ok(isStub(await body(entity, src)), `${entity} ${src} destroyed`);
      for (const v of await ledger.getRecordHistory(w.id(entity, src))) assert.ok(v.record['purged'], `every version of ${entity} ${src}`);
    }
    // Another child, her parent (who is still her parent) and class-level records stay.
    assert.equal((await body('person', 's3'))['givenName'], 'Зоя');
    assert.equal((await body('person', 'g2'))['givenName'], 'Олег');
    assert.ok((await body('guardian_link', 'l3'))['studentId']);
    assert.equal((await body('mark', 'mk3'))['markStatus'], 'graded');
    assert.equal((await body('homework', 'hw1'))['text'], 'стр. 10');
    assert.equal((await body('message', 'msg2'))['body'], 'Собрание');
    const q = await ledger.listQuarantine({ schoolId: 'school-3' });
    assert.deepEqual(q.map((x) => [x.sourceId, x.raw === undefined]).sort(), [['x1', true], ['x2', true], ['x3', false]]);
    const [hold] = await ledger.listHolds({ state: 'pending' });
    assert.equal(hold?.changes, 0, 'the held change of the child was dropped and the hold recounted');
    assert.deepEqual(await store.recipients('school-3', w.id('person', 's1'), 'email', at(29)), []);
    assert.deepEqual((await store.paperFamilies({ schoolId: 'school-3' }, at(29))).map((p) => [p.reason, p.dataPurged]), [['withdrawn', true]]);
    // The proof of consent is kept; the ledger is consistent; no log line names anyone.
    assert.ok((await store.get(e.consentIds[0] ?? 0))?.items);
    assert.deepEqual(await ledger.verify(), []);
    const text = logs.join('\n');
    for (const secret of ['Петров', 'Анна', 'anna@example.ru', w.id('person', 's1')]) assert.ok(!text.includes(secret), `logs mention ${secret}`);
    assert.deepEqual((await store.purgeWithdrawn(at(30))).entries, [], 'nothing left: no new audit row');
  });

  it('destroys what the journal sends later, skips unchanged re-reads, and restores after a new consent', async () => {
    await withdrawS1();
    await store.purgeWithdrawn(at(29));
    clock.advance(29 * DAY);
    const r = await w.ingest(ledger, [w.mark('mk1', 's1', 'alg', 5), w.mark('mk9', 's1', 'alg', 3)], [], clock);
    assert.equal(r.counts.unchanged, 1, 'the purged mark read again unchanged is not stored again');
    assert.equal(r.counts.inserted, 1);
    const again = await store.purgeWithdrawn(at(31));
    assert.deepEqual(again.entries.map((x) => x.destroyed.records), [{ mark: 1 }]);
    assert.ok(isStub(await body('mark', 'mk9')));

    // The parent consents again: the purged records are marked so the next read stores them again.
    await store.register(consentOf(w, 's1', 'g1', { signedAt: at(31).slice(0, 10) }), 'op', at(31));
    assert.equal((await store.status('school-3', w.id('person', 's1'), at(31))).state, 'consented');
    const stored = await ledger.getRecord(w.id('mark', 'mk1'));
    assert.equal(stored?.contentHash, RESTORE_HASH);
    assert.deepEqual(await ledger.verify(), []);
    const back = await w.ingest(ledger, [w.student('s1', 'Петров', 'Иван'), w.mark('mk1', 's1', 'alg', 5)], [], clock);
    assert.equal(back.counts.updated, 2);
    assert.equal((await body('mark', 'mk1'))['markStatus'], 'graded');
    assert.equal((await body('person', 's1'))['givenName'], 'Иван');
  });

  it('recognises a child in a raw record by id, by a distinctive journal id anywhere, a short one only under a person key, and by full name', () => {
    const marks = { ids: new Set(['0b7c…uuid']), sourceIds: new Set(['45', 'A-100200']), names: [['петров', 'иван'] as [string, string]] };
    assert.equal(rawMentions({ studentId: 45 }, marks), true);
    assert.equal(rawMentions({ lessonNumber: 45 }, marks), false);
    assert.equal(rawMentions({ ref: 'A-100200' }, marks), true);
    assert.equal(rawMentions({ ids: ['0b7c…uuid'] }, marks), true);
    assert.equal(rawMentions({ note: 'Иван Петров' }, marks), true);
    assert.equal(rawMentions({ note: 'Иван Сидоров' }, marks), false);
  });
});
