import assert from 'node:assert/strict';
import { DEFAULT_ID_NAMESPACE, canonicalId } from '../../src/core/ids';
import type { MappedRecord } from '../../src/core/records';
import { normalizeRecord, type NormalizeContext } from '../../src/pipeline/normalize';

const ctx = (fetchedAt = '2026-11-02T10:00:00.000Z', adapterVersion = '1.0.0'): NormalizeContext => ({
  idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 'school-1', sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion, fetchedAt,
});

const subject = (fields: Record<string, unknown> = { title: 'Алгебра', shortTitle: 'Алг' }, extra: Partial<MappedRecord> = {}): MappedRecord => ({
  entityType: 'subject', sourceId: '17', fields, ...extra,
});

describe('normalizeRecord', () => {
  it('builds the envelope with the deterministic id and a body that parses back to the record', () => {
    const { record, prepared } = normalizeRecord(subject(), ctx());
    assert.equal(record.id, canonicalId(DEFAULT_ID_NAMESPACE, 'netschool', 'school-1', 'subject', '17'));
    assert.equal(record.status, 'active');
    assert.equal(record.schemaVersion, 1);
    assert.deepEqual(record.externalIds, [{ type: 'source-local', value: '17', issuer: 'netschool' }]);
    assert.equal(record.provenance.fetchedAt, '2026-11-02T10:00:00.000Z');
    assert.equal(record.dateLastModified, '2026-11-02T10:00:00.000Z');
    assert.match(prepared.contentHash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(prepared.body), JSON.parse(JSON.stringify(record)));
  });

  it('gives the same hash for the same content read later, in another key order, by a newer adapter', () => {
    const a = normalizeRecord(subject({ title: 'Алгебра', shortTitle: 'Алг' }), ctx());
    const b = normalizeRecord(subject({ shortTitle: 'Алг', title: 'Алгебра' }), ctx('2026-11-03T00:00:00.000Z', '2.0.0'));
    assert.equal(a.prepared.contentHash, b.prepared.contentHash);
  });

  it('changes the hash when content, status or the journal timestamps change', () => {
    const base = normalizeRecord(subject(), ctx()).prepared.contentHash;
    assert.notEqual(normalizeRecord(subject({ title: 'Геометрия', shortTitle: 'Алг' }), ctx()).prepared.contentHash, base);
    assert.notEqual(normalizeRecord(subject(undefined, { status: 'tobedeleted' }), ctx()).prepared.contentHash, base);
    assert.notEqual(normalizeRecord(subject(undefined, { sourceModifiedAt: '2026-11-01T08:00:00Z' }), ctx()).prepared.contentHash, base);
    assert.notEqual(normalizeRecord(subject(undefined, { sourceCreatedAt: '2026-11-01T08:00:00Z' }), ctx()).prepared.contentHash, base);
  });

  it('keeps envelope fields out of adapter hands and uses the journal time as dateLastModified', () => {
    const { record } = normalizeRecord(subject({ title: 'X', id: 'forged', contentHash: 'forged', status: 'tobedeleted' }, { sourceModifiedAt: '2026-10-30T07:00:00Z' }), ctx());
    assert.notEqual(record.id, 'forged');
    assert.notEqual(record.contentHash, 'forged');
    assert.equal(record.status, 'active');
    assert.equal(record.dateLastModified, '2026-10-30T07:00:00Z');
    assert.equal(record.provenance.sourceModifiedAt, '2026-10-30T07:00:00Z');
  });
});
