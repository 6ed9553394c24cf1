import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Trade } from '../../src/domain/index.js';
import { openLakeReader, readParquetSql } from '../../src/lake/index.js';
import { appendEvents, type FileEventLog, openFileLog, TOPICS } from '../../src/log/index.js';

export const HOUR = 3_600_000;
/** 2019-10-11T00:00:00Z. */
export const DAY0 = Date.UTC(2019, 9, 11);

let nextId = 1;
export function trade(fields: Partial<Trade> & { ts: number }): Trade {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    tradeId: String(nextId++),
    price: 100,
    qty: 1,
    side: 'buy',
    count: 1,
    recvTs: fields.ts,
    ...fields,
  };
}

export interface TempLake {
  dir: string;
  lakeDir: string;
  log: FileEventLog;
  append(trades: readonly Trade[]): Promise<void>;
  cleanup(): Promise<void>;
}

export async function tempLake(): Promise<TempLake> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-lake-'));
  const log = await openFileLog({ dir: join(dir, 'log') });
  await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
  return {
    dir,
    lakeDir: join(dir, 'lake'),
    log,
    async append(trades) {
      await appendEvents(log, TOPICS.trades, trades);
    },
    async cleanup() {
      await log.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface SilverRow {
  venue: string;
  symbol: string;
  trade_id: string;
  id_num: number | null;
  ts: number;
  price: number;
  qty: number;
  is_buy: boolean;
  count: number;
  recv_ts: number;
}

/**
 * Rows of Parquet files read with DuckDB as the lake reads them (hive partitioning off), BIGINT
 * as numbers; in file order, or sorted by every column with `orderAll`.
 */
export async function readParquetRows(
  files: string | readonly string[],
  options: { orderAll?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  if (typeof files !== 'string' && files.length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT * FROM ${readParquetSql(files)}${options.orderAll === true ? ' ORDER BY ALL' : ''}`,
    );
    return reader
      .getRowObjectsJS()
      .map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
      );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Reads silver Parquet files, rows in file order. */
export async function readParquet(files: readonly string[]): Promise<SilverRow[]> {
  return (await readParquetRows(files)) as unknown as SilverRow[];
}

export const GOLD_JOBS = [
  'quality',
  'candles',
  'daily_market_metrics',
  'top_movers',
  'trending',
  'reconciliation',
];

/**
 * Every gold file of the lake under `dataDir` (of `dates`, default every day with data), by
 * `job/date`, each row as JSON, sorted; quality's freshness figure, which depends on the wall
 * clock, zeroed. A missing file throws unless `skipMissing`.
 */
export async function goldSnapshot(
  dataDir: string,
  options: { dates?: readonly string[]; skipMissing?: boolean } = {},
): Promise<Map<string, string[]>> {
  const reader = await openLakeReader(join(dataDir, 'lake'));
  const out = new Map<string, string[]>();
  for (const job of GOLD_JOBS) {
    for (const date of options.dates ?? reader.dates()) {
      const path = reader.goldPath(job, date);
      if (options.skipMissing === true && !existsSync(path)) continue;
      const rows = await readParquetRows(path, { orderAll: true });
      out.set(
        `${job}/${date}`,
        rows.map((r) => JSON.stringify(r['check'] === 'freshness' ? { ...r, value: 0 } : r)),
      );
    }
  }
  return out;
}
