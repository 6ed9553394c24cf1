import type { BatchReader, CandleReader, LiveFeed, RejectedReader, UptimeReader } from '../domain/index.js';
import type { SystemStatus } from './schemas.js';

/**
 * What the server needs from the rest of the process; `main` wires real implementations. The
 * readers are the read contracts of `domain/read-contracts.ts`.
 */
export interface ServeDeps {
  /** The speed view. */
  candles: CandleReader;
  live: LiveFeed;
  status(): SystemStatus;
  rejected: RejectedReader;
  /** The batch layer's gold views; absent when the process runs without a lake. */
  batch?: BatchReader;
  /**
   * When the pipeline was not running (its uptime record), for the `gaps` of candle responses;
   * absent: no gaps are reported.
   */
  uptime?: UptimeReader;
}

// The contracts under the names the serving layer has always used (and `ws/hub.ts` imports).
export type {
  BatchReader,
  BatchStatus,
  CandleQuery,
  CandleReader,
  LiveFeed,
  RejectedReader,
  SymbolInfo,
  UptimeReader,
} from '../domain/index.js';
export type { SystemStatus };
