import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createReconciliationJob, reconcile, type SpeedCandleSource } from '../../../src/batch/index.js';
import type { Candle } from '../../../src/domain/index.js';
import {
  type CandleRow,
  makeContext,
  openWorkspace,
  readParquet,
  type Workspace,
  writeCandles,
} from './helpers.js';

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

describe('reconciliation job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('reads the gold file one series at a time and finds what the whole-day comparison finds', async () => {
    // Six series over two intervals: both sides, batch only, speed only, and random differences.
    const rng = (seed: number) => () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const random = rng(7);
    const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'ADA-USDT', 'DOT-USDT'];
    const speed: Candle[] = [];
    const gold: CandleRow[] = [];
    for (const [n, symbol] of symbols.entries()) {
      for (const interval of ['1m', '1h'] as const) {
        const ms = interval === '1m' ? MIN : 60 * MIN;
        // Within the day (1h: all 24 of it), the last one still open on the speed side.
        const count = interval === '1m' ? 30 : 24;
        for (let i = 0; i < count; i++) {
          const openTime = T0 + i * ms;
          const trades = 1 + Math.floor(random() * 5);
          const close = 10 + Math.floor(random() * 3);
          if (n !== 2 && random() > 0.1)
            gold.push({
              interval,
              symbol,
              openTime,
              close,
              open: 10,
              high: 12,
              low: 9,
              volume: 3,
              quoteVolume: 33,
              trades,
            });
          if (n !== 3 && random() > 0.1) {
            const off = random();
            speed.push(
              candle(0, {
                symbol,
                interval,
                openTime,
                closeTime: openTime + ms - 1,
                close: off > 0.9 ? close + 0.5 : close,
                trades: off > 0.95 ? trades + 1 : trades,
                state: i === count - 1 ? 'open' : 'closed',
              }),
            );
          }
        }
      }
    }
    // Written in random order: the job must group each series itself.
    const shuffled = gold
      .map((g) => ({ g, r: random() }))
      .sort((a, b) => a.r - b.r)
      .map(({ g }) => g);
    const goldPath = await writeCandles(ws.connection, ws.path('gold-candles.parquet'), shuffled);
    const ctx = makeContext(ws, { date: '2024-01-01', gold: { 'candles/2024-01-01': goldPath } });
    const source: SpeedCandleSource = {
      series: () => [...new Set(speed.map((c) => c.symbol))].map((symbol) => ({ venue: 'binance', symbol })),
      candles: (venue, symbol, interval, fromTs, untilTs) =>
        speed.filter(
          (c) =>
            c.venue === venue &&
            c.symbol === symbol &&
            c.interval === interval &&
            c.openTime >= fromTs &&
            c.openTime < untilTs,
        ),
    };
    await createReconciliationJob(source).run(ctx);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    const batchSide = gold.map((g) => ({
      venue: 'binance',
      symbol: g.symbol,
      interval: g.interval as Candle['interval'],
      openTime: g.openTime,
      trades: g.trades ?? 0,
      open: g.open ?? g.close,
      high: g.high ?? g.close,
      low: g.low ?? g.close,
      close: g.close,
      volume: g.volume ?? 0,
      quoteVolume: g.quoteVolume ?? 0,
    }));
    const expected = reconcile(speed, batchSide);
    assert.ok(expected.length > 20, `${expected.length} differences`);
    const causes = new Set(expected.map((d) => d.cause));
    for (const cause of ['missing_in_speed', 'missing_in_batch', 'duplicate', 'mismatch'])
      assert.ok(causes.has(cause as never), cause);
    const got = rows.map((r) => `${r.interval}|${r.symbol}|${r.open_time}|${r.field}|${r.cause}`);
    const want = expected.map((d) => `${d.interval}|${d.symbol}|${d.openTime}|${d.field}|${d.cause}`);
    assert.deepEqual(got.sort(), want.sort());
  });
});
