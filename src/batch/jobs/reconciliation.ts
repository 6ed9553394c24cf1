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
  /** The series the speed layer has candles of. */
  series(): readonly { venue: string; symbol: string }[];
  /** One series' candles of one interval (open ones too) with `fromTs ≤ openTime < untilTs`, oldest first. */
  candles(
    venue: string,
    symbol: string,
    interval: Interval,
    fromTs: UnixMs,
    untilTs: UnixMs,
  ): Promise<readonly Candle[]> | readonly Candle[];
}

const FIELDS = ['trades', 'open', 'high', 'low', 'close', 'volume', 'quoteVolume'] as const;

export function createReconciliationJob(speed: SpeedCandleSource): BatchJobDef {
  return {
    name: 'reconciliation',
    description: 'speed vs batch candles over the same buckets, every difference with its likely cause',
    dependsOn: ['candles'],
    cron: '20 * * * *',
    async run(ctx) {
      // One series and interval at a time: with thousands of series a day holds millions of
      // candles on each side, and holding them all (as objects, keyed by strings) took gigabytes.
      const speedOf = async (venue: string, symbol: string, interval: Interval): Promise<Candle[]> =>
        (await speed.candles(venue, symbol, interval, ctx.dayStartTs, ctx.untilTs)).filter(
          (c) => c.closeTime < ctx.untilTs,
        );
      const diffs: ReconciliationDiff[] = [];
      const compared = new Set<string>();
      await forEachGoldSeries(ctx, async (venue, symbol, interval, batch) => {
        compared.add(seriesKey(venue, symbol, interval));
        reconcileSeries(await speedOf(venue, symbol, interval), batch, diffs);
      });
      // Series the batch layer has no candle of: every final speed candle is missing there.
      for (const { venue, symbol } of speed.series()) {
        for (const interval of INTERVALS) {
          if (compared.has(seriesKey(venue, symbol, interval))) continue;
          reconcileSeries(await speedOf(venue, symbol, interval), [], diffs);
        }
      }
      await writeDiffs(ctx, sortDiffs(diffs));
      return { rows: diffs.length, status: 'ok' };
    },
  };
}

const seriesKey = (venue: string, symbol: string, interval: string): string =>
  `${interval}|${venue}|${symbol}`;

/** What reconciliation reads of a candle. */
type Compared = Pick<Candle, 'venue' | 'symbol' | 'interval' | 'openTime' | (typeof FIELDS)[number]>;

/**
 * Every bucket where the two sides differ, ordered by interval, series and time. A bucket the
 * speed layer still has open (its watermark has not passed it yet) is not final there, and is
 * not compared, nor are buckets after the newest one the speed layer has for the series.
 */
export function reconcile(speed: readonly Candle[], batch: readonly Compared[]): ReconciliationDiff[] {
  const bySeries = new Map<string, { speed: Candle[]; batch: Compared[] }>();
  const of = (c: Compared) => {
    const k = seriesKey(c.venue, c.symbol, c.interval);
    let sides = bySeries.get(k);
    if (sides === undefined) {
      sides = { speed: [], batch: [] };
      bySeries.set(k, sides);
    }
    return sides;
  };
  for (const c of speed) of(c).speed.push(c);
  for (const b of batch) of(b).batch.push(b);
  const diffs: ReconciliationDiff[] = [];
  for (const sides of bySeries.values()) reconcileSeries(sides.speed, sides.batch, diffs);
  return sortDiffs(diffs);
}

/** Appends to `diffs` the differences between the two sides' candles of one series and interval. */
function reconcileSeries(
  speed: readonly Candle[],
  batch: readonly Compared[],
  diffs: ReconciliationDiff[],
): void {
  const bySpeed = new Map(speed.map((c) => [c.openTime, c]));
  // How far the speed layer got: later buckets are not reached yet.
  let reached = Number.NEGATIVE_INFINITY;
  for (const c of speed) if (c.openTime > reached) reached = c.openTime;
  const matched = new Set<number>();
  for (const b of batch) {
    const s = bySpeed.get(b.openTime);
    if (s !== undefined) matched.add(b.openTime);
    if (s?.state === 'open') continue;
    if (b.openTime > reached) continue;
    if (s === undefined) {
      diffs.push(diff(b, 'candle', null, b.trades, 'missing_in_speed', 'no speed candle for this bucket'));
      continue;
    }
    const field = FIELDS.find((f) => !same(f, s[f], b[f]));
    if (field === undefined) continue;
    const cause: ReconciliationCause =
      b.trades > s.trades ? 'late_trade' : b.trades < s.trades ? 'duplicate' : 'mismatch';
    const detail =
      cause === 'late_trade'
        ? `batch saw ${b.trades - s.trades} more trade(s) than speed: arrived after the allowed lateness`
        : cause === 'duplicate'
          ? `speed counted ${s.trades - b.trades} trade(s) more than silver holds`
          : `${field} differs with equal trade counts`;
    diffs.push(diff(b, field, s[field], b[field], cause, detail));
  }
  for (const s of speed) {
    if (s.state !== 'open' && !matched.has(s.openTime))
      diffs.push(diff(s, 'candle', s.trades, null, 'missing_in_batch', 'no batch candle for this bucket'));
  }
}

function sortDiffs(diffs: ReconciliationDiff[]): ReconciliationDiff[] {
  const order = (i: string): number => INTERVALS.indexOf(i as Interval);
  return diffs.sort(
    (a, b) => order(a.interval) - order(b.interval) || compareSeries(a, b) || a.openTime - b.openTime,
  );
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

/**
 * Calls `visit` with each series and interval's gold candles of the day, one series at a time
 * (the file is read in series order, so only one series' candles are held).
 */
async function forEachGoldSeries(
  ctx: JobContext,
  visit: (venue: string, symbol: string, interval: Interval, candles: Compared[]) => Promise<void>,
): Promise<void> {
  const path = ctx.goldFile('candles', ctx.date);
  if (path === undefined) return;
  const result = await ctx.connection.stream(
    `SELECT venue, symbol, interval, open_time::DOUBLE AS open_time, trades::DOUBLE AS trades,
       open, high, low, close, volume, quote_volume
     FROM ${readParquetSql(path)} WHERE close_time < ${ctx.untilTs}
     ORDER BY venue, symbol, interval, open_time`,
  );
  let current: Compared[] = [];
  const flush = async (): Promise<void> => {
    const first = current[0];
    if (first === undefined) return;
    const candles = current;
    current = [];
    await visit(first.venue, first.symbol, first.interval, candles);
  };
  for await (const rows of result.yieldRowsJs()) {
    for (const r of rows) {
      const c: Compared = {
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
      };
      const head = current[0];
      if (
        head !== undefined &&
        (head.venue !== c.venue || head.symbol !== c.symbol || head.interval !== c.interval)
      )
        await flush();
      current.push(c);
    }
  }
  await flush();
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
