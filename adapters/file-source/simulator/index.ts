/**
 * The file source's "simulator": not a server but a generator of export files in a temporary
 * inbox, laid out as Russian journals export them (windows-1251 CSV with `;` and DD.MM.YYYY dates
 * for marks and absences, UTF-8 CSV with and without BOM, and a UTF-8 XML timetable). Faults
 * drop broken or hostile files into the inbox. `env.DIARY_SIM_FILE_INBOX` names the folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { demoTables, ruDate, type Row, type Table } from './data';
import { csvLine, csvText, encodeText, xmlText, type OutEncoding } from './write';

export { demoTables, countRows, type Table, type Row } from './data';

/** Files are dated this far back, so a source's settle time never holds them. */
const PAST_MS = 10 * 60_000;

/** Writes `bytes` to `dir/name` through `<name>.part` and a rename (as the upload endpoint does), dated in the past. */
export function dropFile(dir: string, name: string, bytes: Buffer | string, mtime = new Date(Date.now() - PAST_MS)): string {
  const final = path.join(dir, name);
  const part = `${final}.part`;
  fs.writeFileSync(part, bytes);
  fs.utimesSync(part, mtime, mtime);
  fs.renameSync(part, final);
  return final;
}

const byStream = (tables: readonly Table[], stream: string): Table => tables.find((t) => t.stream === stream) as Table;

/** The demo export of one school: which file holds which tables, in which encoding and delimiter. */
export function writeDemoExport(dir: string, seed: number, today: string): { files: string[]; records: number } {
  const t = demoTables(seed, today);
  const csv: Array<[string, string, string, OutEncoding]> = [
    ['persons.csv', 'persons', ',', 'utf-8-bom'],
    ['subjects.csv', 'subjects', ',', 'utf-8'],
    ['class_groups.csv', 'class_groups', ';', 'utf-8'],
    ['memberships.csv', 'memberships', ';', 'utf-8'],
    [`marks_${today.slice(0, 7)}.csv`, 'marks', ';', 'windows-1251'],
    ['attendance_events.csv', 'attendance_events', ';', 'windows-1251'],
  ];
  const files: string[] = [];
  const base = Date.now() - PAST_MS;
  csv.forEach(([name, stream, delim, enc], i) => {
    files.push(dropFile(dir, name, encodeText(csvText(byStream(t, stream), delim), enc), new Date(base + i * 1000)));
  });
  const xmlTables = ['schools', 'academic_years', 'reporting_periods', 'lessons', 'homework'].map((s) => byStream(t, s));
  files.push(dropFile(dir, 'timetable.xml', encodeText(xmlText(xmlTables), 'utf-8'), new Date(base + csv.length * 1000)));
  return { files, records: t.reduce((n, x) => n + x.rows.length, 0) };
}

const MARK_COLUMNS = ['sourceId', 'kind', 'studentId', 'subjectId', 'value.scale', 'value.raw', 'value.numeric', 'markStatus', 'date', 'markedAt'];

function markRow(i: number, day: string, over: Partial<Row> = {}): Row {
  return {
    sourceId: `fault-mk-${i}`, kind: 'current', studentId: `st-${String(1 + (i % 50)).padStart(3, '0')}`, subjectId: 's-math',
    'value.scale': 'five_point', 'value.raw': '5', 'value.numeric': '5', markStatus: 'graded', date: ruDate(day), markedAt: `${ruDate(day)} 10:10`, ...over,
  };
}

/** Hostile or broken files, by fault name (`custom`), plus `malformed` and `shape-change`. */
export function faultFiles(fault: FaultSpec, today: string, seq: number): Array<[string, Buffer]> {
  const marksCsv = (rows: Row[], columns = MARK_COLUMNS): Buffer => encodeText(columns.join(';') + '\r\n' + rows.map((r) => csvLine(columns, r, ';')).join(''), 'windows-1251');
  switch (fault.kind) {
    case 'malformed': {
      const bad = Array.from({ length: fault.count ?? 1 }, (_, i) => markRow(1000 + i, today, i % 2 ? { date: '31.02.2025' } : { 'value.numeric': 'пять' }));
      return [[`marks_malformed_${seq}.csv`, marksCsv([markRow(1, today), ...bad, markRow(2, today), markRow(3, today)])]];
    }
    case 'shape-change':
      return [[`marks_shape_${seq}.csv`, marksCsv([markRow(4, today)], MARK_COLUMNS.map((c) => (c === 'value.numeric' ? 'value.num' : c)))]];
    case 'custom':
      return customFault(fault.name, today, seq);
    default:
      return [];
  }
}

function customFault(name: string, today: string, seq: number): Array<[string, Buffer]> {
  const xml = (body: string): Buffer => Buffer.from(body, 'utf8');
  switch (name) {
    case 'billion-laughs': {
      const ents = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)].join('\n');
      return [[`laughs_${seq}.xml`, xml(`<?xml version="1.0"?>\n<!DOCTYPE diaryExport [\n${ents}\n]>\n<diaryExport xmlns="urn:diary-gateway:intake:v1"><subject sourceId="s-x"><title>&lol9;</title></subject></diaryExport>\n`)]];
    }
    case 'external-entity':
      return [[`xxe_${seq}.xml`, xml('<?xml version="1.0"?>\n<!DOCTYPE diaryExport [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<diaryExport xmlns="urn:diary-gateway:intake:v1"><subject sourceId="s-x"><title>&xxe;</title></subject></diaryExport>\n')]];
    case 'bad-encoding': {
      // A UTF-8 file with a row pasted in from a windows-1251 one: mixed encodings.
      const comment = (n: number): Row => markRow(5 + n, today, { sourceId: `fault-enc-${n}`, 'value.raw': '3', 'value.numeric': '3' });
      const utf8 = Buffer.from(['sourceId;kind;studentId;subjectId;value.scale;value.raw;value.numeric;markStatus;date;markedAt;teacherComment', ...[0, 1, 2].map((n) => csvLine(MARK_COLUMNS, comment(n), ';').trimEnd() + ';Повтори правило, есть ошибки в вычислениях')].join('\r\n') + '\r\n', 'utf8');
      const cp1251 = encodeText(csvLine(MARK_COLUMNS, comment(3), ';').trimEnd() + ';Хороший ответ, но неполный\r\n', 'windows-1251');
      return [[`marks_badenc_${seq}.csv`, Buffer.concat([utf8, cp1251])]];
    }
    case 'binary':
      return [[`marks_binary_${seq}.csv`, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00])]];
    case 'html-page':
      return [[`marks_html_${seq}.csv`, Buffer.from('<!DOCTYPE html><html><body>Сессия истекла</body></html>', 'utf8')]];
    case 'wrong-school':
      return [[`other_${seq}.xml`, xml('<?xml version="1.0"?>\n<diaryExport xmlns="urn:diary-gateway:intake:v1" school="some-other-school"><subject sourceId="s-y"><title>Черчение</title></subject></diaryExport>\n')]];
    case 'partial-upload':
      return [[`marks_partial_${seq}.csv.part`, encodeText(MARK_COLUMNS.join(';') + '\r\n', 'windows-1251')]];
    default:
      return [];
  }
}

export const FILE_FAULT_NAMES = ['billion-laughs', 'external-entity', 'bad-encoding', 'binary', 'html-page', 'wrong-school', 'partial-upload'] as const;

export const fileExportSimulator: SimulatorFactory = {
  system: 'file',
  title: 'File intake: a temporary inbox with a demo export (CSV windows-1251/UTF-8, XML)',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const today = now().toISOString().slice(0, 10);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-file-sim-'));
    const inbox = path.join(root, 'inbox');
    fs.mkdirSync(inbox);
    writeDemoExport(inbox, opts.seed ?? 7, today);
    let seq = 0;
    let live: NodeJS.Timeout | undefined;
    if (opts.live) {
      live = setInterval(() => {
        seq++;
        const rows = [markRow(100_000 + seq, today, { sourceId: `live-mk-${seq}`, 'value.raw': '4', 'value.numeric': '4' })];
        dropFile(inbox, `marks_live_${seq}.csv`, encodeText(MARK_COLUMNS.join(';') + '\r\n' + rows.map((r) => csvLine(MARK_COLUMNS, r, ';')).join(''), 'windows-1251'));
      }, 5000);
      live.unref();
    }
    opts.log?.info('file simulator started', { inbox });
    return {
      system: 'file',
      url: pathToFileURL(inbox).href,
      credentials: { inbox },
      env: { DIARY_SIM_FILE_INBOX: inbox },
      faultKinds: ['malformed', 'shape-change', 'custom', 'clear'],
      inject(fault: FaultSpec): void {
        seq++;
        for (const [name, bytes] of faultFiles(fault, today, seq)) {
          if (name.endsWith('.part')) fs.writeFileSync(path.join(inbox, name), bytes);
          else dropFile(inbox, name, bytes);
        }
      },
      async close(): Promise<void> {
        if (live) clearInterval(live);
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  },
};
