import type { Candle, Interval, Rejected, UnixMs } from '../domain/index.js';
import type { SymbolInfo, SystemStatus } from './schemas.js';

// Declared as schemas (they are also response bodies); re-exported here with the rest of the port.
export type { SymbolInfo, SystemStatus };

/** What the server needs from the rest of the process; `main` wires real implementations. */
export interface ServeDeps {
  candles: CandleReader;
  live: LiveFeed;
  status(): SystemStatus;
  rejected: RejectedReader;
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
