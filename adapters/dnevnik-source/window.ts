import { weekWindow as sharedWeekWindow, type WeekWindow, type WeekWindowInput } from '../../src/infra/adapter-kit/week-window';
import { vendorDate } from './dates';

/**
 * Weeks the `journal` stream reads in one run: the shared weekly cursor window
 * (src/infra/adapter-kit/week-window.ts) over Дневник.ру dates. The group endpoints have no
 * "changed since" filter, so recent weeks are re-read (`lookbackWeeks`).
 */
export { isFutureCursor, refreshCursor, weekCursor, type WeekWindow } from '../../src/infra/adapter-kit/week-window';

export function weekWindow(i: Omit<WeekWindowInput, 'floor'>): WeekWindow {
  return sharedWeekWindow(i, vendorDate);
}
