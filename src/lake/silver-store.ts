import { stat } from 'node:fs/promises';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Trade, UnixMs } from '../domain/index.js';
import { HOUR_MS } from './layout.js';

/**
 * Silver trades in DuckDB: consumed trades are appended to an in-memory staging table, and
 * each flush copies them out as Parquet, one file per (venue, hour). Sealing an hour compacts
 * its files into one, deduplicated by `(venue, symbol, tradeId)` and sorted by
 * `(symbol, ts, id_num, trade_id)`. The Parquet columns are the silver schema of
 * `src/batch/job.ts`.
 */
export interface SilverStore {
  append(trades: readonly Trade[]): Promise<void>;
  /** Rows staged since the last `clear`. */
  stagedRows(): number;
  /** The (venue, hour) groups of the staged rows. */
  stagedHours(): Promise<{ venue: string; hourTs: UnixMs; rows: number }[]>;
  /** Writes the staged rows of one venue's hour to `path`; returns the rows and bytes written. */
  writePart(venue: string, hourTs: UnixMs, path: string): Promise<{ rows: number; bytes: number }>;
  /**
   * Writes the union of `files` and (with `withStaged`) the staged rows of the hour to `path`,
   * deduplicated (the first received copy of a trade wins) and sorted.
   */
  compact(
    venue: string,
    hourTs: UnixMs,
    files: readonly string[],
    withStaged: boolean,
    path: string,
  ): Promise<{ rows: number; bytes: number }>;
  clear(): Promise<void>;
  close(): void;
}

const SILVER_COLUMNS = `venue, symbol, trade_id,
  CASE WHEN regexp_full_match(trade_id, '[0-9]{1,18}') THEN trade_id::BIGINT END AS id_num,
  ts::BIGINT AS ts, price, qty, is_buy, count, recv_ts::BIGINT AS recv_ts`;

const PARQUET = `(FORMAT parquet, COMPRESSION zstd)`;

export const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;
const sqlList = (files: readonly string[]): string => `[${files.map(sqlText).join(', ')}]`;

export async function openSilverStore(): Promise<SilverStore> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection: DuckDBConnection = await instance.connect();
  // Times as DOUBLE on the way in (cheaper to append than BIGINT from JS; exact below 2^53).
  await connection.run(`CREATE TABLE staged (
    venue VARCHAR, symbol VARCHAR, trade_id VARCHAR, ts DOUBLE, price DOUBLE, qty DOUBLE,
    is_buy BOOLEAN, count INTEGER, recv_ts DOUBLE)`);
  let appender: DuckDBAppender | undefined;
  let staged = 0;

  const closeAppender = (): void => {
    appender?.closeSync();
    appender = undefined;
  };
  const copy = async (select: string, path: string): Promise<{ rows: number; bytes: number }> => {
    closeAppender();
    const result = await connection.runAndReadAll(`COPY (${select}) TO ${sqlText(path)} ${PARQUET}`);
    const rows = Number(result.getRows()[0]?.[0] ?? 0);
    return { rows, bytes: (await stat(path)).size };
  };
  const hourFilter = (venue: string, hourTs: UnixMs): string =>
    `venue = ${sqlText(venue)} AND ts >= ${hourTs} AND ts < ${hourTs + HOUR_MS}`;

  return {
    async append(trades) {
      if (trades.length === 0) return;
      appender ??= await connection.createAppender('staged');
      const a = appender;
      for (const t of trades) {
        a.appendVarchar(t.venue);
        a.appendVarchar(t.symbol);
        a.appendVarchar(t.tradeId);
        a.appendDouble(t.ts);
        a.appendDouble(t.price);
        a.appendDouble(t.qty);
        a.appendBoolean(t.side === 'buy');
        a.appendInteger(t.count);
        a.appendDouble(t.recvTs);
        a.endRow();
      }
      staged += trades.length;
    },
    stagedRows: () => staged,
    async stagedHours() {
      closeAppender();
      const result = await connection.runAndReadAll(
        `SELECT venue, floor(ts / ${HOUR_MS})::BIGINT * ${HOUR_MS} AS hour_ts, count(*) AS n
         FROM staged GROUP BY ALL ORDER BY ALL`,
      );
      return result.getRows().map(([venue, hourTs, n]) => ({
        venue: String(venue),
        hourTs: Number(hourTs),
        rows: Number(n),
      }));
    },
    writePart: (venue, hourTs, path) =>
      copy(
        `SELECT ${SILVER_COLUMNS} FROM staged WHERE ${hourFilter(venue, hourTs)} ORDER BY symbol, ts`,
        path,
      ),
    compact(venue, hourTs, files, withStaged, path) {
      const parts: string[] = [];
      if (files.length > 0) parts.push(`SELECT * FROM read_parquet(${sqlList(files)})`);
      if (withStaged) parts.push(`SELECT ${SILVER_COLUMNS} FROM staged WHERE ${hourFilter(venue, hourTs)}`);
      return copy(
        `SELECT * FROM (${parts.join(' UNION ALL BY NAME ')})
         QUALIFY row_number() OVER (PARTITION BY venue, symbol, trade_id ORDER BY recv_ts, ts) = 1
         ORDER BY symbol, ts, id_num, trade_id`,
        path,
      );
    },
    async clear() {
      closeAppender();
      await connection.run('DELETE FROM staged');
      staged = 0;
    },
    close() {
      closeAppender();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
