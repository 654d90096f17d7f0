/**
 * Large synthetic exports for the benchmark and the memory test: marks or homework, written row by row to a
 * file stream (awaiting `drain`), so generating a gigabyte takes a few megabytes of memory too.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Row } from './data';
import { ruDate } from './data';
import { csvLine, encodeText, XML_TAIL, xmlHead, xmlRecord, type OutEncoding } from './write';

export const LARGE_MARK_COLUMNS = [
  'sourceId', 'kind', 'studentId', 'subjectId', 'lessonId', 'teacherId', 'value.scale', 'value.raw', 'value.numeric',
  'markStatus', 'date', 'markedAt', 'teacherComment',
];

const RAW = [['5', '5'], ['4', '4'], ['3', '3'], ['5-', '4,75'], ['4+', '4,25']] as const;
const COMMENTS = ['', '', '', 'Молодец!', 'Есть ошибки в вычислениях, повтори правило', 'Хороший ответ, но неполный'] as const;

/** Mark number `i` of the synthetic export: deterministic, valid, Cyrillic in some comments. */
export function largeMarkRow(i: number): Row {
  const day = new Date(Date.UTC(2025, 8, 1) + (i % 240) * 86_400_000).toISOString().slice(0, 10);
  const [raw, num] = RAW[i % RAW.length] as readonly [string, string];
  const comment = COMMENTS[i % COMMENTS.length] as string;
  return {
    sourceId: `mk-${i}`, kind: 'current', studentId: `st-${i % 1500}`, subjectId: `s-${i % 14}`, lessonId: `l-${Math.floor(i / 25)}`,
    teacherId: `t-${i % 60}`, 'value.scale': 'five_point_modifiers', 'value.raw': raw, 'value.numeric': num, markStatus: 'graded',
    date: ruDate(day), markedAt: `${ruDate(day)} 1${i % 6}:${String(i % 60).padStart(2, '0')}`, ...(comment ? { teacherComment: comment } : {}),
  };
}

export const LARGE_HOMEWORK_COLUMNS = ['sourceId', 'classGroupId', 'subjectId', 'dueDate', 'text', 'isIndividual'];

const HW_TEXT = 'Прочитать параграф, ответить на вопросы в конце параграфа письменно, выучить определения и повторить правило; ';

/** Homework number `i`: few records per megabyte (a long text of about `textChars` characters). */
export function largeHomeworkRow(i: number, textChars = 1500): Row {
  return {
    sourceId: `hw-${i}`, classGroupId: `c-${i % 30}`, subjectId: `s-${i % 14}`, dueDate: ruDate(new Date(Date.UTC(2025, 8, 1) + (i % 240) * 86_400_000).toISOString().slice(0, 10)),
    text: `№ ${i}. ${HW_TEXT.repeat(Math.ceil(textChars / HW_TEXT.length)).slice(0, textChars)}`, isIndividual: 'нет',
  };
}

/**
 * Writes an export of at least `bytes` bytes to `file` as CSV or XML in `encoding`: marks, or
 * homework with long texts (`entity: 'homework'`). Returns the rows written and the size.
 */
export async function writeLargeExport(file: string, o: {
  format: 'csv' | 'xml'; bytes: number; encoding: OutEncoding; delimiter?: string; entity?: 'mark' | 'homework';
  /** Number of the first row (files with distinct records). */
  firstRow?: number;
}): Promise<{ rows: number; bytes: number }> {
  const hw = o.entity === 'homework';
  const columns = hw ? LARGE_HOMEWORK_COLUMNS : LARGE_MARK_COLUMNS;
  const rowAt = hw ? (i: number) => largeHomeworkRow(i) : largeMarkRow;
  const out = fs.createWriteStream(file);
  const delim = o.delimiter ?? ';';
  const enc: OutEncoding = o.encoding === 'utf-8-bom' ? 'utf-8' : o.encoding;
  let written = 0;
  const write = async (text: string, first = false): Promise<void> => {
    const b = encodeText(text, first ? o.encoding : enc);
    written += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const head = o.format === 'csv' ? `${columns.join(delim)}\r\n` : xmlHead(undefined, o.encoding);
  await write(head, true);
  let rows = 0;
  const tail = o.format === 'xml' ? XML_TAIL.length : 0;
  let batch = '';
  let batchBytes = 0;
  while (written + batchBytes + tail < o.bytes) {
    const row = rowAt((o.firstRow ?? 0) + rows);
    const line = o.format === 'csv' ? csvLine(columns, row, delim) : xmlRecord(hw ? 'homework' : 'mark', row);
    batch += line;
    batchBytes += enc === 'windows-1251' ? line.length : Buffer.byteLength(line, 'utf8');
    rows++;
    if (batchBytes > 64 * 1024) { await write(batch); batch = ''; batchBytes = 0; }
  }
  await write(batch + (o.format === 'xml' ? XML_TAIL : ''));
  out.end();
  await once(out, 'finish');
  return { rows, bytes: written };
}
