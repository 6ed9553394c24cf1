import type {
  Candle,
  DailyMarketMetric,
  Interval,
  JobRun,
  Mover,
  MoverPeriod,
  MoverType,
  QualityCheck,
  Rejected,
  TrendingScore,
  UnixMs,
} from '../domain/index.js';
import type { BatchStatus, SymbolInfo, SystemStatus } from './schemas.js';

// Declared as schemas (they are also response bodies); re-exported here with the rest of the port.
export type { BatchStatus, SymbolInfo, SystemStatus };

/** What the server needs from the rest of the process; `main` wires real implementations. */
export interface ServeDeps {
  candles: CandleReader;
  live: LiveFeed;
  status(): SystemStatus;
  rejected: RejectedReader;
  /** The batch layer's gold views; absent when the process runs without a lake. */
  batch?: BatchReader;
}

export interface CandleQuery {
  venue: string;
  symbol: string;
  interval: Interval;
  /** Inclusive bucket open time. */
  from?: UnixMs;
  /** Inclusive bucket open time. */
  to?: UnixMs;
  limit: number;
}

export interface CandleReader {
  symbols(): SymbolInfo[];
  /** Candles with `from ≤ openTime ≤ to`, oldest first; the newest `limit` when the range is larger. */
  candles(query: CandleQuery): Candle[];
}

/** A candle update pushed to live subscribers. */
export interface CandleUpdate {
  candle: Candle;
}

export interface LiveFeed {
  /** Calls `listener` with every candle update of the series until the returned function is called. */
  subscribeCandles(
    series: { venue: string; symbol: string; interval: Interval },
    listener: (candle: Candle) => void,
  ): () => void;
}

export interface RejectedReader {
  /** The newest rejected records, newest first. */
  recent(limit: number): Rejected[];
}

/** A series the batch views have candles of. */
export interface BatchSymbol {
  venue: string;
  symbol: string;
  intervals: Interval[];
  /** The close of its newest 1m candle. */
  lastPrice: number | null;
}

/**
 * The batch layer's views (gold Parquet read through DuckDB), as the API needs them. Every
 * method reads committed gold files only; a view not computed yet answers empty.
 */
export interface BatchReader {
  /**
   * The batch watermark: the end of the last hour that every batch view has processed
   * (ARCHITECTURE.md §5), or undefined before the first batch run.
   */
  watermarkTs(): UnixMs | undefined;
  /** Batch candles with `from ≤ openTime ≤ to` that end at or before the batch watermark, oldest first. */
  candles(query: {
    venue: string;
    symbol: string;
    interval: Interval;
    from: UnixMs;
    to: UnixMs;
  }): Promise<Candle[]>;
  /** Daily metrics of every symbol for a UTC day (`YYYY-MM-DD`); the latest computed day when omitted. */
  daily(date?: string): Promise<DailyMarketMetric[]>;
  /** The latest movers of a period, rank 1 first. */
  movers(period: MoverPeriod, type: MoverType, limit: number): Promise<Mover[]>;
  /** The latest hour's trending scores, rank 1 first. */
  trending(limit: number): Promise<TrendingScore[]>;
  /** The checks of the latest quality run (or of `date`). */
  quality(date?: string): Promise<QualityCheck[]>;
  /** The newest job runs first. */
  runs(limit: number): Promise<JobRun[]>;
  /** Every series the batch views have candles of (history the speed view may no longer hold). */
  symbols(): Promise<BatchSymbol[]>;
  /** What `/api/v1/system/status` shows of the batch layer. */
  status(): BatchStatus;
}
