/**
 * The cached zone offsets of src/sla/local-time.ts agree with Intl on both sides of offset
 * changes (a DST zone, a 45-minute zone, Moscow's 2014 change), so the cache never moves a
 * deadline.
 */
import assert from 'node:assert/strict';
import { localToInstant, offsetMsAt, toLocal } from '../../src/sla/local-time';

function intlLocal(ms: number, tz: string): string {
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(ms)).replace(' ', 'T');
}

describe('sla/local-time: cached offsets', () => {
  const cases: Array<[string, string]> = [
    ['Europe/Berlin', '2025-03-30T01:00:00Z'], ['Europe/Berlin', '2025-10-26T01:00:00Z'], ['Asia/Kathmandu', '2025-06-01T00:00:00Z'],
    ['Europe/Moscow', '2014-10-25T22:00:00Z'], ['Australia/Lord_Howe', '2025-04-05T15:00:00Z'], ['Asia/Yekaterinburg', '2025-12-31T19:00:00Z'],
  ];
  for (const [tz, change] of cases) {
    it(`${tz} around ${change}: every minute from 2 h before to 2 h after matches Intl`, () => {
      const t0 = Date.parse(change);
      for (let ms = t0 - 2 * 3_600_000; ms <= t0 + 2 * 3_600_000; ms += 60_000) {
        const l = toLocal(new Date(ms), tz);
        const hh = String(Math.floor(l.minuteOfDay / 60)).padStart(2, '0');
        const mm = String(l.minuteOfDay % 60).padStart(2, '0');
        assert.equal(`${l.date}T${hh}:${mm}`, intlLocal(ms, tz), `${tz} at ${new Date(ms).toISOString()}`);
      }
    });
  }

  it('the offset jumps exactly at the change (Berlin, spring forward), and local midnight maps back', () => {
    assert.equal(offsetMsAt(Date.parse('2025-03-30T00:59:59Z'), 'Europe/Berlin'), 3_600_000);
    assert.equal(offsetMsAt(Date.parse('2025-03-30T01:00:00Z'), 'Europe/Berlin'), 7_200_000);
    assert.equal(localToInstant('2025-12-31', 0, 'Asia/Yekaterinburg').toISOString(), '2025-12-30T19:00:00.000Z');
  });
});
