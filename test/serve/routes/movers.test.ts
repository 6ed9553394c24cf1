import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBatch, mover, T0 } from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';
import { expectError } from './expect-error.js';

describe('GET /api/v1/movers', () => {
  const gainers = Array.from({ length: 15 }, (_, i) =>
    mover({ rank: i + 1, symbol: `C${i}-USDT`, changePct: 30 - i, asOfTs: T0 }),
  );
  const batch = createFakeBatch({
    movers: [
      ...gainers,
      mover({ type: 'losers', rank: 1, changePct: -12, asOfTs: T0 }),
      mover({ period: '1h', rank: 1, asOfTs: T0 + 3_600_000 }),
    ],
  });
  const servers = useBatchApps(batch.reader);

  it('defaults to the top 10 gainers over 24h', async () => {
    const response = await servers.app.inject('/api/v1/movers');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      period: '24h',
      type: 'gainers',
      asOfTs: T0,
      movers: gainers.slice(0, 10),
    });
  });

  it('filters by period and type, and takes limit', async () => {
    const losers = (await servers.app.inject('/api/v1/movers?type=losers&limit=100')).json();
    assert.equal(losers.type, 'losers');
    assert.deepEqual(
      losers.movers.map((m: { changePct: number }) => m.changePct),
      [-12],
    );
    const hour = (await servers.app.inject('/api/v1/movers?period=1h')).json();
    assert.equal(hour.asOfTs, T0 + 3_600_000);
    assert.equal(hour.movers.length, 1);
    assert.equal((await servers.app.inject('/api/v1/movers?limit=3')).json().movers.length, 3);
    const week = (await servers.app.inject('/api/v1/movers?period=7d')).json();
    assert.deepEqual(week, { period: '7d', type: 'gainers', asOfTs: null, movers: [] });
  });

  for (const [query, field] of [
    ['period=2h', 'period'],
    ['period=24H', 'period'],
    ['type=winners', 'type'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['top=5', 'top'],
  ]) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      expectError(await servers.app.inject(`/api/v1/movers?${query}`), 400, 'INVALID_PARAMETER', field);
    });
  }

  it('answers 503 BATCH_UNAVAILABLE without a batch layer', async () => {
    expectError(await servers.bare.inject('/api/v1/movers'), 503, 'BATCH_UNAVAILABLE');
  });
});
