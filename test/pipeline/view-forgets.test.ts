import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline, rebuildView } from '../../src/cli/pipeline.js';
import type { Candle, Interval } from '../../src/domain/index.js';
import { buildServer } from '../../src/serve/index.js';
import { createSpeedView } from '../../src/speed/index.js';
import { listSource, liveTrades } from './list-source.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 10);

/** Open time and prices of each candle: what must not change when another layer answers. */
const values = (candles: readonly Candle[]) =>
  candles.map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.trades, c.volume]);

describe('the speed view and the batch layer', () => {
  it('the view forgets the days every batch job has finished, and the API still answers them, the same', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-forget-'));
    const pipeline = await openPipeline({ dataDir, live: false });
    const app = buildServer(pipeline.deps);
    try {
      // Two series trading from 22:00 on day 1 to 02:00 on day 2.
      const trades = ['AAA-USDT', 'BBB-USDT'].flatMap((s) =>
        liveTrades(s, T0 + DAY - 2 * 3_600_000, T0 + DAY + 2 * 3_600_000, 20_000),
      );
      trades.sort((a, b) => a.ts - b.ts);
      await pipeline.runSource(listSource('test', [trades.slice(0, 1000), trades.slice(1000)]));
      await pipeline.runner.caughtUp();
      const ask = async (interval: Interval, from: number, to: number) => {
        const response = await app.inject({
          url: `/api/v1/candles?venue=sim&symbol=AAA-USDT&interval=${interval}&from=${from}&to=${to}&limit=1000`,
        });
        assert.equal(response.statusCode, 200, response.body);
        return (response.json() as { candles: Candle[] }).candles;
      };
      const day1 = (interval: Interval) => ask(interval, T0 + DAY - 2 * 3_600_000, T0 + DAY - 1);
      const before = { m1: await day1('1m'), h1: await day1('1h') };
      assert.equal(before.m1.length, 120);
      assert.ok(before.m1.every((c) => c.source === 'speed'));

      await pipeline.batch?.finishInput();
      const speedDay1 = pipeline.view.candles({
        venue: 'sim',
        symbol: 'AAA-USDT',
        interval: '1m',
        from: T0,
        to: T0 + DAY - 1,
        limit: 10_000,
      });
      assert.deepEqual(speedDay1, [], 'day 1 is held by the batch layer: the speed view forgot it');
      const speedDay2 = pipeline.view.candles({
        venue: 'sim',
        symbol: 'BBB-USDT',
        interval: '1m',
        from: T0 + DAY,
        to: T0 + 2 * DAY,
        limit: 10_000,
      });
      assert.ok(speedDay2.length >= 119, `day 2 stays in the speed view (${speedDay2.length})`);

      const after = { m1: await day1('1m'), h1: await day1('1h') };
      assert.ok(after.m1.every((c) => c.source === 'batch'));
      assert.deepEqual(values(after.m1), values(before.m1));
      assert.deepEqual(values(after.h1), values(before.h1));
    } finally {
      await app.close();
      await pipeline.close();
    }

    // A restart rebuilds the view from the candles topic, which still holds day 1: it is not
    // loaded again, and day 2 is.
    const reopened = await openPipeline({ dataDir, live: false });
    try {
      const held = (symbol: string, from: number, to: number) =>
        reopened.view.candles({ venue: 'sim', symbol, interval: '1m', from, to, limit: 10_000 }).length;
      assert.equal(held('AAA-USDT', T0, T0 + DAY - 1), 0, 'day 1 is not loaded again');
      assert.ok(held('AAA-USDT', T0 + DAY, T0 + 2 * DAY) >= 119, 'day 2 is');
      // The rebuild itself skips day 1 (the start's sweep would forget it later, at a peak of
      // memory at 10,000 symbols): a view rebuilt the same way never holds it.
      const rebuilt = createSpeedView();
      await rebuildView(reopened.log, rebuilt, await reopened.batch?.heldBefore());
      const inRebuilt = (from: number, to: number) =>
        rebuilt.candles({ venue: 'sim', symbol: 'BBB-USDT', interval: '1m', from, to, limit: 10_000 }).length;
      assert.equal(inRebuilt(T0, T0 + DAY - 1), 0);
      assert.ok(inRebuilt(T0 + DAY, T0 + 2 * DAY) >= 119);
    } finally {
      await reopened.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
