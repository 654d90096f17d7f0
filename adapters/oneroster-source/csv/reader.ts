import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { GatewayError } from '../../../src/core/errors';
import { COLLECTIONS } from '../collections';
import { isFutureCursor, isoUtc, MaxSeen } from '../cursor';
import { readStreamObjects, streamDef, type ReadEnv } from '../readers';
import { Lookups } from '../source';
import type { ResolvedOneRosterConfig } from '../spec';
import { listPackages, packageSources, type CsvPackage } from './package';

/** Cursor position of a package: `<folder name>@<fingerprint>`. */
export const packageCursor = (p: CsvPackage): string => `${p.name}@${p.fingerprint}`;

function csvPathOf(cfg: ResolvedOneRosterConfig): string {
  if (!cfg.csvPath) throw new GatewayError('GW_CONFIG_INVALID', 'OneRoster CSV mode needs csvPath');
  return cfg.csvPath;
}

/** Which packages a read takes: an inbox, those after the cursor's; one package, when it changed. */
function pending(pkgs: readonly CsvPackage[], from: Cursor | null, inbox: boolean): number[] {
  const last = from?.position;
  const lastName = last !== undefined ? last.slice(0, last.lastIndexOf('@') < 0 ? last.length : last.lastIndexOf('@')) : undefined;
  return pkgs.flatMap((p, i) => {
    if (last === undefined) return [i];
    if (!inbox) return packageCursor(p) === last ? [] : [i];
    return p.name > (lastName as string) ? [i] : [];
  });
}

/**
 * CSV mode of a stream: every package not yet taken in, oldest first, each read whole (its file
 * of this stream, bulk or delta; tobedeleted rows become tombstones) with the lookups of the state
 * as of that package, then a checkpoint naming the package.
 */
export async function* readCsv(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { ctx, cfg, stream } = env;
  if (isFutureCursor(from, ctx.now())) return;
  const signpost = isoUtc(ctx.now().getTime());
  const dir = csvPathOf(cfg);
  const pkgs = await listPackages(dir);
  const inbox = !(pkgs.length === 1 && pkgs[0]?.dir === dir);
  const def = streamDef(stream);
  if (!def) return;
  for (const i of pending(pkgs, from, inbox)) {
    if (ctx.signal.aborted) return;
    const pkg = pkgs[i] as CsvPackage;
    const { data, history } = packageSources(pkgs, i);
    const mode = pkg.manifest.files[COLLECTIONS[def.collection].csvFile] ?? 'absent';
    const plan = { data, history, delta: mode !== 'bulk', lookups: new Lookups(history, ctx.log) };
    ctx.log.debug('oneroster csv package', { stream, package: pkg.name, mode });
    yield* readStreamObjects(env, plan, new MaxSeen());
    yield { kind: 'checkpoint', stream, cursor: { v: 1, position: packageCursor(pkg), signpost } };
  }
}

/** `check` in CSV mode: the folder is there and every package's manifest reads. */
export async function checkCsv(cfg: ResolvedOneRosterConfig): Promise<Record<string, string | number>> {
  const pkgs = await listPackages(csvPathOf(cfg));
  const last = pkgs[pkgs.length - 1];
  return { packages: pkgs.length, ...(last ? { latest: last.name } : {}), ...(last?.manifest.systemName ? { sourceSystem: last.manifest.systemName } : {}) };
}
