import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BATCH_ERRORS, ROW_ORDER_KEY, silverCandleSources } from '../../../src/batch/index.js';
import { candlesJob } from '../../../src/batch/jobs/candles.js';
import {
  type Candle,
  INTERVAL_MS,
  INTERVALS,
  type Interval,
  isCryptoLambdaError,
  roundTo,
  type Trade,
} from '../../../src/domain/index.js';
import { finalCandles } from '../../../src/speed/index.js';
import { FIXTURES, parseCsv } from '../../cli/helpers.js';
import {
  DAY,
  HOUR,
  MINUTE,
  makeContext,
  openWorkspace,
  parquetColumns,
  readParquet,
  silverRowOf,
  type Workspace,
  writeSilver,
  xrpethTrades,
} from './helpers.js';

const XRPETH = `${FIXTURES}binance/xrpeth-2019-10-11/`;
const XRPETH_DAY = '2019-10-11';
const XRPETH_START = Date.UTC(2019, 9, 11);

type Row = Record<string, string | number | boolean | null>;

const trade = (symbol: string, tradeId: string, ts: number, price: number, venue = 'binance'): Trade => ({
  venue,
  symbol,
  tradeId,
  ts,
  price,
  qty: 1.5,
  side: Number(tradeId.length) % 2 === 0 ? 'buy' : 'sell',
  count: 1,
  recvTs: ts,
});

const of = (rows: readonly Row[], interval: Interval, symbol?: string): Row[] =>
  rows.filter((r) => r['interval'] === interval && (symbol === undefined || r['symbol'] === symbol));

async function speedCandles(trades: readonly Trade[], interval: Interval, toTs: number): Promise<Candle[]> {
  const out: Candle[] = [];
  for await (const c of finalCandles(trades, { interval, toTs })) out.push(c);
  return out;
}

/** Asserts the job's rows of one interval equal the speed layer's final candles of the same trades. */
function assertSameAsSpeed(rows: readonly Row[], speed: readonly Candle[], interval: Interval): void {
  const mine = of(rows, interval);
  assert.equal(mine.length, speed.length, `${interval}: as many candles as the speed layer`);
  const bySpeed = new Map(speed.map((c) => [`${c.venue}|${c.symbol}|${c.openTime}`, c]));
  for (const r of mine) {
    const key = `${r['venue']}|${r['symbol']}|${r['open_time']}`;
    const s = bySpeed.get(key);
    assert.ok(s !== undefined, `speed has ${interval} ${key}`);
    assert.equal(r['close_time'], s.closeTime);
    for (const f of ['open', 'high', 'low', 'close', 'trades'] as const)
      assert.equal(r[f], s[f], `${f} of ${key}`);
    for (const [col, f] of [
      ['volume', 'volume'],
      ['taker_buy_volume', 'takerBuyVolume'],
    ] as const)
      assert.equal(roundTo(r[col] as number), roundTo(s[f]), `${col} of ${interval} ${key}`);
    for (const [col, f] of [
      ['quote_volume', 'quoteVolume'],
      ['taker_buy_quote_volume', 'takerBuyQuoteVolume'],
    ] as const) {
      const v = r[col] as number;
      assert.ok(Math.abs(v - s[f]) <= 1e-9 * Math.max(1, Math.abs(s[f])), `${col} of ${interval} ${key}`);
    }
  }
}

describe('gold candles job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('is the `candles` job, after `quality`, at minute 10', () => {
    assert.equal(candlesJob.name, 'candles');
    assert.deepEqual([...candlesJob.dependsOn], ['quality']);
    assert.equal(candlesJob.cron, '10 * * * *');
  });

  it("reproduces Binance's own 1m and 5m klines of the real XRPETH day, and the speed layer on every interval", async () => {
    const trades = await xrpethTrades();
    const day = await writeSilver(ws.connection, ws.path('xrpeth.parquet'), trades.map(silverRowOf));
    // As the lake lays silver out: one file per hour, where the row number orders trades.
    const hourly: string[] = [];
    for (let h = 0; h < 24; h++) {
      const rows = trades.filter((t) => Math.floor((t.ts - XRPETH_START) / HOUR) === h).map(silverRowOf);
      if (rows.length > 0)
        hourly.push(await writeSilver(ws.connection, ws.path(`xrpeth-${h}.parquet`), rows));
    }
    const sources = await silverCandleSources(ws.connection, hourly);
    assert.deepEqual(
      sources.map((x) => x.orderKey),
      [ROW_ORDER_KEY],
    );
    for (const files of [[day], hourly]) {
      const ctx = makeContext(ws, { date: XRPETH_DAY, silver: { [XRPETH_DAY]: files } });
      const out = await candlesJob.run(ctx);
      assert.equal(out.status, 'ok');
      const rows = await readParquet(ws.connection, ctx.outputPath);
      assert.equal(out.rows, rows.length);
      assert.deepEqual(await parquetColumns(ws.connection, ctx.outputPath), [
        'interval VARCHAR',
        'venue VARCHAR',
        'symbol VARCHAR',
        'open_time BIGINT',
        'close_time BIGINT',
        'open DOUBLE',
        'high DOUBLE',
        'low DOUBLE',
        'close DOUBLE',
        'volume DOUBLE',
        'quote_volume DOUBLE',
        'trades BIGINT',
        'taker_buy_volume DOUBLE',
        'taker_buy_quote_volume DOUBLE',
      ]);
      for (const interval of ['1m', '5m'] as const) {
        const binance = parseCsv(readFileSync(`${XRPETH}XRPETH-${interval}-2019-10-11.csv`, 'utf8'));
        const mine = of(rows, interval);
        assert.equal(
          mine.length,
          binance.length,
          `${interval}: every bucket of the day, empty ones included`,
        );
        binance.forEach((k, i) => {
          const r = mine[i] ?? {};
          assert.equal(r['open_time'], Number(k['open_time']));
          assert.equal(r['close_time'], Number(k['open_time']) + INTERVAL_MS[interval] - 1);
          for (const f of ['open', 'high', 'low', 'close'] as const)
            assert.equal(r[f], Number(k[f]), `${interval} ${f} at ${k['open_time']}`);
          assert.equal(
            roundTo(r['volume'] as number),
            Number(k['volume']),
            `${interval} volume at ${k['open_time']}`,
          );
        });
      }
      for (const interval of INTERVALS)
        assertSameAsSpeed(rows, await speedCandles(trades, interval, XRPETH_START + DAY), interval);
      const counts = Object.fromEntries(INTERVALS.map((iv) => [iv, of(rows, iv).length]));
      assert.deepEqual(counts, { '1m': 1440, '5m': 288, '15m': 96, '1h': 24, '4h': 6, '1d': 1 });
      const sorted = [...rows].sort((a, b) =>
        a['interval'] !== b['interval']
          ? String(a['interval']) < String(b['interval'])
            ? -1
            : 1
          : (a['open_time'] as number) - (b['open_time'] as number),
      );
      assert.deepEqual(rows, sorted, 'sorted by interval, venue, symbol, open_time');
    }
  });

  const D1 = '2024-03-01';
  const D2 = '2024-03-02';
  const D1_START = Date.UTC(2024, 2, 1);
  const D2_START = D1_START + DAY;
  const day1 = [
    trade('BTC-USDT', '100', D1_START + 5_000, 10),
    trade('BTC-USDT', '101', D1_START + 23 * HOUR + 10 * MINUTE, 11),
    trade('ETH-USDT', '200', D1_START + 12 * HOUR, 20),
    trade('ETH-USDT', '201', D1_START + 12 * HOUR + 30_000, 21),
  ];
  const day2 = [
    trade('BTC-USDT', '102', D2_START + 6 * HOUR + 30 * MINUTE + 10_000, 12),
    trade('SOL-USDT', '300', D2_START + 10 * HOUR, 30),
  ];

  it("carries a series into the next day from the previous day's gold close, traded there or not", async () => {
    const s1 = await writeSilver(ws.connection, ws.path('d1.parquet'), day1.map(silverRowOf));
    const s2 = await writeSilver(ws.connection, ws.path('d2.parquet'), day2.map(silverRowOf));
    const ctx1 = makeContext(ws, { date: D1, silver: { [D1]: [s1] } });
    await candlesJob.run(ctx1);
    const ctx2 = makeContext(ws, {
      date: D2,
      silver: { [D1]: [s1], [D2]: [s2] },
      gold: { [`candles/${D1}`]: ctx1.outputPath },
    });
    const out = await candlesJob.run(ctx2);
    const rows = await readParquet(ws.connection, ctx2.outputPath);
    assert.equal(out.rows, rows.length);

    // ETH did not trade on day 2: a whole day of empty candles at day 1's last close.
    const eth = of(rows, '1m', 'ETH-USDT');
    assert.equal(eth.length, 1440);
    assert.equal(eth[0]?.['open_time'], D2_START);
    assert.ok(eth.every((r) => r['open'] === 21 && r['high'] === 21 && r['low'] === 21 && r['close'] === 21));
    assert.ok(eth.every((r) => r['volume'] === 0 && r['trades'] === 0 && r['quote_volume'] === 0));
    assert.deepEqual(
      of(rows, '1d', 'ETH-USDT').map((r) => [r['open_time'], r['close'], r['trades']]),
      [[D2_START, 21, 0]],
    );
    // BTC carries 11 until its first trade of day 2, then 12.
    const btc = of(rows, '1m', 'BTC-USDT');
    assert.equal(btc.length, 1440);
    assert.equal(btc[0]?.['close'], 11);
    assert.equal(btc.find((r) => r['trades'] === 1)?.['open_time'], D2_START + 6 * HOUR + 30 * MINUTE);
    assert.equal(btc.at(-1)?.['close'], 12);
    // SOL has no previous gold: it starts at its first trade's bucket of each interval.
    assert.equal(of(rows, '1m', 'SOL-USDT')[0]?.['open_time'], D2_START + 10 * HOUR);
    assert.equal(of(rows, '1m', 'SOL-USDT').length, 14 * 60);
    assert.equal(of(rows, '4h', 'SOL-USDT')[0]?.['open_time'], D2_START + 8 * HOUR);

    // The speed layer over both days, from day 2's start, is the same, every interval.
    for (const interval of INTERVALS) {
      const speed = await speedCandles([...day1, ...day2], interval, D2_START + DAY);
      assertSameAsSpeed(
        rows,
        speed.filter((c) => c.openTime >= D2_START),
        interval,
      );
    }

    // Without the previous day's gold, a quiet series has nothing on day 2.
    const alone = makeContext(ws, { date: D2, silver: { [D2]: [s2] } });
    await candlesJob.run(alone);
    const aloneRows = await readParquet(ws.connection, alone.outputPath);
    assert.equal(of(aloneRows, '1m', 'ETH-USDT').length, 0);
    assert.equal(of(aloneRows, '1m', 'BTC-USDT')[0]?.['open_time'], D2_START + 6 * HOUR + 30 * MINUTE);
  });

  it('writes only buckets that end by untilTs on a half-sealed day: no 4h or 1d bucket before it is complete', async () => {
    const s1 = await writeSilver(ws.connection, ws.path('d1-half.parquet'), day1.map(silverRowOf));
    const untilTs = D1_START + 13 * HOUR;
    const ctx = makeContext(ws, { date: D1, untilTs, silver: { [D1]: [s1] } });
    await candlesJob.run(ctx);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assert.ok(rows.every((r) => (r['close_time'] as number) < untilTs));
    const count = (symbol: string): Record<string, number> =>
      Object.fromEntries(INTERVALS.map((iv) => [iv, of(rows, iv, symbol).length]));
    assert.deepEqual(count('BTC-USDT'), { '1m': 780, '5m': 156, '15m': 52, '1h': 13, '4h': 3, '1d': 0 });
    assert.deepEqual(count('ETH-USDT'), { '1m': 60, '5m': 12, '15m': 4, '1h': 1, '4h': 0, '1d': 0 });
    // The 23:10 trade lies past untilTs: not counted, BTC still closes at 10.
    assert.equal(of(rows, '1m', 'BTC-USDT').at(-1)?.['close'], 10);
    for (const interval of INTERVALS) {
      const speed = await speedCandles(
        day1.filter((t) => t.ts < untilTs),
        interval,
        untilTs,
      );
      assertSameAsSpeed(rows, speed, interval);
    }
  });

  it('orders trades exactly whatever the shape of the ids: small, huge, spread, not numbers, several venues', async () => {
    const start = D1_START;
    const trades: Trade[] = [];
    const shapes: Record<string, (i: number) => string> = {
      binance: (i) => String(1_000 + ((i * 7) % 400)),
      kraken: (i) => `T${((i * 13) % 400).toString(36)}x`,
      spread: (i) => String(i % 2 === 0 ? BigInt(5 + i) : 900_000_000_000_000_000n + BigInt(i)),
      near: (i) => String(2 ** 40 - 200 + i),
    };
    for (const [venue, id] of Object.entries(shapes)) {
      for (let i = 0; i < 400; i++) {
        // Four trades per timestamp, ids in no particular order: the id decides open and close.
        const ts = start + Math.floor(i / 4) * 7_000;
        trades.push(trade('BTC-USDT', id(i), ts, 100 + ((i * 31) % 17), venue));
      }
    }
    const silver = await writeSilver(ws.connection, ws.path('shapes.parquet'), trades.map(silverRowOf));
    // One file per venue, as the lake writes them (one at a time: appenders share the connection).
    const byVenue: string[] = [];
    for (const venue of Object.keys(shapes)) {
      const rows = trades.filter((t) => t.venue === venue).map(silverRowOf);
      byVenue.push(await writeSilver(ws.connection, ws.path(`shapes-${venue}.parquet`), rows));
    }
    for (const files of [[silver], byVenue]) {
      const ctx = makeContext(ws, { date: D1, silver: { [D1]: files } });
      await candlesJob.run(ctx);
      const rows = await readParquet(ws.connection, ctx.outputPath);
      for (const interval of INTERVALS)
        assertSameAsSpeed(rows, await speedCandles(trades, interval, start + DAY), interval);
    }
  });

  it('writes an empty file with the columns when there is nothing to do', async () => {
    const ctx = makeContext(ws, { date: D1 });
    const out = await candlesJob.run(ctx);
    assert.deepEqual(out, { rows: 0, status: 'ok' });
    assert.equal((await parquetColumns(ws.connection, ctx.outputPath)).length, 14);
  });

  it('fails with BATCH_JOB_FAILED, retryable, when a silver file cannot be read', async () => {
    const ctx = makeContext(ws, { date: D1, silver: { [D1]: [ws.path('missing.parquet')] } });
    await assert.rejects(candlesJob.run(ctx), (error: unknown) => {
      assert.ok(isCryptoLambdaError(error, BATCH_ERRORS.jobFailed));
      assert.equal(error.retryable, true);
      return true;
    });
  });
});
