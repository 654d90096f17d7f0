/** The file source's declarative error tables. */
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../src/core/error-codes';
import { GatewayError } from '../../../src/core/errors';
import { classifyFsError, FILE_REJECTIONS, fsError, reject, rejectionError } from '../errors';
import { errorNoteText } from '../inbox';

describe('file-source error tables', () => {
  it('maps filesystem errnos: missing → not found, denied → auth, transient → retryable, unknown → retryable', () => {
    const cases: Array<[string | undefined, string, string]> = [
      ['ENOENT', 'GW_SRC_NOT_FOUND', 'permanent'], ['ENOTDIR', 'GW_SRC_NOT_FOUND', 'permanent'],
      ['EACCES', 'GW_SRC_AUTH_FAILED', 'permanent'], ['EROFS', 'GW_SRC_AUTH_FAILED', 'permanent'],
      ['EIO', 'GW_SRC_UNAVAILABLE', 'retryable'], ['ESTALE', 'GW_SRC_UNAVAILABLE', 'retryable'], ['ENOSPC', 'GW_SRC_UNAVAILABLE', 'retryable'],
      ['EWHATEVER', 'GW_SRC_UNAVAILABLE', 'retryable'], [undefined, 'GW_SRC_UNAVAILABLE', 'retryable'],
    ];
    for (const [errno, code, cls] of cases) {
      assert.equal(classifyFsError(errno).code, code, String(errno));
      const e = fsError(Object.assign(new Error('x'), { code: errno }), 'school-7', 'inbox folder /srv/in');
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
      assert.match(e.message, /^school school-7: inbox folder \/srv\/in /);
    }
    const already = new GatewayError('GW_INTERNAL', 'bug');
    assert.equal(fsError(already, 's', 'x'), already);
  });

  it('every refusal reason has a known code, Russian text and a remedy, and its note names school, file and reason', () => {
    for (const [reason, r] of Object.entries(FILE_REJECTIONS)) {
      assert.ok(ERROR_CODES[r.code], reason);
      assert.equal(ERROR_CODES[r.code].class, 'invalid_data', reason);
      assert.match(r.ru, /[а-я]/, reason);
      assert.ok(r.remedyRu.length > 10, reason);
    }
    const e = rejectionError(reject('csv-header', 'line 1, column 7 (value.num): not a field of mark'), 'school-7', 'marks.csv');
    assert.equal(e.code, 'GW_RECORD_UNMAPPABLE');
    assert.deepEqual(e.issues, [{ path: '/file', message: 'line 1, column 7 (value.num): not a field of mark' }]);
    const note = errorNoteText({ schoolId: 'school-7', file: { name: 'marks.csv', path: '/x/marks.csv', size: 10, mtimeMs: 0 }, reason: 'csv-header', detail: 'line 1', at: '2025-10-16T09:00:00.000Z' });
    assert.match(note, /Школа: school-7\nФайл: marks\.csv \(10 байт\)/);
    assert.match(note, /Причина: Первая строка CSV/);
    assert.match(note, /school=school-7 file=marks\.csv code=GW_RECORD_UNMAPPABLE reason=csv-header/);
  });
});
