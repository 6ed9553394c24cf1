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
 * empty hours). Every series with an hour candle ending at `asOfTs` is ranked:
 *
 * - `close` = the close of the hour candle ending at `asOfTs` (open time `asOfTs − 1h`);
 * - `open` = the price at the period's start: the close of the hour candle ending at `asOfTs − P`
 *   (open time `asOfTs − P − 1h`), with `from_ts` = `asOfTs − P` and `partial` = false;
 * - a series with less history than the period (no candle at its start: listed, or first seen,
 *   within the period) is ranked on its change since its first candle within the period:
 *   `open` = that candle's open (its first trade), `from_ts` = its open time, `partial` = true.
 *   So a session shorter than a day still has 24h and 7d movers, and says so;
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
  SELECT venue, symbol, open_time, open, close, volume, quote_volume
  FROM ${goldCandlesRelation(files)}
  WHERE interval = '1h' AND open_time >= $as_of - $longest - $hour AND open_time < $as_of
),
periods(ord, period, ms) AS (VALUES ${periods}),
ends AS (SELECT venue, symbol, close FROM hours WHERE open_time = $as_of - $hour),
starts AS (
  -- Per period, the series' earliest hour from the one that closes at the period's start on.
  SELECT p.ord, p.period, p.ms, h.venue, h.symbol, min(h.open_time) AS first_open,
    arg_min(CASE WHEN h.open_time = $as_of - p.ms - $hour THEN h.close ELSE h.open END, h.open_time) AS open
  FROM periods p JOIN hours h ON h.open_time >= $as_of - p.ms - $hour
  GROUP BY p.ord, p.period, p.ms, h.venue, h.symbol
),
changes AS (
  SELECT s.ord, s.period, s.venue, s.symbol, s.open, e.close,
    (e.close - s.open) / s.open * 100 AS change_pct,
    greatest(s.first_open, $as_of - s.ms) AS from_ts,
    s.first_open <> $as_of - s.ms - $hour AS partial
  FROM starts s JOIN ends e USING (venue, symbol)
  WHERE s.open > 0
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
  r.open, r.close, r.change_pct, s.volume, s.quote_volume, r.from_ts::BIGINT AS from_ts, r.partial
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
