import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from '../../../src/serve/index.js';
import { createFakeBatch, createFakeDeps, dailyMetric } from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';
import { expectError } from './expect-error.js';

describe('GET /api/v1/markets/daily', () => {
  const batch = createFakeBatch({
    daily: [
      dailyMetric({ date: '2024-01-01', change: null, changePct: null }),
      dailyMetric({ date: '2024-01-02' }),
      dailyMetric({ date: '2024-01-02', symbol: 'ETH-USDT', realizedVolatility: 0.031 }),
    ],
  });
  const servers = useBatchApps(batch.reader);

  it('lists the latest day by default', async () => {
    const response = await servers.app.inject('/api/v1/markets/daily');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { date: '2024-01-02', markets: batch.daily.slice(1) });
  });

  it('lists the day asked for, nulls included', async () => {
    const response = await servers.app.inject('/api/v1/markets/daily?date=2024-01-01');
    assert.deepEqual(response.json(), { date: '2024-01-01', markets: batch.daily.slice(0, 1) });
    const none = await servers.app.inject('/api/v1/markets/daily?date=2023-06-01');
    assert.deepEqual(none.json(), { date: '2023-06-01', markets: [] });
  });

  it('answers date null before the first run', async () => {
    const empty = createFakeDeps();
    empty.deps.batch = createFakeBatch().reader;
    const server = buildServer(empty.deps, { processMetrics: false, dashboard: false });
    try {
      assert.deepEqual((await server.inject('/api/v1/markets/daily')).json(), { date: null, markets: [] });
    } finally {
      await server.close();
    }
  });

  for (const [query, field] of [
    ['date=2024-13-40', 'date'],
    ['date=2024-02-30', 'date'],
    ['date=2024-1-2', 'date'],
    ['date=yesterday', 'date'],
    ['day=2024-01-02', 'day'],
  ]) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      expectError(
        await servers.app.inject(`/api/v1/markets/daily?${query}`),
        400,
        'INVALID_PARAMETER',
        field,
      );
    });
  }

  it('answers 503 BATCH_UNAVAILABLE without a batch layer', async () => {
    expectError(await servers.bare.inject('/api/v1/markets/daily'), 503, 'BATCH_UNAVAILABLE');
  });
});
