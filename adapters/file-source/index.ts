import type { CheckResult, SourceAdapter, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { ENTITY_TYPES } from '../../src/core/records';
import { listInbox } from './inbox';
import { assertFolder, FILES_STREAM, readFiles } from './read';
import { FILE_SPEC, resolveConfig, type FileSourceConfig } from './spec';
import { watchInbox } from './watch';

export { fileExportSimulator } from './simulator';
export { FILE_CONFIG_SCHEMA, FILE_SPEC, resolveConfig, type FileSourceConfig } from './spec';

export const FILE_STREAMS: readonly StreamSpec[] = [
  {
    name: FILES_STREAM, entities: ENTITY_TYPES, cursorField: 'file',
    description: 'Every complete CSV/XML export in the inbox, oldest first; cursor = files taken in (archived on the next read) and the offset inside a big file.',
  },
];

/**
 * Builds a file source. The instance remembers the `watch` subscribers of each inbox, so a read
 * that finished files can ask for one more run: the next read is what archives them, once the
 * cursor that lists them is committed.
 */
export function createFileSource(): SourceAdapter<FileSourceConfig> {
  const watchers = new Map<string, Set<() => void>>();

  return {
    spec: FILE_SPEC,
    streams: FILE_STREAMS,

    async check(ctx): Promise<CheckResult> {
      try {
        const cfg = resolveConfig(ctx.config);
        await assertFolder(cfg.inbox, ctx.schoolId, 'inbox folder');
        const files = await listInbox(cfg.inbox, ctx.now().getTime(), cfg.settleMs);
        return { ok: true, details: { files: files.length, settling: files.filter((f) => f.fresh).length } };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    read(ctx, stream, from): AsyncIterable<SourceMessage> {
      if (stream !== FILES_STREAM) return failing(new GatewayError('GW_CONFIG_INVALID', `file-source has no stream ${stream}`));
      const cfg = resolveConfig(ctx.config);
      return readFiles({
        ctx, cfg,
        onFilesFinished: () => { for (const n of watchers.get(cfg.inbox) ?? []) n(); },
      }, from);
    },

    watch(config, notify) {
      const cfg = resolveConfig(config);
      let set = watchers.get(cfg.inbox);
      if (!set) { set = new Set(); watchers.set(cfg.inbox, set); }
      set.add(notify);
      const w = watchInbox({ inbox: cfg.inbox, debounceMs: cfg.debounceMs }, notify);
      return {
        close(): void {
          w.close();
          set.delete(notify);
        },
      };
    },
  };
}

// eslint-disable-next-line require-yield
async function* failing(e: GatewayError): AsyncGenerator<SourceMessage> {
  throw e;
}

/** The registered file source. */
export const fileSource: SourceAdapter<FileSourceConfig> = createFileSource();
