import { DAY_MS } from '../../lake/index.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import { addDays, copyToParquet, dayStartOf, MINUTE_MS, orderedSilverRelation } from './sql.js';

/**
 * `daily_market_metrics`: one `DailyMarketMetric` row per (venue, symbol) that traded on the day,
 * from the silver trades with `dayStartTs ≤ ts < untilTs`:
 *
 * - `open` / `close`: the first / last trade by `(ts, id_num, trade_id)` (ARCHITECTURE.md §4);
 *   `high` / `low` the extreme prices; `volume` = Σ qty, `quote_volume` = Σ price·qty,
 *   `trades` = Σ count; `vwap` = quote_volume / volume.
 * - `change` = close − the previous day's close, `change_pct` = change / previous close × 100
 *   (a percentage). The previous close is the last trade of the previous UTC day's silver; both
 *   are null when that day has no trade of the symbol.
 * - `realized_volatility` = √Σ r² over the day's 1-minute log returns of close, r = ln(close of
 *   minute m / close of minute m−1), for the minutes of the day from the symbol's first traded
 *   minute on. A minute without trades carries the previous close forward, so its return is 0
 *   and it adds nothing: the sum is the same as over the returns between consecutive traded
 *   minutes. The day's first traded minute has no return (the previous day is not used). Null
 *   with fewer than two traded minutes (no return at all).
 *
 * Reads silver of `date` and of the day before; runs after `quality` so a day with bad data is
 * not published.
 */
export const dailyMarketMetricsJob: BatchJobDef = {
  name: 'daily_market_metrics',
  description: 'OHLC, volume, VWAP, change vs the previous day and realized volatility per symbol and day',
  dependsOn: ['quality'],
  cron: '15 0 * * *',
  // Change vs the previous day's close.
  lookbackDays: 1,
  run: runDailyMarketMetrics,
};

async function runDailyMarketMetrics(ctx: JobContext): Promise<JobOutput> {
  const dayStartTs = dayStartOf(ctx.date);
  const previous = addDays(ctx.date, -1);
  // First and last trades by keys that order them as (ts, id_num, trade_id): no sort.
  const dayTrades = await orderedSilverRelation(ctx, ctx.silverFiles(ctx.date, ctx.date));
  const previousTrades = await orderedSilverRelation(ctx, ctx.silverFiles(previous, previous));
  const query = `
WITH day_trades AS NOT MATERIALIZED (
  SELECT venue, symbol, ts, price, qty, count, day_key, bucket_key
  FROM ${dayTrades}
  WHERE ts >= $day_start AND ts < $until_ts
),
previous_close AS (
  SELECT venue, symbol, arg_max(price, day_key) AS previous_close
  FROM ${previousTrades}
  WHERE ts >= $previous_start AND ts < $day_start
  GROUP BY venue, symbol
),
day AS (
  SELECT venue, symbol,
    arg_min(price, day_key) AS open,
    max(price) AS high,
    min(price) AS low,
    arg_max(price, day_key) AS close,
    fsum(qty) AS volume,
    fsum(price * qty) AS quote_volume,
    sum(count)::BIGINT AS trades
  FROM day_trades
  GROUP BY venue, symbol
),
minute_closes AS (
  SELECT venue, symbol, ts // $minute_ms AS minute, arg_max(price, bucket_key) AS close
  FROM day_trades
  GROUP BY venue, symbol, ts // $minute_ms
),
minute_returns AS (
  SELECT venue, symbol,
    ln(close / lag(close) OVER (PARTITION BY venue, symbol ORDER BY minute)) AS r
  FROM minute_closes
),
volatility AS (
  SELECT venue, symbol,
    CASE WHEN count(r) >= 1 THEN sqrt(fsum(r * r)) END AS realized_volatility
  FROM minute_returns
  GROUP BY venue, symbol
)
SELECT d.venue, d.symbol, $date::VARCHAR AS date,
  d.open, d.high, d.low, d.close, d.volume, d.quote_volume, d.trades,
  coalesce(d.quote_volume / nullif(d.volume, 0), d.close) AS vwap,
  d.close - p.previous_close AS change,
  (d.close - p.previous_close) / nullif(p.previous_close, 0) * 100 AS change_pct,
  CASE WHEN isfinite(v.realized_volatility) THEN v.realized_volatility END AS realized_volatility
FROM day d
LEFT JOIN previous_close p USING (venue, symbol)
LEFT JOIN volatility v USING (venue, symbol)
ORDER BY d.venue, d.symbol`;
  const rows = await copyToParquet(ctx, query, {
    date: ctx.date,
    day_start: BigInt(dayStartTs),
    previous_start: BigInt(dayStartTs - DAY_MS),
    until_ts: BigInt(Math.min(ctx.untilTs, dayStartTs + DAY_MS)),
    minute_ms: BigInt(MINUTE_MS),
  });
  return { rows, status: 'ok' };
}
