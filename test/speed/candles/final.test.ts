import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Candle, INTERVAL_MS, type Interval, roundTo, type Trade } from '../../../src/domain/index.js';
import { createCandleOperator, finalCandles } from '../../../src/speed/index.js';
import { DAY0, latest, MINUTE, readAggTrades, readKlines, trade } from '../helpers.js';

const FIXTURE = 'test/fixtures/binance/xrpeth-2019-10-11/';
const DAY_END = DAY0 + 86_400_000;
const xrpeth = readAggTrades(`${FIXTURE}XRPETH-aggTrades-2019-10-11.csv.gz`, 'XRP-ETH');

async function collect(stream: AsyncIterable<Candle>): Promise<Candle[]> {
  const out: Candle[] = [];
  for await (const candle of stream) out.push(candle);
  return out;
}

async function* inBatches(trades: readonly Trade[], size: number): AsyncGenerator<Trade[]> {
  for (let i = 0; i < trades.length; i += size) yield trades.slice(i, i + size);
}

/** Checks candles against Binance's own klines, every row (empty minutes included). */
function assertMatchesKlines(candles: readonly Candle[], interval: Interval, file: string): void {
  const klines = readKlines(`${FIXTURE}${file}`);
  assert.equal(candles.length, klines.length);
  const intervalMs = INTERVAL_MS[interval];
  const countByBucket = new Map<number, number>();
  for (const t of xrpeth) {
    const openTime = Math.floor(t.ts / intervalMs) * intervalMs;
    countByBucket.set(openTime, (countByBucket.get(openTime) ?? 0) + t.count);
  }
  klines.forEach((k, i) => {
    const c = candles[i] as Candle;
    const got = [c.openTime, c.open, c.high, c.low, c.close, c.volume].map((v) => roundTo(v, 8));
    assert.deepEqual(got, [k.openTime, k.open, k.high, k.low, k.close, k.volume], `row ${i + 1}`);
    assert.equal(c.trades, countByBucket.get(c.openTime) ?? 0, `trades of row ${i + 1}`);
    assert.equal(c.state, 'closed');
  });
}

describe('oracle: Binance XRPETH 2019-10-11', () => {
  it('has the fixture this test expects', () => {
    assert.equal(xrpeth.length, 5929);
  });

  for (const [interval, file, rows] of [
    ['1m', 'XRPETH-1m-2019-10-11.csv', 1440],
    ['5m', 'XRPETH-5m-2019-10-11.csv', 288],
  ] as const) {
    it(`finalCandles builds the ${rows} ${interval} klines exactly`, async () => {
      const candles = await collect(finalCandles(xrpeth, { interval, toTs: DAY_END }));
      assert.equal(candles.length, rows);
      assertMatchesKlines(candles, interval, file);
    });
  }

  it('the operator with all six intervals ends with the same 1m and 5m candles', () => {
    const op = createCandleOperator();
    const out: Candle[] = [];
    const emit = (c: Candle): void => {
      if (c.state !== 'open') out.push(c);
    };
    for (const t of xrpeth) op.process(t, emit);
    op.flush(DAY_END, emit);
    const final = [...latest(out).values()].sort((a, b) => a.openTime - b.openTime);
    assertMatchesKlines(
      final.filter((c) => c.interval === '1m' && c.openTime < DAY_END),
      '1m',
      'XRPETH-1m-2019-10-11.csv',
    );
    assertMatchesKlines(
      final.filter((c) => c.interval === '5m' && c.openTime < DAY_END),
      '5m',
      'XRPETH-5m-2019-10-11.csv',
    );
    const day = final.find((c) => c.interval === '1d');
    assert.equal(
      day?.trades,
      xrpeth.reduce((n, t) => n + t.count, 0),
    );
    assert.deepEqual(op.counters(), { tradesProcessed: 5929, lateDropped: 0, revised: 0 });
  });
});

describe('finalCandles', () => {
  const m = (minute: number, offsetMs = 0): number => DAY0 + minute * MINUTE + offsetMs;

  it('streams async batches, filters a series, and ends at the last trade by default', async () => {
    const trades = [
      trade({ symbol: 'A-USDT', ts: m(0, 1), price: 1 }),
      trade({ symbol: 'B-USDT', ts: m(0, 2), price: 50 }),
      trade({ symbol: 'A-USDT', ts: m(3, 1), price: 2 }),
      trade({ symbol: 'B-USDT', ts: m(9, 2), price: 51 }),
    ];
    const a = await collect(finalCandles(inBatches(trades, 1), { interval: '1m', symbol: 'A-USDT' }));
    assert.deepEqual(
      a.map((c) => [c.symbol, c.openTime, c.close, c.trades]),
      [
        ['A-USDT', m(0), 1, 1],
        ['A-USDT', m(1), 1, 0],
        ['A-USDT', m(2), 1, 0],
        ['A-USDT', m(3), 2, 1],
      ],
    );
    // Series interleave; within each, open times ascend.
    const all = await collect(finalCandles(trades, { interval: '5m' }));
    const bySymbol = (symbol: string): unknown[] =>
      all.filter((c) => c.symbol === symbol).map((c) => [c.openTime, c.close]);
    assert.equal(all.length, 4);
    assert.deepEqual(bySymbol('A-USDT'), [
      [m(0), 2],
      [m(5), 2],
    ]);
    assert.deepEqual(bySymbol('B-USDT'), [
      [m(0), 50],
      [m(5), 51],
    ]);
  });

  it('yields each bucket once, in its final form, as late trades within lateness arrive', async () => {
    const trades = [
      trade({ ts: m(0, 1), price: 1 }),
      trade({ ts: m(1, 30_000), price: 3 }),
      // Bucket 0 is closed (watermark m(1)+29 s) but within lateness: revised, not repeated.
      trade({ ts: m(0, 50_000), price: 2 }),
      trade({ ts: m(30), price: 4 }),
      trade({ ts: m(0, 2), price: 9 }),
    ];
    const stream = finalCandles(trades, { interval: '1m', toTs: m(3) });
    const out = await collect(stream);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.high, c.close]),
      [
        [m(0), 'closed', 2, 2],
        [m(1), 'closed', 3, 3],
        [m(2), 'closed', 3, 3],
      ],
    );
    assert.equal(stream.counters().lateDropped, 1);
  });

  it('yields nothing for no trades', async () => {
    assert.deepEqual(await collect(finalCandles([], { interval: '1h' })), []);
  });
});
