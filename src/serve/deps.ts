import type { Candle, Interval, Rejected, UnixMs } from '../domain/index.js';

/** What the server needs from the rest of the process; `main` wires real implementations. */
export interface ServeDeps {
  candles: CandleReader;
  live: LiveFeed;
  status(): SystemStatus;
  rejected: RejectedReader;
}

export interface SymbolInfo {
  venue: string;
  symbol: string;
  /** Intervals with candles. */
  intervals: Interval[];
  firstTradeTs: UnixMs | null;
  lastTradeTs: UnixMs | null;
  lastPrice: number | null;
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

export interface SystemStatus {
  sources: { name: string; state: string; trades: number; rejected: number }[];
  speed: {
    /** Records in the log not yet processed by the speed layer. */
    lag: number;
    tradesProcessed: number;
    lateDropped: number;
    revised: number;
    /** Per (venue, symbol): the largest event time seen minus the out-of-orderness bound. */
    watermarks: { venue: string; symbol: string; watermarkTs: UnixMs }[];
  };
  rejected: { total: number; byReason: Record<string, number> };
  throughput: { tradesPerSec: number };
  startedAt: UnixMs;
}
