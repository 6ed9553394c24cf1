import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { appendEvents, openFileLog, TOPICS } from '../../src/log/index.js';
import { XRPETH_FIRST_TRADE } from '../sample-trade.js';

const OLD_TRADE = XRPETH_FIRST_TRADE;

describe('topics', () => {
  it('stamp records with their append time, so retention never expires a replay of old data on arrival', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-topics-'));
    const log = await openFileLog({ dir });
    try {
      await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
      const before = Date.now();
      await appendEvents(log, TOPICS.trades, [OLD_TRADE]);
      const [record] = await log.read(TOPICS.trades.name, log.partitionFor('trades', 'binance:XRP-ETH'), 0);
      assert.ok(record !== undefined && record.ts >= before && record.ts <= Date.now());
      assert.equal(await log.applyRetention(Date.now()), 0, 'a trade of 2019 appended now is within 7 days');
      assert.equal(
        await log.applyRetention(Date.now() + 8 * 86_400_000),
        1,
        '…and goes 7 days after its append',
      );
    } finally {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
