import { INTERVAL_MS, type Interval, type UnixMs } from '../domain/index.js';
import { sqlText } from '../lake/index.js';

/**
 * The one SQL that turns silver trades into candles, for the batch CLI (`batchCandles`), the gold
 * `candles` job and the batch benchmark alike, with exactly the speed layer's semantics
 * (ARCHITECTURE.md §4):
 *
 * 1. one pass over the trades builds 1m buckets: open and close are the first and last trade by
 *    `(ts, id_num, trade_id)`, found with `arg_min`/`arg_max` over one sortable key (see
 *    `candle-sources.ts`); volume Σ qty, quote volume Σ price·qty, trades Σ count. The pass groups by
 *    `is_buy` as well (cheaper than two more sums over a CASE or a FILTER), and a second, small
 *    aggregation folds the two sides into the bucket and its taker-buy sums;
 * 2. 5m, 15m, 1h, 4h and 1d buckets roll up from the 1m ones (open = the first 1m open, close the
 *    last, extremes and sums over them), which is exact;
 * 3. every series gets a grid of buckets from its first trade's bucket (or from `fromTs` when a
 *    seed close carries it in) to the end; a bucket without trades is a candle with
 *    open = high = low = close = the previous close and zero volume.
 *
 * Output columns: interval, venue, symbol, open_time, close_time, open, high, low, close, volume,
 * quote_volume, trades, taker_buy_volume, taker_buy_quote_volume; sorted by interval, venue,
 * symbol, open_time.
 */

/** Silver trades to build candles from, with the key that orders them within a bucket. */
export interface CandleSource {
  /** A table name or parenthesised query with the silver trade columns (see `job.ts`). */
  relation: string;
  /** A SQL expression ordering the relation's trades as `(ts, id_num, trade_id)`: see `candle-sources.ts`. */
  orderKey: string;
  /** The venue of every trade of the relation, when known: the column is then neither read nor grouped by. */
  venue?: string;
}

export interface CandlesSqlOptions {
  /** The intervals to output (the 1m buckets are always built: the others roll up from them). */
  intervals: readonly Interval[];
  /**
   * Only trades with `ts ≥ fromTs` count, and series carried in by `seeds` start here. Must be
   * aligned to every interval output (a UTC day start is).
   */
  fromTs?: UnixMs;
  /** Only trades with `ts < untilTs` count, and only buckets that end at or before it are output. */
  untilTs?: UnixMs;
  /**
   * Exclusive end of the grid: buckets opening before it are output, whatever trades they hold.
   * Without `toTs` and `untilTs`, the end of the bucket holding the latest trade of all series.
   */
  toTs?: UnixMs;
  /**
   * A relation `(venue, symbol, close)`: the close each series had before `fromTs`. Those series
   * get candles from `fromTs` on, empty ones carrying that close, traded or not.
   */
  seeds?: string;
}

/** The 1m buckets of no trades at all, typed, so that the rest of the query still binds. */
const EMPTY_MINUTES = `SELECT NULL::VARCHAR AS venue, NULL::VARCHAR AS symbol, NULL::BIGINT AS open_time,
  NULL::DOUBLE AS open, NULL::DOUBLE AS high, NULL::DOUBLE AS low, NULL::DOUBLE AS close,
  NULL::DOUBLE AS volume, NULL::DOUBLE AS quote_volume, NULL::BIGINT AS trades,
  NULL::DOUBLE AS taker_buy_volume, NULL::DOUBLE AS taker_buy_quote_volume WHERE false`;

function integer(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !Number.isSafeInteger(value))
    throw new RangeError(`${name} must be an integer number of ms, got ${value}`);
  return value;
}

/**
 * The SQL text that computes the candles of `sources` (see the top of this file). The sources
 * must not share a bucket (`silverCandleSources` keeps each venue in one source).
 */
export function candlesSql(sources: readonly CandleSource[], options: CandlesSqlOptions): string {
  const fromTs = integer('fromTs', options.fromTs);
  const untilTs = integer('untilTs', options.untilTs);
  const toTs = integer('toTs', options.toTs);
  const intervals = [...new Set(options.intervals)];
  if (intervals.length === 0) throw new RangeError('candlesSql needs at least one interval');
  if (options.seeds !== undefined && fromTs === undefined) throw new RangeError('seeds need fromTs');
  for (const interval of intervals) {
    if (fromTs !== undefined && fromTs % INTERVAL_MS[interval] !== 0)
      throw new RangeError(`fromTs ${fromTs} is not aligned to ${interval}`);
  }
  const minute = INTERVAL_MS['1m'];
  const where = [
    ...(fromTs === undefined ? [] : [`ts >= ${fromTs}`]),
    ...(untilTs === undefined ? [] : [`ts < ${untilTs}`]),
  ];
  const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  // Pass 1 per source: one row per (series, minute, taker side). Pass 2 folds the sides; the
  // order keys of one source compare with each other only, hence one fold per source.
  const minuteParts = sources.map(
    (source, i) => `side_${i} AS (
  SELECT ${source.venue === undefined ? 'venue' : `${sqlText(source.venue)} AS venue`}, symbol,
    ts // ${minute} AS minute, is_buy,
    arg_min(price, ${source.orderKey}) AS open, min(${source.orderKey}) AS open_key,
    arg_max(price, ${source.orderKey}) AS close, max(${source.orderKey}) AS close_key,
    max(price) AS high, min(price) AS low,
    fsum(qty) AS volume, fsum(price * qty) AS quote_volume, sum(count) AS trades
  FROM ${source.relation} ${whereSql}
  GROUP BY ${source.venue === undefined ? 'venue, ' : ''}symbol, minute, is_buy
)`,
  );
  const folds = sources.map(
    (_, i) => `SELECT venue, symbol, minute * ${minute} AS open_time,
    arg_min(open, open_key) AS open, max(high) AS high, min(low) AS low, arg_max(close, close_key) AS close,
    fsum(volume) AS volume, fsum(quote_volume) AS quote_volume, sum(trades)::BIGINT AS trades,
    coalesce(fsum(volume) FILTER (WHERE is_buy), 0) AS taker_buy_volume,
    coalesce(fsum(quote_volume) FILTER (WHERE is_buy), 0) AS taker_buy_quote_volume
  FROM side_${i} GROUP BY venue, symbol, minute`,
  );
  const rollUp = (interval: Interval): string => {
    const ms = INTERVAL_MS[interval];
    if (interval === '1m') return `SELECT '1m' AS interval, * FROM minutes`;
    return `SELECT '${interval}' AS interval, venue, symbol, open_time // ${ms} * ${ms} AS open_time,
    arg_min(open, open_time) AS open, max(high) AS high, min(low) AS low, arg_max(close, open_time) AS close,
    fsum(volume) AS volume, fsum(quote_volume) AS quote_volume, sum(trades)::BIGINT AS trades,
    fsum(taker_buy_volume) AS taker_buy_volume, fsum(taker_buy_quote_volume) AS taker_buy_quote_volume
  FROM minutes GROUP BY venue, symbol, open_time // ${ms}`;
  };
  const gridEnd =
    untilTs !== undefined
      ? `${untilTs} // i.ms * i.ms`
      : toTs !== undefined
        ? `${toTs}`
        : `(SELECT max(open_time) FROM minutes) // i.ms * i.ms + i.ms`;
  const seeds =
    options.seeds === undefined
      ? `SELECT NULL::VARCHAR AS venue, NULL::VARCHAR AS symbol, NULL::DOUBLE AS close WHERE false`
      : `SELECT venue, symbol, close FROM ${options.seeds}`;
  const gridStart =
    fromTs === undefined
      ? 's.first_open // i.ms * i.ms'
      : `CASE WHEN s.seed_close IS NULL
      THEN s.first_open // i.ms * i.ms ELSE ${fromTs} END`;
  const intervalRows = intervals.map((iv) => `('${iv}', ${INTERVAL_MS[iv]}::BIGINT)`).join(', ');
  return `
WITH ${minuteParts.length > 0 ? `${minuteParts.join(',\n')},` : ''}
minutes AS MATERIALIZED (${folds.length > 0 ? folds.join('\n  UNION ALL\n  ') : EMPTY_MINUTES}),
buckets AS (${intervals.map(rollUp).join('\n  UNION ALL\n  ')}),
series AS (
  SELECT venue, symbol, min(first_open) AS first_open, max(seed_close) AS seed_close
  FROM (
    SELECT venue, symbol, min(open_time) AS first_open, NULL::DOUBLE AS seed_close FROM minutes GROUP BY venue, symbol
    UNION ALL
    SELECT venue, symbol, NULL::BIGINT, close FROM (${seeds})
  )
  GROUP BY venue, symbol
),
grid AS (
  SELECT i.interval, i.ms, s.venue, s.symbol, s.seed_close,
    unnest(range(${gridStart}, ${gridEnd}, i.ms)) AS open_time
  FROM series s CROSS JOIN (VALUES ${intervalRows}) AS i(interval, ms)
),
filled AS (
  SELECT g.interval, g.venue, g.symbol, g.open_time, g.open_time + g.ms - 1 AS close_time,
    b.open, b.high, b.low, b.close, b.volume, b.quote_volume, b.trades, b.taker_buy_volume,
    b.taker_buy_quote_volume,
    coalesce(last_value(b.close IGNORE NULLS) OVER (
      PARTITION BY g.interval, g.venue, g.symbol ORDER BY g.open_time
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ), g.seed_close) AS carried
  FROM grid g LEFT JOIN buckets b
    ON b.interval = g.interval AND b.venue = g.venue AND b.symbol = g.symbol AND b.open_time = g.open_time
)
SELECT interval, venue, symbol, open_time, close_time,
  coalesce(open, carried) AS open, coalesce(high, carried) AS high, coalesce(low, carried) AS low,
  coalesce(close, carried) AS close,
  coalesce(volume, 0)::DOUBLE AS volume, coalesce(quote_volume, 0)::DOUBLE AS quote_volume,
  coalesce(trades, 0)::BIGINT AS trades,
  coalesce(taker_buy_volume, 0)::DOUBLE AS taker_buy_volume,
  coalesce(taker_buy_quote_volume, 0)::DOUBLE AS taker_buy_quote_volume
FROM filled
ORDER BY interval, venue, symbol, open_time
`;
}
