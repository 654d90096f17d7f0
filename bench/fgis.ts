/**
 * `node dist/bench/fgis.js` (part of `npm run bench`) — the ФГИС «Моя школа» pull API at a
 * realistic school size, in a real SQLite ledger file:
 *  (e) `GET /Schedule/{ЕСИА id}` for one student's default window (previous, current and next
 *      week) over loopback HTTP: requests/s and p50/p95 latency, sequential, keep-alive; the same
 *      answer built in-process (buildSchedule + recordServed); and the raw limit in the same run:
 *      a prepared SELECT of exactly the record rows the answer is built from, bodies parsed.
 *  (f) push intake of 1,000 items: the answer's per-item revision lookup, created and unchanged.
 * Options: --fgis-students N (default 1000; 25 per class), --fgis-seconds S (default 3 per
 * measurement), --fgis-without-indexes (the ledger without migration 11, for comparison), --json.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { DEFAULT_ID_NAMESPACE, canonicalId } from '../src/core/ids';
import type { Ledger } from '../src/core/ledger';
import { nullLogger } from '../src/core/logger';
import type { EntityType, MappedRecord } from '../src/core/records';
import { createTokenIssuer } from '../src/http/fgis/oauth';
import { createFgisRouter, defaultWindow } from '../src/http/fgis/routes';
import { buildSchedule } from '../src/http/fgis/schedule';
import { getCanonicalValidator } from '../src/infra/schemas';
import { FGIS_MIGRATION, FGIS_SQL } from '../src/ledger/sqlite/migrations-fgis';
import { latestVersion, MIGRATIONS } from '../src/ledger/sqlite/migrations';
import { SqliteLedger } from '../src/ledger/sqlite/sqlite-ledger';
import { normalizeRecord, type NormalizeContext } from '../src/pipeline/normalize';
import { createPushIntake, type PushItem } from '../src/pipeline/push-intake';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const JSON_OUT = process.argv.includes('--json');
const STUDENTS = arg('--fgis-students', 1000);
const SECONDS = arg('--fgis-seconds', 3);
const PER_CLASS = 25;
const LESSONS_PER_DAY = 6;
const SCHOOL = 'bench-fgis-school';
const SYSTEM = 'bench';
const NOW = new Date('2026-02-11T09:00:00Z'); // a Wednesday in the school year
const YEAR_START = Date.UTC(2025, 8, 1); // Monday 1 September 2025
const YEAR_END = Date.UTC(2026, 4, 29);
const DAY = 86_400_000;
const ESIA_BASE = 1_000_000_000;

const ctx: NormalizeContext = {
  idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: SYSTEM, adapter: 'bench-source', adapterVersion: '1.0.0',
  fetchedAt: NOW.toISOString(),
};
const ref = (entity: EntityType, id: string): string => canonicalId(DEFAULT_ID_NAMESPACE, SYSTEM, SCHOOL, entity, id);
const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
const SLOTS = ['08:30', '09:25', '10:30', '11:35', '12:40', '13:45'];
const end45 = (hhmm: string): string => {
  const m = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) + 45;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
const CATEGORIES = ['absent_illness', 'absent_valid', 'absent_invalid', 'late'];

/** A school year of one school: classes, people, lessons, homework, assessments, marks, attendance. */
function* school(students: number): Generator<MappedRecord> {
  const classes = Math.ceil(students / PER_CLASS);
  const subjects = 12;
  const teachers = Math.ceil(classes * 1.5);
  for (let s = 0; s < subjects; s++) yield { entityType: 'subject', sourceId: `sub${s}`, fields: { title: `Предмет ${s + 1}` } };
  for (let t = 0; t < teachers; t++) {
    yield { entityType: 'person', sourceId: `t${t}`, fields: { roles: ['teacher'], familyName: `Учитель${t}`, givenName: 'Мария', middleName: 'Петровна' } };
  }
  for (let c = 0; c < classes; c++) {
    yield { entityType: 'class_group', sourceId: `c${c}`, fields: { kind: 'class', title: `${1 + (c % 11)}${'абвг'[Math.floor(c / 11) % 4]}`, gradeLevel: 1 + (c % 11) } };
  }
  for (let i = 0; i < students; i++) {
    const c = Math.floor(i / PER_CLASS);
    yield {
      entityType: 'person', sourceId: `s${i}`, fields: { roles: ['student'], familyName: `Ученик${i}`, givenName: 'Пётр' },
      externalIds: [{ type: 'esia-oid', value: String(ESIA_BASE + i) }, { type: 'source-local', value: `s${i}`, issuer: SYSTEM }],
    };
    yield {
      entityType: 'person', sourceId: `g${i}`, fields: { roles: ['guardian'], familyName: `Родитель${i}`, givenName: 'Анна' },
      externalIds: [{ type: 'esia-oid', value: String(ESIA_BASE + 500_000 + i) }],
    };
    yield { entityType: 'guardian_link', sourceId: `gl${i}`, fields: { studentId: ref('person', `s${i}`), guardianId: ref('person', `g${i}`), relation: 'parent', isLegalRepresentative: true } };
    yield { entityType: 'membership', sourceId: `m${i}`, fields: { personId: ref('person', `s${i}`), classGroupId: ref('class_group', `c${c}`), role: 'student', beginDate: iso(YEAR_START) } };
  }
  let n = 0;
  for (let t = YEAR_START; t <= YEAR_END; t += DAY) {
    const dow = new Date(t).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    const date = iso(t);
    for (let c = 0; c < classes; c++) {
      const inClass = Math.min(PER_CLASS, students - c * PER_CLASS);
      for (let slot = 0; slot < LESSONS_PER_DAY; slot++, n++) {
        const sid = `l${c}:${date}:${slot}`;
        const lessonId = ref('lesson', sid);
        const subject = (c + slot + dow) % subjects;
        const subjectId = ref('subject', `sub${subject}`);
        const classGroupId = ref('class_group', `c${c}`);
        const teacher = ref('person', `t${(c + subject) % teachers}`);
        const substituted = n % 20 === 0;
        yield {
          entityType: 'lesson', sourceId: sid, fields: {
            classGroupId, subjectId, date, startTime: SLOTS[slot], endTime: end45(SLOTS[slot] ?? '08:30'), number: slot + 1,
            teacherIds: [substituted ? ref('person', `t${(c + subject + 1) % teachers}`) : teacher], room: String(100 + c),
            state: substituted ? 'substituted' : 'held', topic: `Тема урока ${n % 97}`, ...(substituted ? { replacedTeacherId: teacher } : {}),
          },
        };
        yield {
          entityType: 'homework', sourceId: `h${sid}`, fields: {
            classGroupId, subjectId, text: `Параграф ${n % 40}, упражнения ${n % 300}–${(n % 300) + 3}`, isIndividual: false,
            ...(n % 2 === 0 ? { dueLessonId: lessonId } : { dueDate: date }),
          },
        };
        let assessmentId: string | undefined;
        if (n % 10 === 0) {
          assessmentId = ref('assessment', `a${sid}`);
          yield {
            entityType: 'assessment', sourceId: `a${sid}`, fields: {
              classGroupId, subjectId, lessonId, date, weight: 2, workType: { code: 'control_work', title: 'Контрольная работа' },
            },
          };
        }
        for (let k = 0; k < 3; k++) {
          const st = c * PER_CLASS + ((n * 3 + k) % inClass);
          const v = 2 + ((n + k) % 4);
          yield {
            entityType: 'mark', sourceId: `mk${sid}:${k}`, fields: {
              kind: 'current', studentId: ref('person', `s${st}`), subjectId, lessonId, ...(assessmentId ? { assessmentId } : {}),
              markStatus: 'graded', markedAt: `${date}T10:15:00Z`, value: { scale: 'five_point', raw: String(v), numeric: v }, weight: assessmentId ? 2 : 1,
            },
          };
        }
        for (let k = 0; k < 2; k++) {
          const st = c * PER_CLASS + ((n * 7 + k * 11) % inClass);
          const category = CATEGORIES[(n + k) % CATEGORIES.length] ?? 'late';
          yield { entityType: 'attendance_event', sourceId: `at${sid}:${k}`, fields: { studentId: ref('person', `s${st}`), lessonId, date, code: category === 'late' ? 'О' : 'Н', category } };
        }
      }
    }
  }
}

async function build(ledger: Ledger): Promise<{ records: number; seconds: number; byKind: Record<string, number> }> {
  const byKind: Record<string, number> = {};
  let batch: ReturnType<typeof normalizeRecord>['prepared'][] = [];
  let records = 0;
  let ingestNs = 0n;
  const flush = async (): Promise<void> => {
    const t0 = process.hrtime.bigint();
    await ledger.ingest({ runId: `build-${records}`, schoolId: SCHOOL, sourceInstance: SYSTEM, stream: 'all', records: batch, quarantine: [], routes: [], now: NOW.toISOString() });
    ingestNs += process.hrtime.bigint() - t0;
    batch = [];
  };
  for (const m of school(STUDENTS)) {
    byKind[m.entityType] = (byKind[m.entityType] ?? 0) + 1;
    batch.push(normalizeRecord(m, ctx).prepared);
    records++;
    if (batch.length === 1000) await flush();
  }
  if (batch.length > 0) await flush();
  return { records, seconds: Number(ingestNs) / 1e9, byKind };
}

interface Timing { n: number; perSec: number; p50Ms: number; p95Ms: number }

/** Runs `once` sequentially for about SECONDS (at least 3 times, after 2 warm-up calls). */
async function measure(once: () => Promise<unknown> | unknown): Promise<Timing> {
  for (let i = 0; i < 2; i++) await once();
  const ms: number[] = [];
  const t0 = process.hrtime.bigint();
  while (ms.length < 3 || (Number(process.hrtime.bigint() - t0) / 1e9 < SECONDS && ms.length < 100_000)) {
    const t = process.hrtime.bigint();
    await once();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const total = ms.reduce((a, b) => a + b, 0);
  ms.sort((a, b) => a - b);
  const pct = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(ms.length * p))] ?? 0;
  return { n: ms.length, perSec: (ms.length * 1000) / total, p50Ms: pct(0.5), p95Ms: pct(0.95) };
}

function get(port: number, agent: http.Agent, urlPath: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
}

async function benchPush(ledger: Ledger): Promise<{ createdMs: number; unchangedMs: number; oneByOneMs: number; batchedMs: number }> {
  const intake = createPushIntake({ ledger, validator: getCanonicalValidator(), log: nullLogger, now: () => NOW });
  const items: PushItem[] = [];
  for (let i = 0; i < 1000; i++) {
    const record: MappedRecord = {
      entityType: 'attendance_event', sourceId: `push-at${i}`,
      fields: { studentId: ref('person', `s${i % STUDENTS}`), date: '2026-02-10', code: 'Н', category: 'absent_invalid' },
    };
    items.push({ kind: 'record', record, raw: record });
  }
  const req = {
    schoolId: SCHOOL, sourceInstance: 'push', sourceSystem: SYSTEM, adapter: 'push-source', adapterVersion: '1.0.0',
    idNamespace: DEFAULT_ID_NAMESPACE, routes: [], items,
  };
  const t0 = process.hrtime.bigint();
  const created = await intake.push(req);
  const createdMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (created.summary.created !== 1000 || created.items.some((a) => a.revision === undefined)) throw new Error(`push: ${JSON.stringify(created.summary)}`);
  const again = await measure(async () => {
    const r = await intake.push(req);
    if (r.summary.unchanged !== 1000 || r.items.some((a) => a.revision === undefined)) throw new Error(`push again: ${JSON.stringify(r.summary)}`);
  });
  // The answer's revision lookup alone: one getRecord per item (before) against one query.
  const ids = created.items.map((it) => it.id ?? '');
  const oneByOne = await measure(async () => {
    for (const id of ids) if ((await ledger.getRecord(id))?.revision === undefined) throw new Error('lost a record');
  });
  const batched = await measure(async () => {
    if ((await ledger.currentRevisions?.(ids))?.size !== ids.length) throw new Error('currentRevisions missed records');
  });
  return { createdMs, unchangedMs: again.p50Ms, oneByOneMs: oneByOne.p50Ms, batchedMs: batched.p50Ms };
}

/** Sections (e) and (f); `log` takes the human-readable lines. For run.js or a standalone run. */
export async function benchFgis(log: (line: string) => void): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-bench-fgis-'));
  const file = path.join(dir, 'ledger.sqlite');
  // Migration 11 is applied as the next step while versions 9–10 are not wired yet.
  const indexed = !process.argv.includes('--fgis-without-indexes');
  const wired = MIGRATIONS.some((m) => m.sql === FGIS_SQL);
  const migrations = wired || !indexed ? MIGRATIONS : [...MIGRATIONS, { ...FGIS_MIGRATION, version: latestVersion(MIGRATIONS) + 1 }];
  if (wired && !indexed) throw new Error('--fgis-without-indexes needs a MIGRATIONS list without migration 11');
  const ledger = new SqliteLedger({ path: file, migrations });
  await ledger.migrate();
  const built = await build(ledger);
  log(`(e) ФГИС GET /Schedule: one school, ${STUDENTS.toLocaleString('en')} students, ${Math.ceil(STUDENTS / PER_CLASS)} classes, a school year — `
    + `${built.records.toLocaleString('en')} records (${Object.entries(built.byKind).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')})`);
  log(`    ledger intake of the school (${indexed ? 'with' : 'without'} the lookup indexes of migration 11): ${Math.round(built.records / built.seconds).toLocaleString('en')} records/s`);

  const issuer = createTokenIssuer([{ id: 'fgis', secret: 'bench-secret-0123456789' }], 'bench-signing-key-0123456789', 3600);
  const token = issuer.issue('fgis', 'bench-secret-0123456789', NOW)?.token ?? '';
  const deps = {
    ledger, issuer, accountKey: 'bench-account-key', idNamespace: DEFAULT_ID_NAMESPACE, now: () => NOW,
    schoolInfo: (s: string) => (s === SCHOOL ? { name: 'МБОУ СОШ № 1', timezone: 'Europe/Moscow' } : undefined),
  };
  const app = express();
  app.use('/fgis', createFgisRouter(deps));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const esia = String(ESIA_BASE + Math.floor(STUDENTS / 2));
  const win = defaultWindow(NOW);

  const direct = await buildSchedule(deps, { esiaOid: esia, ...win, now: NOW });
  const served = direct.served.map((s) => s.recordId);
  const lessons = (direct.schedule?.['school'] as Array<{ class: Array<{ lesson: unknown[] }> }> | undefined)?.[0]?.class[0]?.lesson.length ?? 0;
  if (lessons === 0) throw new Error('the bench student has no lessons in the window');
  const first = await get(port, agent, `/fgis/Schedule/${esia}`, token);
  if (first.status !== 200) throw new Error(`GET /Schedule answered ${first.status}: ${first.body.slice(0, 200)}`);
  log(`    one student, default window ${win.start}..${win.end}: ${lessons} lessons, ${served.length} records served, answer ${first.body.length.toLocaleString('en')} B`);

  const viaHttp = await measure(async () => {
    const r = await get(port, agent, `/fgis/Schedule/${esia}`, token);
    if (r.status !== 200) throw new Error(`status ${r.status}`);
  });
  const inProcess = await measure(async () => {
    const r = await buildSchedule(deps, { esiaOid: esia, ...win, now: NOW });
    await ledger.recordServed({ consumer: 'fgis:bench', accountHash: 'x'.repeat(32), windowStart: win.start, windowEnd: win.end, records: r.served, now: NOW.toISOString() });
  });
  // The raw limit: the same rows by primary key, one prepared statement, bodies parsed.
  const db = new Database(file, { readonly: true });
  const rows = db.prepare<[string], { id: string; revision: number; body: string }>(`SELECT r.id, r.revision, v.body FROM records r
    JOIN record_versions v ON v.revision = r.revision WHERE r.id IN (SELECT value FROM json_each(?))`);
  const ids = JSON.stringify(served);
  const raw = await measure(() => {
    const got = rows.all(ids).map((r) => JSON.parse(r.body) as unknown);
    if (got.length !== served.length) throw new Error('raw select missed rows');
  });
  db.close();
  const fmt = (t: Timing): string => `${Math.round(t.perSec).toLocaleString('en')} requests/s, p50 ${t.p50Ms.toFixed(2)} ms, p95 ${t.p95Ms.toFixed(2)} ms (n=${t.n})`;
  log(`    HTTP GET /Schedule (loopback, keep-alive, sequential): ${fmt(viaHttp)}`);
  log(`    in-process buildSchedule + recordServed:              ${fmt(inProcess)}`);
  log(`    raw SELECT of the same ${served.length} rows by id + JSON.parse:     ${fmt(raw)}`);
  log(`    ratio in-process/raw: ${(inProcess.perSec / raw.perSec).toFixed(3)}, HTTP/raw: ${(viaHttp.perSec / raw.perSec).toFixed(3)}`);
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  log('(f) push intake of 1,000 attendance events: answer with the stored revision of each item');
  const push = await benchPush(ledger);
  log(`    whole push: created ${push.createdMs.toFixed(1)} ms; unchanged (repeat) p50 ${push.unchangedMs.toFixed(1)} ms`);
  log(`    revision lookup of the 1,000 answers: one getRecord each p50 ${push.oneByOneMs.toFixed(1)} ms; one query (currentRevisions) p50 ${push.batchedMs.toFixed(2)} ms`);
  await ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const round = (t: Timing): Timing => ({ n: t.n, perSec: Math.round(t.perSec), p50Ms: Number(t.p50Ms.toFixed(3)), p95Ms: Number(t.p95Ms.toFixed(3)) });
  return {
    fgis: {
      students: STUDENTS, records: built.records, intakePerSec: Math.round(built.records / built.seconds), served: served.length,
      http: round(viaHttp), inProcess: round(inProcess), raw: round(raw), ratioInProcess: Number((inProcess.perSec / raw.perSec).toFixed(3)),
      ratioHttp: Number((viaHttp.perSec / raw.perSec).toFixed(3)),
    },
    push: {
      items: 1000, createdMs: Number(push.createdMs.toFixed(1)), unchangedMs: Number(push.unchangedMs.toFixed(1)),
      revisionLookupOneByOneMs: Number(push.oneByOneMs.toFixed(2)), revisionLookupBatchedMs: Number(push.batchedMs.toFixed(2)),
    },
  };
}

async function main(): Promise<void> {
  const result = await benchFgis((line) => { if (!JSON_OUT) process.stdout.write(`${line}\n`); });
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => { process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
}
