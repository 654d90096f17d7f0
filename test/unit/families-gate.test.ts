/**
 * The consent gate: which children each kind of record concerns, and the gate inside the real
 * DeliveryWorker (in-test recording sink, real SQLite ledger): withheld items complete as
 * rejected with GW_CONSENT_MISSING, a consent re-queues exactly them, a withdrawal stops the
 * next push, and the pull-API helper leaves refused records out.
 */
import assert from 'node:assert/strict';
import type { DeliveryItem, SinkAdapter } from '../../src/core/adapter';
import type { ConsentGate, GateSubject } from '../../src/core/consent';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { MappedRecord } from '../../src/core/records';
import { childAllowedFor, createConsentGate, gatedRecords } from '../../src/families/gate';
import { SqliteConsentStore } from '../../src/ledger/sqlite/consent-store';
import { DeliveryWorker } from '../../src/pipeline/deliver';
import { consentOf, World } from '../fixtures/families/world';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../support/harness';

const SINK = 'portal';

function recordingSink(): SinkAdapter & { got: DeliveryItem[] } {
  const got: DeliveryItem[] = [];
  return {
    spec: { id: 'rec-sink', system: 'rec', version: '0.0.1', kind: 'sink', title: 'Recording sink', configSchema: {} },
    got,
    check: async () => ({ ok: true }),
    async push(_ctx, batch) {
      got.push(...batch);
      return batch.map((i) => ({ deliveryId: i.deliveryId, status: 'delivered' as const }));
    },
  };
}

describe('families consent gate', () => {
  let ledger: Ledger;
  let store: SqliteConsentStore;
  let gate: ConsentGate;
  let clock: FakeClock;
  const w = new World('school-9');
  const now = (): string => clock.now().toISOString();

  const roster: MappedRecord[] = [
    w.student('s1', 'Петров', 'Иван'), w.student('s2', 'Орлова', 'Вера'), w.guardian('g1', 'Петрова', 'Анна'), w.guardian('g3', 'Лосев', 'Кирилл'),
    w.teacher('t1', 'Смирнова', 'Ольга'), w.teacher('t2', 'Кузнецов', 'Павел'), w.link('l1', 's1', 'g1'), w.subject('alg', 'Алгебра'),
    w.classGroup('7a', '7А'), w.membership('m1', 's1', '7a'), w.membership('m2', 't1', '7a', 'teacher'),
  ];

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    await w.ingest(ledger, roster, [], clock);
    store = new SqliteConsentStore(ledger);
    gate = createConsentGate(ledger, store);
    await store.register(consentOf(w, 's1', 'g1', { channels: ['portal', 'email'] }), 'op', now());
  });
  afterEach(() => ledger.close());

  async function decide(records: MappedRecord[], channel: 'portal' | 'api' = 'portal'): Promise<Array<[string, boolean, string | undefined]>> {
    await w.ingest(ledger, records, [], clock);
    const subjects: GateSubject[] = [];
    for (const r of records) {
      const stored = await ledger.getRecord(w.id(r.entityType, r.sourceId));
      assert.ok(stored);
      subjects.push({ entityType: stored.entityType, schoolId: stored.schoolId, payload: stored.record });
    }
    const d = await gate.check(subjects, channel, now());
    return records.map((r, i) => [r.sourceId, d[i]?.allowed ?? false, d[i]?.reason]);
  }

  it('applies the per-entity rules: children by reference, guardians through links, class-level records pass, unknowns fail closed', async () => {
    const got = await decide([
      w.mark('mk1', 's1', 'alg', 5), w.mark('mk2', 's2', 'alg', 4), w.absence('ab2', 's2', '2025-11-12'),
      w.lesson('les1', '7a', 'alg', '2025-11-12', 1), w.homework('hw1', '7a', 'alg', 'стр. 10', '2025-11-14'),
      w.homework('hw2', '7a', 'alg', 'карточка', '2025-11-14', ['s1']), w.homework('hw3', '7a', 'alg', 'карточка', '2025-11-14', ['s1', 's2']),
      w.message('msg1', 't1', [{ type: 'class_group', src: '7a' }], 'Собрание в пятницу'),
      w.message('msg2', 't1', [{ type: 'person', src: 'g1' }], 'Иван молодец'),
      w.message('msg3', 't1', [{ type: 'person', src: 'ghost' }], 'Кому?'),
    ]);
    assert.deepEqual(got, [
      ['mk1', true, undefined], ['mk2', false, 'no_consent'], ['ab2', false, 'no_consent'],
      ['les1', true, undefined], ['hw1', true, undefined], ['hw2', true, undefined], ['hw3', false, 'no_consent'],
      ['msg1', true, undefined], ['msg2', true, undefined], ['msg3', false, 'unresolved'],
    ]);
    const persons = await decide([w.student('s1', 'Петров', 'Иван'), w.student('s2', 'Орлова', 'Вера'), w.guardian('g1', 'Петрова', 'Анна'),
      w.guardian('g3', 'Лосев', 'Кирилл'), w.teacher('t1', 'Смирнова', 'Ольга'), w.link('l1', 's1', 'g1'), w.membership('m1', 's1', '7a'), w.membership('m2', 't1', '7a', 'teacher')]);
    assert.deepEqual(persons, [['s1', true, undefined], ['s2', false, 'no_consent'], ['g1', true, undefined], ['g3', false, 'unresolved'],
      ['t1', true, undefined], ['l1', true, undefined], ['m1', true, undefined], ['m2', true, undefined]]);
    // A parent of a consented and a refused child: their own record goes (it says nothing of the
    // other child), a message to them does not (it may be about either child).
    await w.ingest(ledger, [w.student('s4', 'Петрова', 'Ольга'), w.link('l4', 's4', 'g1')], [], clock);
    await store.register(consentOf(w, 's4', 'g1', { decision: 'refusal' }), 'op', now());
    assert.deepEqual(await decide([w.guardian('g1', 'Петрова', 'Анна'), w.message('msg4', 't1', [{ type: 'person', src: 'g1' }], 'Про Олю')]),
      [['g1', true, undefined], ['msg4', false, 'refused']]);
    const api = await decide([w.mark('mk1', 's1', 'alg', 5)], 'api');
    assert.deepEqual(api, [['mk1', false, 'channel_not_covered']], 'the consent covers portal and e-mail, not the pull API');
  });

  it('in the DeliveryWorker: withholds, re-queues on consent, and stops at once on withdrawal', async () => {
    const sink = recordingSink();
    const worker = new DeliveryWorker({
      sinkId: SINK, adapter: sink, ctx: makeContext({}, { clock, side: 'sink', schoolId: '*' }), ledger,
      policy: { batchSize: 50, maxAttempts: 3, backoff: { baseMs: 1000, capMs: 8000 }, leaseMs: 60_000, pollIntervalMs: 20 },
      log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), owner: 'w1', consent: { gate },
    });
    const drain = async (): Promise<void> => { while ((await worker.tick()) > 0) { /* until empty */ } };
    await w.ingest(ledger, [w.mark('mk1', 's1', 'alg', 5), w.mark('mk2', 's2', 'alg', 3), w.lesson('les1', '7a', 'alg', '2025-11-12', 1)], [{ sinkId: SINK, maxAttempts: 3 }], clock);
    await drain();
    assert.deepEqual(sink.got.map((i) => i.recordId).sort(), [w.id('mark', 'mk1'), w.id('lesson', 'les1')].sort());
    const [rejected] = await ledger.listDeliveries({ state: 'rejected' });
    assert.equal(rejected?.recordId, w.id('mark', 'mk2'));
    assert.equal(rejected?.lastError?.code, 'GW_CONSENT_MISSING');
    assert.ok(!JSON.stringify(rejected?.lastError).includes('Орлова'));

    clock.advance(60_000);
    const reg = await store.register(consentOf(w, 's2', 'g3', { channels: ['portal'] }), 'op', now());
    assert.equal(reg.requeued, 1);
    await drain();
    assert.deepEqual(sink.got.map((i) => i.recordId).filter((id) => id === w.id('mark', 'mk2')), [w.id('mark', 'mk2')]);

    // A record queued before the withdrawal is checked at push time, after it.
    await w.ingest(ledger, [w.mark('mk3', 's1', 'alg', 4)], [{ sinkId: SINK, maxAttempts: 3 }], clock);
    const s1Consent = (await store.list({ childId: w.id('person', 's1') }))[0];
    assert.ok(s1Consent);
    await store.withdraw(s1Consent.id, { evidenceRef: 'ZAYAV-1' }, 'op', now());
    const before = sink.got.length;
    await drain();
    assert.equal(sink.got.length, before, 'nothing of the withdrawn child is pushed');
    const mk3 = (await ledger.listDeliveries({ sinkId: SINK })).find((d) => d.recordId === w.id('mark', 'mk3'));
    assert.equal(mk3?.state, 'rejected');
    assert.deepEqual(await ledger.verify(), []);
  });

  it('gives the pull API only what the consent covers for it', async () => {
    await w.ingest(ledger, [w.mark('mk1', 's1', 'alg', 5), w.mark('mk2', 's2', 'alg', 3)], [], clock);
    let res = await gatedRecords(ledger, gate, { schoolId: 'school-9', entityType: 'mark' }, now());
    assert.deepEqual(res.items, []);
    assert.equal(res.withheld, 2);
    await store.register(consentOf(w, 's2', 'g3', { channels: ['api'] }), 'op', now());
    res = await gatedRecords(ledger, gate, { schoolId: 'school-9', entityType: 'mark' }, now());
    assert.deepEqual(res.items.map((r) => r.id), [w.id('mark', 'mk2')]);
    // The per-child form the ФГИС Schedule pull takes (allowChild).
    const allowChild = childAllowedFor(store, 'api', () => clock.now());
    assert.equal(await allowChild('school-9', w.id('person', 's2')), true);
    assert.equal(await allowChild('school-9', w.id('person', 's1')), false);
  });
});
