/**
 * Transliteration of Russian text for SMS, so a message fits GSM-7 (160 characters instead of 70).
 *
 * Letters follow **ICAO Doc 9303, Part 3 (7th edition, 2015), Appendix 6 / Section 6 table for
 * Cyrillic** — the scheme of Russian international passports (domain reference §4.2). It was
 * chosen over ГОСТ 7.79-2000 system B because system B writes ъ, ь, ы, э with a backtick or
 * apostrophe (`` ` ``, `y'`, `e'`) and the backtick is not in the GSM-7 alphabet, so a
 * "transliterated" text would still go out as UCS-2; ICAO uses plain Latin letters only.
 *
 *   а a  б b  в v  г g  д d  е e  ё e  ж zh  з z  и i  й i  к k  л l  м m  н n  о o  п p
 *   р r  с s  т t  у u  ф f  х kh  ц ts  ч ch  ш sh  щ shch  ъ ie  ы y  ь —  э e  ю iu  я ia
 *
 * Beyond the letters (our choice, not ICAO): typographic punctuation that is not in GSM-7 is
 * replaced by its plain form («» „“ ” → ", ‘’ → ', – — → -, … → ..., № → N, no-break space →
 * space), so a Russian notice written with proper typography still fits GSM-7.
 */

const ICAO_9303: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i',
  к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f',
  х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: 'ie', ы: 'y', ь: '', э: 'e', ю: 'iu', я: 'ia',
};

const PUNCTUATION: Readonly<Record<string, string>> = {
  '«': '"', '»': '"', '„': '"', '“': '"', '”': '"', '‘': "'", '’': "'", '‚': "'",
  '–': '-', '—': '-', '−': '-', '…': '...', '№': 'N', '\u00a0': ' ', '\u202f': ' ',
};

export type TranslitScheme = 'icao-9303';

const isUpper = (c: string | undefined): boolean => c !== undefined && c !== c.toLowerCase() && c === c.toUpperCase();

/**
 * Transliterates Cyrillic letters by ICAO Doc 9303 and plain-ifies typographic punctuation;
 * other characters pass unchanged. Case follows the source: «Щукин» → «Shchukin», «ЩУКИН» →
 * «SHCHUKIN» (a multi-letter capital is all caps when a neighbouring letter is a capital).
 */
export function transliterate(text: string, _scheme: TranslitScheme = 'icao-9303'): string {
  const chars = [...text];
  let out = '';
  chars.forEach((c, i) => {
    const lower = c.toLowerCase();
    const lat = ICAO_9303[lower];
    if (lat === undefined) { out += PUNCTUATION[c] ?? c; return; }
    if (!isUpper(c) || lat.length === 0) { out += lat; return; }
    const allCaps = isUpper(chars[i + 1]) || (isUpper(chars[i - 1]) && !/[a-zа-яё]/i.test(chars[i + 1] ?? ''));
    out += allCaps ? lat.toUpperCase() : lat.charAt(0).toUpperCase() + lat.slice(1);
  });
  return out;
}
