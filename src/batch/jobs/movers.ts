import { MOVER_PERIODS, type MoverPeriod } from '../../domain/index.js';
import { DAY_MS, HOUR_MS } from '../../lake/index.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import { copyToParquet, daysBetween, goldCandleFiles, goldCandlesRelation } from './sql.js';

/** The length of each movers period. */
export const MOVER_PERIOD_MS: Readonly<Record<MoverPeriod, number>> = {
  '1h': HOUR_MS,
  '24h': 24 * HOUR_MS,
  '7d': 7 * DAY_MS,
};

/** How many gainers and how many losers each period keeps. */
export const MOVERS_LIMIT = 100;

/**
 * `top_movers`: the top gainers and losers of each period (1h, 24h, 7d) ending at `asOfTs` =
 * `untilTs` rounded down to the hour, from the gold 1h candles (which carry the close through
 * empty hours):
 *
 * - `close` = the close of the hour candle ending at `asOfTs` (open time `asOfTs − 1h`);
 * - `open` = the close of the hour candle ending at `asOfTs − P`, the price at the period's start
 *   (open time `asOfTs − P − 1h`). A symbol without both candles is skipped;
 * - `change_pct` = (close − open) / open × 100, a percentage;
 * - `volume` / `quote_volume` = Σ over the period's hours, open times in [asOfTs − P, asOfTs).
 *
 * Only a positive change makes a gainer and only a negative one a loser (an unchanged symbol is
 * neither). Gainers rank by change_pct descending, losers ascending, ties by symbol then venue;
 * ranks 1..100 per (period, type). Reads the candles of the days the 7-day window touches
 * (`date − 7` .. `date`), skipping days without a file.
 */
export const topMoversJob: BatchJobDef = {
  name: 'top_movers',
  description: 'Top 100 gainers and losers over 1h, 24h and 7d from the gold hourly candles',
  dependsOn: ['candles'],
  cron: '20 * * * *',
  // The 7-day window, from the hour before the day's first: 8 days back.
  lookbackDays: 8,
  run: runTopMovers,
};

async function runTopMovers(ctx: JobContext): Promise<JobOutput> {
  const asOfTs = Math.floor(ctx.untilTs / HOUR_MS) * HOUR_MS;
  const longest = Math.max(...Object.values(MOVER_PERIOD_MS));
  const files = goldCandleFiles(ctx, daysBetween(asOfTs - longest - HOUR_MS, asOfTs - HOUR_MS));
  const periods = MOVER_PERIODS.map(
    (period, i) => `(${i}, '${period}', ${MOVER_PERIOD_MS[period]}::BIGINT)`,
  ).join(', ');
  const query = `
WITH hours AS (
  SELECT venue, symbol, open_time, close, volume, quote_volume
  FROM ${goldCandlesRelation(files)}
  WHERE interval = '1h' AND open_time >= $as_of - $longest - $hour AND open_time < $as_of
),
periods(ord, period, ms) AS (VALUES ${periods}),
changes AS (
  SELECT p.ord, p.period, e.venue, e.symbol, s.close AS open, e.close,
    (e.close - s.close) / s.close * 100 AS change_pct
  FROM periods p
  JOIN hours e ON e.open_time = $as_of - $hour
  JOIN hours s ON s.venue = e.venue AND s.symbol = e.symbol AND s.open_time = $as_of - p.ms - $hour
  WHERE s.close > 0
),
sums AS (
  SELECT p.period, h.venue, h.symbol, fsum(h.volume) AS volume, fsum(h.quote_volume) AS quote_volume
  FROM periods p JOIN hours h ON h.open_time >= $as_of - p.ms
  GROUP BY p.period, h.venue, h.symbol
),
ranked AS (
  SELECT c.*, 'gainers' AS type,
    row_number() OVER (PARTITION BY c.period ORDER BY c.change_pct DESC, c.symbol, c.venue) AS rank
  FROM changes c WHERE c.change_pct > 0
  UNION ALL
  SELECT c.*, 'losers' AS type,
    row_number() OVER (PARTITION BY c.period ORDER BY c.change_pct ASC, c.symbol, c.venue) AS rank
  FROM changes c WHERE c.change_pct < 0
)
SELECT r.period, r.type, r.rank::INTEGER AS rank, r.venue, r.symbol, $as_of::BIGINT AS as_of_ts,
  r.open, r.close, r.change_pct, s.volume, s.quote_volume
FROM ranked r JOIN sums s USING (period, venue, symbol)
WHERE r.rank <= $limit
ORDER BY r.ord, r.type, r.rank`;
  const rows = await copyToParquet(ctx, query, {
    as_of: BigInt(asOfTs),
    longest: BigInt(longest),
    hour: BigInt(HOUR_MS),
    limit: BigInt(MOVERS_LIMIT),
  });
  return { rows, status: 'ok' };
}
