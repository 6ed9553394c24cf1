import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBatch, T0, trendingScore } from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';
import { expectError } from './expect-error.js';

describe('GET /api/v1/trending', () => {
  const scores = Array.from({ length: 12 }, (_, i) =>
    trendingScore({ rank: i + 1, symbol: `C${i}-USDT`, score: 1 - i / 20, hourTs: T0 }),
  );
  const batch = createFakeBatch({ trending: [...scores].reverse() });
  const servers = useBatchApps(batch.reader);

  it('lists the top 10 of the latest hour by default, rank 1 first, with components', async () => {
    const response = await servers.app.inject('/api/v1/trending');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { hourTs: T0, trending: scores.slice(0, 10) });
    assert.equal((await servers.app.inject('/api/v1/trending?limit=100')).json().trending.length, 12);
    assert.equal((await servers.app.inject('/api/v1/trending?limit=1')).json().trending.length, 1);
  });

  it('answers hourTs null before the first run', async () => {
    const saved = batch.trending;
    batch.trending = [];
    try {
      assert.deepEqual((await servers.app.inject('/api/v1/trending')).json(), { hourTs: null, trending: [] });
    } finally {
      batch.trending = saved;
    }
  });

  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['period=1h', 'period'],
  ]) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      expectError(await servers.app.inject(`/api/v1/trending?${query}`), 400, 'INVALID_PARAMETER', field);
    });
  }

  it('answers 503 BATCH_UNAVAILABLE without a batch layer', async () => {
    expectError(await servers.bare.inject('/api/v1/trending'), 503, 'BATCH_UNAVAILABLE');
  });
});
