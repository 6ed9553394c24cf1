import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Candle, type Interval, isCryptoLambdaError } from '../../src/domain/index.js';
import { createCandleOperator, createSpeedView, SPEED_ERRORS } from '../../src/speed/index.js';
import { DAY0, MINUTE, trade } from './helpers.js';

function candle(openTime: number, fields: Partial<Candle> = {}): Candle {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + MINUTE - 1,
    open: 1,
    high: 1,
    low: 1,
    close: 1,
    volume: 0,
    quoteVolume: 0,
    trades: 0,
    takerBuyVolume: 0,
    takerBuyQuoteVolume: 0,
    state: 'closed',
    source: 'speed',
    ...fields,
  };
}

const query = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' as Interval };
const m = (minute: number): number => DAY0 + minute * MINUTE;

describe('speed view', () => {
  it('upserts by open time: a newer update or a revision replaces', () => {
    const view = createSpeedView();
    view.upsert(candle(m(0), { state: 'open', close: 1 }));
    view.upsert(candle(m(0), { state: 'open', close: 2 }));
    view.upsert(candle(m(1), { state: 'open' }));
    view.upsert(candle(m(0), { state: 'closed', close: 3 }));
    view.upsert(candle(m(0), { state: 'revised', close: 4 }));
    assert.deepEqual(
      view.candles({ ...query, limit: 10 }).map((c) => [c.openTime, c.state, c.close]),
      [
        [m(0), 'revised', 4],
        [m(1), 'open', 1],
      ],
    );
  });

  it('answers inclusive ranges, oldest first, the newest `limit` when more match', () => {
    const view = createSpeedView();
    for (const i of [5, 1, 3, 2, 4, 0]) view.upsert(candle(m(i)));
    const times = (q: { from?: number; to?: number; limit: number }): number[] =>
      view.candles({ ...query, ...q }).map((c) => (c.openTime - DAY0) / MINUTE);
    assert.deepEqual(times({ limit: 100 }), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(times({ from: m(1), to: m(3), limit: 100 }), [1, 2, 3]);
    assert.deepEqual(times({ from: m(1) + 1, to: m(3) - 1, limit: 100 }), [2]);
    assert.deepEqual(times({ limit: 2 }), [4, 5]);
    assert.deepEqual(times({ to: m(3), limit: 2 }), [2, 3]);
    assert.deepEqual(times({ from: m(6), limit: 5 }), []);
    assert.deepEqual(times({ limit: 0 }), []);
    assert.deepEqual(view.candles({ ...query, interval: '5m', limit: 5 }), []);
  });

  it('matches a reference model on random ranges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 80 }),
        fc.option(fc.integer({ min: -5, max: 205 }), { nil: undefined }),
        fc.option(fc.integer({ min: -5, max: 205 }), { nil: undefined }),
        fc.integer({ min: 0, max: 100 }),
        (minutes, from, to, limit) => {
          const view = createSpeedView();
          for (const i of minutes) view.upsert(candle(m(i)));
          const want = [...minutes]
            .sort((a, b) => a - b)
            .filter((i) => (from === undefined || i >= from) && (to === undefined || i <= to));
          const got = view
            .candles({
              ...query,
              limit,
              ...(from === undefined ? {} : { from: m(from) }),
              ...(to === undefined ? {} : { to: m(to) }),
            })
            .map((c) => (c.openTime - DAY0) / MINUTE);
          assert.deepEqual(got, limit === 0 ? [] : want.slice(-limit));
        },
      ),
    );
  });

  it('keeps every field of what it was given, through growth, trimming, revisions and late inserts', () => {
    // The view stores candles as columns: a reference model of the upsert rules (a list of
    // objects, as the view kept before) must read back the same candles, field for field.
    const keep = 20;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Mostly forward, sometimes back: late revisions and inserts among new candles.
            step: fc.integer({ min: -2, max: 4 }),
            close: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
            trades: fc.nat({ max: 1000 }),
            state: fc.constantFrom('closed' as const, 'revised' as const),
          }),
          { minLength: 200, maxLength: 400 },
        ),
        (updates) => {
          let minute = 0;
          const retention = { '1m': keep, '5m': keep, '15m': keep, '1h': keep, '4h': keep, '1d': keep };
          const view = createSpeedView({ retention });
          const model: Candle[] = [];
          for (const u of updates) {
            minute = Math.max(0, minute + u.step);
            const c = candle(m(minute), {
              close: u.close,
              high: u.close + 1,
              volume: u.close / 3,
              trades: u.trades,
              state: u.state,
            });
            view.upsert(c);
            const last = model.at(-1);
            if (last === undefined || last.openTime < c.openTime) {
              model.push(c);
              if (model.length >= keep + 64) model.splice(0, model.length - keep);
              continue;
            }
            const at = model.findIndex((x) => x.openTime >= c.openTime);
            if (model[at]?.openTime === c.openTime) model[at] = c;
            else if (model.length - at < keep) model.splice(at, 0, c);
          }
          assert.deepEqual(view.candles({ ...query, limit: 1000 }), model.slice(-keep));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("forgets a series' candles before a time, in every interval, and still knows the series", () => {
    const view = createSpeedView();
    for (let i = 0; i < 30; i++) view.upsert(candle(m(i), { trades: 1 }));
    for (let i = 0; i < 6; i++)
      view.upsert(candle(m(i * 5), { interval: '5m', closeTime: m(i * 5 + 5) - 1 }));
    view.upsert(candle(m(3), { symbol: 'ETH-USDT' }));
    assert.equal(view.forgetBefore('binance', 'BTC-USDT', m(10)), 10 + 2);
    assert.deepEqual(
      view.candles({ ...query, limit: 100 }).map((c) => (c.openTime - DAY0) / MINUTE),
      Array.from({ length: 20 }, (_, i) => 10 + i),
    );
    assert.equal(view.candles({ ...query, interval: '5m', limit: 100 })[0]?.openTime, m(10));
    assert.equal(
      view.candles({ ...query, symbol: 'ETH-USDT', limit: 100 }).length,
      1,
      'other series keep theirs',
    );
    assert.equal(view.series('binance', 'BTC-USDT')?.firstTradeTs, m(0), 'its first trade is remembered');
    assert.equal(view.forgetBefore('binance', 'BTC-USDT', m(10)), 0);
    assert.equal(view.forgetBefore('binance', 'NOPE-USDT', m(10)), 0);
  });

  it('keeps at most `retention` candles per series and interval', () => {
    const view = createSpeedView({ retention: { '1m': 100, '5m': 3, '15m': 3, '1h': 3, '4h': 3, '1d': 3 } });
    for (let i = 0; i < 1000; i++) view.upsert(candle(m(i)));
    const kept = view.candles({ ...query, limit: 10_000 });
    assert.equal(kept.length, 100);
    assert.equal(kept[0]?.openTime, m(900));
    // Older than what is kept: ignored; a revision of a kept candle still lands.
    view.upsert(candle(m(10)));
    view.upsert(candle(m(950), { state: 'revised' }));
    const after = view.candles({ ...query, limit: 10_000 });
    assert.equal(after.length, 100);
    assert.equal(after[0]?.openTime, m(900));
    assert.equal(after.find((c) => c.openTime === m(950))?.state, 'revised');
    assert.throws(
      () => createSpeedView({ retention: { '1m': 0, '5m': 3, '15m': 3, '1h': 3, '4h': 3, '1d': 3 } }),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.badOptions),
    );
  });

  it('lists symbols with their intervals and last trade, fed by the operator', () => {
    const op = createCandleOperator({ intervals: ['1m', '1h'] });
    const view = createSpeedView({}, op);
    const trades = [
      trade({ symbol: 'ETH-USDT', ts: m(2), price: 3, tradeId: '7' }),
      trade({ symbol: 'ETH-USDT', ts: m(2), price: 4, tradeId: '10' }),
      trade({ symbol: 'ETH-USDT', ts: m(1), price: 5, tradeId: '2' }),
      trade({ symbol: 'BTC-USDT', ts: m(0), price: 9 }),
    ];
    for (const t of trades) op.process(t, view.upsert);
    view.upsert(candle(m(0), { venue: 'alpha', symbol: 'X-Y', interval: '1d' }));
    assert.deepEqual(view.symbols(), [
      {
        venue: 'alpha',
        symbol: 'X-Y',
        intervals: ['1d'],
        firstTradeTs: null,
        lastTradeTs: null,
        lastPrice: 1,
      },
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        intervals: ['1m', '1h'],
        firstTradeTs: m(0),
        lastTradeTs: m(0),
        lastPrice: 9,
      },
      {
        venue: 'binance',
        symbol: 'ETH-USDT',
        intervals: ['1m', '1h'],
        firstTradeTs: m(1),
        lastTradeTs: m(2),
        lastPrice: 4,
      },
    ]);
    assert.deepEqual(
      view
        .candles({ venue: 'binance', symbol: 'ETH-USDT', interval: '1m', limit: 5 })
        .map((c) => [c.openTime, c.close, c.state]),
      [
        [m(1), 5, 'open'],
        [m(2), 4, 'open'],
      ],
    );
  });

  it('reads the buckets still open from the operator, after the closed ones it keeps', () => {
    const op = createCandleOperator({ intervals: ['1m'], openUpdates: 'on-drain' });
    const view = createSpeedView({}, op);
    const keepClosed = (c: Candle): void => {
      if (c.state !== 'open') view.upsert(c);
    };
    op.process(trade({ symbol: 'SOL-USDT', ts: m(0) + 5, price: 2 }), keepClosed);
    // Known, with its open candle, before anything closed.
    assert.deepEqual(
      view.find('SOLUSDT').map((s) => [s.symbol, s.firstTradeTs, s.lastPrice]),
      [['SOL-USDT', m(0), 2]],
    );
    const query = { venue: 'binance', symbol: 'SOL-USDT', interval: '1m' } as const;
    assert.deepEqual(
      view.candles({ ...query, limit: 10 }).map((c) => [c.openTime, c.state]),
      [[m(0), 'open']],
    );
    op.process(trade({ symbol: 'SOL-USDT', ts: m(3) + 5, price: 3 }), keepClosed);
    op.process(trade({ symbol: 'SOL-USDT', ts: m(3) + 9, price: 4 }), keepClosed);
    const all = view.candles({ ...query, limit: 10 }).map((c) => [c.openTime, c.state, c.close]);
    assert.deepEqual(all, [
      [m(0), 'closed', 2],
      [m(1), 'closed', 2],
      // The watermark (newest trade − 1 s) has not passed its end yet.
      [m(2), 'open', 2],
      [m(3), 'open', 4],
    ]);
    assert.deepEqual(
      view.candles({ ...query, limit: 2 }).map((c) => c.openTime),
      [m(2), m(3)],
    );
    assert.deepEqual(
      view.candles({ ...query, from: m(1), to: m(2), limit: 10 }).map((c) => c.openTime),
      [m(1), m(2)],
    );
    assert.deepEqual(
      view.candles({ ...query, from: m(3), limit: 10 }).map((c) => c.openTime),
      [m(3)],
    );
    assert.equal(view.series('binance', 'SOL-USDT')?.lastPrice, 4);
  });
});
