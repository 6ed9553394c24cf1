import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Trade } from '../../src/domain/index.js';
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

/** Reads Parquet files with DuckDB, rows in file order. */
export async function readParquet(files: readonly string[]): Promise<SilverRow[]> {
  if (files.length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const list = files.map((f) => `'${f}'`).join(', ');
    const reader = await connection.runAndReadAll(
      `SELECT * FROM read_parquet([${list}], hive_partitioning = false)`,
    );
    return reader.getRowObjectsJS().map((r) => ({
      ...(r as unknown as SilverRow),
      id_num: r['id_num'] === null ? null : Number(r['id_num']),
      ts: Number(r['ts']),
      recv_ts: Number(r['recv_ts']),
      count: Number(r['count']),
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
