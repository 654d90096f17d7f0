import { vendorDate } from '../dates';
import { intOf, invalid, isObject, record, type Mapped, type MapContext } from './common';
import { attendanceCategory } from './vocabulary';

/**
 * One mobile API classmeeting row (`/api/mobile/classmeetings`, sources §1.8) → an
 * attendance_event when it carries an attendance mark; undefined when the student was present
 * (NetSchool records only deviations). The lesson reference uses the same classmeetingId as
 * the web diary, so both APIs point at one lesson record.
 */
export function mapClassmeetingAttendance(row: unknown, ctx: MapContext): Mapped | undefined {
  if (!isObject(row)) return undefined;
  const att = row.attendance;
  if (att === null || att === undefined || (typeof att === 'string' && att.trim() === '')) return undefined;
  const cm = intOf(row.classmeetingId);
  const studentId = intOf(row.studentId);
  const sourceId = `${cm ?? '?'}:${studentId ?? '?'}`;
  const date = vendorDate(row.day);
  const issues = [];
  if (cm === undefined) issues.push({ path: '/classmeetingId', message: 'not an integer' });
  if (studentId === undefined) issues.push({ path: '/studentId', message: 'not an integer' });
  if (!date) issues.push({ path: '/day', message: 'not a date' });
  if (typeof att !== 'string' && typeof att !== 'number') issues.push({ path: '/attendance', message: 'neither a code nor a number' });
  if (issues.length > 0) return invalid('attendance_event', sourceId, issues, row);
  const code = String(att).trim().slice(0, 16);
  return record('attendance_event', sourceId, {
    studentId: ctx.ids.ref('person', String(studentId)),
    lessonId: ctx.ids.ref('lesson', String(cm)),
    date,
    code,
    category: typeof att === 'number' ? 'unknown' : attendanceCategory(code),
  });
}
