import type { LedgerStats } from '../core/ledger';
import { createIntakeApp } from '../http/intake-app';
import { startAdminServer } from '../http/server';
import { createApp } from '../http/app';
import type { Gateway } from '../runtime/gateway';
import { EXIT, reportError } from './output';
import { adminTokens, createGateway, makeLogger, onStopSignal, readValidatedConfig } from './context';

function summaryLine(gw: Gateway, s: LedgerStats): string {
  let taken = 0; let quarantined = 0; let failedRuns = 0;
  for (const r of gw.runners) {
    if (!r.lastRun) continue;
    taken += r.lastRun.counts.inserted + r.lastRun.counts.updated;
    if (r.lastRun.status === 'failed') failedRuns++;
  }
  quarantined = s.quarantineOpen;
  const d = s.deliveries;
  const queued = d.pending + d.retry_wait + d.in_flight;
  return `records in ledger ${s.records} (last runs: +${taken}) · delivered ${d.delivered} · queued ${queued} · `
    + `dead ${d.dead} · rejected ${d.rejected} · quarantined ${quarantined}${failedRuns ? ` · failed sources ${failedRuns}` : ''}`;
}

/**
 * `diary-gateway run`: the long-running service. Prints a short summary to stdout (logs go
 * to stderr), serves the admin API, and on SIGINT/SIGTERM stops intake, lets the batch in
 * flight finish and closes the ledger.
 */
export async function runCommand(configPath: string, o: { simulators: boolean; summaryEverySec: number }): Promise<number> {
  let level = 'info'; let format: 'json' | 'pretty' = 'json';
  try {
    const c = readValidatedConfig(configPath);
    level = c.gateway.logLevel; format = c.gateway.logFormat;
  } catch (e) {
    return reportError(e, false);
  }
  const logger = makeLogger(level, format);
  const out = (s: string): void => { process.stdout.write(`[diary-gateway] ${s}\n`); };
  // Taken over before start-up: Ctrl-C while simulators start or the ledger migrates, or right
  // after the banner, then stops gracefully instead of killing the process with the ledger open.
  const stop = onStopSignal();
  let gw: Gateway | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let intakeServer: { url: string; close(): Promise<void> } | undefined;
  try {
    gw = await createGateway(configPath, logger, o.simulators);
    const g = gw;
    out(`config ${configPath}: ${g.config.schools.length} school(s), ${g.runners.length} source(s), ${g.workers.size} sink(s); ledger ${g.config.gateway.ledger.path}`);
    for (const sim of g.simulators) out(`simulator ${sim.system} at ${sim.url}`);
    if (g.config.gateway.admin.enabled) {
      const { tokens, generatedFile } = adminTokens(g.config);
      logger.addSecrets(tokens);
      const app = createApp({
        ledger: g.ledger, metrics: g.metrics, tokens, log: logger.log,
        onHoldDecided: () => { for (const w of g.workers.values()) w.poke(); },
        consentStore: g.families.store,
        ...(g.sla ? { sla: g.sla } : {}),
        onConsentRequeued: () => { for (const w of g.workers.values()) w.poke(); },
        upload: g.uploadDeps(2 * 1024 ** 3),
        runtime: {
          ready: () => g.ready(),
          sources: () => g.runners.map((r) => ({
            schoolId: r.inst.schoolId, ...(r.inst.schoolName ? { schoolName: r.inst.schoolName } : {}), sourceInstance: r.inst.instanceId,
            adapter: r.inst.adapterId, ...(r.inst.schedule ? { schedule: r.inst.schedule } : {}),
            ...(g.scheduler.nextRunAt(r) ? { nextRunAt: g.scheduler.nextRunAt(r) } : {}),
            running: r.running, healthy: r.healthy, ...(r.lastError ? { lastError: r.lastError } : {}),
          })),
        },
      });
      const srv = await startAdminServer(app, { host: g.config.gateway.admin.host, port: g.config.gateway.admin.port });
      server = srv;
      out(`admin API ${srv.url} (health ${srv.url}/healthz, metrics ${srv.url}/metrics, API ${srv.url}/api/v1/schools)`);
      out(generatedFile ? `admin API token: in ${generatedFile} (set ${g.config.gateway.admin.tokensEnv} to choose your own)` : `admin API tokens from ${g.config.gateway.admin.tokensEnv}`);
    }
    const intake = g.intakeDeps();
    if (intake) {
      const f = g.config.gateway.fgis;
      if (f.enabled) logger.addSecrets([process.env[f.signingKeyEnv] ?? '', ...(process.env[f.clientsEnv] ?? '').split(',').map((p) => p.slice(p.indexOf(':') + 1))].filter((x) => x.length > 0));
      const srv = await startAdminServer(createIntakeApp(intake), { host: g.config.gateway.intake.host, port: g.config.gateway.intake.port });
      intakeServer = srv;
      out(`intake ${srv.url}${intake.push ? ` (push: ${srv.url}/intake/v1/schools/<school>/sources/<source>/records)` : ''}${intake.fgis ? ` (ФГИС pull: ${srv.url}${g.config.gateway.fgis.basePath}/Schedule/<ЕСИА id>)` : ''}`);
    }
    const { initialSyncs } = stop.signal ? { initialSyncs: Promise.resolve() } : g.start();
    if (!stop.signal) out('syncing at start, then on schedule; Ctrl-C stops (graceful: finishes the batch in flight)');
    void initialSyncs.then(async () => {
      if (stop.signal) return;
      for (const r of g.runners) {
        const s = r.lastRun;
        if (s) out(`${r.inst.schoolId}/${r.inst.instanceId}: ${s.status} — read ${s.counts.read}, new ${s.counts.inserted}, changed ${s.counts.updated}, quarantined ${s.counts.quarantined}${s.error ? `; ${s.error.code}: ${s.error.message} — ${s.error.remedy}` : ''}`);
      }
      // Give the delivery workers a moment so the first summary shows deliveries.
      await new Promise((r) => setTimeout(r, 1500));
      if (g.ready()) out(summaryLine(g, await g.ledger.stats()));
    }).catch(() => undefined); // a Ctrl-C during the pause closes the ledger under stats(): not worth a crash
    const timer = o.summaryEverySec > 0 ? setInterval(() => {
      if (g.ready()) void g.ledger.stats().then((s) => out(summaryLine(g, s))).catch(() => undefined);
    }, o.summaryEverySec * 1000) : undefined;
    const sig = await stop.received;
    out(`${sig}: stopping intake, finishing the batch in flight… (Ctrl-C again forces)`);
    if (timer) clearInterval(timer);
    await intakeServer?.close();
    await server?.close();
    await g.stop();
    out('stopped; ledger closed');
    await logger.close();
    return EXIT.ok;
  } catch (e) {
    await intakeServer?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await gw?.stop().catch(() => undefined);
    const code = reportError(e, false);
    await logger.close();
    return code;
  } finally {
    stop.dispose();
  }
}
