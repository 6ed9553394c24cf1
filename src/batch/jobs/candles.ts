import { CryptoLambdaError, INTERVALS } from '../../domain/index.js';
import { silverCandleSources } from '../candle-sources.js';
import { type CandleSource, candlesSql } from '../candles-sql.js';
import { BATCH_ERRORS } from '../errors.js';
import type { BatchJobDef, JobContext, JobOutput } from '../job.js';
import { addDays, copyToParquet, goldCandlesRelation } from './sql.js';

/**
 * `candles`: the gold candles of one UTC day, every interval (1m 5m 15m 1h 4h 1d), from the day's
 * silver trades with `dayStartTs ≤ ts < untilTs`, by the SQL of `candles-sql.ts` (the speed
 * layer's semantics, ARCHITECTURE.md §4). Only buckets that end at or before `untilTs` are
 * written: a 4h or 1d bucket once all its hours are sealed.
 *
 * Empty buckets are candles, and series run on across days: a series that has a candle in the
 * previous day's gold output gets every bucket of this day from 00:00 UTC on, the empty ones
 * carrying the last 1m close of that day until its first trade here (all day when it has none).
 * A series without previous gold starts at its first trade's bucket.
 *
 * Output: one row per (interval, venue, symbol, open_time), sorted in that order, with the
 * columns interval, venue, symbol, open_time, close_time, open, high, low, close, volume,
 * quote_volume, trades, taker_buy_volume, taker_buy_quote_volume.
 */
export const candlesJob: BatchJobDef = {
  name: 'candles',
  description: 'OHLCV candles of every interval from silver trades, empty buckets included',
  dependsOn: ['quality'],
  cron: '10 * * * *',
  // The previous day's last close carries into this day's empty buckets.
  lookbackDays: 1,
  run: runCandles,
};

async function runCandles(ctx: JobContext): Promise<JobOutput> {
  const previous = ctx.goldFile('candles', addDays(ctx.date, -1));
  let sources: CandleSource[];
  try {
    sources = await silverCandleSources(ctx.connection, ctx.silverFiles(ctx.date, ctx.date));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CryptoLambdaError(
      BATCH_ERRORS.jobFailed,
      `reading silver statistics for ${ctx.date} failed: ${reason}`,
      { retryable: true, cause },
    );
  }
  // The last 1m close of each series in the previous day's output: empty 1m candles carry it, so
  // it is the close at 00:00 of this day even for a series that went quiet hours earlier.
  const seeds =
    previous === undefined
      ? undefined
      : `(SELECT venue, symbol, arg_max(close, open_time) AS close
          FROM ${goldCandlesRelation([previous])}
          WHERE interval = '1m' AND open_time < ${ctx.dayStartTs}
          GROUP BY venue, symbol)`;
  const query = candlesSql(sources, {
    intervals: INTERVALS,
    fromTs: ctx.dayStartTs,
    untilTs: ctx.untilTs,
    ...(seeds === undefined ? {} : { seeds }),
  });
  const rows = await copyToParquet(ctx, query);
  return { rows, status: 'ok' };
}
