/**
 * SMS length and transliteration: GSM-7 160/153 with extension characters counting double
 * and never split between parts, UCS-2 70/67 forced by any Cyrillic letter, and the ICAO
 * Doc 9303 transliteration that brings a Russian notice back to GSM-7.
 */
import assert from 'node:assert/strict';
import { composeText, countSegments, DEFAULT_SMS_LIMITS, isGsm7Basic, isGsm7Extension, transliterate } from '../../src/families/sms';

const a = (n: number): string => 'a'.repeat(n);
const ya = (n: number): string => 'я'.repeat(n);

describe('families/sms: segment counting', () => {
  it('GSM-7: 160 septets fit one SMS, 161 take two parts of 153, 307 take three', () => {
    assert.deepEqual([countSegments(a(160)).segments, countSegments(a(161)).segments, countSegments(a(306)).segments, countSegments(a(307)).segments], [1, 2, 2, 3]);
    const c = countSegments(a(161));
    assert.deepEqual([c.encoding, c.units, c.perSegment, c.remaining], ['gsm7', 161, 153, 153 - 8]);
    assert.deepEqual([countSegments('').segments, countSegments('').units], [0, 0]);
  });

  it('UCS-2: 70 units fit one SMS, 71 take two parts of 67, 135 take three', () => {
    assert.deepEqual([ya(70), ya(71), ya(134), ya(135)].map((t) => countSegments(t).segments), [1, 2, 2, 3]);
    const c = countSegments(ya(71));
    assert.deepEqual([c.encoding, c.units, c.perSegment, c.remaining], ['ucs2', 71, 67, 63]);
  });

  it('a single Cyrillic letter (or a «quote») forces UCS-2 for the whole text', () => {
    const c = countSegments(`${a(100)}ж`);
    assert.deepEqual([c.encoding, c.units, c.segments, c.nonGsm], ['ucs2', 101, 2, ['ж']]);
    assert.equal(countSegments(a(100)).segments, 1, 'the same length in Latin is one SMS');
    assert.deepEqual(countSegments('«Дроби»').nonGsm, ['«', 'Д', 'р', 'о', 'б', 'и', '»']);
    assert.equal(countSegments('"Drobi" @£$¥èé ÄÖÑÜ§¿').encoding, 'gsm7', 'characters of the basic table stay GSM-7');
  });

  it('extension characters cost two septets: 158 + "{" fits, 159 + "€" does not', () => {
    assert.ok(isGsm7Extension('€') && isGsm7Extension('{') && !isGsm7Basic('{') && isGsm7Basic('@'));
    assert.deepEqual([countSegments(`${a(158)}{`).units, countSegments(`${a(158)}{`).segments], [160, 1]);
    assert.deepEqual([countSegments(`${a(159)}€`).units, countSegments(`${a(159)}€`).segments], [161, 2]);
    for (const ch of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) assert.equal(countSegments(ch).units, 2, JSON.stringify(ch));
  });

  it('an extension pair is never split between parts: 152 + "^" + 152 takes three parts, not ceil(306/153) = 2', () => {
    const c = countSegments(`${a(152)}^${a(152)}`);
    assert.deepEqual([c.units, c.segments, c.remaining], [306, 3, 153 - 1]);
    assert.equal(countSegments(`${a(153)}^${a(151)}`).segments, 2, 'the same units with the pair inside a part');
  });

  it('a surrogate pair (emoji) costs two UCS-2 units and is not split', () => {
    assert.deepEqual([countSegments('👍').encoding, countSegments('👍').units, countSegments('👍').characters], ['ucs2', 2, 1]);
    assert.equal(countSegments(`${ya(66)}👍${ya(1)}`).segments, 1, '66 + 2 + 1 = 69 ≤ 70: one SMS');
    assert.equal(countSegments(`${ya(66)}👍${ya(66)}`).segments, 3, '134 units, but the pair does not fit the first 67-unit part whole');
  });

  it('limits are configurable (an aggregator quoting 140/134)', () => {
    const limits = { ...DEFAULT_SMS_LIMITS, gsm7: { single: 140, multi: 134 } };
    assert.deepEqual([countSegments(a(140), limits).segments, countSegments(a(141), limits).segments, countSegments(a(269), limits).segments], [1, 2, 3]);
  });
});

describe('families/sms: transliteration (ICAO Doc 9303)', () => {
  it('letters by the passport table, with case kept', () => {
    assert.equal(transliterate('Юлия Щеглова'), 'Iuliia Shcheglova');
    assert.equal(transliterate('ЩУКИН Ю.'), 'SHCHUKIN Iu.');
    assert.equal(transliterate('Подъезд, объём, ёж, Хохлома, Цой, Жуков, Эмиль, мышь'), 'Podieezd, obieem, ezh, Khokhloma, Tsoi, Zhukov, Emil, mysh');
    assert.equal(transliterate('МБОУ СОШ'), 'MBOU SOSH');
  });

  it('typographic punctuation becomes GSM-7 and the whole result is GSM-7', () => {
    const t = transliterate('Контрольная № 2 «Дроби» — 12.03…');
    assert.equal(t, 'Kontrolnaia N 2 "Drobi" - 12.03...');
    assert.equal(countSegments(t).encoding, 'gsm7');
  });

  it('composeText: transliterates when it saves parts, keeps Cyrillic otherwise, always on request', () => {
    const policy = { limits: DEFAULT_SMS_LIMITS, transliterate: 'when_fewer_segments' as const };
    const long = 'Иванов И.: алгебра 5, геометрия 4, 12.03; пропуск — 2 урока по болезни.'; // 72 characters
    assert.equal(countSegments(long).segments, 2);
    const c = composeText(long, policy);
    assert.deepEqual([c.transliterated, c.count.encoding, c.count.segments], [true, 'gsm7', 1]);
    const short = 'Иванов И.: алгебра 5, 12.03';
    assert.deepEqual([composeText(short, policy).transliterated, composeText(short, policy).text], [false, short]);
    assert.equal(composeText(short, { ...policy, transliterate: 'always' }).text, 'Ivanov I.: algebra 5, 12.03');
    assert.equal(composeText(long, { ...policy, transliterate: 'never' }).count.segments, 2);
  });
});
