import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline } from '../../src/cli/pipeline.js';
import type { Trade } from '../../src/domain/index.js';
import { openFileLog } from '../../src/log/index.js';
import { buildServer } from '../../src/serve/index.js';
import { readParquetRows } from '../lake/helpers.js';
import { listSource } from './list-source.js';

const T0 = Date.UTC(2019, 9, 11);
const MIN = 60_000;

let id = 1000;
const trade = (ts: number, price: number): Trade => ({
  venue: 'binance',
  symbol: 'XRP-ETH',
  tradeId: String(id++),
  ts,
  price,
  qty: 2,
  side: 'buy',
  count: 1,
  recvTs: ts + 5,
});

describe('a trade later than the allowed lateness', () => {
  it('the speed view misses it, reconciliation reports it, and the API then serves the corrected candle from batch', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-late-'));
    try {
      const pipeline = await openPipeline({ dataDir, live: false });
      const onTime = [trade(T0 + 10_000, 1), trade(T0 + MIN + 10_000, 2), trade(T0 + 2 * MIN + 10_000, 3)];
      // Watermark 00:04:59 passes 00:01's end (00:02) + 60 s: a trade for 00:01 now is dropped.
      const later = [trade(T0 + 5 * MIN, 4)];
      const late = trade(T0 + MIN + 30_000, 9);
      await pipeline.runSource(listSource('test', [onTime, later, [late], [trade(T0 + 10 * MIN, 5)]]));
      await pipeline.runner.caughtUp();
      assert.equal(pipeline.operator.counters().lateDropped, 1);
      const speed1 = pipeline.view.candles({
        venue: 'binance',
        symbol: 'XRP-ETH',
        interval: '1m',
        from: T0 + MIN,
        to: T0 + MIN,
        limit: 1,
      });
      assert.equal(speed1[0]?.trades, 1, 'the speed view misses the late trade');

      const runs = (await pipeline.batch?.finishInput()) ?? [];
      assert.deepEqual(
        runs.map((r) => [r.job, r.status]),
        [
          ['quality', 'succeeded'],
          ['candles', 'succeeded'],
          ['daily_market_metrics', 'succeeded'],
          ['top_movers', 'succeeded'],
          ['trending', 'succeeded'],
          ['reconciliation', 'succeeded'],
        ].filter(([job]) => runs.some((r) => r.job === job)),
      );
      assert.equal(runs.length, 6);
      const reader = pipeline.batch?.reader;
      const diffs = await readParquetRows(reader?.goldPath('reconciliation', '2019-10-11') ?? '', {
        orderAll: true,
      });
      const minute = diffs.filter((d) => d['interval'] === '1m');
      assert.deepEqual(
        minute.map((d) => [Number(d['open_time']), d['field'], d['speed'], d['batch'], d['cause']]),
        [[T0 + MIN, 'trades', 1, 2, 'late_trade']],
      );
      assert.ok(
        diffs.every((d) => d['cause'] === 'late_trade' && Number(d['open_time']) <= T0 + MIN),
        'only the late trade’s buckets differ',
      );

      const app = buildServer(pipeline.deps);
      const response = await app.inject({
        url: `/api/v1/candles?symbol=XRP-ETH&interval=1m&from=${T0}&to=${T0 + 3 * MIN}`,
      });
      assert.equal(response.statusCode, 200);
      const body = response.json() as {
        candles: { openTime: number; trades: number; high: number; close: number; source: string }[];
        watermarks: { batch: number | null; speed: number | null };
      };
      assert.equal(body.watermarks.batch, T0 + 3_600_000);
      const corrected = body.candles.find((c) => c.openTime === T0 + MIN);
      assert.deepEqual(corrected && [corrected.trades, corrected.high, corrected.close, corrected.source], [
        2,
        9,
        9,
        'batch',
      ]);
      assert.ok(body.candles.every((c) => c.source === 'batch'));
      const daily = await app.inject({ url: '/api/v1/markets/daily' });
      const dailyBody = daily.json() as {
        date: string;
        markets: { date: string; symbol: string; trades: number }[];
      };
      assert.equal(dailyBody.date, '2019-10-11');
      assert.deepEqual(
        dailyBody.markets.map((m) => [m.date, m.symbol, m.trades]),
        [['2019-10-11', 'XRP-ETH', 6]],
      );
      await app.close();
      await pipeline.close();

      // Once only the lake holds the series (here every record left the log by retention, and
      // the speed layer's state is removed), the API still lists it and serves its history from
      // the batch views. (Deleting the log would start its offsets again from 0 under the lake's:
      // that is damage, which the lake writer refuses.)
      const log = await openFileLog({ dir: join(dataDir, 'log') });
      await log.applyRetention(Date.now() + 31 * 86_400_000);
      await log.close();
      await rm(join(dataDir, 'speed'), { recursive: true, force: true });
      const reopened = await openPipeline({ dataDir, live: false });
      const server = buildServer(reopened.deps);
      try {
        assert.deepEqual(reopened.view.symbols(), []);
        const symbols = (await server.inject({ url: '/api/v1/symbols' })).json() as { symbols: unknown[] };
        assert.deepEqual(symbols.symbols, [
          {
            venue: 'binance',
            symbol: 'XRP-ETH',
            // The day's gold holds the buckets that end by its sealed frontier (01:00): no 4h, no 1d.
            intervals: ['1m', '5m', '15m', '1h'],
            // The minute of its first trade, from the gold candles; its newest trade is unknown.
            firstTradeTs: T0,
            lastTradeTs: null,
            lastPrice: 5,
          },
        ]);
        const history = await server.inject({
          url: `/api/v1/candles?symbol=XRP-ETH&interval=1m&from=${T0}&to=${T0 + 3 * MIN}`,
        });
        assert.equal(history.statusCode, 200, history.body);
        assert.deepEqual(
          (history.json() as { candles: { openTime: number; trades: number; source: string }[] }).candles.map(
            (c) => [(c.openTime - T0) / MIN, c.trades, c.source],
          ),
          [
            [0, 1, 'batch'],
            [1, 2, 'batch'],
            [2, 1, 'batch'],
            [3, 0, 'batch'],
          ],
        );
      } finally {
        await server.close();
        await reopened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
