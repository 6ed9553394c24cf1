import { BIGINT, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { CryptoLambdaError, INTERVAL_MS, type UnixMs, utcDayStart } from '../../domain/index.js';
import { DAY_MS, HOUR_MS, readParquetSql, sqlText, utcDate } from '../../lake/index.js';
import { GENERAL_ORDER_KEY, ROW_ORDER_KEY, silverCandleSources } from '../candle-sources.js';
import { BATCH_ERRORS } from '../errors.js';
import type { JobContext } from '../job.js';

/**
 * What the gold jobs share: typed relations over silver and gold Parquet files that stay valid
 * (and empty, with the same columns) when there are no files, UTC day arithmetic, and the one
 * `COPY … TO` that writes a job's output.
 */

export const MINUTE_MS = INTERVAL_MS['1m'];

/** 00:00 UTC of a `YYYY-MM-DD` day. */
export function dayStartOf(date: string): UnixMs {
  const ts = utcDayStart(date);
  if (ts === undefined) {
    throw new CryptoLambdaError(BATCH_ERRORS.badDate, `not a YYYY-MM-DD UTC day: ${JSON.stringify(date)}`);
  }
  return ts;
}

/** The day `days` days after `date` (before it when negative). */
export function addDays(date: string, days: number): string {
  return utcDate(dayStartOf(date) + days * DAY_MS);
}

/** The UTC days from `fromTs`'s to `toTs`'s, inclusive, oldest first. */
export function daysBetween(fromTs: UnixMs, toTs: UnixMs): string[] {
  const out: string[] = [];
  for (let day = Math.floor(fromTs / DAY_MS) * DAY_MS; day <= toTs; day += DAY_MS) out.push(utcDate(day));
  return out;
}

/** Silver trades columns and types (see `job.ts`). */
const SILVER_COLUMNS = [
  ['venue', 'VARCHAR'],
  ['symbol', 'VARCHAR'],
  ['trade_id', 'VARCHAR'],
  ['id_num', 'BIGINT'],
  ['ts', 'BIGINT'],
  ['price', 'DOUBLE'],
  ['qty', 'DOUBLE'],
  ['is_buy', 'BOOLEAN'],
  ['count', 'BIGINT'],
  ['recv_ts', 'BIGINT'],
] as const;

/** Gold candles columns and types, as the `candles` job writes them. */
const GOLD_CANDLE_COLUMNS = [
  ['interval', 'VARCHAR'],
  ['venue', 'VARCHAR'],
  ['symbol', 'VARCHAR'],
  ['open_time', 'BIGINT'],
  ['close_time', 'BIGINT'],
  ['open', 'DOUBLE'],
  ['high', 'DOUBLE'],
  ['low', 'DOUBLE'],
  ['close', 'DOUBLE'],
  ['volume', 'DOUBLE'],
  ['quote_volume', 'DOUBLE'],
  ['trades', 'BIGINT'],
  ['taker_buy_volume', 'DOUBLE'],
  ['taker_buy_quote_volume', 'DOUBLE'],
] as const;

type Columns = readonly (readonly [string, string])[];

/**
 * A parenthesised relation over Parquet `files` with exactly `columns` (cast to their types), or
 * an empty relation with the same columns when there are no files, so every query runs, and
 * writes a readable empty output, whatever exists.
 */
function parquetRelation(files: readonly string[], columns: Columns): string {
  const list = columns.map(([name, type]) => `CAST(${quoteIdent(name)} AS ${type}) AS ${quoteIdent(name)}`);
  if (files.length === 0) {
    const nulls = columns.map(([name, type]) => `CAST(NULL AS ${type}) AS ${quoteIdent(name)}`);
    return `(SELECT ${nulls.join(', ')} WHERE false)`;
  }
  return `(SELECT ${list.join(', ')} FROM ${readParquetSql(files, { unionByName: true })})`;
}

/** Silver trades of `files` (see `job.ts` for the columns), empty without files. */
export function silverRelation(files: readonly string[]): string {
  return parquetRelation(files, SILVER_COLUMNS);
}

/**
 * Silver trades of `files` (venue, symbol, trade_id, id_num, ts, price, qty, count) with two
 * BIGINT-or-struct keys that order a series' trades as `(ts, id_num, trade_id)` does, so that
 * its first and last trades are an `arg_min`/`arg_max` away rather than an ordered aggregate
 * (which sorts): `day_key` over all of the files, `bucket_key` within any bucket of up to an
 * hour. Planned from the files' statistics as the candles are (`silverCandleSources`): a file
 * alone in its venue's hour is sorted, so the hour and the row number order it; other files
 * take a packed `(ts, id)` key, or the exact struct when a venue mixes the two kinds or the ids
 * do not pack.
 */
export async function orderedSilverRelation(ctx: JobContext, files: readonly string[]): Promise<string> {
  const columns = 'venue, symbol, trade_id, id_num, ts, price, qty, count';
  const general = `(SELECT ${columns}, ${GENERAL_ORDER_KEY} AS day_key, ${GENERAL_ORDER_KEY} AS bucket_key
    FROM ${silverRelation(files)})`;
  if (files.length === 0) return general;
  let sources: Awaited<ReturnType<typeof silverCandleSources>>;
  try {
    sources = await silverCandleSources(ctx.connection, files);
  } catch (cause) {
    throw queryFailed(ctx, cause);
  }
  const venues = sources.map((s) => s.venue);
  if (
    sources.length === 0 ||
    venues.some((v, i) => v === undefined || venues.indexOf(v) !== i) ||
    sources.some((s) => s.orderKey === GENERAL_ORDER_KEY)
  )
    return general;
  const parts = sources.map((s) =>
    s.orderKey === ROW_ORDER_KEY
      ? `SELECT ${columns}, ((ts // ${HOUR_MS}) << 32) | ${ROW_ORDER_KEY} AS day_key,
           ${ROW_ORDER_KEY} AS bucket_key FROM ${s.relation}`
      : `SELECT ${columns}, ${s.orderKey} AS day_key, ${s.orderKey} AS bucket_key FROM ${s.relation}`,
  );
  return `(${parts.join(' UNION ALL ')})`;
}

/** Gold candles of `files`, every interval, empty without files. */
export function goldCandlesRelation(files: readonly string[]): string {
  return parquetRelation(files, GOLD_CANDLE_COLUMNS);
}

/** The committed gold candles files of `days` that exist. */
export function goldCandleFiles(ctx: JobContext, days: readonly string[]): string[] {
  return days.map((day) => ctx.goldFile('candles', day)).filter((f): f is string => f !== undefined);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `expr` when it is a finite number, else 0: no NaN or Infinity ever reaches a gold file. */
export function finiteOr0(expr: string): string {
  return `(CASE WHEN isfinite(${expr}) THEN ${expr} ELSE 0.0 END)`;
}

/**
 * Writes the rows of `query` as one Parquet file to `ctx.outputPath` and returns how many it
 * wrote. The query's column names become the file's.
 */
export async function copyToParquet(
  ctx: JobContext,
  query: string,
  params: Record<string, DuckDBValue> = {},
): Promise<number> {
  return runSql(ctx, `COPY (${query}) TO ${sqlText(ctx.outputPath)} (FORMAT parquet)`, params);
}

/**
 * Parameter types: a JS bigint binds as BIGINT. Left to itself the client binds it as HUGEINT,
 * and then `ts // $minute_ms` or `ts >= $day_start` widen every row's `ts` to a 128-bit integer
 * first (measured: 1.2 s of a 1.5 s job over 2M trades, for one division).
 */
function paramTypes(params: Record<string, DuckDBValue>): Record<string, DuckDBType | undefined> {
  const types: Record<string, DuckDBType | undefined> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'bigint' && value >= -(2n ** 63n) && value < 2n ** 63n) types[name] = BIGINT;
  }
  return types;
}

/** Runs a statement that returns nothing the job reads (a temporary table, an update). */
export async function runStatement(
  ctx: JobContext,
  sql: string,
  params: Record<string, DuckDBValue> = {},
): Promise<void> {
  await runSql(ctx, sql, params);
}

async function runSql(ctx: JobContext, sql: string, params: Record<string, DuckDBValue>): Promise<number> {
  try {
    const result = await ctx.connection.run(sql, params, paramTypes(params));
    return result.rowsChanged;
  } catch (cause) {
    throw queryFailed(ctx, cause);
  }
}

/** Reads the rows of `query` as plain JS objects. */
export async function readRows(
  ctx: JobContext,
  query: string,
  params: Record<string, DuckDBValue> = {},
): Promise<Record<string, unknown>[]> {
  try {
    const reader = await ctx.connection.runAndReadAll(query, params, paramTypes(params));
    return reader.getRowObjectsJS();
  } catch (cause) {
    throw queryFailed(ctx, cause);
  }
}

/** A failed query (an unreadable file, a full disk, …) as `BATCH_JOB_FAILED`, retryable. */
function queryFailed(ctx: JobContext, cause: unknown): CryptoLambdaError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CryptoLambdaError(BATCH_ERRORS.jobFailed, `query for ${ctx.date} failed: ${reason}`, {
    retryable: true,
    cause,
  });
}
