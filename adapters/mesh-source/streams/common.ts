/** Mapping results and lenient field readers shared by the source adapters. */
export { gradeLevelOf, intOf, invalid, isObject, numOf, record, textOf, type MapContext, type Mapped } from '../../../src/infra/adapter-kit/mapping';

/** What the reader knows about the student a family-API answer is for (from the profile). */
export interface StudentInfo {
  id: number;
  /** `class_unit_id` of the student's class. */
  classUnitId?: number;
  className?: string;
}

/** Academic year key of a date: 'YYYY-(YYYY+1)', the year starting 1 September. */
export function academicYearKey(date: string): string {
  const y = Number(date.slice(0, 4));
  const start = Number(date.slice(5, 7)) >= 9 ? y : y - 1;
  return `${start}-${start + 1}`;
}
