import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Trade } from '../../../src/domain/index.js';
import {
  createSeriesNumbers,
  createSeriesTable,
  NO_SERIES,
  packTrades,
  unpackTrades,
} from '../../../src/ingest/worker/protocol.js';
import { TOPICS } from '../../../src/log/index.js';
import { simulatedTrades } from '../../pipeline/synthetic.js';

/** Trades of `symbols` series (on two venues), as a worker would send them in batches of `size`. */
async function batchesOf(symbols: number, size: number): Promise<Trade[][]> {
  const trades = (await simulatedTrades(2_000, 3)).map((t, i) => ({
    ...t,
    venue: i % 2 === 0 ? 'binance' : 'bybit',
    symbol: `S${i % symbols}USDT`,
  }));
  const batches: Trade[][] = [];
  for (let i = 0; i < trades.length; i += size) batches.push(trades.slice(i, i + size));
  return batches;
}

describe('worker protocol: trades with their series numbers', () => {
  for (const max of [1 << 20, 7]) {
    it(`unpacks each batch to the same trades and their keys, numbering at most ${max} series`, async () => {
      const numbers = createSeriesNumbers(max);
      const table = createSeriesTable();
      let unnumbered = 0;
      for (const batch of await batchesOf(40, 128)) {
        const packed = packTrades(batch, numbers);
        // Each series is named once, in the batch that numbers it.
        assert.equal(packed.named.length % 2, 0);
        unnumbered += packed.series.filter((n) => n === NO_SERIES).length;
        const { trades, encoded, keys } = unpackTrades(
          packed.buffer,
          packed.ends,
          packed.series,
          packed.named,
          table,
        );
        assert.deepEqual(trades, batch);
        assert.deepEqual(
          keys,
          batch.map((t) => TOPICS.trades.key(t)),
        );
        encoded.forEach((bytes, i) => {
          assert.deepEqual(Buffer.from(bytes), Buffer.from(TOPICS.trades.codec.encode(batch[i]!)));
        });
      }
      // 40 symbols on two venues alternating with an even count: 40 series in all.
      assert.equal(table.series.length, Math.min(max, 40));
      assert.equal(unnumbered > 0, max < 40, 'the series past the bound go unnumbered');
    });
  }
});
