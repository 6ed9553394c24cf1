import { DAY_MS, HOUR_MS } from '../../lake/index.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import {
  copyToParquet,
  dayStartOf,
  daysBetween,
  finiteOr0,
  goldCandleFiles,
  goldCandlesRelation,
  MINUTE_MS,
  silverRelation,
} from './sql.js';

/** The weight of each normalized component in the trending score; they sum to 1. */
export interface TrendingWeights {
  /** Of `volatility_score`. @default 0.3 */
  volatility: number;
  /** Of `volume_spike_score`. @default 0.3 */
  volumeSpike: number;
  /** Of `trade_growth_score`. @default 0.2 */
  tradeGrowth: number;
  /** Of `whale_share_score`. @default 0.2 */
  whaleShare: number;
}

export const TRENDING_WEIGHTS: Readonly<TrendingWeights> = {
  volatility: 0.3,
  volumeSpike: 0.3,
  tradeGrowth: 0.2,
  whaleShare: 0.2,
};

/**
 * The half-saturation point k of each component's normalization score = raw / (raw + k): the
 * raw value that scores 0.5.
 */
export const TRENDING_SCALES = {
  /** A standard deviation of 1-minute log returns of 0.1 % (about 0.8 % over the hour). */
  volatility: 0.001,
  /** The hour trades its usual quote volume. */
  volumeSpike: 1,
  /** As many trades as the hour before. */
  tradeGrowth: 1,
} as const;

/** A trade is a whale trade when its notional is at least this quantile of its symbol's day. */
export const WHALE_QUANTILE = 0.99;

/**
 * `trending`: one `TrendingScore` row per (venue, symbol, hour) for each full hour of `date`
 * below `untilTs` that has a gold 1h candle (empty hours included).
 *
 * Raw components:
 * - `volatility_raw`: population standard deviation of the hour's 1-minute log returns of close,
 *   ln(close / previous minute's close), from the gold 1m candles (empty minutes carry the close
 *   forward, so they return 0); 0 without a return.
 * - `volume_spike_raw`: the hour's quote volume ÷ the average quote volume of the symbol's 1h
 *   candles of the 7 days before the hour ([hour − 7d, hour), whichever exist, empty hours
 *   counting as 0); 0 without such a candle or when their average is 0.
 * - `trade_growth_raw`: the hour's trades ÷ max(the previous hour's trades, 1), so a rise from
 *   a silent hour is the hour's trade count rather than a division by zero.
 * - `whale_share_raw`: the share of the hour's quote volume (Σ price·qty over its silver trades)
 *   from trades whose notional price·qty is at least the symbol's 99th percentile notional
 *   (`quantile_cont`) over its silver trades of the day up to `untilTs`; 0 without trades.
 *
 * Normalization: score = raw / (raw + k) with k from `TRENDING_SCALES`, and the whale share (a
 * share already) as is. A bounded transform rather than min-max across the hour's symbols: it
 * is defined for one symbol (min-max divides by zero), a quiet hour does not hand someone a 1
 * and someone a 0, one outlier does not squash everybody else to 0, and scores compare across
 * hours and days; being monotone, it still ranks the symbols of an hour by their raw values.
 *
 * score = Σ weight × component score (`TRENDING_WEIGHTS`: 0.3 volatility, 0.3 volume spike,
 * 0.2 trade growth, 0.2 whale share), in [0, 1]; `rank` 1.. per hour by score descending, ties
 * by symbol then venue. No NaN or Infinity is written: a non-finite value becomes 0.
 */
export const trendingJob: BatchJobDef = {
  name: 'trending',
  description: 'Hourly trending score per symbol from volatility, volume spike, trade growth and whale share',
  dependsOn: ['candles'],
  cron: '25 * * * *',
  // The volume spike compares with the 7 days before.
  lookbackDays: 7,
  run: runTrending,
};

function saturate(raw: string, k: number): string {
  return finiteOr0(`${raw} / (${raw} + ${k})`);
}

async function runTrending(ctx: JobContext): Promise<JobOutput> {
  const dayStartTs = dayStartOf(ctx.date);
  const untilTs = Math.min(ctx.untilTs, dayStartTs + DAY_MS);
  const weekMs = 7 * DAY_MS;
  const files = goldCandleFiles(ctx, daysBetween(dayStartTs - weekMs, untilTs - 1));
  const w = TRENDING_WEIGHTS;
  const k = TRENDING_SCALES;
  const query = `
WITH candles AS (
  SELECT interval, venue, symbol, open_time, close, quote_volume, trades
  FROM ${goldCandlesRelation(files)}
  WHERE open_time >= $day_start - $week AND open_time < $until
),
hourly AS (
  SELECT venue, symbol, open_time AS hour_ts, quote_volume, trades,
    avg(quote_volume) OVER (PARTITION BY venue, symbol ORDER BY open_time
      RANGE BETWEEN ${weekMs} PRECEDING AND 1 PRECEDING) AS baseline_quote_volume,
    CASE WHEN lag(open_time) OVER w = open_time - $hour THEN lag(trades) OVER w END AS previous_trades
  FROM candles
  WHERE interval = '1h'
  WINDOW w AS (PARTITION BY venue, symbol ORDER BY open_time)
),
minute_returns AS (
  SELECT venue, symbol, open_time,
    CASE WHEN lag(open_time) OVER w = open_time - $minute AND lag(close) OVER w > 0 AND close > 0
      THEN ln(close / lag(close) OVER w) END AS r
  FROM candles
  WHERE interval = '1m' AND open_time >= $day_start - $minute
  WINDOW w AS (PARTITION BY venue, symbol ORDER BY open_time)
),
volatility AS (
  SELECT venue, symbol, (open_time // $hour) * $hour AS hour_ts, stddev_pop(r) AS volatility
  FROM minute_returns
  WHERE open_time >= $day_start
  GROUP BY venue, symbol, hour_ts
),
-- Scanned twice rather than materialized: the scans keep Parquet's dictionary vectors, so the
-- groupings and the join by (venue, symbol) hash each distinct string once (0.42 s for 2M trades against 0.50).
day_trades AS NOT MATERIALIZED (
  SELECT venue, symbol, ts, price * qty AS notional
  FROM ${silverRelation(ctx.silverFiles(ctx.date, ctx.date))}
  WHERE ts >= $day_start AND ts < $until
),
whale_thresholds AS (
  SELECT venue, symbol, quantile_cont(notional, $whale_quantile) AS threshold
  FROM day_trades GROUP BY venue, symbol
),
whales AS (
  SELECT t.venue, t.symbol, (t.ts // $hour) * $hour AS hour_ts,
    fsum(t.notional) AS quote_volume,
    fsum(CASE WHEN t.notional >= w.threshold THEN t.notional ELSE 0 END) AS whale_quote_volume
  FROM day_trades t JOIN whale_thresholds w USING (venue, symbol)
  GROUP BY t.venue, t.symbol, hour_ts
),
raw AS (
  SELECT h.venue, h.symbol, h.hour_ts,
    ${finiteOr0('coalesce(v.volatility, 0)')} AS volatility_raw,
    ${finiteOr0('coalesce(h.quote_volume / nullif(h.baseline_quote_volume, 0), 0)')} AS volume_spike_raw,
    ${finiteOr0('h.trades / greatest(coalesce(h.previous_trades, 0), 1)')} AS trade_growth_raw,
    ${finiteOr0('coalesce(x.whale_quote_volume / nullif(x.quote_volume, 0), 0)')} AS whale_share_raw
  FROM hourly h
  LEFT JOIN volatility v USING (venue, symbol, hour_ts)
  LEFT JOIN whales x USING (venue, symbol, hour_ts)
  WHERE h.hour_ts >= $day_start AND h.hour_ts + $hour <= $until
),
scored AS (
  SELECT *,
    ${saturate('volatility_raw', k.volatility)} AS volatility_score,
    ${saturate('volume_spike_raw', k.volumeSpike)} AS volume_spike_score,
    ${saturate('trade_growth_raw', k.tradeGrowth)} AS trade_growth_score,
    least(greatest(whale_share_raw, 0), 1) AS whale_share_score
  FROM raw
),
total AS (
  SELECT *,
    ${w.volatility} * volatility_score + ${w.volumeSpike} * volume_spike_score
      + ${w.tradeGrowth} * trade_growth_score + ${w.whaleShare} * whale_share_score AS score
  FROM scored
)
SELECT venue, symbol, hour_ts,
  row_number() OVER (PARTITION BY hour_ts ORDER BY score DESC, symbol, venue)::INTEGER AS rank,
  score::DOUBLE AS score,
  volatility_raw, volatility_score, volume_spike_raw, volume_spike_score,
  trade_growth_raw::DOUBLE AS trade_growth_raw, trade_growth_score,
  whale_share_raw, whale_share_score
FROM total
ORDER BY hour_ts, rank`;
  const rows = await copyToParquet(ctx, query, {
    day_start: BigInt(dayStartTs),
    until: BigInt(untilTs),
    week: BigInt(weekMs),
    hour: BigInt(HOUR_MS),
    minute: BigInt(MINUTE_MS),
    whale_quantile: WHALE_QUANTILE,
  });
  return { rows, status: 'ok' };
}
