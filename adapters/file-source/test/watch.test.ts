/**
 * Watching the inbox with real fs.watch events on a real folder (short debounce). Tests wait for
 * the watcher's own check callback, never for a fixed time.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collect, makeContext, tmpDir } from '../../../test/support/harness';
import { createFileSource } from '../index';
import { isIgnoredName } from '../inbox';
import { dropFile } from '../simulator';
import { watchInbox } from '../watch';

interface Check { names: ReadonlyArray<string | null>; notified: boolean }

/** A watcher whose checks can be awaited one by one. */
function watched(inbox: string, retryMs?: number): { next(): Promise<Check>; notifications: () => number; close(): void } {
  const checks: Check[] = [];
  const waiters: Array<(c: Check) => void> = [];
  let notifications = 0;
  const w = watchInbox({
    inbox, debounceMs: 20, ...(retryMs ? { retryMs } : {}),
    onCheck: (names, notified) => {
      const c = { names, notified };
      const waiter = waiters.shift();
      if (waiter) waiter(c); else checks.push(c);
    },
  }, () => { notifications++; });
  return {
    next: () => { const c = checks.shift(); return c ? Promise.resolve(c) : new Promise<Check>((r) => waiters.push(r)); },
    notifications: () => notifications,
    close: () => w.close(),
  };
}

describe('file source watch', function () {
  this.timeout(20_000);

  it('ignores names of files being written, dotfiles, Office locks and error notes', () => {
    for (const n of ['.marks.csv', 'marks.csv.part', 'marks.csv.3f2a.part', '~$marks.csv', 'marks.tmp', 'x.crdownload', 'marks.csv.error.txt']) assert.equal(isIgnoredName(n), true, n);
    for (const n of ['marks.csv', 'Оценки 5А.csv', 'export.xml', 'partners.csv']) assert.equal(isIgnoredName(n), false, n);
  });

  it('asks for a run when an upload is renamed into place, never for its .part or a dotfile', async () => {
    const inbox = tmpDir('dgw-watch-');
    const w = watched(inbox);
    try {
      fs.writeFileSync(path.join(inbox, '.DS_Store'), 'x');
      fs.writeFileSync(path.join(inbox, 'marks.csv.ab12.part'), 'sourceId;kind\n');
      fs.renameSync(path.join(inbox, 'marks.csv.ab12.part'), path.join(inbox, 'marks.csv'));
      const c = await w.next();
      assert.deepEqual([...new Set(c.names)], ['marks.csv']);
      assert.equal(c.notified, true);
      assert.equal(w.notifications(), 1);
    } finally { w.close(); }
  });

  it('does not ask for a run when a file leaves the inbox (archived by the intake itself)', async () => {
    const inbox = tmpDir('dgw-watch-');
    const out = tmpDir('dgw-watch-out-');
    fs.writeFileSync(path.join(inbox, 'subjects.csv'), 'sourceId,title\n');
    const w = watched(inbox);
    try {
      fs.renameSync(path.join(inbox, 'subjects.csv'), path.join(out, 'subjects.csv'));
      const c = await w.next();
      assert.deepEqual([...new Set(c.names)], ['subjects.csv']);
      assert.equal(c.notified, false);
      assert.equal(w.notifications(), 0);
    } finally { w.close(); }
  });

  it('does not throw for a missing inbox, and starts watching once it exists', async () => {
    const root = tmpDir('dgw-watch-');
    const inbox = path.join(root, 'later');
    const w = watched(inbox, 20);
    try {
      fs.mkdirSync(inbox);
      dropFile(inbox, 'persons.csv', 'sourceId,roles,familyName,givenName\n');
      let c = await w.next();
      while (!c.notified) c = await w.next();
      assert.ok(w.notifications() >= 1);
    } finally { w.close(); }
  });

  it('a read that finished files asks the instance\'s watchers for one more run (that run archives them)', async () => {
    const inbox = tmpDir('dgw-watch-');
    dropFile(inbox, 'subjects.csv', 'sourceId,title\ns-1,Математика\n');
    const adapter = createFileSource();
    let asked = 0;
    const handle = adapter.watch?.({ inbox, debounceMs: 60_000 }, () => { asked++; });
    try {
      const ctx = makeContext({ inbox, settleMs: 0 }, { system: 'file' });
      const msgs = await collect(adapter.read(ctx, 'files', null));
      assert.equal(msgs.filter((m) => m.kind === 'record').length, 1);
      assert.equal(asked, 1);
      const last = msgs[msgs.length - 1];
      await collect(adapter.read(ctx, 'files', last?.kind === 'checkpoint' ? last.cursor : null));
      assert.equal(asked, 1, 'a read that only archived asks for nothing');
      assert.deepEqual(fs.readdirSync(path.join(inbox, 'processed')), ['subjects.csv']);
    } finally { handle?.close(); }
  });
});
