import type { AdapterSpec } from '../../src/core/adapter';

/** Config of one NetSchool source instance (validated against `NETSCHOOL_CONFIG_SCHEMA`). */
export interface NetschoolConfig {
  /** Origin of the regional server, e.g. `https://sgo.edu-74.ru` (the adapter appends `/webapi`). */
  baseUrl: string;
  /** Journal login (`un`). */
  login: string;
  /** Journal password; may contain Cyrillic (hashed as windows-1251). Secret. */
  password: string;
  /** School name or part of it, as `schools/search?name=` expects. Used when `schoolId` is absent. */
  schoolName?: string;
  /** NetSchool school id (`scid`); skips the school search. */
  schoolId?: number;
  /** Weeks before the current one read on a first run (default 4). */
  weeksBack?: number;
  /** Weeks after the current one read each run (default 1: next week's schedule and homework). */
  weeksAhead?: number;
  /** Weeks re-read before the cursor on each run, because marks are edited later (default 2). */
  lookbackWeeks?: number;
  /** UTC offset of the school (NetSchool payloads carry none), e.g. `+05:00` (default `+03:00`). */
  utcOffset?: string;
  /** Read teachers from assignment details (one call per class and subject per roster read; default true). */
  includeTeachers?: boolean;
  /** Bearer token of the NetSchool mobile API, for the `attendance` stream. Secret. */
  mobileAccessToken?: string;
  /** Base of the mobile API (default `<baseUrl>/api/mobile`). */
  mobileBaseUrl?: string;
  /** Per-request timeout in ms (the HTTP client's default when absent). */
  timeoutMs?: number;
  /** `diary`: read `student/diary/assigns/{id}` for each assignment (teachers, description, deletion; default true). */
  assignmentDetails?: boolean;
  /** `diary`: what overdue works (`student/diary/pastMandatory`) become: debt marks (default) or nothing. */
  overdueAssignments?: 'debt' | 'ignore';
  /** `diary`: take mark entry times from the mobile API's `resultDate` when a mobile token is set (default true). */
  mobileMarkTimes?: boolean;
  /** `final_marks`: match a totals term to a reporting period by TERMID (`id`, default) or by its number only. */
  totalsTermMatch?: 'id' | 'number';
}

export const NETSCHOOL_DEFAULTS = {
  weeksBack: 4,
  weeksAhead: 1,
  lookbackWeeks: 2,
  utcOffset: '+03:00',
  includeTeachers: true,
  assignmentDetails: true,
  overdueAssignments: 'debt',
  mobileMarkTimes: true,
  totalsTermMatch: 'id',
} as const;

/** JSON Schema (draft 2020-12) of `NetschoolConfig`. Secrets carry `x-secret`. */
export const NETSCHOOL_CONFIG_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.diary-gateway.org/adapters/netschool-source.config.schema.json',
  title: 'NetSchool («Сетевой город. Образование») source',
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'login', 'password'],
  anyOf: [
    { required: ['schoolName'], properties: { schoolName: true } },
    { required: ['schoolId'], properties: { schoolId: true } },
  ],
  properties: {
    baseUrl: { type: 'string', format: 'uri', pattern: '^https?://', description: 'Origin of the regional NetSchool server.' },
    login: { type: 'string', minLength: 1, description: 'Journal login.' },
    password: { type: 'string', minLength: 1, 'x-secret': true, description: 'Journal password (windows-1251 hashed).' },
    schoolName: { type: 'string', minLength: 1, description: 'School name (or part) for schools/search; an exact name or short name wins.' },
    schoolId: { type: 'integer', minimum: 1, description: 'NetSchool school id; skips the search.' },
    weeksBack: { type: 'integer', minimum: 0, maximum: 52, default: NETSCHOOL_DEFAULTS.weeksBack },
    weeksAhead: { type: 'integer', minimum: 0, maximum: 8, default: NETSCHOOL_DEFAULTS.weeksAhead },
    lookbackWeeks: { type: 'integer', minimum: 0, maximum: 52, default: NETSCHOOL_DEFAULTS.lookbackWeeks },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$', default: NETSCHOOL_DEFAULTS.utcOffset },
    includeTeachers: { type: 'boolean', default: NETSCHOOL_DEFAULTS.includeTeachers },
    mobileAccessToken: { type: 'string', minLength: 1, 'x-secret': true, description: 'Bearer token of the mobile API (attendance stream).' },
    mobileBaseUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300000 },
    assignmentDetails: { type: 'boolean', default: NETSCHOOL_DEFAULTS.assignmentDetails, description: 'diary: one assigns/{id} call per new assignment (teachers, description, deletion).' },
    overdueAssignments: { enum: ['debt', 'ignore'], default: NETSCHOOL_DEFAULTS.overdueAssignments, description: 'diary: overdue works from pastMandatory as debt marks, or not read.' },
    mobileMarkTimes: { type: 'boolean', default: NETSCHOOL_DEFAULTS.mobileMarkTimes, description: 'diary: mark entry times from the mobile API (needs mobileAccessToken).' },
    totalsTermMatch: { enum: ['id', 'number'], default: NETSCHOOL_DEFAULTS.totalsTermMatch, description: 'final_marks: match terms by TERMID (falling back to the number) or by number only.' },
  },
};

export const NETSCHOOL_SPEC: AdapterSpec = {
  id: 'netschool-source',
  system: 'netschool',
  version: '1.0.0',
  kind: 'source',
  title: '«Сетевой город. Образование» (NetSchool)',
  configSchema: NETSCHOOL_CONFIG_SCHEMA,
};

/** Config with defaults applied (ajv `useDefaults` does it at load; direct callers may not). */
export type ResolvedNetschoolConfig = NetschoolConfig & {
  weeksBack: number; weeksAhead: number; lookbackWeeks: number; utcOffset: string; includeTeachers: boolean;
  assignmentDetails: boolean; overdueAssignments: 'debt' | 'ignore'; mobileMarkTimes: boolean; totalsTermMatch: 'id' | 'number';
};

export function resolveConfig(c: Readonly<NetschoolConfig>): ResolvedNetschoolConfig {
  return {
    ...c,
    weeksBack: c.weeksBack ?? NETSCHOOL_DEFAULTS.weeksBack,
    weeksAhead: c.weeksAhead ?? NETSCHOOL_DEFAULTS.weeksAhead,
    lookbackWeeks: c.lookbackWeeks ?? NETSCHOOL_DEFAULTS.lookbackWeeks,
    utcOffset: c.utcOffset ?? NETSCHOOL_DEFAULTS.utcOffset,
    includeTeachers: c.includeTeachers ?? NETSCHOOL_DEFAULTS.includeTeachers,
    assignmentDetails: c.assignmentDetails ?? NETSCHOOL_DEFAULTS.assignmentDetails,
    overdueAssignments: c.overdueAssignments ?? NETSCHOOL_DEFAULTS.overdueAssignments,
    mobileMarkTimes: c.mobileMarkTimes ?? NETSCHOOL_DEFAULTS.mobileMarkTimes,
    totalsTermMatch: c.totalsTermMatch ?? NETSCHOOL_DEFAULTS.totalsTermMatch,
  };
}
