import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CryptoLambdaError, isCryptoLambdaError } from '../../src/domain/index.js';
import { buildServer, type ServeApp } from '../../src/serve/index.js';
import { createFakeDeps, type FakeDeps, series, T0 } from './fake-deps.js';

describe('buildServer', () => {
  let fake: FakeDeps;
  let app: ServeApp;
  before(async () => {
    fake = createFakeDeps([
      ...series(3),
      ...series(2, { venue: 'bybit', symbol: 'ETH-USDT', interval: '5m' }, 300_000),
    ]);
    app = buildServer(fake.deps, { processMetrics: false });
    await app.ready();
  });
  after(() => app.close());

  it('GET /health answers ok', async () => {
    const response = await app.inject('/health');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.ts, 'number');
    assert.ok(body.uptimeMs >= 0);
  });

  it('GET /api/v1/symbols lists every series, ordered, numbers as numbers', async () => {
    const response = await app.inject('/api/v1/symbols');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      symbols: [
        {
          venue: 'binance',
          symbol: 'BTC-USDT',
          intervals: ['1m'],
          // From the candles (the fake sees no trades): the minute of the first trade.
          firstTradeTs: T0,
          lastTradeTs: null,
          lastPrice: 102,
        },
        {
          venue: 'bybit',
          symbol: 'ETH-USDT',
          intervals: ['5m'],
          firstTradeTs: null,
          lastTradeTs: null,
          lastPrice: 101,
        },
      ],
    });
  });

  it('GET /api/v1/system/status returns deps.status(), and batch null without a batch layer', async () => {
    const response = await app.inject('/api/v1/system/status');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { ...fake.status, batch: null });
  });

  it('GET /api/v1/rejected returns the newest records, limit 100 by default', async () => {
    fake.rejected = Array.from({ length: 150 }, (_, i) => ({
      stage: 'ingest:binance-ws',
      reason: 'invalid_price' as const,
      detail: `price must be positive (#${i})`,
      payload: `{"p":"-${i}"}`,
      origin: 'wss://stream.binance.com frame 1',
      ts: T0 + i,
    }));
    const all = await app.inject('/api/v1/rejected');
    assert.equal(all.statusCode, 200);
    assert.equal(all.json().rejected.length, 100);
    const two = await app.inject('/api/v1/rejected?limit=2');
    // The count beside the list is the status' count: one source, the same records.
    assert.deepEqual(two.json(), {
      total: 150,
      byReason: { invalid_price: 150 },
      rejected: fake.rejected.slice(0, 2),
    });
    assert.deepEqual((await app.inject('/api/v1/system/status')).json().rejected, {
      total: 150,
      byReason: { invalid_price: 150 },
    });
    for (const limit of ['0', '10001', 'x']) {
      const bad = await app.inject(`/api/v1/rejected?limit=${limit}`);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, 'limit');
    }
  });

  it('answers an unknown route with 404 JSON', async () => {
    for (const url of ['/nope', '/api/v1/nope?x=1', '/api/v2/candles']) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 404);
      assert.match(String(response.headers['content-type']), /application\/json/);
      assert.equal(response.json().error.code, 'ROUTE_NOT_FOUND');
      assert.ok(!response.json().error.message.includes('?'), 'the query is not echoed');
    }
    const post = await app.inject({ method: 'POST', url: '/api/v1/candles', payload: {} });
    assert.equal(post.statusCode, 404);
  });

  it('accepts a trailing slash', async () => {
    assert.equal((await app.inject('/api/v1/symbols/')).statusCode, 200);
  });

  it('serves an OpenAPI document listing the routes at /docs/json, and the UI at /docs', async () => {
    const response = await app.inject('/docs/json');
    assert.equal(response.statusCode, 200);
    const spec = response.json();
    assert.match(spec.openapi, /^3\./);
    for (const path of [
      '/health',
      '/api/v1/symbols',
      '/api/v1/candles',
      '/api/v1/system/status',
      '/api/v1/rejected',
      '/api/v1/markets/daily',
      '/api/v1/movers',
      '/api/v1/trending',
      '/api/v1/quality',
      '/api/v1/batch/runs',
    ]) {
      assert.ok(spec.paths[path]?.get, `${path} documented`);
    }
    const parameters = spec.paths['/api/v1/candles'].get.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(parameters.sort(), ['from', 'interval', 'limit', 'symbol', 'to', 'venue']);
    assert.ok(spec.paths['/api/v1/candles'].get.responses['400']);
    const movers = spec.paths['/api/v1/movers'].get;
    assert.deepEqual(movers.parameters.map((p: { name: string }) => p.name).sort(), [
      'limit',
      'period',
      'type',
    ]);
    assert.ok(movers.responses['503'], 'batch endpoints document 503');
    assert.ok(
      spec.paths['/api/v1/system/status'].get.responses['200'].content['application/json'].schema.properties
        .batch,
    );
    assert.equal(spec.paths['/ws'], undefined, 'hidden routes stay out of the spec');
    const ui = await app.inject('/docs');
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  it('sets the body limit', () => {
    assert.equal(app.initialConfig.bodyLimit, 65_536);
  });
});

describe('buildServer errors', () => {
  it('maps a failing dependency to 500 with a stable code and no stack, or 503 when retryable', async () => {
    const fake = createFakeDeps(series(2));
    let failure: unknown = new Error('database exploded at /secret/path');
    fake.deps.candles.symbols = () => {
      throw failure;
    };
    fake.deps.candles.find = () => {
      throw failure;
    };
    const app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    try {
      const response = await app.inject('/api/v1/symbols');
      assert.equal(response.statusCode, 500);
      assert.deepEqual(response.json(), {
        error: { code: 'INTERNAL_ERROR', message: 'internal server error' },
      });
      failure = new CryptoLambdaError('LOG_UNAVAILABLE', 'log is reconnecting', { retryable: true });
      const retry = await app.inject('/api/v1/candles?symbol=BTC-USDT&interval=1m');
      assert.equal(retry.statusCode, 503);
      assert.equal(retry.json().error.code, 'UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  it('logs through a pino instance passed in, keeping details out of the response', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const fake = createFakeDeps();
    fake.deps.status = () => {
      throw new Error('status source crashed');
    };
    const app = buildServer(fake.deps, { logger: pino(sink), processMetrics: false, dashboard: false });
    try {
      const response = await app.inject('/api/v1/system/status');
      assert.equal(response.statusCode, 500);
      assert.ok(!response.body.includes('crashed'));
      const logged = lines.find((l) => l['msg'] === 'request failed');
      assert.ok(logged, 'the failure is logged');
      assert.match(JSON.stringify(logged['err']), /status source crashed/);
    } finally {
      await app.close();
    }
  });

  it('validates options at start', () => {
    const fake = createFakeDeps();
    for (const options of [
      { bodyLimitBytes: 0 },
      { defaultVenue: 'Bin ance' },
      { ws: { snapshotLimit: 10_001 } },
      { ws: { coalesceAboveBytes: 100, closeAboveBytes: 50 } },
    ]) {
      assert.throws(
        () => buildServer(fake.deps, options),
        (error) => isCryptoLambdaError(error, 'INVALID_OPTIONS'),
      );
    }
  });

  it('gives each server its own metrics registry', async () => {
    const first = buildServer(createFakeDeps().deps, { dashboard: false });
    const second = buildServer(createFakeDeps().deps, { dashboard: false });
    try {
      await first.inject('/health');
      await first.inject('/health');
      const text = (await second.inject('/metrics')).body;
      assert.ok(!text.includes('route="/health"'), 'the second server never served /health');
      assert.match(text, /process_cpu_user_seconds_total/, 'process metrics are collected by default');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
