import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { Candle, Interval, Trade, UnixMs } from '../domain/index.js';
import { orderKeySql, type TradeKeyStats } from './candle-sources.js';
import { candlesSql } from './candles-sql.js';
import { candleFromRow } from './gold-row.js';

/**
 * Candles computed by the batch engine: the trades go into an embedded DuckDB table with the
 * silver columns, and the gold job's SQL (`candles-sql.ts`) builds every bucket of the interval,
 * with exactly the speed layer's semantics (ARCHITECTURE.md §4): a bucket is
 * `floor(ts / interval) * interval`; open and close are the first and last trade by
 * `(ts, tradeId)`; empty buckets from a series' first trade up to the end carry the previous
 * close. The batch engine sees every trade, so nothing is late here.
 */
export interface BatchCandlesOptions {
  interval: Interval;
  /**
   * Exclusive end: buckets opening before it are produced, empty ones included.
   * @default the end of the bucket holding the latest trade of all series ("now" for this input)
   */
  toTs?: UnixMs;
}

/** A trade id as silver's `id_num`: its value when it is 1 to 18 decimal digits, else NULL. */
const ID_NUM = /^\d{1,18}$/;

/**
 * The final candles of `interval` for every (venue, symbol) in `trades`, oldest first per
 * series, series in (venue, symbol) order.
 */
export async function batchCandles(
  trades: AsyncIterable<readonly Trade[]> | Iterable<readonly Trade[]>,
  options: BatchCandlesOptions,
): Promise<Candle[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE TABLE trades (
      venue VARCHAR, symbol VARCHAR, trade_id VARCHAR, id_num BIGINT, ts BIGINT, price DOUBLE,
      qty DOUBLE, is_buy BOOLEAN, count INTEGER, recv_ts BIGINT)`);
    const appender = await connection.createAppender('trades');
    for await (const batch of trades) {
      for (const t of batch) {
        appender.appendVarchar(t.venue);
        appender.appendVarchar(t.symbol);
        appender.appendVarchar(t.tradeId);
        if (ID_NUM.test(t.tradeId)) appender.appendBigInt(BigInt(t.tradeId));
        else appender.appendNull();
        appender.appendBigInt(BigInt(t.ts));
        appender.appendDouble(t.price);
        appender.appendDouble(t.qty);
        appender.appendBoolean(t.side === 'buy');
        appender.appendInteger(t.count);
        appender.appendBigInt(BigInt(t.recvTs));
        appender.endRow();
      }
    }
    appender.closeSync();
    const stats = await connection.runAndReadAll(
      `SELECT min(ts) AS "minTs", max(ts) AS "maxTs", min(id_num) AS "minId", max(id_num) AS "maxId",
         count(*) - count(id_num) AS "nullIds" FROM trades`,
    );
    const row = stats.getRowObjects()[0] ?? {};
    const big = (value: DuckDBValue | undefined): bigint | null => (typeof value === 'bigint' ? value : null);
    const keys: TradeKeyStats = {
      minTs: big(row['minTs']),
      maxTs: big(row['maxTs']),
      minId: big(row['minId']),
      maxId: big(row['maxId']),
      nullIds: big(row['nullIds']),
    };
    const orderKey = orderKeySql(keys);
    const sql = candlesSql([{ relation: 'trades', orderKey }], {
      intervals: [options.interval],
      ...(options.toTs === undefined ? {} : { toTs: options.toTs }),
    });
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map(candleFromRow);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
