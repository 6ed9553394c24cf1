import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { worstStatus } from '../../../src/serve/routes/quality.js';
import { createFakeBatch, qualityCheck } from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';
import { expectError } from './expect-error.js';

describe('GET /api/v1/quality', () => {
  const batch = createFakeBatch({
    quality: [
      qualityCheck({ date: '2024-01-01', status: 'fail', check: 'trade_id_gaps', value: 3 }),
      qualityCheck({ date: '2024-01-02', status: 'pass' }),
      qualityCheck({ date: '2024-01-02', status: 'warn', check: 'freshness', value: 7_200_000 }),
    ],
  });
  const servers = useBatchApps(batch.reader);

  it('lists the latest run with its worst status', async () => {
    const response = await servers.app.inject('/api/v1/quality');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { date: '2024-01-02', status: 'warn', checks: batch.quality.slice(1) });
  });

  it('lists the day asked for', async () => {
    const response = await servers.app.inject('/api/v1/quality?date=2024-01-01');
    assert.deepEqual(response.json(), {
      date: '2024-01-01',
      status: 'fail',
      checks: batch.quality.slice(0, 1),
    });
  });

  it('answers date null and pass before the first run', async () => {
    const saved = batch.quality;
    batch.quality = [];
    try {
      assert.deepEqual((await servers.app.inject('/api/v1/quality')).json(), {
        date: null,
        status: 'pass',
        checks: [],
      });
    } finally {
      batch.quality = saved;
    }
  });

  it('takes the worst status: fail over warn over pass', () => {
    const of = (...statuses: ('pass' | 'warn' | 'fail')[]) =>
      worstStatus(statuses.map((status) => qualityCheck({ status })));
    assert.equal(of(), 'pass');
    assert.equal(of('pass', 'warn', 'pass'), 'warn');
    assert.equal(of('fail', 'warn'), 'fail');
  });

  for (const [query, field] of [
    ['date=2024-13-40', 'date'],
    ['date=20240102', 'date'],
    ['status=fail', 'status'],
  ]) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      expectError(await servers.app.inject(`/api/v1/quality?${query}`), 400, 'INVALID_PARAMETER', field);
    });
  }

  it('answers 503 BATCH_UNAVAILABLE without a batch layer', async () => {
    expectError(await servers.bare.inject('/api/v1/quality'), 503, 'BATCH_UNAVAILABLE');
  });
});
