import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { dailyMarketMetricsJob } from '../../../src/batch/jobs/daily-metrics.js';
import { qualityJob } from '../../../src/batch/jobs/quality.js';
import { roundTo } from '../../../src/domain/index.js';
import { FIXTURES, parseCsv } from '../../cli/helpers.js';
import {
  HOUR,
  MINUTE,
  makeContext,
  near,
  openWorkspace,
  parquetColumns,
  readParquet,
  type SilverRow,
  silverRowOf,
  type Workspace,
  writeSilver,
  xrpethTrades,
} from './helpers.js';

const DATE = '2024-03-10';
const D = Date.UTC(2024, 2, 10);

/** What the job must compute, by plain TypeScript over the same trades. */
function expectedMetrics(day: readonly SilverRow[], previous: readonly SilverRow[], untilTs: number) {
  const order = (a: SilverRow, b: SilverRow) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId);
  const trades = day.filter((t) => t.ts >= D && t.ts < untilTs).sort(order);
  const prev = [...previous].sort(order);
  const symbols = [...new Set(trades.map((t) => t.symbol))].sort();
  return symbols.map((symbol) => {
    const ts = trades.filter((t) => t.symbol === symbol);
    const first = ts[0]!;
    const last = ts[ts.length - 1]!;
    const volume = ts.reduce((s, t) => s + t.qty, 0);
    const quoteVolume = ts.reduce((s, t) => s + t.price * t.qty, 0);
    const prevTrades = prev.filter((t) => t.symbol === symbol);
    const prevClose = prevTrades.length === 0 ? null : prevTrades[prevTrades.length - 1]!.price;
    // Every minute from the first traded one to the last, empty minutes carrying the close.
    let sumSq = 0;
    let returns = 0;
    let carried: number | undefined;
    for (let m = Math.floor(first.ts / MINUTE); m <= Math.floor(last.ts / MINUTE); m++) {
      const inMinute = ts.filter((t) => Math.floor(t.ts / MINUTE) === m);
      const close = inMinute.length > 0 ? inMinute[inMinute.length - 1]!.price : carried!;
      if (carried !== undefined) {
        sumSq += Math.log(close / carried) ** 2;
        if (inMinute.length > 0) returns++;
      }
      carried = close;
    }
    return {
      symbol,
      open: first.price,
      high: Math.max(...ts.map((t) => t.price)),
      low: Math.min(...ts.map((t) => t.price)),
      close: last.price,
      volume,
      quoteVolume,
      trades: ts.reduce((s, t) => s + (t.count ?? 1), 0),
      vwap: quoteVolume / volume,
      change: prevClose === null ? null : last.price - prevClose,
      changePct: prevClose === null ? null : ((last.price - prevClose) / prevClose) * 100,
      realizedVolatility: returns === 0 ? null : Math.sqrt(sumSq),
    };
  });
}

const PREVIOUS: SilverRow[] = [
  { symbol: 'BTC-USDT', tradeId: '3', ts: D - 5 * MINUTE, price: 96, qty: 1 },
  // Same ts: the larger numeric id (10, though '10' < '9' as text) is the day's close.
  { symbol: 'BTC-USDT', tradeId: '10', ts: D - 1000, price: 100, qty: 0.5 },
  { symbol: 'BTC-USDT', tradeId: '9', ts: D - 1000, price: 98, qty: 0.25 },
  { symbol: 'SOL-USDT', tradeId: '1', ts: D - HOUR, price: 20, qty: 4 },
];

const TODAY: SilverRow[] = [
  // Written out of order; ids 9 and 10 share a ts: 9 opens, though '10' < '9' as text.
  { symbol: 'BTC-USDT', tradeId: '10', ts: D + 1000, price: 101, qty: 0.5, count: 3 },
  { symbol: 'BTC-USDT', tradeId: '9', ts: D + 1000, price: 100.5, qty: 1.25 },
  { symbol: 'BTC-USDT', tradeId: '21', ts: D + 30_000, price: 99.5, qty: 2 },
  { symbol: 'BTC-USDT', tradeId: '22', ts: D + 2 * MINUTE + 5, price: 102.25, qty: 0.75, count: 2 },
  { symbol: 'BTC-USDT', tradeId: '23', ts: D + 5 * MINUTE, price: 98.75, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '24', ts: D + 5 * MINUTE + 59_999, price: 103, qty: 0.125 },
  // At or past untilTs (D + 6h): not part of the output.
  { symbol: 'BTC-USDT', tradeId: '25', ts: D + 7 * HOUR, price: 104, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '26', ts: D + 6 * HOUR, price: 500, qty: 9 },
  { symbol: 'ETH-USDT', tradeId: '7', ts: D + 10 * MINUTE, price: 3000, qty: 0.5 },
  { symbol: 'ETH-USDT', tradeId: '8', ts: D + 10 * MINUTE + 1, price: 3002, qty: 1.5 },
];

describe('daily_market_metrics job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('is a definition object depending on quality', () => {
    assert.equal(dailyMarketMetricsJob.name, 'daily_market_metrics');
    assert.deepEqual(dailyMarketMetricsJob.dependsOn, ['quality']);
  });

  it('computes OHLC, volumes, vwap, change vs the previous close and realized volatility', async () => {
    const untilTs = D + 6 * HOUR;
    const ctx = makeContext(ws, {
      date: DATE,
      untilTs,
      silver: {
        '2024-03-09': [await writeSilver(ws.connection, ws.path('prev.parquet'), PREVIOUS)],
        [DATE]: [await writeSilver(ws.connection, ws.path('today.parquet'), TODAY)],
      },
    });
    const result = await dailyMarketMetricsJob.run(ctx);
    assert.deepEqual(result, { rows: 2, status: 'ok' });
    const rows = await readParquet(ws.connection, ctx.outputPath);
    const expected = expectedMetrics(TODAY, PREVIOUS, untilTs);
    assert.equal(rows.length, expected.length);
    rows.forEach((row, i) => {
      const e = expected[i]!;
      assert.equal(row['venue'], 'binance');
      assert.equal(row['symbol'], e.symbol);
      assert.equal(row['date'], DATE);
      for (const [column, value] of [
        ['open', e.open],
        ['high', e.high],
        ['low', e.low],
        ['close', e.close],
        ['volume', e.volume],
        ['quote_volume', e.quoteVolume],
        ['trades', e.trades],
        ['vwap', e.vwap],
        ['change', e.change],
      ] as const) {
        assert.equal(row[column], value, `${column} of ${e.symbol}`);
      }
      if (e.changePct === null) assert.equal(row['change_pct'], null);
      else assert.ok(near(row['change_pct'], e.changePct), `change_pct ${row['change_pct']}`);
      if (e.realizedVolatility === null) assert.equal(row['realized_volatility'], null);
      else assert.ok(near(row['realized_volatility'], e.realizedVolatility), 'realized_volatility');
    });
    // The hand-checked values behind the TypeScript reference.
    const btc = rows[0]!;
    assert.equal(btc['open'], 100.5);
    assert.equal(btc['close'], 103);
    assert.equal(btc['trades'], 9);
    assert.equal(btc['change'], 3);
    assert.ok(near(btc['change_pct'], 3));
    const r1 = Math.log(102.25 / 99.5);
    const r2 = Math.log(103 / 102.25);
    assert.ok(near(btc['realized_volatility'], Math.sqrt(r1 * r1 + r2 * r2)));
    const eth = rows[1]!;
    assert.equal(eth['change'], null);
    assert.equal(eth['realized_volatility'], null, 'one traded minute: no return');
  });

  it('writes a readable empty file with the columns when there is no silver', async () => {
    const ctx = makeContext(ws, { date: DATE });
    assert.deepEqual(await dailyMarketMetricsJob.run(ctx), { rows: 0, status: 'ok' });
    assert.deepEqual(await readParquet(ws.connection, ctx.outputPath), []);
    assert.deepEqual(await parquetColumns(ws.connection, ctx.outputPath), [
      'venue VARCHAR',
      'symbol VARCHAR',
      'date VARCHAR',
      'open DOUBLE',
      'high DOUBLE',
      'low DOUBLE',
      'close DOUBLE',
      'volume DOUBLE',
      'quote_volume DOUBLE',
      'trades BIGINT',
      'vwap DOUBLE',
      'change DOUBLE',
      'change_pct DOUBLE',
      'realized_volatility DOUBLE',
    ]);
  });

  it("equals the 1d kline of Binance's real XRPETH day, and its quality passes", async () => {
    const dir = `${FIXTURES}binance/xrpeth-2019-10-11/`;
    const trades = await xrpethTrades();
    const file = await writeSilver(ws.connection, ws.path('xrpeth.parquet'), trades.map(silverRowOf));
    const date = '2019-10-11';
    const ctx = makeContext(ws, { date, silver: { [date]: [file] } });
    assert.deepEqual(await dailyMarketMetricsJob.run(ctx), { rows: 1, status: 'ok' });
    const [row] = await readParquet(ws.connection, ctx.outputPath);
    const klines = parseCsv(readFileSync(`${dir}XRPETH-1m-2019-10-11.csv`, 'utf8'));
    assert.ok(row !== undefined);
    assert.equal(row['symbol'], 'XRP-ETH');
    assert.equal(row['open'], Number(klines[0]!['open']));
    assert.equal(row['high'], Math.max(...klines.map((k) => Number(k['high']))));
    assert.equal(row['low'], Math.min(...klines.map((k) => Number(k['low']))));
    assert.equal(row['close'], Number(klines[klines.length - 1]!['close']));
    assert.equal(
      roundTo(row['volume'] as number),
      roundTo(klines.reduce((s, k) => s + Number(k['volume']), 0)),
    );
    // The kline CSV has no trade count: Σ count of the aggTrades (last − first + 1) stands in.
    assert.equal(
      row['trades'],
      trades.reduce((s, t) => s + t.count, 0),
    );
    assert.equal(row['change'], null, 'no previous day given');

    const quality = makeContext(ws, { date, silver: { [date]: [file] } });
    assert.equal((await qualityJob.run(quality)).status, 'ok');
    const checks = await readParquet(ws.connection, quality.outputPath);
    const value = (check: string) => checks.find((c) => c['check'] === check)?.['value'];
    assert.equal(value('duplicates'), 0);
    assert.equal(value('non_positive_price'), 0);
    assert.equal(value('time_out_of_range'), 0);
    assert.ok(checks.every((c) => c['status'] !== 'fail'));
  });

  it('gives the same row whatever the silver layout: one file, an hour a file, an hour in parts', async () => {
    const trades = (await xrpethTrades()).map(silverRowOf);
    const date = '2019-10-11';
    const start = Date.UTC(2019, 9, 11);
    const hourOf = (t: SilverRow) => Math.floor((t.ts - start) / HOUR);
    const hourly: string[] = [];
    const parts: string[] = [];
    for (let h = 0; h < 24; h++) {
      const rows = trades.filter((t) => hourOf(t) === h);
      if (rows.length === 0) continue;
      hourly.push(await writeSilver(ws.connection, ws.path(`layout-${h}.parquet`), rows));
      // Hour 5 in two parts, the later trades first: the files alone no longer order the hour.
      const cut = Math.floor(rows.length / 2);
      if (h === 5) {
        parts.push(await writeSilver(ws.connection, ws.path(`layout-${h}-b.parquet`), rows.slice(cut)));
        parts.push(await writeSilver(ws.connection, ws.path(`layout-${h}-a.parquet`), rows.slice(0, cut)));
      } else parts.push(hourly[hourly.length - 1] as string);
    }
    const whole = await writeSilver(ws.connection, ws.path('layout-day.parquet'), trades);
    const results = [];
    for (const files of [[whole], hourly, parts]) {
      const ctx = makeContext(ws, { date, silver: { [date]: files } });
      await dailyMarketMetricsJob.run(ctx);
      results.push(await readParquet(ws.connection, ctx.outputPath));
    }
    // Sums may differ in the last bit with the order rows are read in; the rest is exact.
    const sums = ['volume', 'quote_volume', 'vwap', 'realized_volatility'];
    const exact = (rows: readonly Record<string, unknown>[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !sums.includes(k))));
    for (const result of results.slice(1)) {
      assert.deepEqual(exact(result), exact(results[0] ?? []));
      for (const k of sums) assert.ok(near(result[0]?.[k], results[0]?.[0]?.[k] as number), k);
    }
  });

  it('fails with stable codes on a malformed date and on an unreadable input', async () => {
    const ctx = makeContext(ws, { date: DATE });
    await assert.rejects(dailyMarketMetricsJob.run({ ...ctx, date: '2024-13-40' }), {
      code: 'BATCH_BAD_DATE',
    });
    const broken = ws.path('broken.parquet');
    writeFileSync(broken, 'not parquet');
    await assert.rejects(
      dailyMarketMetricsJob.run(makeContext(ws, { date: DATE, silver: { [DATE]: [broken] } })),
      {
        code: 'BATCH_JOB_FAILED',
        retryable: true,
      },
    );
  });
});
