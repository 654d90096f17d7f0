/**
 * The explicit registry of adapters and simulators. Adding an adapter means adding a line
 * here; a test checks that every `adapters/*` folder is registered and the reverse.
 * No dynamic require: what runs is what is listed.
 */
import type { AdapterSpec, SinkAdapter, SourceAdapter } from '../core/adapter';
import type { SimulatorFactory } from '../core/simulator';
import { smsGatewaySimulator } from '../families/sms/simulator';
import { dnevnikSimulator, dnevnikSource } from '../../adapters/dnevnik-source';
import { eljurSimulator, eljurSource } from '../../adapters/eljur-source';
import { fileExportSimulator, fileSource } from '../../adapters/file-source';
import { meshSimulator, meshSource } from '../../adapters/mesh-source';
import { netschoolSimulator, netschoolSource } from '../../adapters/netschool-source';
import { oneRosterSimulator, oneRosterSource } from '../../adapters/oneroster-source';
import { oneRosterConsumerSimulator, oneRosterSink } from '../../adapters/oneroster-sink';
import { pushSource } from '../../adapters/push-source';
import { restPortalSimulator, restPortalSink } from '../../adapters/rest-portal-sink';
import { smev3Simulator, smev3Sink } from '../../adapters/smev3-sink';

// The registry is heterogeneous in config types; each adapter validates its own config.
/* eslint-disable @typescript-eslint/no-explicit-any */
export const SOURCES: Readonly<Record<string, SourceAdapter<any>>> = {
  'netschool-source': netschoolSource,
  'mesh-source': meshSource,
  'eljur-source': eljurSource,
  'dnevnik-source': dnevnikSource,
  'push-source': pushSource,
  'oneroster-source': oneRosterSource,
  'file-source': fileSource,
};

export const SINKS: Readonly<Record<string, SinkAdapter<any>>> = {
  'rest-portal-sink': restPortalSink,
  'smev3-sink': smev3Sink,
  'oneroster-sink': oneRosterSink,
};

export const SIMULATORS: Readonly<Record<string, SimulatorFactory>> = {
  netschool: netschoolSimulator,
  mesh: meshSimulator,
  eljur: eljurSimulator,
  'dnevnik-ru': dnevnikSimulator,
  'rest-portal': restPortalSimulator,
  smev3: smev3Simulator,
  oneroster: oneRosterSimulator,
  file: fileExportSimulator,
  'sms-gateway': smsGatewaySimulator,
  'oneroster-consumer': oneRosterConsumerSimulator,
};

/** Folder name under adapters/ of every registered adapter (for the registry test). */
export const ADAPTER_FOLDERS: readonly string[] = [...Object.keys(SOURCES), ...Object.keys(SINKS)];

export function specOf(adapterId: string): AdapterSpec | undefined {
  return SOURCES[adapterId]?.spec ?? SINKS[adapterId]?.spec;
}
