import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { JobContext } from '../../../src/batch/index.js';
import type { Trade } from '../../../src/domain/index.js';
import { openReplay } from '../../../src/ingest/index.js';
import { FIXTURES } from '../../cli/helpers.js';

/** Test fixtures for the gold jobs: silver and gold Parquet files written by a real DuckDB. */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A silver trade row (the columns of `src/batch/job.ts`), defaults filled by `writeSilver`. */
export interface SilverRow {
  venue?: string;
  symbol: string;
  tradeId: string;
  ts: number;
  price: number;
  qty: number;
  isBuy?: boolean;
  count?: number;
  recvTs?: number;
}

/** A trade as a silver row. */
export function silverRowOf(t: Trade): SilverRow {
  return {
    venue: t.venue,
    symbol: t.symbol,
    tradeId: t.tradeId,
    ts: t.ts,
    price: t.price,
    qty: t.qty,
    isBuy: t.side === 'buy',
    count: t.count,
    recvTs: t.recvTs,
  };
}

/** The real Binance XRPETH aggTrades of 2019-10-11 (fixture), parsed as the product parses them. */
export async function xrpethTrades(): Promise<Trade[]> {
  const trades: Trade[] = [];
  const source = openReplay(`${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`);
  for await (const batch of source.batches({ signal: new AbortController().signal }))
    trades.push(...batch.trades);
  return trades;
}

/** A gold candle row (the columns the `candles` job writes). */
export interface CandleRow {
  interval: string;
  venue?: string;
  symbol: string;
  openTime: number;
  close: number;
  open?: number;
  high?: number;
  low?: number;
  volume?: number;
  quoteVolume?: number;
  trades?: number;
}

export interface Workspace {
  dir: string;
  connection: DuckDBConnection;
  path(name: string): string;
  close(): void;
}

export async function openWorkspace(): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'gold-jobs-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    dir,
    connection,
    path: (name) => join(dir, name),
    close: () => {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let tableSeq = 0;

const sqlPath = (path: string): string => `'${path.replaceAll("'", "''")}'`;

/** Writes `rows` as a silver trades Parquet file at `path`, sorted as the lake sorts silver. */
export async function writeSilver(
  connection: DuckDBConnection,
  path: string,
  rows: readonly SilverRow[],
): Promise<string> {
  const table = `silver_fixture_${++tableSeq}`;
  await connection.run(`CREATE TEMP TABLE ${table} (venue VARCHAR, symbol VARCHAR, trade_id VARCHAR,
    id_num BIGINT, ts BIGINT, price DOUBLE, qty DOUBLE, is_buy BOOLEAN, count INTEGER, recv_ts BIGINT)`);
  const appender = await connection.createAppender(table);
  for (const r of rows) {
    appender.appendVarchar(r.venue ?? 'binance');
    appender.appendVarchar(r.symbol);
    appender.appendVarchar(r.tradeId);
    if (/^\d{1,18}$/.test(r.tradeId)) appender.appendBigInt(BigInt(r.tradeId));
    else appender.appendNull();
    appender.appendBigInt(BigInt(r.ts));
    appender.appendDouble(r.price);
    appender.appendDouble(r.qty);
    appender.appendBoolean(r.isBuy ?? true);
    appender.appendInteger(r.count ?? 1);
    appender.appendBigInt(BigInt(r.recvTs ?? r.ts));
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(
    `COPY (SELECT * FROM ${table} ORDER BY venue, symbol, ts, id_num, trade_id) TO ${sqlPath(path)} (FORMAT parquet)`,
  );
  await connection.run(`DROP TABLE ${table}`);
  return path;
}

/** Writes `rows` as a gold candles Parquet file at `path`; omitted OHLC default to `close`. */
export async function writeCandles(
  connection: DuckDBConnection,
  path: string,
  rows: readonly CandleRow[],
): Promise<string> {
  const table = `candles_fixture_${++tableSeq}`;
  await connection.run(`CREATE TEMP TABLE ${table} (interval VARCHAR, venue VARCHAR, symbol VARCHAR,
    open_time BIGINT, close_time BIGINT, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE,
    quote_volume DOUBLE, trades BIGINT, taker_buy_volume DOUBLE, taker_buy_quote_volume DOUBLE)`);
  const appender = await connection.createAppender(table);
  for (const c of rows) {
    const ms = c.interval === '1m' ? MINUTE : c.interval === '1h' ? HOUR : DAY;
    appender.appendVarchar(c.interval);
    appender.appendVarchar(c.venue ?? 'binance');
    appender.appendVarchar(c.symbol);
    appender.appendBigInt(BigInt(c.openTime));
    appender.appendBigInt(BigInt(c.openTime + ms - 1));
    appender.appendDouble(c.open ?? c.close);
    appender.appendDouble(c.high ?? c.close);
    appender.appendDouble(c.low ?? c.close);
    appender.appendDouble(c.close);
    appender.appendDouble(c.volume ?? 0);
    appender.appendDouble(c.quoteVolume ?? 0);
    appender.appendBigInt(BigInt(c.trades ?? 0));
    appender.appendDouble(0);
    appender.appendDouble(0);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(`COPY ${table} TO ${sqlPath(path)} (FORMAT parquet)`);
  await connection.run(`DROP TABLE ${table}`);
  return path;
}

export interface ContextOptions {
  date: string;
  untilTs?: number;
  nowMs?: number;
  /** Silver files by day. */
  silver?: Readonly<Record<string, readonly string[]>>;
  /** Gold files by `job/date`. */
  gold?: Readonly<Record<string, string>>;
  output?: string;
}

/** A hand-made `JobContext` over the workspace's connection and files. */
export function makeContext(ws: Workspace, options: ContextOptions): JobContext {
  const dayStartTs = Date.parse(`${options.date}T00:00:00Z`);
  const silver = options.silver ?? {};
  return {
    connection: ws.connection,
    date: options.date,
    dayStartTs,
    untilTs: options.untilTs ?? dayStartTs + DAY,
    silverFiles: (from, to) =>
      Object.keys(silver)
        .filter((day) => day >= from && day <= to)
        .sort()
        .flatMap((day) => silver[day] ?? []),
    goldFile: (job, date) => options.gold?.[`${job}/${date}`],
    outputPath: ws.path(options.output ?? `out-${++tableSeq}.parquet`),
    nowMs: options.nowMs ?? dayStartTs + 2 * DAY,
  };
}

/** The rows of a Parquet file, BIGINTs as numbers. */
export async function readParquet(
  connection: DuckDBConnection,
  path: string,
): Promise<Record<string, string | number | boolean | null>[]> {
  const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(path)})`);
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, string | number | boolean | null> = {};
    for (const [key, value] of Object.entries(row)) {
      out[key] = typeof value === 'bigint' ? Number(value) : (value as string | number | boolean | null);
    }
    return out;
  });
}

/** Column names and types of a Parquet file. */
export async function parquetColumns(connection: DuckDBConnection, path: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path)})`);
  return reader.getRowObjectsJS().map((r) => `${String(r['column_name'])} ${String(r['column_type'])}`);
}

/** Relative closeness, for values computed through logs and square roots. */
export function near(actual: unknown, expected: number, tolerance = 1e-12): boolean {
  return (
    typeof actual === 'number' && Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected))
  );
}

/** Asserts every number in `rows` is finite. */
export function allFinite(rows: readonly Record<string, unknown>[]): boolean {
  return rows.every((row) => Object.values(row).every((v) => typeof v !== 'number' || Number.isFinite(v)));
}
