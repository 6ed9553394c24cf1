import { DAY_MS, readParquetSql, utcDate } from '../../lake/index.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import {
  COUNTABLE_SQL,
  checksSql,
  distinctIdsSql,
  MARK_COUNTED_SQL,
  SERIES_TABLE,
  seriesStatsSql,
} from './quality-sql.js';
import { copyToParquet, dayStartOf, readRows, runStatement, silverRelation } from './sql.js';

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
  const trades = silverRelation(ctx.silverFiles(ctx.date, ctx.date));
  const window = {
    day_start: BigInt(dayStartTs),
    day_end: BigInt(dayStartTs + DAY_MS),
    max_ahead: BigInt(t.maxEventAfterReceiptMs),
  };
  try {
    await runStatement(ctx, seriesStatsSql(trades), window);
    const ways = await countSeries(ctx, trades);
    const rows = await copyToParquet(ctx, checksSql(trades, ways, t), {
      ...(ways.byId ? window : {}),
      date: ctx.date,
      now_ms: BigInt(ctx.nowMs),
      until_ts: BigInt(ctx.untilTs),
      is_today: utcDate(ctx.nowMs) === ctx.date,
    });
    const failed = await readRows(
      ctx,
      `SELECT "check", venue, symbol, value FROM ${readParquetSql(ctx.outputPath)}
       WHERE status = 'fail' ORDER BY "check", venue, symbol`,
    );
    if (failed.length === 0) return { rows, status: 'ok' };
    return { rows, status: 'failed', message: failureMessage(ctx.date, failed) };
  } finally {
    await ctx.connection.run(`DROP TABLE IF EXISTS ${SERIES_TABLE}`).catch(() => undefined);
  }
}

/** A bitmap of more bits than this (32 MiB) is not built: those days are checked id by id. */
const MAX_BITMAP_BITS = 2n ** 28n;

/**
 * Marks the series that can be counted (see `quality-sql.ts`): those whose rows all have a
 * numeric id, when no id repeats among them. Returns which ways the output query takes.
 */
async function countSeries(ctx: JobContext, trades: string): Promise<{ counted: boolean; byId: boolean }> {
  const series = await readRows(ctx, `SELECT count(*) AS all_series FROM ${SERIES_TABLE}`);
  const total = Number(series[0]?.['all_series'] ?? 0);
  const countable = await readRows(
    ctx,
    `SELECT count(*) AS series, sum(n)::BIGINT AS rows, max(bits) AS bits, min(min_id) AS min_id
     FROM (${COUNTABLE_SQL})`,
  );
  const { series: n, rows, bits, min_id: minId } = countable[0] ?? {};
  if (Number(n ?? 0) === 0 || typeof bits !== 'bigint' || bits > MAX_BITMAP_BITS)
    return { counted: false, byId: total > 0 };
  const alone = total === 1 && typeof minId === 'bigint' ? minId : undefined;
  const ids = await readRows(ctx, distinctIdsSql(trades, bits, alone));
  if (ids[0]?.['ids'] !== rows) return { counted: false, byId: true };
  await runStatement(ctx, MARK_COUNTED_SQL);
  return { counted: true, byId: Number(n) < total };
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
