/**
 * `rest-portal-sink`: delivers canonical records to a portal speaking the generic JSON
 * batch protocol described in README.md, and the simulator of such a portal.
 */
import type { DeliveryItem, DeliveryOutcome, RunContext, SinkAdapter } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { RestPortalClient } from './client';
import { resolveRestPortalConfig, restPortalSpec, type RestPortalConfig } from './spec';

function clientFor(ctx: RunContext<RestPortalConfig>): RestPortalClient {
  return new RestPortalClient({
    http: ctx.http,
    config: resolveRestPortalConfig(ctx.config),
    log: ctx.log.child({ adapter: restPortalSpec.id }),
    now: () => ctx.now(),
  });
}

export const restPortalSink: SinkAdapter<RestPortalConfig> = {
  spec: restPortalSpec,

  check(ctx) {
    return clientFor(ctx).health();
  },

  /**
   * Splits the batch into requests of at most `maxBatchSize` items, sent one after another.
   * If a later request throws, the whole call throws, including items an earlier request
   * delivered: re-sending them is safe because the portal answers `duplicate` for a known key.
   */
  async push(ctx, batch: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    if (batch.length === 0) return [];
    const client = clientFor(ctx);
    const size = resolveRestPortalConfig(ctx.config).maxBatchSize;
    const outcomes: DeliveryOutcome[] = [];
    for (let i = 0; i < batch.length; i += size) {
      if (ctx.signal.aborted) {
        throw new GatewayError('GW_SINK_UNAVAILABLE', 'delivery aborted before every request was sent', {
          context: { sent: i, total: batch.length },
        });
      }
      outcomes.push(...(await client.pushChunk(batch.slice(i, i + size))));
    }
    return outcomes;
  },
};

export { restPortalSimulator, startRestPortalSimulator } from './simulator';
export type {
  RestPortalSimulatorFactory, RestPortalSimulatorHandle, RestPortalSimulatorOptions, RestPortalSimState,
} from './simulator';
export { restPortalSpec, restPortalConfigSchema, resolveRestPortalConfig } from './spec';
export type { RestPortalConfig, ResolvedRestPortalConfig } from './spec';
export { batchIdempotencyKey } from './protocol';
