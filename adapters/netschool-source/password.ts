import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';

/** Lower-case hex MD5 of bytes (or of a string taken as UTF-8; callers pass ASCII hex only). */
export function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** The two password fields NetSchool's `POST /webapi/login` expects. */
export interface PasswordHash {
  /** `pw2` truncated to the password's length (the server checks both). */
  pw: string;
  /** `md5_hex(salt + md5_hex(cp1251(password)))`. */
  pw2: string;
}

/**
 * NetSchool's salted password hash (sources §1.2 step 4).
 *
 * The inner MD5 runs over the password encoded as windows-1251, not UTF-8: that is the only
 * place the encoding matters, and a Cyrillic password hashed as UTF-8 is simply refused.
 * The salt is fresh per `auth/getdata` call, so the result is single-use.
 * `pw` is truncated to the password's length in UTF-16 code units, as the browser does.
 */
export function hashPassword(password: string, salt: string): PasswordHash {
  const inner = md5Hex(iconv.encode(password, 'win1251'));
  const pw2 = md5Hex(salt + inner);
  return { pw2, pw: pw2.slice(0, password.length) };
}
