/**
 * The file upload endpoint against a real express app on loopback (supertest), writing into real
 * temporary inbox folders; the last case takes the uploaded file in through the file source and
 * the real pipeline.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import iconv from 'iconv-lite';
import request from 'supertest';
import type { Logger } from '../../src/core/logger';
import { nullLogger } from '../../src/core/logger';
import { createUploadRouter, safeUploadName, type UploadDeps } from '../../src/http/upload-routes';
import { createFileSource } from '../../adapters/file-source';
import { ingestAll, makeContext, tmpDir, tmpLedger } from '../support/harness';

const CSV = 'sourceId;kind;studentId;subjectId;value.scale;value.raw;value.numeric;markStatus;date;markedAt\r\n'
  + 'mk-1;current;st-1;s-math;five_point;5;5;graded;14.10.2025;14.10.2025 10:10\r\n'
  + 'mk-2;current;st-2;s-rus;five_point;4;4;graded;14.10.2025;14.10.2025 11:05\r\n';
const CSV_1251 = iconv.encode(CSV.replace('s-rus', 's-русский'), 'win1251');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Setup { app: express.Express; root: string; inbox: string; triggers: string[]; deps: UploadDeps; warnings: string[] }

function setup(maxBytes = 64 * 1024): Setup {
  const root = tmpDir('dgw-upload-');
  const inbox = path.join(root, 'inbox');
  fs.mkdirSync(inbox);
  const triggers: string[] = [];
  const warnings: string[] = [];
  const log: Logger = { ...nullLogger, warn: (m) => { warnings.push(m); }, child: () => log };
  const deps: UploadDeps = {
    inboxOf: (s, i) => (s === 'school-7' && i === 'files' ? inbox : undefined),
    trigger: (s, i) => { triggers.push(`${s}/${i}`); },
    maxBytes, log,
  };
  const app = express();
  app.use('/api/v1', createUploadRouter(deps));
  return { app, root, inbox, triggers, deps, warnings };
}

const url = (name: string, school = 'school-7', inst = 'files'): string => `/api/v1/intake/files/${school}/${inst}/${name}`;
const inboxNames = (s: Setup): string[] => fs.readdirSync(s.inbox).sort();

/** Sends `total` bytes chunked (no Content-Length) and returns the status (the server may cut the upload short). */
async function sendChunked(app: express.Express, pathName: string, total: number, type: string): Promise<number> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: pathName, method: 'PUT', headers: { 'content-type': type, 'transfer-encoding': 'chunked' } });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', (e) => reject(e));
      let sent = 0;
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('upload endpoint PUT /intake/files/:schoolId/:instanceId/:fileName', () => {
  it('streams the body into the inbox under its name, answers 202 {file, bytes, sha256} and asks for a sync', async () => {
    const s = setup();
    const res = await request(s.app).put(url('marks_2025-10.csv')).set('Content-Type', 'text/csv; charset=windows-1251').send(CSV_1251);
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { file: 'marks_2025-10.csv', bytes: CSV_1251.length, sha256: sha(CSV_1251) });
    assert.deepEqual(inboxNames(s), ['marks_2025-10.csv']);
    assert.deepEqual(fs.readFileSync(path.join(s.inbox, 'marks_2025-10.csv')), CSV_1251);
    assert.deepEqual(s.triggers, ['school-7/files']);
  });

  it('never overwrites a file still waiting in the inbox: the second upload of a name gets name_2', async () => {
    const s = setup();
    await request(s.app).put(url('persons.csv')).set('Content-Type', 'text/csv').send(Buffer.from('first')).expect(202);
    const res = await request(s.app).put(url('persons.csv')).set('Content-Type', 'text/csv').send(Buffer.from('second')).expect(202);
    assert.equal(res.body.file, 'persons_2.csv');
    assert.equal(fs.readFileSync(path.join(s.inbox, 'persons.csv'), 'utf8'), 'first');
    assert.equal(fs.readFileSync(path.join(s.inbox, 'persons_2.csv'), 'utf8'), 'second');
    assert.equal(s.triggers.length, 2);
  });

  it('accepts XML as application/xml and keeps Cyrillic file names', async () => {
    const s = setup();
    const xml = Buffer.from('<diaryExport xmlns="urn:diary-gateway:intake:v1"/>');
    const res = await request(s.app).put(url(encodeURIComponent('расписание 5А.xml'))).set('Content-Type', 'application/xml').send(xml);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.file, 'расписание 5А.xml');
    assert.deepEqual(inboxNames(s), ['расписание 5А.xml']);
  });

  it('answers 404 for an unknown school or source instance and stores nothing', async () => {
    const s = setup();
    for (const u of [url('marks.csv', 'school-8'), url('marks.csv', 'school-7', 'netschool')]) {
      const res = await request(s.app).put(u).set('Content-Type', 'text/csv').send(Buffer.from(CSV));
      assert.equal(res.status, 404);
      assert.equal(res.type, 'application/problem+json');
      assert.equal(JSON.parse(res.text).code, 'GW_SCHOOL_UNKNOWN');
    }
    assert.deepEqual(inboxNames(s), []);
    assert.deepEqual(s.triggers, []);
  });

  it('refuses path traversal and names the intake would ignore with 400, writing nothing anywhere', async () => {
    const s = setup();
    const bad = ['..%2F..%2Fevil.csv', '..%5Cevil.csv', '%2e%2e%2fevil.csv', '.hidden.csv', 'marks.csv.part', 'marks.exe', 'a%00b.csv', '~%24lock.csv'];
    for (const name of bad) {
      const res = await request(s.app).put(url(name)).set('Content-Type', 'text/csv').send(Buffer.from(CSV));
      assert.equal(res.status, 400, name);
      assert.equal(JSON.parse(res.text).issues[0].path, '/params/fileName', name);
    }
    assert.deepEqual(inboxNames(s), []);
    assert.deepEqual(fs.readdirSync(s.root), ['inbox']);
    assert.deepEqual(s.triggers, []);
    assert.ok('issue' in safeUploadName('../x.csv') && 'issue' in safeUploadName('x/y.csv') && 'issue' in safeUploadName('x.CSV.bak'));
    assert.deepEqual(safeUploadName('Оценки 5А (октябрь).CSV'), { name: 'Оценки 5А (октябрь).CSV', format: 'csv' });
  });

  it('answers 415 for a missing or wrong content type', async () => {
    const s = setup();
    const cases: Array<[string, string | undefined]> = [['marks.csv', 'application/json'], ['marks.csv', undefined], ['t.xml', 'text/csv'], ['marks.csv', 'multipart/form-data; boundary=x']];
    for (const [name, type] of cases) {
      const r = request(s.app).put(url(name));
      const res = await (type ? r.set('Content-Type', type) : r).send(Buffer.from(CSV));
      assert.equal(res.status, 415, `${name} ${type}`);
      assert.equal(JSON.parse(res.text).issues[0].path, '/headers/content-type');
    }
    assert.deepEqual(inboxNames(s), []);
  });

  it('answers 413 from Content-Length at once, and while streaming a chunked body, leaving no partial file', async () => {
    const s = setup(64 * 1024);
    const res = await request(s.app).put(url('marks.csv')).set('Content-Type', 'text/csv').send(Buffer.alloc(64 * 1024 + 1, 0x61));
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.text).issues[0].path, '/body');
    const status = await sendChunked(s.app, url('marks.csv'), 1024 * 1024, 'text/csv');
    assert.equal(status, 413);
    assert.deepEqual(inboxNames(s), []);
    assert.deepEqual(s.triggers, []);
    // Exactly the limit is fine.
    await request(s.app).put(url('marks.csv')).set('Content-Type', 'text/csv').send(Buffer.alloc(64 * 1024, 0x61)).expect(202);
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    const s = setup(10 * 1024 * 1024);
    const server = http.createServer(s.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const req = http.request({ host: '127.0.0.1', port, path: url('marks.csv'), method: 'PUT', headers: { 'content-type': 'text/csv', 'content-length': String(1024 * 1024) } });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(32 * 1024, 0x61));
      // Wait until the server has created the .part file, then hang up.
      while (!inboxNames(s).some((n) => n.endsWith('.part'))) await new Promise((r) => setImmediate(r));
      req.destroy();
      while (!s.warnings.includes('upload aborted by the client')) await new Promise((r) => setImmediate(r));
      assert.deepEqual(inboxNames(s), []);
      assert.deepEqual(s.triggers, []);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('an uploaded windows-1251 CSV is taken in by the file source through the real pipeline', async () => {
    const s = setup();
    await request(s.app).put(url('marks_upload.csv')).set('Content-Type', 'text/csv').send(CSV_1251).expect(202);
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, createFileSource(), makeContext({ inbox: s.inbox, settleMs: 0 }, { system: 'file' }));
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.inserted, 2);
      assert.equal(r.counts.quarantined, 0);
    } finally { await ledger.close(); }
  });
});
