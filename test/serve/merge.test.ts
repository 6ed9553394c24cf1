import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchWindow, mergeAtSplit, readMergedCandles } from '../../src/serve/merge.js';
import { candle, createFakeBatch, createFakeDeps, series, T0 } from './fake-deps.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const opens = (candles: readonly { openTime: number }[]) => candles.map((c) => (c.openTime - T0) / MIN);

describe('batchWindow', () => {
  it('asks for the newest limit buckets before the split when the request has no from', () => {
    // Speed reaches minute 69, the split is at minute 60: 15 buckets = 55..69, of which 55..59 are batch.
    assert.deepEqual(batchWindow({ limit: 15 }, T0 + 60 * MIN, MIN, T0 + 69 * MIN), {
      from: T0 + 55 * MIN,
      to: T0 + 59 * MIN,
    });
    // Nothing of the batch view is among the newest 5.
    assert.equal(batchWindow({ limit: 5 }, T0 + 60 * MIN, MIN, T0 + 69 * MIN), undefined);
    // Without speed candles the newest bucket is the last batch one.
    assert.deepEqual(batchWindow({ limit: 3 }, T0 + 60 * MIN, MIN, undefined), {
      from: T0 + 57 * MIN,
      to: T0 + 59 * MIN,
    });
  });

  it('keeps from and to, capped at the split and at limit buckets before the newest', () => {
    const split = T0 + 60 * MIN;
    assert.deepEqual(batchWindow({ from: T0 + 10 * MIN, to: T0 + 20 * MIN, limit: 500 }, split, MIN, T0), {
      from: T0 + 10 * MIN,
      to: T0 + 20 * MIN,
    });
    assert.deepEqual(batchWindow({ from: 0, limit: 10 }, split, MIN, T0 + 59 * MIN), {
      from: T0 + 50 * MIN,
      to: T0 + 59 * MIN,
    });
    // A `to` far in the future does not push the window past the data.
    assert.deepEqual(batchWindow({ to: T0 + 1_000 * HOUR, limit: 2 }, split, MIN, undefined), {
      from: T0 + 58 * MIN,
      to: T0 + 59 * MIN,
    });
    assert.equal(batchWindow({ from: split, limit: 10 }, split, MIN, undefined), undefined);
  });

  it('bounds the window by limit buckets of the interval', () => {
    assert.deepEqual(batchWindow({ limit: 3 }, T0 + 8 * HOUR, 4 * HOUR, undefined), {
      from: T0 - 4 * HOUR,
      to: T0 + 4 * HOUR,
    });
  });
});

describe('mergeAtSplit', () => {
  const speed = series(20, {}, MIN).slice(10); // minutes 10..19
  const batch = series(15, { source: 'batch', close: 0 }, MIN).map((c) => ({ ...c, close: 1_000 + c.close }));

  it('takes batch candles before the split, speed from it on, one per bucket, oldest first', () => {
    const merged = mergeAtSplit(speed, batch, T0 + 15 * MIN, T0, 500);
    assert.deepEqual(
      opens(merged),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(
      merged.map((c) => c.source),
      [...Array(15).fill('batch'), ...Array(5).fill('speed')],
    );
    assert.equal(merged[12]?.close, 1_112, 'the batch candle wins over the speed one');
    assert.equal(merged[15]?.close, 115);
  });

  it('ignores batch candles from the split on and tags batch candles closed', () => {
    const odd = [candle({ openTime: T0 + 5 * MIN, state: 'open', source: 'speed' })];
    const merged = mergeAtSplit([], [...odd, candle({ openTime: T0 + 15 * MIN })], T0 + 15 * MIN, T0, 500);
    assert.deepEqual(opens(merged), [5]);
    assert.equal(merged[0]?.state, 'closed');
    assert.equal(merged[0]?.source, 'batch');
  });

  it('fills pre-split buckets the batch view lacks with speed, within the window asked', () => {
    const merged = mergeAtSplit(speed, batch.slice(0, 12), T0 + 15 * MIN, T0 + 11 * MIN, 500);
    assert.deepEqual(
      opens(merged),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(
      merged.slice(10, 15).map((c) => c.source),
      ['batch', 'batch', 'speed', 'speed', 'speed'],
    );
    // Speed buckets before the window were not asked of the batch view: dropped.
    assert.deepEqual(
      opens(mergeAtSplit(speed, [], T0 + 15 * MIN, T0 + 14 * MIN, 500)),
      [14, 15, 16, 17, 18, 19],
    );
  });

  it('returns the newest limit of the merged list', () => {
    assert.deepEqual(opens(mergeAtSplit(speed, batch, T0 + 15 * MIN, T0, 7)), [13, 14, 15, 16, 17, 18, 19]);
  });
});

describe('readMergedCandles', () => {
  const query = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' as const, limit: 500 };

  it('returns the speed view unchanged without a batch reader or before the first batch run', async () => {
    const fake = createFakeDeps(series(3));
    const alone = await readMergedCandles(fake.deps.candles, undefined, query);
    assert.deepEqual(alone, { candles: series(3), batchWatermarkTs: null });
    const batch = createFakeBatch({ candles: series(3, { source: 'batch' }) });
    const early = await readMergedCandles(fake.deps.candles, batch.reader, query);
    assert.deepEqual(early, { candles: series(3), batchWatermarkTs: null });
    assert.equal(batch.candleQueries.length, 0);
  });

  it('splits at the last bucket that ends at or before the watermark, for any interval', async () => {
    // 4h buckets, watermark 10:00: 00:00 and 04:00 end by 08:00 (batch); 08:00 ends at 12:00 (speed).
    const fourHours = series(3, { interval: '4h' }, 4 * HOUR);
    const fake = createFakeDeps(fourHours);
    const batch = createFakeBatch({
      watermarkTs: T0 + 10 * HOUR,
      candles: fourHours.map((c) => ({ ...c, source: 'batch' as const, trades: 1 })),
    });
    const merged = await readMergedCandles(fake.deps.candles, batch.reader, { ...query, interval: '4h' });
    assert.equal(merged.batchWatermarkTs, T0 + 10 * HOUR);
    assert.deepEqual(
      merged.candles.map((c) => [(c.openTime - T0) / HOUR, c.source, c.trades]),
      [
        [0, 'batch', 1],
        [4, 'batch', 1],
        [8, 'speed', 321],
      ],
    );
    assert.deepEqual(batch.candleQueries, [{ from: T0 + 8 * HOUR - 499 * 4 * HOUR, to: T0 + 4 * HOUR }]);
  });
});
