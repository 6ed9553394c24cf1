import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { batchCandles } from '../../src/batch/index.js';
import { type Candle, INTERVALS, type Interval, roundTo, type Trade } from '../../src/domain/index.js';
import { createSimulator } from '../../src/ingest/index.js';
import { finalCandles } from '../../src/speed/index.js';
import { FIXTURES, parseCsv } from '../cli/helpers.js';
import { xrpethTrades } from './jobs/helpers.js';

const DAY = `${FIXTURES}binance/xrpeth-2019-10-11/`;
const END_OF_DAY = Date.UTC(2019, 9, 12);

const key = (c: Candle): string => `${c.venue}|${c.symbol}|${c.openTime}`;

function assertSameCandles(batch: readonly Candle[], speed: readonly Candle[]): void {
  assert.equal(batch.length, speed.length);
  const bySpeed = new Map(speed.map((c) => [key(c), c]));
  for (const b of batch) {
    const s = bySpeed.get(key(b));
    assert.ok(s !== undefined, `speed has ${key(b)}`);
    for (const field of ['open', 'high', 'low', 'close', 'trades', 'closeTime'] as const) {
      assert.equal(b[field], s[field], `${field} of ${key(b)}`);
    }
    for (const field of ['volume', 'takerBuyVolume'] as const)
      assert.equal(roundTo(b[field]), roundTo(s[field]), field);
    for (const field of ['quoteVolume', 'takerBuyQuoteVolume'] as const) {
      assert.ok(
        Math.abs(b[field] - s[field]) <= 1e-9 * Math.max(1, Math.abs(s[field])),
        `${field} of ${key(b)}`,
      );
    }
    assert.equal(b.source, 'batch');
  }
}

describe('batch candles (DuckDB)', () => {
  for (const interval of ['1m', '5m'] as const) {
    it(`reproduce Binance's own ${interval} klines of the real XRPETH day exactly, empty buckets included`, async () => {
      const candles = await batchCandles([await xrpethTrades()], { interval, toTs: END_OF_DAY });
      const binance = parseCsv(readFileSync(`${DAY}XRPETH-${interval}-2019-10-11.csv`, 'utf8'));
      assert.equal(candles.length, binance.length);
      binance.forEach((k, i) => {
        const c = candles[i]!;
        assert.equal(c.openTime, Number(k['open_time']));
        for (const [field, column] of [
          ['open', 'open'],
          ['high', 'high'],
          ['low', 'low'],
          ['close', 'close'],
        ] as const) {
          assert.equal(c[field], Number(k[column]), `${column} at ${k['open_time']}`);
        }
        assert.equal(roundTo(c.volume), Number(k['volume']), `volume at ${k['open_time']}`);
      });
    });
  }

  it('equal the speed layer on every interval of the real day', async () => {
    const trades = await xrpethTrades();
    for (const interval of INTERVALS) {
      const batch = await batchCandles([trades], { interval, toTs: END_OF_DAY });
      const speed: Candle[] = [];
      for await (const c of finalCandles(trades, { interval, toTs: END_OF_DAY })) speed.push(c);
      assertSameCandles(batch, speed);
    }
  });

  it('equal the speed layer on several simulated markets with quiet stretches', async () => {
    // 8 markets at 0.2 trades/s in all: about 8 hours of event time, many empty minutes.
    const startTs = Date.UTC(2024, 0, 1);
    const sim = createSimulator({
      seed: 3,
      realtime: false,
      startTs,
      tradesPerSec: 0.2,
      maxTrades: 6_000,
      now: () => startTs,
    });
    const sorted: Trade[] = [];
    for await (const batch of sim.batches({ signal: new AbortController().signal }))
      sorted.push(...batch.trades);
    for (const interval of ['1m', '5m', '1h'] as const) {
      const batch = await batchCandles([sorted], { interval });
      const speed: Candle[] = [];
      for await (const c of finalCandles(sorted, { interval })) speed.push(c);
      assert.ok(new Set(batch.map((c) => c.symbol)).size >= 4);
      if (interval === '1m')
        assert.ok(batch.filter((c) => c.trades === 0).length > 10, 'empty minutes are compared too');
      assertSameCandles(batch, speed);
    }
  });

  it('equal the speed layer on any trades: ties in time, numeric ids of any size, ids that are not numbers', async () => {
    const series = fc.constantFrom(
      { venue: 'binance', symbol: 'BTC-USDT', ids: 'small' },
      { venue: 'binance', symbol: 'ETH-USDT', ids: 'huge' },
      { venue: 'kraken', symbol: 'BTC-USD', ids: 'text' },
    );
    const raw = fc.record({
      series,
      dtMs: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 90_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
      ),
      id: fc.integer({ min: 0, max: 1_000_000 }),
      price: fc.double({ min: 0.001, max: 1000, noNaN: true }),
      qty: fc.double({ min: 0.0001, max: 50, noNaN: true }),
      buy: fc.boolean(),
      count: fc.integer({ min: 1, max: 5 }),
    });
    const interval = fc.constantFrom<Interval>('1m', '5m', '1h', '1d');
    await fc.assert(
      fc.asyncProperty(fc.array(raw, { minLength: 1, maxLength: 60 }), interval, async (raws, iv) => {
        const start = Date.UTC(2024, 0, 1, 23);
        let ts = start;
        const seen = new Set<string>();
        const trades: Trade[] = [];
        for (const r of raws) {
          ts += r.dtMs;
          const tradeId =
            r.series.ids === 'small'
              ? String(r.id)
              : r.series.ids === 'huge'
                ? String(r.id % 2 === 0 ? r.id : 999_999_999_999_000_000 + r.id)
                : `t${r.id.toString(36)}`;
          const key = `${r.series.venue}|${r.series.symbol}|${tradeId}`;
          if (seen.has(key)) continue;
          seen.add(key);
          trades.push({
            venue: r.series.venue,
            symbol: r.series.symbol,
            tradeId,
            ts,
            price: r.price,
            qty: r.qty,
            side: r.buy ? 'buy' : 'sell',
            count: r.count,
            recvTs: ts,
          });
        }
        const batch = await batchCandles([trades], { interval: iv });
        const speed: Candle[] = [];
        for await (const c of finalCandles(trades, { interval: iv })) speed.push(c);
        assertSameCandles(batch, speed);
      }),
      { numRuns: 60 },
    );
  });
});
