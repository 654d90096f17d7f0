import { weekWindow as sharedWeekWindow, type WeekWindow, type WeekWindowInput } from '../../src/infra/adapter-kit/week-window';
import { eljurDate } from './dates';

/**
 * Which weeks a weekly stream (`diary`, `marks`) reads in one run: the shared weekly cursor
 * window (src/infra/adapter-kit/week-window.ts) over ЭлЖур dates. ЭлЖур gives no modification
 * times, so recent weeks are re-read (`lookbackWeeks`).
 */
export { isFutureCursor, weekCursor, type WeekWindow, type WeekWindowInput } from '../../src/infra/adapter-kit/week-window';

export function weekWindow(i: WeekWindowInput): WeekWindow {
  return sharedWeekWindow(i, eljurDate);
}
