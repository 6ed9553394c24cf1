import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import { createFakeDeps, type FakeDeps, series } from '../fake-deps.js';

/** The value of one sample line, e.g. `name{a="b"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let fake: FakeDeps;
  let app: ServeApp;
  before(async () => {
    fake = createFakeDeps(series(2));
    app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    await app.ready();
  });
  after(() => app.close());

  it('serves the Prometheus text format with HTTP counts and durations by route pattern', async () => {
    await app.inject('/health');
    await app.inject('/api/v1/candles?symbol=BTC-USDT&interval=1m');
    await app.inject('/api/v1/candles?symbol=BTC-USDT&interval=9m');
    await app.inject('/no/such/page/1');
    await app.inject('/no/such/page/2');
    const response = await app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = response.body;
    assert.match(text, /# TYPE http_requests_total counter/);
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    assert.equal(sample(text, 'http_requests_total{method="GET",route="/health",status_code="200"}'), 1);
    assert.equal(
      sample(text, 'http_requests_total{method="GET",route="/api/v1/candles",status_code="200"}'),
      1,
    );
    assert.equal(
      sample(text, 'http_requests_total{method="GET",route="/api/v1/candles",status_code="400"}'),
      1,
    );
    assert.equal(sample(text, 'http_requests_total{method="GET",route="unmatched",status_code="404"}'), 2);
    assert.equal(
      sample(text, 'http_request_duration_seconds_count{method="GET",route="/health",status_code="200"}'),
      1,
    );
    assert.ok(!text.includes('/no/such/page'), 'raw URLs never become labels');
  });

  it('exports pipeline gauges from deps.status(), read at scrape time', async () => {
    fake.status.speed.lag = 42;
    fake.status.rejected.byReason = { invalid_price: 5, bad_json: 1 };
    fake.status.rejected.total = 6;
    const text = (await app.inject('/metrics')).body;
    assert.equal(sample(text, 'crypto_lambda_speed_lag_records'), 42);
    assert.equal(sample(text, 'crypto_lambda_speed_trades_processed'), 997);
    assert.equal(sample(text, 'crypto_lambda_rejected'), 6);
    assert.equal(sample(text, 'crypto_lambda_rejected_by_reason{reason="invalid_price"}'), 5);
    assert.equal(sample(text, 'crypto_lambda_rejected_by_reason{reason="bad_json"}'), 1);
    assert.equal(sample(text, 'crypto_lambda_source_trades{source="binance-ws"}'), 1000);
    assert.equal(sample(text, 'crypto_lambda_source_state{source="binance-ws",state="running"}'), 1);
    assert.equal(sample(text, 'crypto_lambda_throughput_trades_per_second'), 12.5);
    assert.equal(sample(text, 'crypto_lambda_ws_connections'), 0);

    fake.status.rejected.byReason = { bad_json: 2 };
    fake.status.sources = [];
    const later = (await app.inject('/metrics')).body;
    assert.equal(sample(later, 'crypto_lambda_rejected_by_reason{reason="invalid_price"}'), undefined);
    assert.equal(sample(later, 'crypto_lambda_rejected_by_reason{reason="bad_json"}'), 2);
    assert.ok(!later.includes('source="binance-ws"'), 'a source that went away is no longer reported');
  });
});
