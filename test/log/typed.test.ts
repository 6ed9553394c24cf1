import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { it } from 'node:test';
import type { Trade } from '../../src/domain/index.js';
import {
  appendEvents,
  decodeRecords,
  decodeStoredRecords,
  ensureTopics,
  forEachEvent,
  openFileLog,
  TOPICS,
  toAppendRecords,
} from '../../src/log/index.js';
import { tempDir } from './adapters/file/helpers.js';

function trade(i: number, symbol: string): Trade {
  return {
    venue: 'binance',
    symbol,
    tradeId: String(1000 + i),
    ts: 1_700_000_000_000 + i,
    price: 100 + i / 8,
    qty: 0.5 + i,
    side: i % 2 === 0 ? 'buy' : 'sell',
    count: 1,
    recvTs: 1_700_000_000_500 + i,
  };
}

it('appends typed events keyed, timestamped and encoded as their topic declares, and decodes them', async () => {
  const dir = await tempDir();
  const log = await openFileLog({ dir });
  try {
    await ensureTopics(log, Object.values(TOPICS));
    await ensureTopics(log, Object.values(TOPICS));
    const trades = Array.from({ length: 30 }, (_, i) => trade(i, i % 3 === 0 ? 'BTC-USDT' : 'ETH-USDT'));
    const before = Date.now();
    const records = toAppendRecords(TOPICS.trades, trades);
    assert.deepEqual(
      records.map((r) => r.key),
      trades.map((t) => `binance:${t.symbol}`),
    );
    // Records carry their append time (retention counts from it), not an event time.
    for (const r of records) assert.ok(r.ts >= before && r.ts <= Date.now());
    const acks = await appendEvents(log, TOPICS.trades, trades);
    assert.equal(acks.length, trades.length);
    const back: Trade[] = [];
    for (let p = 0; p < TOPICS.trades.config.partitions; p++) {
      const stored = await log.read(TOPICS.trades.name, p, 0);
      back.push(...decodeRecords(TOPICS.trades, stored));
      const positioned = decodeStoredRecords(TOPICS.trades, stored);
      positioned.forEach((r, i) => {
        assert.equal(r.offset, i);
        assert.equal(r.partition, p);
        assert.equal(r.key, `binance:${r.value.symbol}`);
        assert.ok(r.ts >= before && r.ts <= Date.now());
      });
    }
    const byId = (a: Trade, b: Trade) => a.tradeId.localeCompare(b.tradeId);
    assert.deepEqual(back.sort(byId), [...trades].sort(byId));
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

it('forEachEvent visits every value of a partition from an offset, across read batches', async () => {
  const dir = await tempDir();
  const log = await openFileLog({ dir });
  try {
    await ensureTopics(log, [TOPICS.trades]);
    const trades = Array.from({ length: 23 }, (_, i) => trade(i, 'BTC-USDT'));
    for (let i = 0; i < trades.length; i += 5) await appendEvents(log, TOPICS.trades, trades.slice(i, i + 5));
    const partition = log.partitionFor(TOPICS.trades.name, TOPICS.trades.key(trades[0]!));
    const seen: string[] = [];
    await forEachEvent(log, TOPICS.trades, partition, 7, (t) => seen.push(t.tradeId), 4);
    assert.deepEqual(
      seen,
      trades.slice(7).map((t) => t.tradeId),
    );
    const all: string[] = [];
    await forEachEvent(log, TOPICS.trades, partition, 0, (t) => all.push(t.tradeId), 3);
    assert.equal(all.length, 23);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
