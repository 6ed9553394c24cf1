import type { QualityThresholds } from './quality.js';

/**
 * The SQL of the `quality` job. Its per-symbol figures come one of two ways, with the same
 * results (see `quality.ts` for what each check counts):
 *
 * - **Exact by id** (`byIdSymbols`): one group per (venue, symbol, id_num), which tells the
 *   spellings of each id apart. A hash group per trade: most of the job's cost on a big day.
 * - **Counted** (`countedSymbols`): for the series whose rows all have a numeric id and whose
 *   ids are all different, every id group holds one row, so nothing repeats (duplicates 0, whatever
 *   the spellings) and the ids missing are `max − min + 1 − rows`. The other figures are plain
 *   counts. Whether the ids are all different is one bitmap over the series' id ranges
 *   (`bitstring_agg`): its set bits are the distinct ids.
 *
 * The job takes the counted way for the series it can, and the exact way for the others (ids
 * that are not numbers, or a day with a repeated id somewhere).
 */

/** A series' figures of one scan, kept in a temporary table for the output query. */
export const SERIES_TABLE = 'quality_series';

/** Per (venue, symbol): rows, numeric ids and their range, bad prices, times out of range, newest receipt. */
export function seriesStatsSql(trades: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${SERIES_TABLE} AS
SELECT venue, symbol,
  count(*) AS n,
  count(id_num) AS numeric_ids,
  min(id_num) AS min_id,
  max(id_num) AS max_id,
  count(*) FILTER (WHERE price IS NULL OR qty IS NULL OR isnan(price) OR isnan(qty)
    OR price <= 0 OR qty <= 0) AS non_positive,
  count(*) FILTER (WHERE ts < $day_start OR ts >= $day_end) AS outside_day,
  count(*) FILTER (WHERE ts >= $day_start AND ts < $day_end AND ts > recv_ts + $max_ahead) AS ahead_of_receipt,
  max(recv_ts) AS max_recv_ts,
  false AS counted
FROM ${trades}
GROUP BY venue, symbol`;
}

/**
 * The series that may be counted (every row with a numeric id), each with the offset of its id
 * range in one bitmap, and the bitmap's size in bits.
 */
export const COUNTABLE_SQL = `SELECT venue, symbol, n, min_id,
  (sum(max_id - min_id + 1) OVER (ORDER BY venue, symbol ROWS UNBOUNDED PRECEDING)
    - (max_id - min_id + 1))::BIGINT AS bit_offset,
  (sum(max_id - min_id + 1) OVER ())::BIGINT AS bits
FROM ${SERIES_TABLE}
WHERE numeric_ids = n AND n > 0 AND venue IS NOT NULL AND symbol IS NOT NULL`;

/**
 * Distinct ids of the countable series: each id a bit at its series' offset. `only`: the day has
 * one series, countable, whose ids start there (no join to find each row's offset).
 */
export function distinctIdsSql(trades: string, bits: bigint, only?: bigint): string {
  const bitmap = (bit: string): string => `bit_count(bitstring_agg(${bit}, 0, ${bits - 1n}))::BIGINT AS ids`;
  if (only !== undefined) return `SELECT ${bitmap(`id_num - ${only}`)} FROM ${trades}`;
  return `SELECT ${bitmap('t.id_num - s.min_id + s.bit_offset')}
FROM ${trades} t
JOIN (${COUNTABLE_SQL}) s ON t.venue = s.venue AND t.symbol = s.symbol`;
}

export const MARK_COUNTED_SQL = `UPDATE ${SERIES_TABLE} SET counted = true
WHERE numeric_ids = n AND n > 0 AND venue IS NOT NULL AND symbol IS NOT NULL`;

/** Per-symbol figures of the counted series. */
const countedSymbols = `SELECT venue, symbol,
  0::BIGINT AS duplicates,
  (max_id - min_id + 1 - numeric_ids)::BIGINT AS id_gaps,
  numeric_ids::BIGINT AS numeric_ids,
  non_positive::BIGINT AS non_positive,
  outside_day::BIGINT AS outside_day,
  ahead_of_receipt::BIGINT AS ahead_of_receipt
FROM ${SERIES_TABLE}
WHERE counted`;

/** Per-symbol figures of the series not counted, from one group per id. */
function byIdSymbols(trades: string): string {
  return `SELECT venue, symbol,
  (sum(n) - sum(ids))::BIGINT AS duplicates,
  coalesce(max(id_num) - min(id_num) + 1 - count(id_num), 0) AS id_gaps,
  coalesce(sum(n) FILTER (WHERE id_num IS NOT NULL), 0)::BIGINT AS numeric_ids,
  sum(non_positive)::BIGINT AS non_positive,
  sum(outside_day)::BIGINT AS outside_day,
  sum(ahead_of_receipt)::BIGINT AS ahead_of_receipt
FROM (
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
  FROM (
    SELECT t.* FROM ${trades} t
    SEMI JOIN (SELECT venue, symbol FROM ${SERIES_TABLE} WHERE NOT counted) s
      ON t.venue IS NOT DISTINCT FROM s.venue AND t.symbol IS NOT DISTINCT FROM s.symbol
  )
  GROUP BY venue, symbol, id_num
)
GROUP BY venue, symbol`;
}

/**
 * The job's output rows: one per check and series, from the per-symbol figures (counted, by
 * id, or both, as `ways` says) and the per-venue newest receipt.
 */
export function checksSql(
  trades: string,
  ways: { counted: boolean; byId: boolean },
  t: QualityThresholds,
): string {
  const perSymbol = [...(ways.counted ? [countedSymbols] : []), ...(ways.byId ? [byIdSymbols(trades)] : [])];
  return `
WITH per_symbol AS (
  ${perSymbol.length > 0 ? perSymbol.join('\n  UNION ALL\n  ') : countedSymbols}
),
per_venue AS (
  SELECT venue, least($now_ms, $until_ts) - max(max_recv_ts) AS lag_ms FROM ${SERIES_TABLE} GROUP BY venue
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
}
