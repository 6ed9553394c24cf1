import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcile } from '../../../src/batch/index.js';
import type { Candle } from '../../../src/domain/index.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

function candle(i: number, fields: Partial<Candle> = {}): Candle {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime: T0 + i * MIN,
    closeTime: T0 + (i + 1) * MIN - 1,
    open: 10,
    high: 12,
    low: 9,
    close: 11,
    volume: 3,
    quoteVolume: 33,
    trades: 3,
    takerBuyVolume: 1,
    takerBuyQuoteVolume: 11,
    state: 'closed',
    source: 'speed',
    ...fields,
  };
}

describe('reconciliation', () => {
  it('names each difference by its cause, and skips what the speed layer has not finished', () => {
    const speed = [
      candle(0),
      candle(1, { trades: 2, volume: 2 }), // batch saw a late trade
      candle(2, { trades: 4 }), // speed counted a duplicate
      candle(3, { close: 11.5 }), // same count, other values
      // minute 4: the speed layer never had it
      candle(5), // the batch layer has no candle for it
      candle(6, { state: 'open', trades: 1 }), // still open: not compared
      candle(0, { symbol: 'ETH-USDT' }),
    ];
    const batch = [0, 1, 2, 3, 4, 6, 7].map((i) => candle(i, { source: 'batch' }));
    // Not reached by the speed layer (after its newest bucket of the series): not compared.
    batch.push(candle(9, { source: 'batch' }), candle(1, { symbol: 'SOL-USDT', source: 'batch' }));
    // Volume at 8 decimals, quote volume to 1e-9 relative: float noise is no difference.
    batch.push(candle(0, { symbol: 'ETH-USDT', volume: 3.000000001, quoteVolume: 33 * (1 + 1e-12) }));
    const diffs = reconcile(speed, batch).map((d) => [d.symbol, (d.openTime - T0) / MIN, d.field, d.cause]);
    assert.deepEqual(diffs, [
      ['BTC-USDT', 1, 'trades', 'late_trade'],
      ['BTC-USDT', 2, 'trades', 'duplicate'],
      ['BTC-USDT', 3, 'close', 'mismatch'],
      ['BTC-USDT', 4, 'candle', 'missing_in_speed'],
      ['BTC-USDT', 5, 'candle', 'missing_in_batch'],
    ]);
  });
});
