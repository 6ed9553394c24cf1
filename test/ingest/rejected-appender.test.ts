import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Rejected } from '../../src/domain/index.js';
import { openRejectedAppender } from '../../src/ingest/index.js';
import { forEachEvent, openFileLog, TOPICS } from '../../src/log/index.js';

const rejected = (origin: string): Rejected => ({
  stage: 'ingest:binance-csv',
  reason: 'bad_csv',
  detail: 'expected 7 or 8 aggTrades columns, got 1',
  payload: 'garbage',
  origin,
  ts: 1,
});

describe('rejected appender', () => {
  it('appends each origin once: against the topic as it was, and within a run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-rejected-'));
    try {
      const log = await openFileLog({ dir });
      const first = await openRejectedAppender(log);
      first.add(rejected('f.csv:2'));
      first.add(rejected('f.csv:3'));
      first.add(rejected('f.csv:2'));
      assert.equal(first.pending(), 3);
      assert.equal(await first.flush(), 2);
      assert.equal(first.pending(), 0);
      first.add(rejected('f.csv:3'));
      assert.equal(await first.flush(), 0);
      // A load resumed after a crash reads some lines again.
      const resumed = await openRejectedAppender(log);
      for (const origin of ['f.csv:2', 'f.csv:3', 'f.csv:4']) resumed.add(rejected(origin));
      assert.equal(await resumed.flush(), 1);
      const origins: string[] = [];
      await forEachEvent(log, TOPICS.rejected, 0, 0, (r) => origins.push(r.origin));
      assert.deepEqual(origins, ['f.csv:2', 'f.csv:3', 'f.csv:4']);
      await log.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
