import { DAY_MS, readParquetSql, utcDate } from '../../lake/index.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import { copyToParquet, dayStartOf, readRows, silverRelation } from './sql.js';

/** The limits of the quality checks; a value above a limit fails (or warns, see each check). */
export interface QualityThresholds {
  /** `duplicates` fails when more rows than this repeat an earlier (venue, symbol, trade_id). */
  duplicates: number;
  /** `trade_id_gaps` warns when more numeric trade ids than this are missing. */
  tradeIdGaps: number;
  /** `non_positive_price` fails when more rows than this have price ≤ 0 or qty ≤ 0. */
  nonPositivePrice: number;
  /** `time_out_of_range` fails when more rows than this have a time out of range. */
  timeOutOfRange: number;
  /** How far an event time may lie after its receive time before it counts as out of range. */
  maxEventAfterReceiptMs: number;
  /** `freshness` warns when the newest received trade of a venue is older than this (today only). */
  freshnessMs: number;
}

/** The thresholds the `quality` job applies. */
export const QUALITY_THRESHOLDS: Readonly<QualityThresholds> = {
  duplicates: 0,
  tradeIdGaps: 0,
  nonPositivePrice: 0,
  timeOutOfRange: 0,
  maxEventAfterReceiptMs: 60_000,
  freshnessMs: 5 * 60_000,
};

/**
 * `quality`: data-quality checks over the silver trades of `date`, first in the DAG. One
 * `QualityCheck` row per check and (venue, symbol), `symbol` '' for per-venue checks:
 *
 * - `duplicates` (per symbol): rows repeating an earlier (venue, symbol, trade_id), i.e. rows −
 *   distinct ids; fail above 0.
 * - `trade_id_gaps` (per symbol, numeric ids only): ids missing between consecutive numeric
 *   ids, i.e. max − min + 1 − distinct ids; warn above 0 (Binance aggTrade ids are consecutive;
 *   other venues' may not be). 0 with detail `no numeric trade ids` when there are none.
 * - `non_positive_price` (per symbol): rows whose price or qty is ≤ 0, NaN or null; fail above 0.
 * - `time_out_of_range` (per symbol): rows with ts outside [dayStartTs, dayStartTs + 1 day) or
 *   ts > recv_ts + 60 s; fail above 0.
 * - `freshness` (per venue): min(nowMs, untilTs) − max(recv_ts) in ms: how long before the end of
 *   the sealed input the venue's newest trade arrived (silver holds sealed hours only, so
 *   measuring against the wall clock alone would always warn on a live day). Judged only when
 *   `date` is the UTC day of `nowMs`: warn above 5 minutes. Other days pass with detail
 *   `historical day`.
 *
 * Returns `failed`, naming each failed check with its count and series, when any check fails:
 * the scheduler then blocks the jobs downstream. A day without silver has no rows and is `ok`.
 */
export const qualityJob: BatchJobDef = {
  name: 'quality',
  description:
    'Data-quality checks over a day of silver trades: duplicates, id gaps, bad prices, times, freshness',
  dependsOn: [],
  cron: '5 0 * * *',
  run: runQuality,
};

async function runQuality(ctx: JobContext): Promise<JobOutput> {
  const t = QUALITY_THRESHOLDS;
  const dayStartTs = dayStartOf(ctx.date);
  const isToday = utcDate(ctx.nowMs) === ctx.date;
  const query = `
WITH trades AS NOT MATERIALIZED (SELECT * FROM ${silverRelation(ctx.silverFiles(ctx.date, ctx.date))}),
by_id AS (
  -- One group per numeric id (and one for the others): distinct ids without a DISTINCT over
  -- every trade_id string. A group's distinct trade_ids are its id's own spelling, once, and
  -- any other spelling of it (leading zeros), or the non-numeric ids of the NULL group.
  SELECT venue, symbol, id_num,
    count(*) AS n,
    (count(*) FILTER (WHERE trade_id = CAST(id_num AS VARCHAR)) > 0)::BIGINT
      + count(DISTINCT trade_id) FILTER (WHERE id_num IS NULL OR trade_id <> CAST(id_num AS VARCHAR)) AS ids,
    count(*) FILTER (WHERE price IS NULL OR qty IS NULL OR isnan(price) OR isnan(qty)
      OR price <= 0 OR qty <= 0) AS non_positive,
    count(*) FILTER (WHERE ts < $day_start OR ts >= $day_end) AS outside_day,
    count(*) FILTER (WHERE ts >= $day_start AND ts < $day_end AND ts > recv_ts + $max_ahead) AS ahead_of_receipt
  FROM trades
  GROUP BY venue, symbol, id_num
),
per_symbol AS (
  SELECT venue, symbol,
    (sum(n) - sum(ids))::BIGINT AS duplicates,
    coalesce(max(id_num) - min(id_num) + 1 - count(id_num), 0) AS id_gaps,
    coalesce(sum(n) FILTER (WHERE id_num IS NOT NULL), 0)::BIGINT AS numeric_ids,
    sum(non_positive)::BIGINT AS non_positive,
    sum(outside_day)::BIGINT AS outside_day,
    sum(ahead_of_receipt)::BIGINT AS ahead_of_receipt
  FROM by_id
  GROUP BY venue, symbol
),
per_venue AS (
  SELECT venue, least($now_ms, $until_ts) - max(recv_ts) AS lag_ms FROM trades GROUP BY venue
),
checks AS (
  SELECT 'duplicates' AS "check", venue, symbol, duplicates::DOUBLE AS value, ${t.duplicates}::DOUBLE AS threshold,
    CASE WHEN duplicates > ${t.duplicates} THEN 'fail' ELSE 'pass' END AS status,
    duplicates || ' rows repeat an earlier trade_id' AS detail
  FROM per_symbol
  UNION ALL
  SELECT 'trade_id_gaps', venue, symbol, id_gaps::DOUBLE, ${t.tradeIdGaps}::DOUBLE,
    CASE WHEN id_gaps > ${t.tradeIdGaps} THEN 'warn' ELSE 'pass' END,
    CASE WHEN numeric_ids = 0 THEN 'no numeric trade ids'
      ELSE id_gaps || ' ids missing among ' || numeric_ids || ' numeric ids' END
  FROM per_symbol
  UNION ALL
  SELECT 'non_positive_price', venue, symbol, non_positive::DOUBLE, ${t.nonPositivePrice}::DOUBLE,
    CASE WHEN non_positive > ${t.nonPositivePrice} THEN 'fail' ELSE 'pass' END,
    non_positive || ' rows with price or qty not > 0'
  FROM per_symbol
  UNION ALL
  SELECT 'time_out_of_range', venue, symbol, (outside_day + ahead_of_receipt)::DOUBLE, ${t.timeOutOfRange}::DOUBLE,
    CASE WHEN outside_day + ahead_of_receipt > ${t.timeOutOfRange} THEN 'fail' ELSE 'pass' END,
    outside_day || ' rows outside the day, ' || ahead_of_receipt || ' more than '
      || ${t.maxEventAfterReceiptMs} || ' ms after receipt'
  FROM per_symbol
  UNION ALL
  SELECT 'freshness', venue, '', lag_ms::DOUBLE, ${t.freshnessMs}::DOUBLE,
    CASE WHEN $is_today AND lag_ms > ${t.freshnessMs} THEN 'warn' ELSE 'pass' END,
    CASE WHEN $is_today THEN 'newest trade received ' || lag_ms || ' ms ago' ELSE 'historical day' END
  FROM per_venue
)
SELECT "check", $date::VARCHAR AS date, venue, symbol, status, value, threshold, detail
FROM checks
ORDER BY "check", venue, symbol`;
  const rows = await copyToParquet(ctx, query, {
    date: ctx.date,
    day_start: BigInt(dayStartTs),
    day_end: BigInt(dayStartTs + DAY_MS),
    max_ahead: BigInt(t.maxEventAfterReceiptMs),
    now_ms: BigInt(ctx.nowMs),
    until_ts: BigInt(ctx.untilTs),
    is_today: isToday,
  });
  const failed = await readRows(
    ctx,
    `SELECT "check", venue, symbol, value FROM ${readParquetSql(ctx.outputPath)}
     WHERE status = 'fail' ORDER BY "check", venue, symbol`,
  );
  if (failed.length === 0) return { rows, status: 'ok' };
  return { rows, status: 'failed', message: failureMessage(ctx.date, failed) };
}

/** `quality checks failed for 2024-01-02: duplicates 3 (binance BTC-USDT 3); …` */
function failureMessage(date: string, failed: readonly Record<string, unknown>[]): string {
  const byCheck = new Map<string, { total: number; series: string[] }>();
  for (const row of failed) {
    const check = String(row['check']);
    const value = Number(row['value']);
    const entry = byCheck.get(check) ?? { total: 0, series: [] };
    entry.total += value;
    const symbol = String(row['symbol']);
    entry.series.push(`${String(row['venue'])}${symbol === '' ? '' : ` ${symbol}`} ${value}`);
    byCheck.set(check, entry);
  }
  const parts = [...byCheck].map(([check, { total, series }]) => {
    const shown = series.slice(0, 5).join(', ');
    const more = series.length > 5 ? `, … ${series.length - 5} more` : '';
    return `${check} ${total} (${shown}${more})`;
  });
  return `quality checks failed for ${date}: ${parts.join('; ')}`;
}
