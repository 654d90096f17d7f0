/**
 * One row or record element → a SourceMessage: coerced by the layout, then checked against the
 * canonical schema here, so a bad row is quarantined with its file, line and field named (the
 * pipeline's own validation would know only the record id).
 */
import type { RunContext, SourceMessage } from '../../src/core/adapter';
import { GatewayError, type Issue } from '../../src/core/errors';
import type { EntityType, MappedRecord } from '../../src/core/records';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { coerceRecord, type CoerceEnv, type LooseTree } from './layout/coerce';
import type { EntityPlan } from './layout/plan';
import { FILE_SPEC } from './spec';

const DUMMY_HASH = `sha256:${'0'.repeat(64)}`;

export interface MessageEnv {
  ctx: RunContext<unknown>;
  stream: string;
  coerce: CoerceEnv;
  /** Run start (UTC ISO), used as fetchedAt of the record checked. */
  fetchedAt: string;
}

/** Where a row is, for messages: `marks.csv line 17` or `export.xml element 12 <mark> (line 40)`. */
export type Where = string;

/** `/value/numeric` → `value.numeric`; `/` → `row`. */
export function fieldLabel(pointer: string): string {
  const s = pointer.replace(/^\//, '').replace(/\//g, '.');
  return s === '' ? 'row' : s;
}

function describe(where: Where, issues: readonly Issue[]): string {
  const list = issues.slice(0, 5).map((i) => (i.path === '/' ? i.message : `${fieldLabel(i.path)} ${i.message}`)).join('; ');
  return `${where}: ${list}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
}

export function invalidMessage(env: MessageEnv, where: Where, entity: EntityType | undefined, sourceId: string, issues: Issue[], raw: () => unknown, code: 'GW_RECORD_UNMAPPABLE' | 'GW_RECORD_INVALID' = 'GW_RECORD_UNMAPPABLE'): SourceMessage {
  return {
    kind: 'invalid', stream: env.stream, sourceId, ...(entity ? { entityType: entity } : {}),
    error: new GatewayError(code, describe(where, issues), { issues }), raw: raw(),
  };
}

/**
 * A loose tree (with structural issues found while reading it) → a record or an invalid message.
 * `raw` builds what the quarantine keeps of the row; it is called for invalid rows only.
 */
export function treeMessage(env: MessageEnv, plan: EntityPlan, tree: LooseTree, where: () => Where, fallbackId: () => string, before: Issue[], raw: () => unknown): SourceMessage {
  const c = coerceRecord(plan, tree, env.coerce);
  if (!c.ok || before.length > 0) {
    return invalidMessage(env, where(), plan.entity, (c.ok ? c.record.sourceId : c.sourceId) ?? fallbackId(), [...before, ...(c.ok ? [] : c.issues)], raw);
  }
  const issues = checkCanonical(env, c.record);
  if (issues.length > 0) return invalidMessage(env, where(), plan.entity, c.record.sourceId, issues, raw, 'GW_RECORD_INVALID');
  return { kind: 'record', stream: env.stream, record: c.record };
}

/**
 * Validates the record as the pipeline will see it (envelope filled with stand-in values). The
 * object is built key by key rather than by spreading: this runs for every row of a big file.
 */
export function checkCanonical(env: MessageEnv, m: MappedRecord): Issue[] {
  const validate = getCanonicalValidator().validatorFor(m.entityType);
  const system = FILE_SPEC.system;
  const record: Record<string, unknown> = {
    id: env.ctx.ids.ref(m.entityType, m.sourceId), entityType: m.entityType, schemaVersion: 1, schoolId: env.ctx.schoolId,
    sourceSystem: system, sourceId: m.sourceId,
    externalIds: m.externalIds ?? [{ type: 'source-local', value: m.sourceId, issuer: system }],
    status: m.status ?? 'active', dateLastModified: m.sourceModifiedAt ?? env.fetchedAt, contentHash: DUMMY_HASH,
    provenance: m.sourceModifiedAt || m.sourceCreatedAt ? {
      sourceSystem: system, adapter: FILE_SPEC.id, adapterVersion: FILE_SPEC.version, fetchedAt: env.fetchedAt,
      ...(m.sourceModifiedAt ? { sourceModifiedAt: m.sourceModifiedAt } : {}),
      ...(m.sourceCreatedAt ? { sourceCreatedAt: m.sourceCreatedAt } : {}),
    } : provenanceOf(env.fetchedAt),
  };
  for (const k in m.fields) record[k] = m.fields[k];
  return validate(record);
}

let lastProvenance: { at: string; value: Record<string, string> } | undefined;

/** The provenance of records without journal timestamps: one object per read, not per row. */
function provenanceOf(fetchedAt: string): Record<string, string> {
  if (lastProvenance?.at !== fetchedAt) {
    lastProvenance = { at: fetchedAt, value: { sourceSystem: FILE_SPEC.system, adapter: FILE_SPEC.id, adapterVersion: FILE_SPEC.version, fetchedAt } };
  }
  return lastProvenance.value;
}
