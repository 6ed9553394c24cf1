import {
  type Candle,
  compareSeries,
  INTERVALS,
  type Interval,
  type ReconciliationCause,
  type ReconciliationDiff,
  roundTo,
  type UnixMs,
} from '../../domain/index.js';
import { readParquetSql, sqlText } from '../../lake/index.js';
import type { BatchJobDef, JobContext } from '../job.js';

/**
 * `reconciliation`: the speed layer's final candles (closed or revised) against the batch
 * layer's over the same buckets of the day, every difference listed with its likely cause
 * (ARCHITECTURE.md §5). Zero rows on data that arrived on time.
 *
 * Causes, from the trade counts of the two sides (the log writer and silver deduplicate, so
 * the speed layer can only see fewer trades by dropping them, or more by a duplicate the lake
 * removed):
 * - `late_trade`: batch counted more trades: the speed layer dropped some that came after the
 *   allowed lateness (its `lateDropped` counter);
 * - `duplicate`: speed counted more trades: a trade reached it twice, silver kept one;
 * - `missing_in_speed` / `missing_in_batch`: one side has no candle for the bucket (the speed
 *   layer started later, or its candles topic expired; the lake lost the hour's input);
 * - `mismatch`: same trade count, different values.
 * Compared exactly: open, high, low, close, trades; volume at 8 decimals; quote volume to 1e-9
 * relative.
 */
export interface SpeedCandleSource {
  /** The speed layer's candles (open ones too) of every series with `fromTs ≤ openTime < untilTs`. */
  candles(fromTs: UnixMs, untilTs: UnixMs): Promise<readonly Candle[]> | readonly Candle[];
}

const FIELDS = ['trades', 'open', 'high', 'low', 'close', 'volume', 'quoteVolume'] as const;

export function createReconciliationJob(speed: SpeedCandleSource): BatchJobDef {
  return {
    name: 'reconciliation',
    description: 'speed vs batch candles over the same buckets, every difference with its likely cause',
    dependsOn: ['candles'],
    cron: '20 * * * *',
    async run(ctx) {
      const speedCandles = (await speed.candles(ctx.dayStartTs, ctx.untilTs)).filter(
        (c) => c.closeTime < ctx.untilTs,
      );
      const reconciler = createReconciler(speedCandles);
      // Gold candles are streamed chunk by chunk: with thousands of series a day holds millions.
      await forEachGoldCandle(ctx, (b) => reconciler.batch(b));
      const diffs = reconciler.finish();
      await writeDiffs(ctx, diffs);
      return { rows: diffs.length, status: 'ok' };
    },
  };
}

const key = (c: { venue: string; symbol: string; interval: string; openTime: number }): string =>
  `${c.interval}|${c.venue}|${c.symbol}|${c.openTime}`;

/** What reconciliation reads of a candle. */
type Compared = Pick<Candle, 'venue' | 'symbol' | 'interval' | 'openTime' | (typeof FIELDS)[number]>;

/**
 * Every bucket where the two sides differ, ordered by interval, series and time. A bucket the
 * speed layer still has open (its watermark has not passed it yet) is not final there, and is
 * not compared, nor are buckets after the newest one the speed layer has for the series.
 */
export function reconcile(speed: readonly Candle[], batch: readonly Compared[]): ReconciliationDiff[] {
  const reconciler = createReconciler(speed);
  for (const b of batch) reconciler.batch(b);
  return reconciler.finish();
}

/** `reconcile` one batch candle at a time, holding the speed side and the differences only. */
function createReconciler(speed: readonly Candle[]): {
  batch(b: Compared): void;
  finish(): ReconciliationDiff[];
} {
  const bySpeed = new Map(speed.map((c) => [key(c), c]));
  // How far the speed layer got per series and interval: later buckets are not reached yet.
  const reached = new Map<string, number>();
  for (const c of speed) {
    const series = `${c.interval}|${c.venue}|${c.symbol}`;
    reached.set(series, Math.max(reached.get(series) ?? Number.NEGATIVE_INFINITY, c.openTime));
  }
  const matched = new Set<string>();
  const diffs: ReconciliationDiff[] = [];
  return {
    batch(b) {
      const k = key(b);
      const s = bySpeed.get(k);
      if (s !== undefined) matched.add(k);
      if (s?.state === 'open') return;
      if (b.openTime > (reached.get(`${b.interval}|${b.venue}|${b.symbol}`) ?? Number.NEGATIVE_INFINITY))
        return;
      if (s === undefined) {
        diffs.push(diff(b, 'candle', null, b.trades, 'missing_in_speed', 'no speed candle for this bucket'));
        return;
      }
      const field = FIELDS.find((f) => !same(f, s[f], b[f]));
      if (field === undefined) return;
      const cause: ReconciliationCause =
        b.trades > s.trades ? 'late_trade' : b.trades < s.trades ? 'duplicate' : 'mismatch';
      const detail =
        cause === 'late_trade'
          ? `batch saw ${b.trades - s.trades} more trade(s) than speed: arrived after the allowed lateness`
          : cause === 'duplicate'
            ? `speed counted ${s.trades - b.trades} trade(s) more than silver holds`
            : `${field} differs with equal trade counts`;
      diffs.push(diff(b, field, s[field], b[field], cause, detail));
    },
    finish() {
      for (const s of speed) {
        if (s.state !== 'open' && !matched.has(key(s)))
          diffs.push(
            diff(s, 'candle', s.trades, null, 'missing_in_batch', 'no batch candle for this bucket'),
          );
      }
      const order = (i: string): number => INTERVALS.indexOf(i as Interval);
      return diffs.sort(
        (a, b) => order(a.interval) - order(b.interval) || compareSeries(a, b) || a.openTime - b.openTime,
      );
    },
  };
}

function same(field: (typeof FIELDS)[number], a: number, b: number): boolean {
  if (field === 'volume') return roundTo(a) === roundTo(b);
  if (field === 'quoteVolume') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

function diff(
  c: Compared,
  field: string,
  speed: number | null,
  batch: number | null,
  cause: ReconciliationCause,
  detail: string,
): ReconciliationDiff {
  return {
    venue: c.venue,
    symbol: c.symbol,
    interval: c.interval,
    openTime: c.openTime,
    field,
    speed,
    batch,
    cause,
    detail,
  };
}

async function forEachGoldCandle(ctx: JobContext, visit: (c: Compared) => void): Promise<void> {
  const path = ctx.goldFile('candles', ctx.date);
  if (path === undefined) return;
  const result = await ctx.connection.stream(
    `SELECT venue, symbol, interval, open_time::DOUBLE AS open_time, trades::DOUBLE AS trades,
       open, high, low, close, volume, quote_volume
     FROM ${readParquetSql(path)} WHERE close_time < ${ctx.untilTs}`,
  );
  for await (const rows of result.yieldRowsJs()) {
    for (const r of rows) {
      visit({
        venue: r[0] as string,
        symbol: r[1] as string,
        interval: r[2] as Interval,
        openTime: r[3] as number,
        trades: r[4] as number,
        open: r[5] as number,
        high: r[6] as number,
        low: r[7] as number,
        close: r[8] as number,
        volume: r[9] as number,
        quoteVolume: r[10] as number,
      });
    }
  }
}

async function writeDiffs(ctx: JobContext, diffs: readonly ReconciliationDiff[]): Promise<void> {
  const { connection } = ctx;
  await connection.run(`CREATE OR REPLACE TEMP TABLE reconciliation_diffs (
    venue VARCHAR, symbol VARCHAR, interval VARCHAR, open_time BIGINT, field VARCHAR,
    speed DOUBLE, batch DOUBLE, cause VARCHAR, detail VARCHAR)`);
  const appender = await connection.createAppender('reconciliation_diffs');
  for (const d of diffs) {
    appender.appendVarchar(d.venue);
    appender.appendVarchar(d.symbol);
    appender.appendVarchar(d.interval);
    appender.appendBigInt(BigInt(d.openTime));
    appender.appendVarchar(d.field);
    if (d.speed === null) appender.appendNull();
    else appender.appendDouble(d.speed);
    if (d.batch === null) appender.appendNull();
    else appender.appendDouble(d.batch);
    appender.appendVarchar(d.cause);
    appender.appendVarchar(d.detail);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(
    `COPY (SELECT * FROM reconciliation_diffs ORDER BY ALL) TO ${sqlText(ctx.outputPath)} (FORMAT parquet)`,
  );
  await connection.run('DROP TABLE reconciliation_diffs');
}
