import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobContext } from '../../../src/batch/index.js';
import { QUALITY_THRESHOLDS, qualityJob } from '../../../src/batch/jobs/quality.js';
import { checksSql, SERIES_TABLE, seriesStatsSql } from '../../../src/batch/jobs/quality-sql.js';
import { copyToParquet, runStatement, silverRelation } from '../../../src/batch/jobs/sql.js';
import {
  DAY,
  HOUR,
  MINUTE,
  makeContext,
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

type Row = Record<string, string | number | boolean | null>;

/** The job's checks computed the exact way only (one group per id), into `ctx.outputPath`. */
async function byIdChecks(ctx: JobContext): Promise<void> {
  const dayStartTs = Date.parse(`${ctx.date}T00:00:00Z`);
  const trades = silverRelation(ctx.silverFiles(ctx.date, ctx.date));
  const window = {
    day_start: BigInt(dayStartTs),
    day_end: BigInt(dayStartTs + DAY),
    max_ahead: BigInt(QUALITY_THRESHOLDS.maxEventAfterReceiptMs),
  };
  await runStatement(ctx, seriesStatsSql(trades), window);
  await copyToParquet(ctx, checksSql(trades, { counted: false, byId: true }, QUALITY_THRESHOLDS), {
    ...window,
    date: ctx.date,
    now_ms: BigInt(ctx.nowMs),
    until_ts: BigInt(ctx.untilTs),
    is_today: false,
  });
  await ctx.connection.run(`DROP TABLE ${SERIES_TABLE}`);
}

/**
 * The real XRPETH day of 2019-10-11 in two files (before and after noon), the same trades again
 * as a second symbol with other ids, one id missing, and a venue whose ids are not numbers.
 */
async function realDay(ws: Workspace, name: string, extra: readonly SilverRow[] = []): Promise<string[]> {
  const trades = (await xrpethTrades()).map(silverRowOf);
  const noon = Date.UTC(2019, 9, 11, 12);
  const other = trades
    .filter((_, i) => i !== 10)
    .map((r) => ({ ...r, symbol: 'XRP-BTC', tradeId: String(Number(r.tradeId) + 5_000_000) }));
  const strings = trades.slice(0, 50).map((r) => ({ ...r, venue: 'kraken', tradeId: `k-${r.tradeId}` }));
  const all = [...trades, ...other, ...strings, ...extra];
  return [
    await writeSilver(
      ws.connection,
      ws.path(`${name}-am.parquet`),
      all.filter((r) => r.ts < noon),
    ),
    await writeSilver(
      ws.connection,
      ws.path(`${name}-pm.parquet`),
      all.filter((r) => r.ts >= noon),
    ),
  ];
}

function find(rows: readonly Row[], check: string, venue: string, symbol: string): Row {
  const row = rows.find((r) => r['check'] === check && r['venue'] === venue && r['symbol'] === symbol);
  assert.ok(row !== undefined, `${check} ${venue} ${symbol}`);
  return row;
}

/** A clean day: consecutive numeric ids, positive prices, times in the day and near receipt. */
const CLEAN: SilverRow[] = [
  { symbol: 'BTC-USDT', tradeId: '100', ts: D + 1000, price: 100, qty: 1, recvTs: D + 1100 },
  { symbol: 'BTC-USDT', tradeId: '101', ts: D + 2000, price: 101, qty: 1, recvTs: D + 2100 },
  { symbol: 'BTC-USDT', tradeId: '102', ts: D + DAY - 1, price: 102, qty: 1, recvTs: D + DAY + 500 },
  { symbol: 'ETH-USDT', tradeId: '7', ts: D + 5000, price: 3000, qty: 2, recvTs: D + 5001 },
  { venue: 'coinbase', symbol: 'BTC-USD', tradeId: 'a-1', ts: D + 9000, price: 99, qty: 1, recvTs: D + 9000 },
];

/** One of each fault, in BTC-USDT of binance; ETH-USDT stays clean. */
const FAULTY: SilverRow[] = [
  { symbol: 'BTC-USDT', tradeId: '1', ts: D + 1000, price: 100, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '1', ts: D + 1000, price: 100, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '1', ts: D + 1000, price: 100, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '2', ts: D + 2000, price: 0, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '5', ts: D + 3000, price: 100, qty: -1 },
  { symbol: 'BTC-USDT', tradeId: '6', ts: D - 1, price: 100, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '7', ts: D + DAY, price: 100, qty: 1 },
  { symbol: 'BTC-USDT', tradeId: '8', ts: D + 10 * MINUTE, price: 100, qty: 1, recvTs: D + 8 * MINUTE },
  // 60 s ahead of receipt exactly is still in range.
  { symbol: 'BTC-USDT', tradeId: '9', ts: D + 20 * MINUTE, price: 100, qty: 1, recvTs: D + 19 * MINUTE },
  { symbol: 'ETH-USDT', tradeId: '7', ts: D + 5000, price: 3000, qty: 2 },
];

describe('quality job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('is first in the DAG, with its thresholds exported', () => {
    assert.equal(qualityJob.name, 'quality');
    assert.deepEqual(qualityJob.dependsOn, []);
    assert.equal(QUALITY_THRESHOLDS.freshnessMs, 300_000);
    assert.equal(QUALITY_THRESHOLDS.maxEventAfterReceiptMs, 60_000);
  });

  it('passes every check of a clean historical day', async () => {
    const file = await writeSilver(ws.connection, ws.path('clean.parquet'), CLEAN);
    const ctx = makeContext(ws, { date: DATE, silver: { [DATE]: [file] } });
    // 4 per-symbol checks × 3 symbols + freshness × 2 venues.
    assert.deepEqual(await qualityJob.run(ctx), { rows: 14, status: 'ok' });
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assert.ok(rows.every((r) => r['status'] === 'pass' && r['date'] === DATE));
    assert.equal(find(rows, 'trade_id_gaps', 'coinbase', 'BTC-USD')['detail'], 'no numeric trade ids');
    const freshness = find(rows, 'freshness', 'binance', '');
    assert.equal(freshness['detail'], 'historical day');
    assert.equal(freshness['value'], Math.min(ctx.nowMs, ctx.untilTs) - (D + DAY + 500));
    assert.deepEqual(await parquetColumns(ws.connection, ctx.outputPath), [
      'check VARCHAR',
      'date VARCHAR',
      'venue VARCHAR',
      'symbol VARCHAR',
      'status VARCHAR',
      'value DOUBLE',
      'threshold DOUBLE',
      'detail VARCHAR',
    ]);
  });

  it('fails duplicates, bad prices and out-of-range times, warns on id gaps, and says which', async () => {
    const file = await writeSilver(ws.connection, ws.path('faulty.parquet'), FAULTY);
    const ctx = makeContext(ws, { date: DATE, silver: { [DATE]: [file] } });
    const result = await qualityJob.run(ctx);
    assert.equal(result.status, 'failed');
    assert.equal(result.rows, 9);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    const btc = (check: string) => find(rows, check, 'binance', 'BTC-USDT');
    assert.deepEqual(
      ['duplicates', 'trade_id_gaps', 'non_positive_price', 'time_out_of_range'].map((c) => [
        c,
        btc(c)['status'],
        btc(c)['value'],
      ]),
      [
        ['duplicates', 'fail', 2],
        // ids 1, 2, 5..9: 3 and 4 are missing.
        ['trade_id_gaps', 'warn', 2],
        ['non_positive_price', 'fail', 2],
        // Before the day, at its end, and 2 minutes ahead of receipt.
        ['time_out_of_range', 'fail', 3],
      ],
    );
    for (const check of ['duplicates', 'trade_id_gaps', 'non_positive_price', 'time_out_of_range'])
      assert.equal(find(rows, check, 'binance', 'ETH-USDT')['status'], 'pass', check);
    assert.equal(
      result.message,
      `quality checks failed for ${DATE}: duplicates 2 (binance BTC-USDT 2); ` +
        'non_positive_price 2 (binance BTC-USDT 2); time_out_of_range 3 (binance BTC-USDT 3)',
    );
  });

  it('only warns, and stays ok, on id gaps alone', async () => {
    const file = await writeSilver(ws.connection, ws.path('gaps.parquet'), [
      { symbol: 'BTC-USDT', tradeId: '10', ts: D + 1000, price: 1, qty: 1 },
      { symbol: 'BTC-USDT', tradeId: '20', ts: D + 2000, price: 1, qty: 1 },
    ]);
    const ctx = makeContext(ws, { date: DATE, silver: { [DATE]: [file] } });
    assert.deepEqual(await qualityJob.run(ctx), { rows: 5, status: 'ok' });
    const gaps = find(
      await readParquet(ws.connection, ctx.outputPath),
      'trade_id_gaps',
      'binance',
      'BTC-USDT',
    );
    assert.equal(gaps['status'], 'warn');
    assert.equal(gaps['value'], 9);
  });

  it('counts a trade_id spelled twice as one id, and other spellings of a number as ids of their own', async () => {
    const row = (tradeId: string, ts: number) => ({
      symbol: 'BTC-USDT',
      tradeId,
      ts: D + ts,
      price: 1,
      qty: 1,
    });
    const file = await writeSilver(ws.connection, ws.path('spellings.parquet'), [
      row('7', 1000),
      row('007', 2000),
      row('007', 3000),
      row('8', 4000),
      row('a-1', 5000),
      row('a-1', 6000),
      row('b-1', 7000),
    ]);
    const ctx = makeContext(ws, { date: DATE, silver: { [DATE]: [file] } });
    await qualityJob.run(ctx);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    // Ids 7, 007, 8, a-1, b-1 over 7 rows: 2 duplicates; 7 and 007 are one number, so no gap.
    assert.deepEqual(
      ['duplicates', 'trade_id_gaps'].map((check) => {
        const r = find(rows, check, 'binance', 'BTC-USDT');
        return [check, r['value'], r['detail']];
      }),
      [
        ['duplicates', 2, '2 rows repeat an earlier trade_id'],
        ['trade_id_gaps', 0, '0 ids missing among 4 numeric ids'],
      ],
    );
  });

  it('judges freshness on the current day only: warn above 5 minutes, pass within', async () => {
    const file = await writeSilver(ws.connection, ws.path('today.parquet'), [
      { symbol: 'BTC-USDT', tradeId: '1', ts: D + HOUR, price: 1, qty: 1, recvTs: D + HOUR },
      {
        venue: 'bybit',
        symbol: 'BTC-USDT',
        tradeId: '1',
        ts: D + HOUR,
        price: 1,
        qty: 1,
        recvTs: D + 2 * HOUR,
      },
    ]);
    const nowMs = D + 2 * HOUR + 4 * MINUTE;
    const ctx = makeContext(ws, { date: DATE, nowMs, silver: { [DATE]: [file] } });
    assert.equal((await qualityJob.run(ctx)).status, 'ok');
    const rows = await readParquet(ws.connection, ctx.outputPath);
    const stale = find(rows, 'freshness', 'binance', '');
    assert.equal(stale['status'], 'warn');
    assert.equal(stale['value'], HOUR + 4 * MINUTE);
    assert.equal(stale['threshold'], 300_000);
    const fresh = find(rows, 'freshness', 'bybit', '');
    assert.equal(fresh['status'], 'pass');
    assert.equal(fresh['value'], 4 * MINUTE);
    // Against the sealed frontier when it is before now: silver ends there.
    const sealed = makeContext(ws, { date: DATE, nowMs, untilTs: D + 2 * HOUR, silver: { [DATE]: [file] } });
    await qualityJob.run(sealed);
    const sealedRows = await readParquet(ws.connection, sealed.outputPath);
    assert.equal(find(sealedRows, 'freshness', 'bybit', '')['value'], 0);
    assert.equal(find(sealedRows, 'freshness', 'binance', '')['value'], HOUR);
  });

  it('counts real trades to the same checks as grouping them by id, series by series', async () => {
    const date = '2019-10-11';
    const files = await realDay(ws, 'real');
    const ctx = makeContext(ws, { date, silver: { [date]: files } });
    const reference = makeContext(ws, { date, silver: { [date]: files } });
    assert.equal((await qualityJob.run(ctx)).status, 'ok');
    await byIdChecks(reference);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assert.deepEqual(rows, await readParquet(ws.connection, reference.outputPath));
    assert.equal(
      find(rows, 'trade_id_gaps', 'binance', 'XRP-BTC')['detail'],
      '1 ids missing among 5928 numeric ids',
    );
    assert.equal(find(rows, 'trade_id_gaps', 'kraken', 'XRP-ETH')['detail'], 'no numeric trade ids');
  });

  it('finds a repeated id among real trades as grouping them by id does', async () => {
    const date = '2019-10-11';
    const repeated = (await xrpethTrades()).map(silverRowOf)[100] as SilverRow;
    const files = await realDay(ws, 'repeat', [
      { ...repeated, symbol: 'XRP-BTC', tradeId: String(Number(repeated.tradeId) + 5_000_000) },
    ]);
    const ctx = makeContext(ws, { date, silver: { [date]: files } });
    const reference = makeContext(ws, { date, silver: { [date]: files } });
    const result = await qualityJob.run(ctx);
    await byIdChecks(reference);
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assert.deepEqual(rows, await readParquet(ws.connection, reference.outputPath));
    assert.equal(result.message, `quality checks failed for ${date}: duplicates 1 (binance XRP-BTC 1)`);
  });

  it('finds a repeated id in a day of one series', async () => {
    const file = await writeSilver(ws.connection, ws.path('one-series.parquet'), [
      { symbol: 'BTC-USDT', tradeId: '10', ts: D + 1000, price: 1, qty: 1 },
      { symbol: 'BTC-USDT', tradeId: '11', ts: D + 2000, price: 1, qty: 1 },
      { symbol: 'BTC-USDT', tradeId: '11', ts: D + 3000, price: 1, qty: 1 },
    ]);
    const ctx = makeContext(ws, { date: DATE, silver: { [DATE]: [file] } });
    assert.equal((await qualityJob.run(ctx)).status, 'failed');
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assert.equal(find(rows, 'duplicates', 'binance', 'BTC-USDT')['value'], 1);
    assert.equal(
      find(rows, 'trade_id_gaps', 'binance', 'BTC-USDT')['detail'],
      '0 ids missing among 3 numeric ids',
    );
  });

  it('writes an empty, readable file and is ok without silver', async () => {
    const ctx = makeContext(ws, { date: DATE });
    assert.deepEqual(await qualityJob.run(ctx), { rows: 0, status: 'ok' });
    assert.deepEqual(await readParquet(ws.connection, ctx.outputPath), []);
    assert.equal((await parquetColumns(ws.connection, ctx.outputPath)).length, 8);
  });
});
