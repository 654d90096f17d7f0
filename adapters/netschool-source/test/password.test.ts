import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { hashPassword } from '../password';

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe('netschool password hash', () => {
  it('matches a vector computed outside the adapter (Python hashlib, cp1251)', () => {
    // python3: md5(salt + md5('Дневник-2025!'.encode('cp1251')).hexdigest())
    const h = hashPassword('Дневник-2025!', '1234567890');
    assert.equal(h.pw2, 'b43a3b8ecc9bad7f8b54bde66f46a267');
    assert.equal(h.pw, 'b43a3b8ecc9ba');
  });

  it('matches node crypto over iconv-lite windows-1251 bytes, computed here independently', () => {
    const password = 'Пароль-Ёж 5';
    const salt = '555000111';
    const bytes = iconv.encode(password, 'windows-1251');
    assert.equal(bytes.length, password.length, 'one byte per character in cp1251');
    const expected = md5(salt + md5(bytes));
    assert.equal(hashPassword(password, salt).pw2, expected);
    assert.equal(hashPassword(password, salt).pw, expected.slice(0, password.length));
  });

  it('is not the UTF-8 hash for Cyrillic passwords, and equals it for ASCII ones', () => {
    const salt = '42';
    assert.notEqual(hashPassword('Дневник', salt).pw2, md5(salt + md5(Buffer.from('Дневник', 'utf8'))));
    assert.equal(hashPassword('secret', '987654321').pw2, '463767410eada75c080e80aebcdb22b6');
  });

  it('truncates pw to the password length and keeps the full pw2', () => {
    const h = hashPassword('abc', 'salt');
    assert.equal(h.pw.length, 3);
    assert.equal(h.pw2.length, 32);
    assert.ok(h.pw2.startsWith(h.pw));
  });
});
