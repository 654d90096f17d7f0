import { GatewayError } from '../core/errors';
import { SIMULATORS } from '../runtime/registry';
import { onStopSignal } from './context';
import { EXIT, printJson, reportError } from './output';

/** `diary-gateway simulate <system>`: one simulator, standalone, until Ctrl-C. */
export async function simulateCommand(system: string, o: { port: number; host: string; seed?: number; live: boolean; json: boolean }): Promise<number> {
  // Before listening and printing the banner, so a Ctrl-C right after the banner still closes cleanly.
  const stop = onStopSignal();
  try {
    const factory = SIMULATORS[system];
    if (!factory) throw new GatewayError('GW_ADAPTER_UNKNOWN', `unknown simulator ${system}; known: ${Object.keys(SIMULATORS).join(', ')}`);
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new GatewayError('GW_API_BAD_REQUEST', `--port must be 0..65535`);
    const h = await factory.start({ port: o.port, host: o.host, ...(o.seed !== undefined ? { seed: o.seed } : {}), live: o.live });
    if (o.json) {
      printJson({ system: h.system, url: h.url, credentials: h.credentials, env: h.env, faults: h.faultKinds });
    } else {
      process.stdout.write(`${factory.title} simulator listening at ${h.url}\n`);
      process.stdout.write(`demo credentials:\n${Object.entries(h.credentials).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
      process.stdout.write(`for a gateway config:\n${Object.entries(h.env).map(([k, v]) => `  export ${k}='${v}'`).join('\n')}\n`);
      process.stdout.write(`inject faults: curl -X POST ${h.url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"status","status":503,"count":3}'\n`);
      process.stdout.write(`fault kinds: ${h.faultKinds.join(', ')}\nCtrl-C stops it.\n`);
    }
    await stop.received;
    await h.close();
    return EXIT.ok;
  } catch (e) {
    return reportError(e, o.json);
  } finally {
    stop.dispose();
  }
}
