import { weekWindow as sharedWeekWindow, type WeekWindow, type WeekWindowInput } from '../../src/infra/adapter-kit/week-window';
import { vendorDate } from './dates';

/**
 * Which weeks a weekly stream (`diary`, `attendance`) reads in one run: the shared weekly cursor
 * window (src/infra/adapter-kit/week-window.ts) over NetSchool dates ('YYYY-MM-DDT00:00:00').
 * The web diary has no modification time, so recent weeks are re-read (`lookbackWeeks`).
 */
export { isFutureCursor, weekCursor, type WeekWindow, type WeekWindowInput } from '../../src/infra/adapter-kit/week-window';

export function weekWindow(i: WeekWindowInput): WeekWindow {
  return sharedWeekWindow(i, vendorDate);
}

