import path from 'node:path';
import type { AdapterSpec } from '../../src/core/adapter';

export const FILE_FORMATS = ['csv', 'xml'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const ENCODINGS = ['auto', 'utf-8', 'windows-1251'] as const;
export type EncodingChoice = (typeof ENCODINGS)[number];

/** Config of one file-source instance (validated against `FILE_CONFIG_SCHEMA`). */
export interface FileSourceConfig {
  /** Folder the exports arrive in (watched; uploads land here). Relative paths resolve against the working directory. */
  inbox: string;
  /** Where a file goes once its records are committed (default `<inbox>/processed`). */
  archive?: string;
  /** Where a file that cannot be taken in at all goes, with `<name>.error.txt` (default `<inbox>/failed`). */
  failed?: string;
  /** `auto`: BOM → UTF-8; valid UTF-8 → UTF-8; else windows-1251 (XML: the declaration wins). */
  encoding?: EncodingChoice;
  /** Formats taken in (default both); a file of another format goes to `failed`. */
  formats?: FileFormat[];
  /** Larger files go to `failed` unread (default 4 GiB). */
  maxFileBytes?: number;
  /** A checkpoint every this many records inside a file (default 20000), besides one after each file. */
  checkpointEvery?: number;
  /** Files changed less than this long ago are left for the next run: they may still be copied in (default 2000). */
  settleMs?: number;
  /** `watch`: quiet time after the last change before a run is asked for (default 1000). */
  debounceMs?: number;
  /** `;`, `,` or `auto` (from the header row; default). */
  csvDelimiter?: 'auto' | ';' | ',';
  /** UTC offset for date-times written without one (`DD.MM.YYYY HH:MM`), default `+03:00`. */
  utcOffset?: string;
  /** Accepted value of the XML `school` attribute besides the gateway school id (e.g. the journal's school code). */
  schoolCode?: string;
}

export const FILE_DEFAULTS = {
  encoding: 'auto' as EncodingChoice,
  formats: [...FILE_FORMATS] as FileFormat[],
  maxFileBytes: 4 * 1024 ** 3,
  checkpointEvery: 20_000,
  settleMs: 2000,
  debounceMs: 1000,
  csvDelimiter: 'auto' as const,
  utcOffset: '+03:00',
};

/** JSON Schema (draft 2020-12) of `FileSourceConfig`. Nothing secret. */
export const FILE_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/file-source.config.schema.json',
  title: 'File intake (watched folder and upload endpoint for CSV/XML exports)',
  type: 'object',
  additionalProperties: false,
  required: ['inbox'],
  properties: {
    inbox: { type: 'string', minLength: 1, description: 'Folder the exports arrive in.' },
    archive: { type: 'string', minLength: 1, description: 'Committed files are moved here (default <inbox>/processed).' },
    failed: { type: 'string', minLength: 1, description: 'Rejected files are moved here with <name>.error.txt (default <inbox>/failed).' },
    encoding: { enum: [...ENCODINGS], default: FILE_DEFAULTS.encoding },
    formats: { type: 'array', items: { enum: [...FILE_FORMATS] }, minItems: 1, uniqueItems: true },
    maxFileBytes: { type: 'integer', minimum: 1, default: FILE_DEFAULTS.maxFileBytes },
    checkpointEvery: { type: 'integer', minimum: 100, maximum: 10_000_000, default: FILE_DEFAULTS.checkpointEvery },
    settleMs: { type: 'integer', minimum: 0, maximum: 3_600_000, default: FILE_DEFAULTS.settleMs },
    debounceMs: { type: 'integer', minimum: 0, maximum: 600_000, default: FILE_DEFAULTS.debounceMs },
    csvDelimiter: { enum: ['auto', ';', ','], default: FILE_DEFAULTS.csvDelimiter },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: FILE_DEFAULTS.utcOffset },
    schoolCode: { type: 'string', minLength: 1, maxLength: 128 },
  },
};

export const FILE_SPEC: AdapterSpec = {
  id: 'file-source',
  system: 'file',
  version: '1.0.0',
  kind: 'source',
  title: 'File intake (CSV/XML exports)',
  configSchema: FILE_CONFIG_SCHEMA,
};

export interface ResolvedFileConfig {
  inbox: string;
  archive: string;
  failed: string;
  encoding: EncodingChoice;
  formats: readonly FileFormat[];
  maxFileBytes: number;
  checkpointEvery: number;
  settleMs: number;
  debounceMs: number;
  csvDelimiter: 'auto' | ';' | ',';
  utcOffset: string;
  schoolCode?: string;
}

/** Defaults filled in and folders made absolute. */
export function resolveConfig(c: Readonly<FileSourceConfig>): ResolvedFileConfig {
  const inbox = path.resolve(c.inbox);
  return {
    inbox,
    archive: path.resolve(c.archive ?? path.join(inbox, 'processed')),
    failed: path.resolve(c.failed ?? path.join(inbox, 'failed')),
    encoding: c.encoding ?? FILE_DEFAULTS.encoding,
    formats: c.formats ?? FILE_DEFAULTS.formats,
    maxFileBytes: c.maxFileBytes ?? FILE_DEFAULTS.maxFileBytes,
    checkpointEvery: c.checkpointEvery ?? FILE_DEFAULTS.checkpointEvery,
    settleMs: c.settleMs ?? FILE_DEFAULTS.settleMs,
    debounceMs: c.debounceMs ?? FILE_DEFAULTS.debounceMs,
    csvDelimiter: c.csvDelimiter ?? FILE_DEFAULTS.csvDelimiter,
    utcOffset: c.utcOffset ?? FILE_DEFAULTS.utcOffset,
    ...(c.schoolCode ? { schoolCode: c.schoolCode } : {}),
  };
}
