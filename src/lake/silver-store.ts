import { stat } from 'node:fs/promises';
import {
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  INTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import type { Trade, UnixMs } from '../domain/index.js';
import { HOUR_MS } from './layout.js';
import { readParquetSql, sqlText } from './sql.js';

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
  /** Rows that repeat the `(venue, symbol, trade_id)` of an earlier row, over the files. */
  duplicates(files: readonly string[]): Promise<number>;
  clear(): Promise<void>;
  close(): void;
}

/** Silver columns from the staging tables (`t` staged rows, `s` their series). */
const SILVER_COLUMNS = `s.venue, s.symbol, coalesce(t.trade_id, t.id::BIGINT::VARCHAR) AS trade_id,
  CASE WHEN t.id IS NOT NULL THEN t.id::BIGINT
    WHEN regexp_full_match(t.trade_id, '[0-9]{1,18}') THEN t.trade_id::BIGINT END AS id_num,
  t.ts::BIGINT AS ts, t.price, t.qty, t.is_buy, t.count, t.recv_ts::BIGINT AS recv_ts`;
const STAGED = 'staged t JOIN series s USING (series)';

const PARQUET = `(FORMAT parquet, COMPRESSION zstd)`;
/** A silver file's sort order: by series, then `(ts, tradeId)` as ARCHITECTURE.md §4 orders trades. */
const SILVER_ORDER = 'venue, symbol, ts, id_num, trade_id';

const CHUNK_ROWS = 2048;
const STAGED_TYPES = [INTEGER, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, BOOLEAN, INTEGER, DOUBLE];

/** A decimal id below 2^53 without leading zeros travels as a number (cheaper than a string). */
function numericId(id: string): number | null {
  if (id.length === 0 || id.length > 15 || (id.length > 1 && id.charCodeAt(0) === 48)) return null;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(id);
}

export async function openSilverStore(): Promise<SilverStore> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection: DuckDBConnection = await instance.connect();
  // Rows go in as column chunks (one native call per column per 2048 rows, not one per value);
  // venue and symbol as a small series id; numeric trade ids and times as DOUBLE (exact below 2^53).
  await connection.run(`CREATE TABLE staged (
    series INTEGER, trade_id VARCHAR, id DOUBLE, ts DOUBLE, price DOUBLE, qty DOUBLE,
    is_buy BOOLEAN, count INTEGER, recv_ts DOUBLE)`);
  await connection.run('CREATE TABLE series (series INTEGER, venue VARCHAR, symbol VARCHAR)');
  /** Series ids by venue, then symbol (no key string built per trade). */
  const seriesIds = new Map<string, Map<string, number>>();
  let seriesCount = 0;
  const seriesOf = async (venue: string, symbol: string): Promise<number> => {
    let bySymbol = seriesIds.get(venue);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      seriesIds.set(venue, bySymbol);
    }
    let sid = bySymbol.get(symbol);
    if (sid === undefined) {
      sid = seriesCount++;
      bySymbol.set(symbol, sid);
      await connection.run(`INSERT INTO series VALUES (${sid}, ${sqlText(venue)}, ${sqlText(symbol)})`);
    }
    return sid;
  };
  const columns: DuckDBValue[][] = STAGED_TYPES.map(() => []);
  let appender: DuckDBAppender | undefined;
  let staged = 0;

  const flushChunk = async (): Promise<void> => {
    const rows = columns[0]?.length ?? 0;
    if (rows === 0) return;
    appender ??= await connection.createAppender('staged');
    const chunk = DuckDBDataChunk.create(STAGED_TYPES, rows);
    columns.forEach((values, i) => {
      chunk.setColumnValues(i, values);
      values.length = 0;
    });
    appender.appendDataChunk(chunk);
  };
  const closeAppender = async (): Promise<void> => {
    await flushChunk();
    appender?.closeSync();
    appender = undefined;
  };
  const copy = async (select: string, path: string): Promise<{ rows: number; bytes: number }> => {
    await closeAppender();
    const result = await connection.runAndReadAll(`COPY (${select}) TO ${sqlText(path)} ${PARQUET}`);
    const rows = Number(result.getRows()[0]?.[0] ?? 0);
    return { rows, bytes: (await stat(path)).size };
  };
  /** Rows of `relation` repeating the `(venue, symbol, trade_id)` of an earlier one. */
  const countDuplicates = async (relation: string): Promise<number> => {
    const result = await connection.runAndReadAll(
      `SELECT count(*) - count(DISTINCT (venue, symbol, trade_id)) FROM ${relation}`,
    );
    return Number(result.getRows()[0]?.[0] ?? 0);
  };
  const hourFilter = (venue: string, hourTs: UnixMs): string =>
    `s.venue = ${sqlText(venue)} AND t.ts >= ${hourTs} AND t.ts < ${hourTs + HOUR_MS}`;

  return {
    async append(trades) {
      const [series, tradeId, id, ts, price, qty, isBuy, count, recvTs] = columns as [
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
        DuckDBValue[],
      ];
      let lastVenue = '';
      let lastSymbol = '';
      let sid = -1;
      for (const t of trades) {
        if (t.symbol !== lastSymbol || t.venue !== lastVenue) {
          sid = seriesIds.get(t.venue)?.get(t.symbol) ?? (await seriesOf(t.venue, t.symbol));
          lastVenue = t.venue;
          lastSymbol = t.symbol;
        }
        const numeric = numericId(t.tradeId);
        series.push(sid);
        tradeId.push(numeric === null ? t.tradeId : null);
        id.push(numeric);
        ts.push(t.ts);
        price.push(t.price);
        qty.push(t.qty);
        isBuy.push(t.side === 'buy');
        count.push(t.count);
        recvTs.push(t.recvTs);
        if (series.length === CHUNK_ROWS) await flushChunk();
      }
      staged += trades.length;
    },
    stagedRows: () => staged,
    async stagedHours() {
      await closeAppender();
      const result = await connection.runAndReadAll(
        `SELECT s.venue, floor(t.ts / ${HOUR_MS})::BIGINT * ${HOUR_MS} AS hour_ts, count(*) AS n
         FROM ${STAGED} GROUP BY ALL ORDER BY ALL`,
      );
      return result.getRows().map(([venue, hourTs, n]) => ({
        venue: String(venue),
        hourTs: Number(hourTs),
        rows: Number(n),
      }));
    },
    writePart: (venue, hourTs, path) =>
      copy(
        `SELECT ${SILVER_COLUMNS} FROM ${STAGED} WHERE ${hourFilter(venue, hourTs)} ORDER BY ${SILVER_ORDER}`,
        path,
      ),
    async compact(venue, hourTs, files, withStaged, path) {
      const parts: string[] = [];
      if (files.length > 0) parts.push(`SELECT * FROM ${readParquetSql(files)}`);
      if (withStaged)
        parts.push(`SELECT ${SILVER_COLUMNS} FROM ${STAGED} WHERE ${hourFilter(venue, hourTs)}`);
      await closeAppender();
      const union = `(${parts.join(' UNION ALL BY NAME ')})`;
      // Duplicates are rare (the log writer drops most): count them first, and only pay for
      // the window that removes them when there are some.
      const dedupe =
        (await countDuplicates(union)) > 0
          ? 'QUALIFY row_number() OVER (PARTITION BY venue, symbol, trade_id ORDER BY recv_ts, ts) = 1'
          : '';
      return copy(`SELECT * FROM ${union} ${dedupe} ORDER BY ${SILVER_ORDER}`, path);
    },
    duplicates: (files) => countDuplicates(readParquetSql(files)),
    async clear() {
      await closeAppender();
      await connection.run('DELETE FROM staged');
      staged = 0;
    },
    close() {
      appender?.closeSync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
