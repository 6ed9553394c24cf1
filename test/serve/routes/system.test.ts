import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from '../../../src/serve/index.js';
import { createFakeBatch, createFakeDeps, jobRun, T0 } from '../fake-deps.js';

describe('GET /api/v1/system/status', () => {
  it('adds the batch layer: watermark, last run of each job, lake size', async () => {
    const fake = createFakeDeps();
    const batch = createFakeBatch({
      watermarkTs: T0 + 3_600_000,
      runs: [
        jobRun({ id: 'c1', startedAt: T0 }),
        jobRun({ id: 'c2', startedAt: T0 + 10 }),
        jobRun({ id: 'd1', job: 'daily_metrics', status: 'failed', error: 'boom', startedAt: T0 + 5 }),
      ],
      lake: { files: 12, bytes: 345_678 },
    });
    fake.deps.batch = batch.reader;
    const app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    try {
      const response = await app.inject('/api/v1/system/status');
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.deepEqual(body, { ...fake.status, batch: batch.reader.status() });
      assert.equal(body.batch.watermarkTs, T0 + 3_600_000);
      assert.deepEqual(body.batch.lastRuns.map((r: { id: string }) => r.id).sort(), ['c2', 'd1']);
      batch.watermarkTs = undefined;
      assert.equal((await app.inject('/api/v1/system/status')).json().batch.watermarkTs, null);
    } finally {
      await app.close();
    }
  });

  it('has batch null without a batch layer', async () => {
    const fake = createFakeDeps();
    const app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    try {
      assert.deepEqual((await app.inject('/api/v1/system/status')).json(), { ...fake.status, batch: null });
    } finally {
      await app.close();
    }
  });
});
