/**
 * Watching the inbox (`SourceAdapter.watch`): fs.watch events are debounced (a copy in progress
 * keeps producing events, so the run is asked for once it has gone quiet), and a run is asked
 * for only when an event names a file that is there and could be read: uploads write
 * `<name>.part` and rename it, and `.part`, dotfiles and the like never trigger; neither do the
 * events of files the intake itself moves away. A missing inbox is not an error here (`check`
 * reports it): watching is retried until the folder exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isIgnoredName } from './inbox';

export interface WatchOptions {
  inbox: string;
  debounceMs: number;
  /** Retry interval while the inbox cannot be watched (default 5 s). */
  retryMs?: number;
  /** Called after each check with the names looked at and whether a run was asked for (tests, debug logs). */
  onCheck?(names: ReadonlyArray<string | null>, notified: boolean): void;
}

export function watchInbox(o: WatchOptions, notify: () => void): { close(): void } {
  let watcher: fs.FSWatcher | undefined;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  /** Names seen since the last check; `null` when an event came without a name. */
  let names = new Set<string | null>();

  const timer = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  };

  const isFile = async (name: string): Promise<boolean> => {
    try {
      return (await fs.promises.stat(path.join(o.inbox, name))).isFile();
    } catch {
      return false;
    }
  };

  const check = async (): Promise<void> => {
    const seen = [...names];
    names = new Set();
    let any = false;
    for (const n of seen) {
      if (n === null) {
        const entries = await fs.promises.readdir(o.inbox, { withFileTypes: true }).catch(() => []);
        any = entries.some((e) => e.isFile() && !isIgnoredName(e.name));
      } else {
        any = await isFile(n);
      }
      if (any) break;
    }
    if (any && !closed) notify();
    o.onCheck?.(seen, any && !closed);
  };

  const onEvent = (_type: string, filename: string | Buffer | null): void => {
    const name = filename === null ? null : path.basename(filename.toString());
    if (name !== null && isIgnoredName(name)) return;
    names.add(name);
    clearTimeout(debounce);
    debounce = timer(o.debounceMs, () => { void check(); });
  };

  let attempts = 0;
  const start = (): void => {
    if (closed) return;
    const again = attempts++ > 0;
    try {
      watcher = fs.watch(o.inbox, { persistent: false }, onEvent);
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
        if (!closed) retry = timer(o.retryMs ?? 5000, start);
      });
      // Files that arrived while nobody could watch (at start-up the runtime syncs anyway).
      if (again) onEvent('rename', null);
    } catch {
      retry = timer(o.retryMs ?? 5000, start);
    }
  };

  start();
  return {
    close(): void {
      closed = true;
      watcher?.close();
      clearTimeout(debounce);
      clearTimeout(retry);
    },
  };
}
