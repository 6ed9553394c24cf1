import { DuckDBInstance } from '@duckdb/node-api';
import { type Candle, INTERVAL_MS, type Interval, type Trade, type UnixMs } from '../domain/index.js';

/**
 * Candles computed by the batch engine: the trades go into an embedded DuckDB table and one SQL
 * query builds every bucket of the interval, with exactly the speed layer's semantics
 * (ARCHITECTURE.md §4): a bucket is `floor(ts / interval) * interval`; open and close are the
 * first and last trade by `(ts, tradeId)`; empty buckets from a series' first trade up to the end
 * carry the previous close. The batch engine sees every trade, so nothing is late here.
 */
export interface BatchCandlesOptions {
  interval: Interval;
  /**
   * Exclusive end: buckets opening before it are produced, empty ones included.
   * @default the end of the bucket holding the latest trade of all series ("now" for this input)
   */
  toTs?: UnixMs;
}

const CANDLES_SQL = `
WITH buckets AS (
  SELECT venue, symbol, (ts // $ms::BIGINT) * $ms::BIGINT AS open_time,
    first(price ORDER BY ts, id_key) AS open,
    max(price) AS high,
    min(price) AS low,
    last(price ORDER BY ts, id_key) AS close,
    fsum(qty) AS volume,
    fsum(price * qty) AS quote_volume,
    sum(count)::BIGINT AS trades,
    fsum(CASE WHEN is_buy THEN qty ELSE 0 END) AS taker_buy_volume,
    fsum(CASE WHEN is_buy THEN price * qty ELSE 0 END) AS taker_buy_quote_volume
  FROM trades
  GROUP BY ALL
),
series AS (
  SELECT venue, symbol, min(open_time) AS first_open, max(open_time) AS last_open FROM buckets GROUP BY ALL
),
grid AS (
  SELECT venue, symbol,
    unnest(range(first_open, coalesce($end_ts::BIGINT, (SELECT max(last_open) FROM series) + $ms::BIGINT), $ms::BIGINT)) AS open_time
  FROM series
)
SELECT grid.venue, grid.symbol, grid.open_time, b.open, b.high, b.low, b.close,
  coalesce(b.volume, 0) AS volume, coalesce(b.quote_volume, 0) AS quote_volume,
  coalesce(b.trades, 0) AS trades,
  coalesce(b.taker_buy_volume, 0) AS taker_buy_volume,
  coalesce(b.taker_buy_quote_volume, 0) AS taker_buy_quote_volume,
  last_value(b.close IGNORE NULLS) OVER (
    PARTITION BY grid.venue, grid.symbol ORDER BY grid.open_time
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS carried_close
FROM grid LEFT JOIN buckets b USING (venue, symbol, open_time)
ORDER BY grid.venue, grid.symbol, grid.open_time
`;

interface Row {
  venue: string;
  symbol: string;
  open_time: bigint | number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number;
  quote_volume: number;
  trades: bigint | number;
  taker_buy_volume: number;
  taker_buy_quote_volume: number;
  carried_close: number;
}

/**
 * The final candles of `interval` for every (venue, symbol) in `trades`, oldest first per
 * series, series in (venue, symbol) order.
 */
export async function batchCandles(
  trades: AsyncIterable<readonly Trade[]> | Iterable<readonly Trade[]>,
  options: BatchCandlesOptions,
): Promise<Candle[]> {
  const intervalMs = INTERVAL_MS[options.interval];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // id_key orders trade ids as the speed layer does: numerically when they are digits.
    await connection.run(`CREATE TABLE trades (
      venue VARCHAR, symbol VARCHAR, id_key VARCHAR, ts BIGINT, price DOUBLE, qty DOUBLE,
      is_buy BOOLEAN, count BIGINT)`);
    const appender = await connection.createAppender('trades');
    for await (const batch of trades) {
      for (const t of batch) {
        appender.appendVarchar(t.venue);
        appender.appendVarchar(t.symbol);
        appender.appendVarchar(/^\d+$/.test(t.tradeId) ? t.tradeId.padStart(24, '0') : t.tradeId);
        appender.appendBigInt(BigInt(t.ts));
        appender.appendDouble(t.price);
        appender.appendDouble(t.qty);
        appender.appendBoolean(t.side === 'buy');
        appender.appendBigInt(BigInt(t.count));
        appender.endRow();
      }
    }
    appender.closeSync();
    const reader = await connection.runAndReadAll(CANDLES_SQL, {
      ms: BigInt(intervalMs),
      end_ts: options.toTs === undefined ? null : BigInt(options.toTs),
    });
    return (reader.getRowObjectsJS() as unknown as Row[]).map((row) =>
      toCandle(row, options.interval, intervalMs),
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function toCandle(row: Row, interval: Interval, intervalMs: number): Candle {
  const openTime = Number(row.open_time);
  const filled = row.open === null;
  return {
    venue: row.venue,
    symbol: row.symbol,
    interval,
    openTime,
    closeTime: openTime + intervalMs - 1,
    open: filled ? row.carried_close : (row.open as number),
    high: filled ? row.carried_close : (row.high as number),
    low: filled ? row.carried_close : (row.low as number),
    close: filled ? row.carried_close : (row.close as number),
    volume: row.volume,
    quoteVolume: row.quote_volume,
    trades: Number(row.trades),
    takerBuyVolume: row.taker_buy_volume,
    takerBuyQuoteVolume: row.taker_buy_quote_volume,
    state: 'closed',
    source: 'batch',
  };
}
