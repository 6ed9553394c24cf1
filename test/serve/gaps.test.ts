import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TimeRange } from '../../src/domain/index.js';
import { downtimeGaps } from '../../src/serve/gaps.js';
import { candle, T0 } from './fake-deps.js';

const MIN = 60_000;
const m = (i: number): number => T0 + i * MIN;
const uptime = (down: TimeRange[]) => ({
  downtime: (fromTs: number, toTs: number) =>
    down
      .map((d) => ({ fromTs: Math.max(d.fromTs, fromTs), toTs: Math.min(d.toTs, toTs) }))
      .filter((d) => d.fromTs < d.toTs),
});

describe('downtimeGaps', () => {
  // Minutes 0..9; minutes 3..6 are empty (flat), minute 8 too.
  const candles = Array.from({ length: 10 }, (_, i) =>
    candle({ openTime: m(i), closeTime: m(i + 1) - 1, trades: [3, 4, 5, 6, 8].includes(i) ? 0 : 5 }),
  );

  it('marks the downtime among candles without trades, merged, clipped to them', () => {
    // Down from 2:30 to 6:15: minute 2 has trades (received), 3..5 are flat, 6 flat until 6:15.
    const gaps = downtimeGaps(candles, uptime([{ fromTs: m(2) + 30_000, toTs: m(6) + 15_000 }]));
    assert.deepEqual(gaps, [{ fromTs: m(3), toTs: m(6) + 15_000 }]);
  });

  it('marks nothing where the pipeline ran (a quiet market), nor without an uptime record', () => {
    assert.deepEqual(downtimeGaps(candles, uptime([{ fromTs: m(20), toTs: m(30) }])), []);
    assert.deepEqual(downtimeGaps(candles, undefined), []);
    assert.deepEqual(downtimeGaps([], uptime([{ fromTs: m(0), toTs: m(9) }])), []);
  });

  it('keeps separate downtimes apart', () => {
    const gaps = downtimeGaps(
      candles,
      uptime([
        { fromTs: m(3), toTs: m(4) + 10_000 },
        { fromTs: m(7), toTs: m(9) },
      ]),
    );
    assert.deepEqual(gaps, [
      { fromTs: m(3), toTs: m(4) + 10_000 },
      { fromTs: m(8), toTs: m(9) },
    ]);
  });
});
