import { type Static, Type } from 'typebox';
import {
  type DailyMarketMetric,
  type JobRun,
  JobRunSchema,
  type Mover,
  type MoverPeriod,
  type MoverType,
  type QualityCheck,
  type TrendingScore,
} from './analytics.js';
import { type Candle, IntervalSchema } from './candle.js';
import type { Interval } from './intervals.js';
import type { Rejected } from './rejected.js';
import type { UnixMs } from './units.js';

/**
 * The read side of the pipeline, as the serving layer (and any later reader: alerts, P&L) uses
 * it. The speed view and the test fake implement `CandleReader`, the batch views and the test
 * fake `BatchReader`; `test/domain/read-contracts.case.ts` is the one suite all of them pass.
 *
 * Lookups are by key: no method a request calls walks every series, so a request costs the same
 * with 10 symbols or 10,000. Only `symbols()` lists them all.
 */

/** Integer ms since the Unix epoch, UTC, or null when unknown. */
const NullableTs = Type.Union([Type.Integer(), Type.Null()]);

/** One series: a symbol on a venue. */
export interface SeriesKey {
  venue: string;
  /** Canonical `BASE-QUOTE`. */
  symbol: string;
}

/** A candle query on one series. */
export interface CandleQuery extends SeriesKey {
  interval: Interval;
  /** Inclusive bucket open time. @default undefined (from the oldest the reader holds) */
  from?: UnixMs;
  /** Inclusive bucket open time. @default undefined (up to the newest) */
  to?: UnixMs;
  /** At most this many candles: the newest ones of the range when more match. */
  limit: number;
}

/** What a reader knows of a series; `/api/v1/symbols` lists these. */
export const SymbolInfoSchema = Type.Object(
  {
    venue: Type.String(),
    /** Canonical `BASE-QUOTE`. */
    symbol: Type.String(),
    /** Intervals with candles, in `INTERVALS` order. */
    intervals: Type.Array(IntervalSchema),
    /**
     * Open time of the series' first 1m candle: the minute of its first trade (every bucket from
     * there on is a candle, ARCHITECTURE.md §4). Known after a restart; null without 1m candles.
     */
    firstTradeTs: NullableTs,
    /**
     * Event time of the series' newest trade, to the millisecond, while the speed layer holds the
     * series (its state survives restarts); null from readers that keep candles only (history
     * whose trades left the log).
     */
    lastTradeTs: NullableTs,
    /** The close of the series' newest candle: the price of its newest trade by `(ts, tradeId)`. */
    lastPrice: Type.Union([Type.Number(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type SymbolInfo = Static<typeof SymbolInfoSchema>;

/**
 * The key symbols are looked up by: upper case, dashes dropped, so `btc-usdt`, `BTCUSDT` and
 * `BTC-USDT` all find `BTC-USDT` (the caller then keeps an exact match when it was given a dash).
 */
export function symbolKey(symbol: string): string {
  return symbol.toUpperCase().replaceAll('-', '');
}

/** A value now, or a promise of it: the speed view answers from memory, the batch views from DuckDB. */
export type Answer<T, Async extends boolean> = Async extends true ? Promise<T> : T;

/**
 * Candles and series of one store, found by key. `Async` says whether it answers with promises.
 *
 * Every method answers for what the reader holds now; a reader never invents candles. Candles of
 * one series are one per bucket, oldest first; buckets without trades are candles (§4).
 */
export interface SeriesReader<Async extends boolean> {
  /** The series `venue`/`symbol` (exact, canonical), or undefined when the reader has no candle of it. */
  series(venue: string, symbol: string): Answer<SymbolInfo | undefined, Async>;
  /** Every series, on any venue, whose `symbolKey` is `key`; by venue. */
  find(key: string): Answer<SymbolInfo[], Async>;
  /** Whether the reader holds any series of `venue`. */
  hasVenue(venue: string): Answer<boolean, Async>;
  /** Every series, by venue then symbol. */
  symbols(): Answer<SymbolInfo[], Async>;
  /**
   * Candles with `from ≤ openTime ≤ to`, oldest first; the newest `limit` when more match; empty
   * for an unknown series.
   */
  candles(query: CandleQuery): Answer<Candle[], Async>;
  /**
   * The watermark of a series, undefined when the reader has none for it. A candle that ends
   * before it (`closeTime < watermarkTs`) is final as far as this reader knows: never `open`.
   * - speed view: the largest event time seen minus `maxOutOfOrdernessMs` (§5);
   * - batch views: the end of the last hour of the series that every batch job has processed;
   *   the batch views serve no candle ending after it.
   */
  watermarkTs(venue: string, symbol: string): Answer<UnixMs | undefined, Async>;
}

/** The speed layer's live candles (in memory). */
export type CandleReader = SeriesReader<false>;

/** Pushes candle updates to live subscribers. */
export interface LiveFeed {
  /** Calls `listener` with every candle update of the series until the returned function is called. */
  subscribeCandles(
    series: SeriesKey & { interval: Interval },
    listener: (candle: Candle) => void,
  ): () => void;
}

/** Counts of the rejected records a `RejectedReader` holds. */
export const RejectedCountsSchema = Type.Object({
  /**
   * Rejected records in the log's `rejected` topic, from every process and run, for as long as
   * the topic keeps them (7 days): the records `GET /api/v1/rejected` lists, newest first.
   */
  total: Type.Integer(),
  /** The same records by reason code. */
  byReason: Type.Record(Type.String(), Type.Integer()),
});
export type RejectedCounts = Static<typeof RejectedCountsSchema>;

/** The records of the `rejected` topic, counted and listed from one source. */
export interface RejectedReader {
  /**
   * The newest `limit` rejected records, newest first: `min(limit, counts().total)` of them,
   * up to `REJECTED_KEPT`.
   */
  recent(limit: number): Rejected[];
  counts(): RejectedCounts;
}

/** How many of the newest rejected records a `RejectedReader` can list. */
export const REJECTED_KEPT = 10_000;

/** The batch layer as `/api/v1/system/status` shows it. */
export const BatchStatusSchema = Type.Object({
  /**
   * How far the batch jobs have processed the lake: walking the days with data oldest first,
   * the end of the last hour every job has processed, up to the first day not complete. The
   * merge of each series uses that series' own watermark (`watermarks.batch` of a candles
   * response).
   */
  watermarkTs: NullableTs,
  /** The last run of each job. */
  lastRuns: Type.Array(JobRunSchema),
  /** Committed lake files and their total size. */
  lake: Type.Object({ files: Type.Integer(), bytes: Type.Integer() }),
});
export type BatchStatus = Static<typeof BatchStatusSchema>;

/**
 * The batch layer's views (gold Parquet read through DuckDB). Every method reads committed gold
 * files only; a view not computed yet answers empty. Candles are those of sealed hours the
 * series' batch watermark has passed.
 */
export interface BatchReader extends SeriesReader<true> {
  /** Daily metrics of every symbol for a UTC day (`YYYY-MM-DD`); the latest computed day when omitted. */
  daily(date?: string): Promise<DailyMarketMetric[]>;
  /** The movers of a period as of the newest hour ranked, rank 1 first. */
  movers(period: MoverPeriod, type: MoverType, limit: number): Promise<Mover[]>;
  /** The latest hour's trending scores, rank 1 first. */
  trending(limit: number): Promise<TrendingScore[]>;
  /** The checks of the latest quality run (or of `date`). */
  quality(date?: string): Promise<QualityCheck[]>;
  /** The newest job runs first. */
  runs(limit: number): Promise<JobRun[]>;
  status(): BatchStatus;
}

/** A time range `[fromTs, toTs)`. */
export const TimeRangeSchema = Type.Object({ fromTs: Type.Integer(), toTs: Type.Integer() });
export type TimeRange = Static<typeof TimeRangeSchema>;

/** When the pipeline was not running, from its uptime record. */
export interface UptimeReader {
  /** The ranges within `[fromTs, toTs)` when no pipeline run was up, oldest first, clipped to it. */
  downtime(fromTs: UnixMs, toTs: UnixMs): TimeRange[];
}
