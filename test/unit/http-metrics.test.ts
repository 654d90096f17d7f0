import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import { createMetrics, METRIC_NAMES } from '../../src/infra/metrics';
import { FakeLedger, FROZEN_NOW } from './http-kit.test';

describe('http metrics (src/infra/metrics)', () => {
  it('reads ledger gauges with one stats() call per scrape', async () => {
    const ledger = new FakeLedger();
    ledger.stats_ = { ...ledger.stats_, records: 7, quarantineOpen: 2, oldestPendingAt: '2025-03-01T11:58:30.000Z' };
    ledger.stats_.deliveries.retry_wait = 4;
    const m = createMetrics({ ledger, now: () => FROZEN_NOW, defaultMetrics: false });
    const text = await m.registry.metrics();
    assert.equal(ledger.callsOf('stats').length, 1);
    for (const line of [
      'diary_gateway_deliveries{state="retry_wait"} 4',
      'diary_gateway_deliveries{state="pending"} 0',
      'diary_gateway_records_total 7',
      'diary_gateway_quarantine_open 2',
      'diary_gateway_oldest_pending_age_seconds 90',
      'diary_gateway_ledger_up 1',
    ]) assert.ok(text.split('\n').includes(line), line);
    ledger.stats_ = { ...ledger.stats_, records: 8, oldestPendingAt: undefined };
    const again = await m.registry.metrics();
    assert.equal(ledger.callsOf('stats').length, 2);
    assert.ok(again.includes('diary_gateway_records_total 8'));
    assert.ok(again.includes('diary_gateway_oldest_pending_age_seconds 0'));
  });

  it('keeps the scrape alive when the ledger fails, and says so', async () => {
    const ledger = new FakeLedger();
    ledger.stats_.deliveries.dead = 3;
    const m = createMetrics({ ledger, defaultMetrics: false });
    assert.ok((await m.registry.metrics()).includes('diary_gateway_deliveries{state="dead"} 3'));
    ledger.failStats = true;
    const text = await m.registry.metrics();
    assert.ok(text.includes('diary_gateway_ledger_up 0'));
    assert.ok(!text.includes('diary_gateway_deliveries{state="dead"}'), 'stale queue depths are dropped');
  });

  it('counts records, deliveries and runs under diary_gateway_ names, in its own registry', async () => {
    const m = createMetrics({});
    m.recordsIn.inc({ school: 's1', source: 'netschool', result: 'inserted' }, 5);
    m.deliveries.inc({ sink: 'portal', outcome: 'dead' });
    m.runs.inc({ school: 's1', source: 'netschool', status: 'ok' });
    m.runDuration.observe({ school: 's1', source: 'netschool', status: 'ok' }, 42);
    const text = await m.registry.metrics();
    assert.ok(text.includes('diary_gateway_records_in_total{school="s1",source="netschool",result="inserted"} 5'));
    assert.ok(text.includes('diary_gateway_delivery_outcomes_total{sink="portal",outcome="dead"} 1'));
    assert.ok(text.includes('diary_gateway_runs_total{school="s1",source="netschool",status="ok"} 1'));
    assert.ok(text.includes('diary_gateway_run_duration_seconds_bucket{le="60",school="s1",source="netschool",status="ok"} 1'));
    assert.ok(text.includes('diary_gateway_process_cpu_user_seconds_total'), 'default metrics carry the prefix');
    assert.ok(!text.includes(`# TYPE ${METRIC_NAMES.deliveries} `), 'no ledger, no ledger gauges');
    const names = m.registry.getMetricsAsArray().map((x) => x.name);
    assert.ok(names.every((n) => n.startsWith('diary_gateway_')), names.filter((n) => !n.startsWith('diary_gateway_')).join());
    assert.equal(globalRegistry.getSingleMetric(METRIC_NAMES.recordsIn), undefined);
    // A second instance does not clash with the first.
    assert.doesNotThrow(() => createMetrics({}));
  });
});
