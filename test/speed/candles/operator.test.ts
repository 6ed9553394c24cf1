import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Candle, isCryptoLambdaError } from '../../../src/domain/index.js';
import {
  CANDLE_OPERATOR,
  CANDLE_OPERATOR_DEFAULTS,
  type CandleOperatorState,
  createCandleOperator,
  SPEED_ERRORS,
} from '../../../src/speed/index.js';
import { collector, DAY0, latest, MINUTE, trade } from '../helpers.js';

const m = (minute: number, offsetMs = 0): number => DAY0 + minute * MINUTE + offsetMs;

describe('candle operator: one bucket', () => {
  it('emits an open candle per trade and interval, with Binance close times', () => {
    const op = createCandleOperator({ intervals: ['1m', '5m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(1, 500), price: 10, qty: 2, side: 'buy' }), emit);
    assert.equal(out.length, 2);
    assert.deepEqual(out[0], {
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      openTime: m(1),
      closeTime: m(2) - 1,
      open: 10,
      high: 10,
      low: 10,
      close: 10,
      volume: 2,
      quoteVolume: 20,
      trades: 1,
      takerBuyVolume: 2,
      takerBuyQuoteVolume: 20,
      state: 'open',
      source: 'speed',
    });
    assert.equal(out[1]?.interval, '5m');
    assert.equal(out[1]?.openTime, m(0));
    assert.equal(out[1]?.closeTime, m(5) - 1);
  });

  it('orders trades by (ts, tradeId) whatever the arrival order', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    // Arrival: the last trade first, the first trade last; ids tie-break equal timestamps
    // numerically ("9" before "10").
    op.process(trade({ ts: m(0, 900), tradeId: '10', price: 7 }), emit);
    op.process(trade({ ts: m(0, 100), tradeId: '11', price: 3, side: 'sell', qty: 4 }), emit);
    op.process(trade({ ts: m(0, 900), tradeId: '9', price: 8 }), emit);
    op.process(trade({ ts: m(0, 100), tradeId: '12', price: 5, count: 3 }), emit);
    const last = out.at(-1);
    assert.equal(last?.open, 3);
    assert.equal(last?.close, 7);
    assert.equal(last?.high, 8);
    assert.equal(last?.low, 3);
    assert.equal(last?.volume, 7);
    assert.equal(last?.quoteVolume, 7 + 12 + 8 + 5);
    assert.equal(last?.takerBuyVolume, 3);
    assert.equal(last?.takerBuyQuoteVolume, 7 + 8 + 5);
    assert.equal(last?.trades, 6);
    assert.deepEqual(
      out.map((c) => c.state),
      ['open', 'open', 'open', 'open'],
    );
  });

  it('compensates sums (ten 0.1 lots make exactly 1)', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    for (let i = 0; i < 10; i++) op.process(trade({ ts: m(0, i), price: 1, qty: 0.1 }), emit);
    assert.equal(out.at(-1)?.volume, 1);
    assert.equal(out.at(-1)?.quoteVolume, 1);
  });
});

describe('candle operator: watermark and empty buckets', () => {
  it('closes a bucket once the watermark (max ts − 1000) reaches its end, exactly once', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 1 }), emit);
    op.process(trade({ ts: m(1, 999), price: 2 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state]),
      [
        [m(0), 'open'],
        [m(1), 'open'],
      ],
    );
    op.process(trade({ ts: m(1, 1000), price: 3 }), emit);
    op.process(trade({ ts: m(1, 2000), price: 4 }), emit);
    const closed = out.filter((c) => c.state === 'closed');
    assert.equal(closed.length, 1);
    assert.equal(closed[0]?.openTime, m(0));
    assert.equal(closed[0]?.close, 1);
  });

  it('creates the empty buckets of a gap as candles carrying the previous close', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 5), price: 10 }), emit);
    op.process(trade({ ts: m(0, 50), price: 11 }), emit);
    op.process(trade({ ts: m(4, 30_000), price: 12 }), emit);
    const closed = out.filter((c) => c.state === 'closed');
    assert.deepEqual(
      closed.map((c) => c.openTime),
      [m(0), m(1), m(2), m(3)],
    );
    for (const gap of closed.slice(1)) {
      assert.deepEqual(
        [gap.open, gap.high, gap.low, gap.close, gap.volume, gap.quoteVolume, gap.trades],
        [11, 11, 11, 11, 0, 0, 0],
      );
      assert.equal(gap.takerBuyVolume, 0);
    }
  });

  it('emits a gap bucket the watermark has not passed as open, then closes it', () => {
    const op = createCandleOperator({ intervals: ['1m'], maxOutOfOrdernessMs: 90_000 });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0), price: 1 }), emit);
    op.process(trade({ ts: m(2, 10_000), price: 2 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state]),
      [
        [m(0), 'open'],
        [m(1), 'open'],
        [m(2), 'open'],
      ],
    );
    op.process(trade({ ts: m(2, 40_000), price: 3 }), emit);
    assert.deepEqual(
      out.slice(3).map((c) => [c.openTime, c.state]),
      [
        [m(0), 'closed'],
        [m(2), 'open'],
      ],
    );
  });

  it('keeps symbols independent: one symbol never closes another', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ symbol: 'A-USDT', ts: m(0), price: 1 }), emit);
    op.process(trade({ symbol: 'B-USDT', ts: m(10), price: 2 }), emit);
    op.process(trade({ venue: 'other', symbol: 'A-USDT', ts: m(20), price: 3 }), emit);
    assert.equal(out.filter((c) => c.state === 'closed').length, 0);
    assert.deepEqual(
      op.watermarks().map((w) => [w.venue, w.symbol, w.watermarkTs]),
      [
        ['binance', 'A-USDT', m(0) - 1000],
        ['binance', 'B-USDT', m(10) - 1000],
        ['other', 'A-USDT', m(20) - 1000],
      ],
    );
    op.process(trade({ symbol: 'A-USDT', ts: m(1, 1000), price: 4 }), emit);
    const closed = out.filter((c) => c.state === 'closed');
    assert.deepEqual(
      closed.map((c) => [c.venue, c.symbol, c.openTime]),
      [['binance', 'A-USDT', m(0)]],
    );
  });
});

describe('candle operator: late trades', () => {
  it('revises a closed bucket within lateness and cascades over following empty buckets', () => {
    const op = createCandleOperator({ intervals: ['1m'], allowedLatenessMs: 5 * MINUTE });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    op.process(trade({ ts: m(3, 5000), price: 9 }), emit);
    op.process(trade({ ts: m(3, 40_000), price: 9 }), emit);
    out.length = 0;
    // Bucket 0 ends at m(1); watermark m(3)+39s is behind end + 5 min.
    op.process(trade({ ts: m(0, 59_000), price: 6 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close, c.open]),
      [
        [m(0), 'revised', 6, 5],
        [m(1), 'revised', 6, 6],
        [m(2), 'revised', 6, 6],
      ],
    );
    assert.equal(out[0]?.trades, 2);
    assert.equal(op.counters().revised, 3);
    // A trade that does not move the close revises only its own bucket.
    out.length = 0;
    op.process(trade({ ts: m(0, 20), price: 100 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.high]),
      [[m(0), 'revised', 100]],
    );
  });

  it('stops the cascade at the first bucket with trades', () => {
    const op = createCandleOperator({ intervals: ['1m'], allowedLatenessMs: 5 * MINUTE });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    op.process(trade({ ts: m(2, 10), price: 7 }), emit);
    op.process(trade({ ts: m(3, 30_000), price: 8 }), emit);
    out.length = 0;
    op.process(trade({ ts: m(0, 30_000), price: 6 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close]),
      [
        [m(0), 'revised', 6],
        [m(1), 'revised', 6],
      ],
    );
  });

  it('drops and counts a trade beyond lateness; the bucket leaves state', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    // Watermark m(2) exactly: bucket 0's end + 60 s, so it can no longer be revised.
    op.process(trade({ ts: m(2, 1000), price: 6 }), emit);
    const before = JSON.stringify(op.snapshot().series);
    out.length = 0;
    op.process(trade({ ts: m(0, 20), price: 7 }), emit);
    assert.equal(out.length, 0);
    assert.deepEqual(op.counters(), { tradesProcessed: 3, lateDropped: 1, revised: 0 });
    assert.equal(JSON.stringify(op.snapshot().series), before);
    // One ms less late is still within lateness.
    const op2 = createCandleOperator({ intervals: ['1m'] });
    op2.process(trade({ ts: m(0, 10), price: 5 }), emit);
    op2.process(trade({ ts: m(2, 999), price: 6 }), emit);
    out.length = 0;
    op2.process(trade({ ts: m(0, 20), price: 7 }), emit);
    assert.equal(out[0]?.state, 'revised');
    assert.equal(op2.counters().lateDropped, 0);
  });

  it('counts a trade late for one interval but not another once, and keeps it where it fits', () => {
    const op = createCandleOperator({ intervals: ['1m', '1h'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    op.process(trade({ ts: m(5), price: 6 }), emit);
    out.length = 0;
    op.process(trade({ ts: m(0, 20), price: 7, qty: 3 }), emit);
    assert.deepEqual(
      out.map((c) => [c.interval, c.state, c.volume]),
      [['1h', 'open', 5]],
    );
    assert.equal(op.counters().lateDropped, 1);
  });

  it('creates buckets before the first one for a late trade within lateness', () => {
    const op = createCandleOperator({ intervals: ['1m'], allowedLatenessMs: 5 * MINUTE });
    const { out, emit } = collector();
    op.process(trade({ ts: m(3, 10), price: 5 }), emit);
    op.process(trade({ ts: m(3, 30_000), price: 6 }), emit);
    out.length = 0;
    // Watermark m(3)+29s: buckets 1 and 2 are past it (closed) but within lateness.
    op.process(trade({ ts: m(1, 59_000), price: 4 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.open, c.close, c.trades]),
      [
        [m(1), 'closed', 4, 4, 1],
        [m(2), 'closed', 4, 4, 0],
      ],
    );
    // Another one before those: the new first bucket joins the gap filled from its close.
    out.length = 0;
    op.process(trade({ ts: m(0, 1), price: 3 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close, c.trades]),
      [[m(0), 'closed', 3, 1]],
    );
    // Once the watermark passes bucket -1's end + 5 min, a trade for it is dropped.
    op.process(trade({ ts: m(5, 1000), price: 6 }), emit);
    out.length = 0;
    op.process(trade({ ts: m(-1, 5), price: 1 }), emit);
    assert.equal(out.length, 0);
    assert.equal(op.counters().lateDropped, 1);
    assert.equal(op.counters().revised, 0);
  });
});

describe('candle operator: openCandles', () => {
  it('after a restore, lists the open buckets as the last open updates before the snapshot had them', () => {
    const before = createCandleOperator({});
    const { out, emit } = collector();
    for (const [minute, price] of [
      [0, 5],
      [0, 6],
      [3, 7],
      [3, 4],
    ] as const) {
      before.process(trade({ ts: m(minute, 500), price }), emit);
    }
    const lastOpen = [...latest(out).values()].filter((c) => c.state === 'open');
    const after = createCandleOperator({});
    after.restore(JSON.parse(JSON.stringify(before.snapshot())) as ReturnType<typeof before.snapshot>);
    const listed = collector();
    after.openCandles(listed.emit);
    const key = (c: Candle): string => `${c.interval}:${c.openTime}`;
    assert.ok(lastOpen.length >= 6, 'one open bucket per interval at least');
    assert.deepEqual(
      [...listed.out].sort((a, b) => key(a).localeCompare(key(b))),
      [...lastOpen].sort((a, b) => key(a).localeCompare(key(b))),
    );
  });
});

describe('candle operator: open interest', () => {
  it('marks open buckets only of the series and intervals somebody wants, and asks again when that changes', () => {
    const wanted = new Set(['BTC-USDT:1m']);
    let version = 0;
    let asked = 0;
    const op = createCandleOperator({
      intervals: ['1m', '5m'],
      openUpdates: 'on-drain',
      openInterest: {
        version: () => version,
        wants: (_venue, symbol, interval) => {
          asked++;
          return wanted.has(`${symbol}:${interval}`);
        },
      },
    });
    const { out, emit } = collector();
    const opens = (): string[] =>
      out.filter((c) => c.state === 'open').map((c) => `${c.symbol}:${c.interval}:${c.close}`);
    for (const [symbol, price] of [
      ['BTC-USDT', 10],
      ['ETH-USDT', 20],
      ['BTC-USDT', 11],
      ['ETH-USDT', 21],
    ] as const)
      op.process(trade({ symbol, ts: m(1, price), price }), emit);
    op.drainOpen(emit);
    assert.deepEqual(opens(), ['BTC-USDT:1m:11']);
    assert.equal(asked, 4, 'each series asked once per lane, not per trade');

    // A subscriber for ETH 5m arrives: its next trade's bucket is marked.
    wanted.add('ETH-USDT:5m');
    version++;
    out.length = 0;
    op.process(trade({ symbol: 'ETH-USDT', ts: m(1, 30), price: 22 }), emit);
    op.process(trade({ symbol: 'BTC-USDT', ts: m(1, 31), price: 12 }), emit);
    op.drainOpen(emit);
    assert.deepEqual(opens().sort(), ['BTC-USDT:1m:12', 'ETH-USDT:5m:22']);

    // Closed candles go out whoever watches: ETH's watermark passes the end of minute 1.
    out.length = 0;
    op.process(trade({ symbol: 'ETH-USDT', ts: m(3), price: 23 }), emit);
    assert.deepEqual(
      out
        .filter((c) => c.state === 'closed')
        .map((c) => `${c.symbol}:${c.interval}:${c.openTime}:${c.close}`),
      [`ETH-USDT:1m:${m(1)}:22`],
    );
  });
});

describe('candle operator: wall clock (live mode)', () => {
  it('closes a quiet bucket at end + maxOutOfOrdernessMs + idleCloseMs and fills empty buckets', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    out.length = 0;
    const { maxOutOfOrdernessMs, idleCloseMs } = CANDLE_OPERATOR_DEFAULTS;
    op.onWallClock(m(1) + maxOutOfOrdernessMs + idleCloseMs - 1, emit);
    assert.equal(out.length, 0);
    op.onWallClock(m(1) + maxOutOfOrdernessMs + idleCloseMs, emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close, c.volume]),
      [
        [m(0), 'closed', 5, 1],
        [m(1), 'open', 5, 0],
      ],
    );
    out.length = 0;
    op.onWallClock(m(4, 30_000), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close, c.trades]),
      [
        [m(1), 'closed', 5, 0],
        [m(2), 'closed', 5, 0],
        [m(3), 'closed', 5, 0],
        [m(4), 'open', 5, 0],
      ],
    );
    // Quiet ticks emit nothing new.
    out.length = 0;
    op.onWallClock(m(4, 31_000), emit);
    assert.equal(out.length, 0);
  });

  it('leaves a series far behind the wall clock (a replay of old data) to event time', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    const { liveHorizonMs } = CANDLE_OPERATOR_DEFAULTS;
    const nowMs = m(0) + 7 * 365 * 24 * 60 * MINUTE;
    op.process(trade({ symbol: 'XRP-ETH', ts: m(0, 10), price: 5 }), emit);
    op.process(trade({ symbol: 'BTC-USDT', ts: nowMs - 10 * MINUTE, price: 9 }), emit);
    out.length = 0;
    op.onWallClock(nowMs, emit);
    // The live series closes on the wall clock; the old one gets nothing.
    assert.ok(out.length > 0);
    assert.ok(out.every((c) => c.symbol === 'BTC-USDT'));
    // The replay goes on: its next minute's trade still lands in an open bucket.
    out.length = 0;
    op.process(trade({ symbol: 'XRP-ETH', ts: m(0, 20_000), price: 6 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close]),
      [[m(0), 'open', 6]],
    );
    assert.equal(op.counters().lateDropped, 0);
    // A live series quiet for longer than the horizon stops being idle-closed.
    out.length = 0;
    op.onWallClock(nowMs - 10 * MINUTE + liveHorizonMs + MINUTE, emit);
    assert.equal(out.length, 0);
  });

  it('revises an idle-closed bucket when its trade arrives late, within lateness', () => {
    const op = createCandleOperator({ intervals: ['1m'] });
    const { out, emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    op.onWallClock(m(1, 30_000), emit);
    out.length = 0;
    op.process(trade({ ts: m(0, 50_000), price: 6 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close]),
      [
        [m(0), 'revised', 6],
        [m(1), 'open', 6],
      ],
    );
    // A trade in the open bucket is an ordinary update; one the clock put beyond lateness drops.
    out.length = 0;
    op.process(trade({ ts: m(1, 40_000), price: 7 }), emit);
    assert.deepEqual(
      out.map((c) => [c.openTime, c.state, c.close]),
      [[m(1), 'open', 7]],
    );
    op.onWallClock(m(10), emit);
    op.process(trade({ ts: m(1, 50_000), price: 1 }), emit);
    assert.equal(op.counters().lateDropped, 1);
  });

  it('bounds state while a symbol stays quiet', () => {
    const op = createCandleOperator();
    const { emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 5 }), emit);
    for (let t = m(1); t < m(3 * 24 * 60); t += 7 * MINUTE) op.onWallClock(t, emit);
    for (const lane of op.snapshot().series[0]?.lanes ?? [])
      assert.ok(lane.buckets.length <= 3, lane.interval);
  });
});

describe('candle operator: state', () => {
  it('keeps state bounded: buckets leave once they can no longer be revised', () => {
    const op = createCandleOperator();
    let emitted = 0;
    const emit = (): void => {
      emitted++;
    };
    for (let i = 0; i < 20_000; i++) op.process(trade({ ts: m(0) + i * 13_000, price: 1 + (i % 7) }), emit);
    assert.ok(emitted > 20_000 * 6);
    const state = op.snapshot();
    for (const lane of state.series[0]?.lanes ?? []) {
      // The open bucket, the one before it and at most one more within lateness.
      assert.ok(lane.buckets.length <= 3, `${lane.interval}: ${lane.buckets.length} buckets`);
    }
  });

  it('restores and merges a version 1 snapshot (buckets as objects), as a checkpoint before the upgrade holds', () => {
    const op = createCandleOperator();
    const { emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 0.1, qty: 0.7 }), emit);
    op.process(trade({ ts: m(2, 20), price: 0.2, qty: 0.3, symbol: 'ETH-USDT' }), emit);
    const state = op.snapshot();
    const names = [
      'openTime',
      'open',
      'high',
      'low',
      'close',
      'openTs',
      'openId',
      'closeTs',
      'closeId',
      'volume',
      'volumeC',
      'quoteVolume',
      'quoteVolumeC',
      'takerBuyVolume',
      'takerBuyVolumeC',
      'takerBuyQuoteVolume',
      'takerBuyQuoteVolumeC',
      'trades',
    ];
    const v1 = {
      ...state,
      version: 1,
      series: state.series.map((s) => ({
        ...s,
        lanes: s.lanes.map((l) => ({
          interval: l.interval,
          buckets: l.buckets.map((b) => ({
            ...Object.fromEntries(names.map((n, i) => [n, b[i]])),
            closed: (b[18] & 1) !== 0,
            emitted: (b[18] & 2) !== 0,
          })),
        })),
      })),
    } as unknown as CandleOperatorState;
    const other = createCandleOperator();
    other.restore(JSON.parse(JSON.stringify(v1)));
    assert.deepEqual(other.snapshot(), state);
    op.process(trade({ ts: m(3, 5), price: 0.3, qty: 1 }), emit);
    const changes = op.changes();
    assert.ok(changes !== undefined);
    assert.deepEqual(op.merge(v1, changes), op.merge(state, changes));
    assert.deepEqual(op.merge(v1, changes), op.snapshot());
  });

  it('round-trips through JSON and rejects what is not a snapshot', () => {
    const op = createCandleOperator();
    const { emit } = collector();
    op.process(trade({ ts: m(0, 10), price: 0.1, qty: 0.7 }), emit);
    op.process(trade({ ts: m(0, 20), price: 0.2, qty: 0.3 }), emit);
    const state = op.snapshot();
    const copy = JSON.parse(JSON.stringify(state)) as CandleOperatorState;
    assert.deepEqual(copy, state);
    const other = createCandleOperator();
    other.restore(copy);
    assert.deepEqual(other.snapshot(), state);
    assert.throws(
      () => other.restore({ ...copy, version: 3 } as unknown as CandleOperatorState),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.badSnapshot),
    );
    const renamed = JSON.parse(JSON.stringify(state).replace('"interval":"1m"', '"interval":"2m"'));
    assert.throws(
      () => other.restore(renamed),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.badSnapshot),
    );
    const broken = JSON.parse(JSON.stringify(state)) as CandleOperatorState;
    const lane = broken.series[0]?.lanes[0];
    if (lane?.buckets[0] !== undefined) lane.buckets[0][0] += 1;
    assert.throws(
      () => other.restore(broken),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.badSnapshot),
    );
  });

  it('validates options', () => {
    for (const bad of [
      { intervals: [] },
      { intervals: ['2m'] },
      { intervals: ['1m', '1m'] },
      { maxOutOfOrdernessMs: -1 },
      { allowedLatenessMs: 1.5 },
      { idleCloseMs: Number.NaN },
    ]) {
      assert.throws(
        () => createCandleOperator(bad as never),
        (e) => isCryptoLambdaError(e, SPEED_ERRORS.badOptions),
        JSON.stringify(bad),
      );
    }
  });

  it('is a plain operator definition', () => {
    assert.equal(CANDLE_OPERATOR.input, 'trades');
    assert.equal(CANDLE_OPERATOR.output, 'candles');
    assert.equal(CANDLE_OPERATOR.defaults, CANDLE_OPERATOR_DEFAULTS);
    const op = CANDLE_OPERATOR.create(CANDLE_OPERATOR.defaults);
    const { out, emit } = collector();
    op.process(trade({ ts: m(0), price: 1 }), emit);
    assert.equal(out.length, 6);
  });
});
