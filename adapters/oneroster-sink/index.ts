/**
 * `oneroster-sink`: delivers assessments and marks to a OneRoster 1.2 consumer as REST gradebook
 * writes (PUT line items and results under our sourcedIds = canonical ids), optionally the
 * roster too; and `exportOneRosterCsv`, the CSV bulk/delta packages of a school. README.md has
 * the mapping tables and what is lost.
 */
import type { CheckResult, DeliveryItem, DeliveryOutcome, RunContext, SinkAdapter } from '../../src/core/adapter';
import { GatewayError, toGatewayError } from '../../src/core/errors';
import { OneRosterConsumerClient, type TokenState } from './client';
import { COLLECTIONS } from './collections';
import { orgIdOf } from './ids';
import { hrefsOf } from './map/common';
import type { GradebookOptions } from './map/gradebook';
import { planItem, SINK_ENTITIES, type Step } from './plan';
import { oneRosterSinkSpec, resolveOneRosterSinkConfig, type OneRosterSinkConfig, type ResolvedOneRosterSinkConfig } from './spec';

export function mapOptionsOf(cfg: ResolvedOneRosterSinkConfig): GradebookOptions {
  return {
    hrefs: hrefsOf(cfg.baseUrl, cfg.rosteringPath, cfg.gradebookPath),
    utcOffset: cfg.utcOffset,
    orgOf: (schoolId) => cfg.orgSourcedIds[schoolId] ?? orgIdOf(schoolId),
    lineItemClass: cfg.lineItemClass,
  };
}

/** Prerequisites (categories, the homeroom course) delivered by this process: at most this many remembered. */
const PREREQ_CACHE_LIMIT = 10_000;

/**
 * Builds the sink. The instance keeps access tokens (per token endpoint, client and scopes) and
 * the prerequisites it has delivered (per consumer), so a category is PUT once, not before
 * every line item. A prerequisite the consumer turns out to lack (404 unknownobject on the line
 * item) is forgotten and sent again with the item's retry.
 */
export function createOneRosterSink(): SinkAdapter<OneRosterSinkConfig> {
  const tokens = new Map<string, TokenState>();
  const prereqs = new Set<string>();

  function clientFor(ctx: RunContext<OneRosterSinkConfig>, cfg: ResolvedOneRosterSinkConfig): OneRosterConsumerClient {
    const key = `${cfg.authUrl}|${cfg.clientId}|${cfg.scopes.join(' ')}`;
    let state = tokens.get(key);
    if (!state) { state = {}; tokens.set(key, state); }
    return new OneRosterConsumerClient(cfg, { http: ctx.http, log: ctx.log, now: () => ctx.now() }, state);
  }

  const prereqKey = (cfg: ResolvedOneRosterSinkConfig, s: Step): string => `${cfg.baseUrl}|${s.collection}|${s.sourcedId}`;

  async function deliver(client: OneRosterConsumerClient, cfg: ResolvedOneRosterSinkConfig, item: DeliveryItem, steps: Step[]): Promise<DeliveryOutcome> {
    let last: { gone: boolean; step: Step } | undefined;
    for (const step of steps) {
      const key = prereqKey(cfg, step);
      if (step.op === 'put' && step.prerequisite && prereqs.has(key)) continue;
      const where = `${step.op.toUpperCase()} ${COLLECTIONS[step.collection].single} for ${item.entityType} ${item.recordId} (school ${item.schoolId})`;
      const r = await client.send(step, where);
      if (r.kind === 'item') {
        // The consumer lacks what this refers to: send the prerequisites again next time.
        if (r.error.code === 'GW_SINK_UNAVAILABLE') for (const s of steps) prereqs.delete(prereqKey(cfg, s));
        return { deliveryId: item.deliveryId, status: 'failed', error: r.error };
      }
      if (step.op === 'put' && step.prerequisite) {
        if (prereqs.size >= PREREQ_CACHE_LIMIT) prereqs.clear();
        prereqs.add(key);
      }
      last = { gone: r.kind === 'gone', step };
    }
    const main = last?.step ?? steps[steps.length - 1] as Step;
    return { deliveryId: item.deliveryId, status: 'delivered', remoteRef: `${main.collection}/${main.sourcedId}`, ...(last?.gone ? { duplicate: true } : {}) };
  }

  return {
    spec: oneRosterSinkSpec,
    accepts: SINK_ENTITIES,

    /** A fresh token with the configured scopes: proves the endpoint, the client and the grant (no write is made). */
    async check(ctx): Promise<CheckResult> {
      try {
        const cfg = resolveOneRosterSinkConfig(ctx.config);
        await clientFor(ctx, cfg).fetchToken();
        return { ok: true, details: { scopes: cfg.scopes.length } };
      } catch (e) {
        return { ok: false, error: toGatewayError(e) };
      }
    },

    /**
     * Items go one by one, the objects others refer to first (org … class, user, enrollment, line
     * item, result). A per-item refusal is an outcome; an answer that fails the whole push (auth,
     * 429, 5xx, timeout, protocol) throws, and items delivered before it are sent again next time:
     * PUT by sourcedId is idempotent, and a consumer receiving the same object again changes nothing.
     */
    async push(ctx, batch): Promise<DeliveryOutcome[]> {
      if (batch.length === 0) return [];
      const cfg = resolveOneRosterSinkConfig(ctx.config);
      const client = clientFor(ctx, cfg);
      const o = mapOptionsOf(cfg);
      const rank = (i: DeliveryItem): number => { const r = SINK_ENTITIES.indexOf(i.entityType); return r < 0 ? SINK_ENTITIES.length : r; };
      const ordered = [...batch].sort((a, b) => rank(a) - rank(b));
      const outcomes = new Map<number, DeliveryOutcome>();
      const tally = { sent: 0, skipped: 0, refused: 0 };
      for (const item of ordered) {
        if (ctx.signal.aborted) {
          throw new GatewayError('GW_SINK_UNAVAILABLE', 'delivery aborted before every item was sent', { context: { sent: outcomes.size, total: batch.length } });
        }
        const plan = planItem(item, cfg, o);
        if (plan.kind === 'skip') {
          tally.skipped++;
          outcomes.set(item.deliveryId, { deliveryId: item.deliveryId, status: 'delivered', remoteRef: `not-sent:${plan.reason}` });
        } else if (plan.kind === 'reject') {
          tally.refused++;
          outcomes.set(item.deliveryId, { deliveryId: item.deliveryId, status: 'failed', error: plan.error });
        } else {
          const out = await deliver(client, cfg, item, plan.steps);
          if (out.status === 'delivered') tally.sent++; else tally.refused++;
          outcomes.set(item.deliveryId, out);
        }
      }
      ctx.log.debug('oneroster consumer batch done', { items: batch.length, ...tally });
      return batch.map((i) => outcomes.get(i.deliveryId) as DeliveryOutcome);
    },
  };
}

/** The registered OneRoster sink. */
export const oneRosterSink: SinkAdapter<OneRosterSinkConfig> = createOneRosterSink();

export { oneRosterConsumerSimulator, startOneRosterConsumer } from './simulator';
export type { OneRosterConsumerHandle, OneRosterConsumerOptions } from './simulator';
export { exportOneRosterCsv, type OneRosterCsvExportOptions, type OneRosterCsvExportResult } from './csv/export';
export { oneRosterSinkSpec, oneRosterSinkConfigSchema, resolveOneRosterSinkConfig } from './spec';
export type { OneRosterSinkConfig, ResolvedOneRosterSinkConfig } from './spec';
