import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import {
  createFakeBatch,
  createFakeDeps,
  type FakeDeps,
  jobRun,
  rejectedRecord,
  series,
  T0,
} from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';

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

  it('exports pipeline gauges from deps.status() and deps.rejected, read at scrape time', async () => {
    fake.status.speed.lag = 42;
    fake.rejected = [
      ...Array.from({ length: 5 }, () => rejectedRecord({ reason: 'invalid_price' })),
      rejectedRecord({ reason: 'bad_json' }),
    ];
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
    // Watermarks per venue, never per symbol: 10,000 symbols must not make 10,000 time series.
    fake.status.speed.watermarks = [
      { venue: 'binance', symbol: 'BTC-USDT', watermarkTs: T0 + 300_000 },
      { venue: 'binance', symbol: 'ETH-USDT', watermarkTs: T0 + 60_000 },
      { venue: 'coinbase', symbol: 'BTC-USD', watermarkTs: T0 + 120_000 },
    ];
    const marks = (await app.inject('/metrics')).body;
    assert.equal(sample(marks, 'crypto_lambda_speed_watermark_ms{venue="binance"}'), T0 + 60_000);
    assert.equal(sample(marks, 'crypto_lambda_speed_watermark_max_ms{venue="binance"}'), T0 + 300_000);
    assert.equal(sample(marks, 'crypto_lambda_speed_series{venue="binance"}'), 2);
    assert.equal(sample(marks, 'crypto_lambda_speed_watermark_ms{venue="coinbase"}'), T0 + 120_000);
    assert.ok(!marks.includes('symbol="'), 'no label per symbol');

    fake.rejected = [rejectedRecord({ reason: 'bad_json' }), rejectedRecord({ reason: 'bad_json' })];
    fake.status.sources = [];
    const later = (await app.inject('/metrics')).body;
    assert.equal(sample(later, 'crypto_lambda_rejected_by_reason{reason="invalid_price"}'), undefined);
    assert.equal(sample(later, 'crypto_lambda_rejected_by_reason{reason="bad_json"}'), 2);
    assert.ok(!later.includes('source="binance-ws"'), 'a source that went away is no longer reported');
  });
});

describe('GET /metrics with a batch layer', () => {
  const batch = createFakeBatch({
    watermarkTs: T0 + 3_600_000,
    runs: [
      jobRun({ id: 'c1', job: 'candles', status: 'failed', startedAt: T0, durationMs: 500, rows: 0 }),
      jobRun({ id: 'c2', job: 'candles', startedAt: T0 + 1000, durationMs: 1500, rows: 120 }),
      jobRun({ id: 'q1', job: 'quality', startedAt: T0 + 500, durationMs: 250, rows: 9 }),
    ],
    lake: { files: 12, bytes: 34_567 },
  });
  const servers = useBatchApps(batch.reader);

  it("exports the batch watermark, each job's last run and the lake's size; without one, none of them", async () => {
    const text = (await servers.app.inject('/metrics')).body;
    assert.equal(sample(text, 'crypto_lambda_batch_watermark_ms'), T0 + 3_600_000);
    assert.equal(sample(text, 'crypto_lambda_batch_last_run_status{job="candles",status="succeeded"}'), 1);
    assert.equal(
      sample(text, 'crypto_lambda_batch_last_run_status{job="candles",status="failed"}'),
      undefined,
    );
    assert.equal(sample(text, 'crypto_lambda_batch_last_run_duration_seconds{job="candles"}'), 1.5);
    assert.equal(sample(text, 'crypto_lambda_batch_last_run_rows{job="quality"}'), 9);
    assert.equal(sample(text, 'crypto_lambda_lake_files'), 12);
    assert.equal(sample(text, 'crypto_lambda_lake_bytes'), 34_567);
    const bare = (await servers.bare.inject('/metrics')).body;
    assert.ok(!bare.includes('crypto_lambda_batch_'), 'no batch series without a batch layer');
  });
});
