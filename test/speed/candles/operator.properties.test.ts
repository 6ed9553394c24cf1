import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Candle, INTERVAL_MS, type Trade } from '../../../src/domain/index.js';
import {
  type CandleOperatorOptions,
  type CandleOperatorState,
  createCandleOperator,
} from '../../../src/speed/index.js';
import { DAY0, latest } from '../helpers.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Random trades over three hours of two symbols, ids unique and increasing with (ts, draw order). */
const tradesArb = fc
  .array(
    fc.record({
      symbol: fc.constantFrom('A-USDT', 'B-USDT'),
      // Coarse steps make equal timestamps (tie-broken by id) common.
      ts: fc.integer({ min: 0, max: 3 * 14_400 }).map((k) => DAY0 + k * 250),
      price: fc.integer({ min: 1, max: 5000 }).map((p) => p / 100),
      qty: fc.integer({ min: 1, max: 100_000 }).map((q) => q / 1000),
      side: fc.constantFrom<Trade['side']>('buy', 'sell'),
      count: fc.integer({ min: 1, max: 3 }),
    }),
    { minLength: 1, maxLength: 150 },
  )
  .map((rows) =>
    rows.map((row, i): Trade => ({ venue: 'binance', tradeId: String(1000 + i), recvTs: row.ts, ...row })),
  );

function bySortKey(a: Trade, b: Trade): number {
  return a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId);
}

/** Runs trades through a fresh operator, then flushes to a day after the last one. */
function finalOf(trades: readonly Trade[], options: Partial<CandleOperatorOptions> = {}): Candle[] {
  const op = createCandleOperator(options);
  const out: Candle[] = [];
  const emit = (c: Candle): void => {
    if (c.state !== 'open') out.push(c);
  };
  for (const t of trades) op.process(t, emit);
  op.flush(DAY0 + 2 * DAY, emit);
  return out;
}

function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('candle operator properties', () => {
  it('out-of-order arrival within maxOutOfOrdernessMs gives the candles of sorted input', () => {
    fc.assert(
      fc.property(tradesArb, fc.infiniteStream(fc.integer({ min: 0, max: 999 })), (trades, jitters) => {
        const sorted = [...trades].sort(bySortKey);
        // Arriving in (ts + jitter) order, with jitter < 1000 ms, no trade is ever behind the
        // watermark of what arrived before it.
        const arrival = trades
          .map((t) => ({ t, key: t.ts + jitters.next().value }))
          .sort((a, b) => a.key - b.key)
          .map((x) => x.t);
        const expected = latest(finalOf(sorted));
        const outputs = finalOf(arrival);
        assert.ok(outputs.every((c) => c.state === 'closed'));
        assert.equal(outputs.length, expected.size, 'each bucket closes exactly once');
        const got = latest(outputs);
        assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
        for (const [key, want] of expected) {
          const c = got.get(key) as Candle;
          assert.deepEqual(
            [c.open, c.high, c.low, c.close, c.trades],
            [want.open, want.high, want.low, want.close, want.trades],
            key,
          );
          for (const field of ['volume', 'quoteVolume', 'takerBuyVolume', 'takerBuyQuoteVolume'] as const) {
            assert.ok(closeEnough(c[field], want[field]), `${key} ${field}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('snapshot, JSON round trip and restore at any point equal an uninterrupted run', () => {
    type Op = { kind: 'trade'; trade: Trade } | { kind: 'clock'; nowMs: number };
    const opsArb = fc
      .tuple(
        tradesArb,
        fc.array(fc.integer({ min: 0, max: 4 * HOUR }), { maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
      )
      .map(([trades, clocks, positions]): Op[] => {
        // Arbitrary order: late, very late and in-order trades all happen.
        const ops: Op[] = trades.map((trade) => ({ kind: 'trade', trade }));
        for (const offset of clocks) {
          ops.splice(positions.next().value % (ops.length + 1), 0, { kind: 'clock', nowMs: DAY0 + offset });
        }
        return ops;
      });
    const optionsArb = fc.record({
      intervals: fc.subarray(['1m', '5m', '15m', '1h', '4h', '1d'] as const, { minLength: 1 }),
      maxOutOfOrdernessMs: fc.constantFrom(0, 1000, 90_000),
      allowedLatenessMs: fc.constantFrom(0, 60_000, 600_000),
      idleCloseMs: fc.constantFrom(0, 2000),
    });
    fc.assert(
      fc.property(opsArb, optionsArb, fc.nat(), (ops, options, splitSeed) => {
        const run = (
          op: ReturnType<typeof createCandleOperator>,
          slice: readonly Op[],
          out: Candle[],
        ): void => {
          const emit = (c: Candle): void => {
            out.push(c);
          };
          for (const step of slice) {
            if (step.kind === 'trade') op.process(step.trade, emit);
            else op.onWallClock(step.nowMs, emit);
          }
        };
        const whole: Candle[] = [];
        const uninterrupted = createCandleOperator(options);
        run(uninterrupted, ops, whole);

        const split = splitSeed % (ops.length + 1);
        const pieces: Candle[] = [];
        const first = createCandleOperator(options);
        run(first, ops.slice(0, split), pieces);
        const saved = JSON.parse(JSON.stringify(first.snapshot())) as CandleOperatorState;
        const second = createCandleOperator(options);
        second.restore(saved);
        run(second, ops.slice(split), pieces);

        assert.deepEqual(pieces, whole);
        assert.deepEqual(second.snapshot(), uninterrupted.snapshot());
        assert.deepEqual(second.counters(), uninterrupted.counters());
      }),
      { numRuns: 200 },
    );
  });

  it("openUpdates 'on-drain' gives the closed/revised candles of 'each-trade' and, after each drain, its latest open state", () => {
    fc.assert(
      fc.property(tradesArb, fc.infiniteStream(fc.boolean()), (trades, drains) => {
        const sorted = [...trades].sort(bySortKey);
        const eager = createCandleOperator({});
        const lazy = createCandleOperator({ openUpdates: 'on-drain' });
        const eagerOut: Candle[] = [];
        const lazyOut: Candle[] = [];
        const eagerEmit = (c: Candle): void => {
          eagerOut.push(c);
        };
        const lazyEmit = (c: Candle): void => {
          lazyOut.push(c);
        };
        const settled = (out: readonly Candle[]): Candle[] => out.filter((c) => c.state !== 'open');
        const drainIt = drains[Symbol.iterator]();
        for (const t of sorted) {
          eager.process(t, eagerEmit);
          lazy.process(t, lazyEmit);
          if (drainIt.next().value === true) {
            lazy.drainOpen(lazyEmit);
            assert.deepEqual(settled(lazyOut), settled(eagerOut));
            // Every series' view (latest emission per bucket) is the same at a drain.
            assert.deepEqual([...latest(lazyOut)].sort(), [...latest(eagerOut)].sort());
          }
        }
        lazy.drainOpen(lazyEmit);
        eager.flush(DAY0 + 2 * DAY, eagerEmit);
        lazy.flush(DAY0 + 2 * DAY, lazyEmit);
        assert.deepEqual(settled(lazyOut), settled(eagerOut));
        assert.ok(lazyOut.length <= eagerOut.length);
      }),
      { numRuns: 300 },
    );
  });

  it('1m candles add up to the covering 1h and 1d candles', () => {
    fc.assert(
      fc.property(tradesArb, (trades) => {
        const final = [...latest(finalOf([...trades].sort(bySortKey))).values()];
        const minutes = final.filter((c) => c.interval === '1m');
        for (const cover of final.filter((c) => c.interval === '1h' || c.interval === '1d')) {
          const end = cover.openTime + INTERVAL_MS[cover.interval];
          const inside = minutes
            .filter((c) => c.symbol === cover.symbol && c.openTime >= cover.openTime && c.openTime < end)
            .sort((a, b) => a.openTime - b.openTime);
          const traded = inside.filter((c) => c.trades > 0);
          const sum = (field: 'volume' | 'quoteVolume' | 'takerBuyVolume'): number =>
            inside.reduce((s, c) => s + c[field], 0);
          const where = `${cover.symbol} ${cover.interval} ${cover.openTime}`;
          assert.ok(closeEnough(sum('volume'), cover.volume), where);
          assert.ok(closeEnough(sum('quoteVolume'), cover.quoteVolume), where);
          assert.ok(closeEnough(sum('takerBuyVolume'), cover.takerBuyVolume), where);
          assert.equal(
            inside.reduce((s, c) => s + c.trades, 0),
            cover.trades,
            where,
          );
          if (traded.length > 0) {
            assert.equal(Math.max(...traded.map((c) => c.high)), cover.high, where);
            assert.equal(Math.min(...traded.map((c) => c.low)), cover.low, where);
            assert.equal(traded[0]?.open, cover.open, where);
          }
          assert.equal(inside.at(-1)?.close, cover.close, where);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a snapshot folded with every later change equals the snapshot at the end (incremental checkpoints)', () => {
    fc.assert(
      fc.property(
        tradesArb,
        fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 4 }),
        (trades, cuts, ticks) => {
          const op = createCandleOperator({ intervals: ['1m', '5m', '1h'] });
          const emit = (): void => {};
          let saved: CandleOperatorState = op.snapshot();
          trades.forEach((t, i) => {
            op.process(t, emit);
            if (ticks.includes(i)) op.onWallClock(t.ts + 90_000, emit);
            if (cuts.includes(i)) {
              const changes = op.changes();
              if (changes !== undefined) saved = op.merge(saved, changes);
            }
          });
          op.flush(DAY0 + DAY, emit);
          const last = op.changes();
          if (last !== undefined) saved = op.merge(saved, last);
          assert.equal(op.changes(), undefined, 'nothing changed since');
          assert.deepEqual(saved, op.snapshot());
        },
      ),
      { numRuns: 300 },
    );
  });
});
