import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBatch, jobRun, T0 } from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';
import { expectError } from './expect-error.js';

describe('GET /api/v1/batch/runs', () => {
  // 60 candles runs, then 3 daily_metrics runs, the newest last.
  const runs = [
    ...Array.from({ length: 60 }, (_, i) => jobRun({ id: `candles-${i}`, startedAt: T0 + i * 1_000 })),
    ...Array.from({ length: 3 }, (_, i) =>
      jobRun({ id: `daily-${i}`, job: 'daily_metrics', startedAt: T0 + (100 + i) * 1_000 }),
    ),
  ];
  const newestFirst = [...runs].reverse();
  const batch = createFakeBatch({ runs });
  const servers = useBatchApps(batch.reader);

  it('lists the newest 50 runs by default, newest first', async () => {
    const response = await servers.app.inject('/api/v1/batch/runs');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { runs: newestFirst.slice(0, 50) });
    assert.equal((await servers.app.inject('/api/v1/batch/runs?limit=500')).json().runs.length, 63);
  });

  it('filters by job, limit applying to that job', async () => {
    const candles = (await servers.app.inject('/api/v1/batch/runs?job=candles&limit=5')).json();
    assert.deepEqual(
      candles.runs.map((r: { id: string }) => r.id),
      ['candles-59', 'candles-58', 'candles-57', 'candles-56', 'candles-55'],
    );
    const daily = (await servers.app.inject('/api/v1/batch/runs?job=daily_metrics')).json();
    assert.equal(daily.runs.length, 3);
    assert.deepEqual((await servers.app.inject('/api/v1/batch/runs?job=nope')).json(), { runs: [] });
  });

  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=abc', 'limit'],
    ['job=a%20b', 'job'],
    ['job=', 'job'],
    ['status=failed', 'status'],
  ]) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      expectError(await servers.app.inject(`/api/v1/batch/runs?${query}`), 400, 'INVALID_PARAMETER', field);
    });
  }

  it('answers 503 BATCH_UNAVAILABLE without a batch layer', async () => {
    expectError(await servers.bare.inject('/api/v1/batch/runs'), 503, 'BATCH_UNAVAILABLE');
  });
});
