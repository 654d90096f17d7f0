import assert from 'node:assert/strict';
import { v5 } from 'uuid';
import { DEFAULT_ID_NAMESPACE, canonicalId, uuidv5 } from '../../src/core/ids';

describe('canonical ids', () => {
  it('uuidv5 agrees with the uuid package (RFC 4122 v5) on many names', () => {
    for (const name of ['', 'a', 'netschool|school-1|mark|assign:1:student:2', 'Иванов Пётр', 'x'.repeat(300)]) {
      assert.equal(uuidv5(name, DEFAULT_ID_NAMESPACE), v5(name, DEFAULT_ID_NAMESPACE), name);
      assert.equal(uuidv5(name, v5.URL), v5(name, v5.URL), name);
    }
  });

  it('is deterministic and separates source systems, schools and entities', () => {
    const a = canonicalId(DEFAULT_ID_NAMESPACE, 'netschool', 's1', 'mark', '42');
    assert.equal(a, canonicalId(DEFAULT_ID_NAMESPACE, 'netschool', 's1', 'mark', '42'));
    assert.notEqual(a, canonicalId(DEFAULT_ID_NAMESPACE, 'eljur', 's1', 'mark', '42'));
    assert.notEqual(a, canonicalId(DEFAULT_ID_NAMESPACE, 'netschool', 's2', 'mark', '42'));
    assert.notEqual(a, canonicalId(DEFAULT_ID_NAMESPACE, 'netschool', 's1', 'lesson', '42'));
  });

  it('rejects a malformed namespace', () => {
    assert.throws(() => uuidv5('x', 'not-a-uuid'), /invalid UUID namespace/);
  });
});
