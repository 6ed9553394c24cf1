import type { Candle, Interval, Trade, UnixMs } from '../domain/index.js';
import { CryptoLambdaError, compareSeries, INTERVALS } from '../domain/index.js';
import { compareTradeKeys } from './candles/trade-order.js';
import { SPEED_ERRORS } from './errors.js';

/** A candle query on the speed view (same shape as the serving layer's `CandleQuery`). */
export interface SpeedCandleQuery {
  venue: string;
  symbol: string;
  interval: Interval;
  /** Inclusive bucket open time. @default undefined (from the oldest kept) */
  from?: UnixMs;
  /** Inclusive bucket open time. @default undefined (up to the newest) */
  to?: UnixMs;
  /** At most this many candles: the newest ones when more match. */
  limit: number;
}

/** What the speed view knows of a (venue, symbol) (same shape as the serving layer's `SymbolInfo`). */
export interface SpeedSymbolInfo {
  venue: string;
  symbol: string;
  /** Intervals with candles, in `INTERVALS` order. */
  intervals: Interval[];
  /** Smallest event time among the trades recorded; null when only candles were seen. */
  firstTradeTs: UnixMs | null;
  /** Largest event time among the trades recorded. */
  lastTradeTs: UnixMs | null;
  /** Price of the last trade by `(ts, tradeId)`. */
  lastPrice: number | null;
}

/** Options of the speed view. */
export interface SpeedViewOptions {
  /**
   * Candles kept per (venue, symbol, interval); older ones are forgotten (the batch layer
   * has them). 10,000 is about 7 days of 1m candles and 35 days of 5m ones, in ~3 MB per
   * series and interval.
   * @default 10000 for every interval
   */
  retention: Readonly<Record<Interval, number>>;
}

export const SPEED_VIEW_DEFAULTS: SpeedViewOptions = {
  retention: { '1m': 10_000, '5m': 10_000, '15m': 10_000, '1h': 10_000, '4h': 10_000, '1d': 10_000 },
};

/** The speed layer's live candles, fed with the candle operator's outputs. */
export interface SpeedView {
  /** Stores a candle, replacing the one with the same series and open time (`revised`, newer `open`). */
  upsert(candle: Candle): void;
  /** Tracks first/last trade time and last price per (venue, symbol) for `symbols()`. */
  recordTrade(trade: Trade): void;
  /** Candles with `from ≤ openTime ≤ to`, oldest first; the newest `limit` when more match. */
  candles(query: SpeedCandleQuery): Candle[];
  /** Every (venue, symbol) seen, sorted by venue then symbol. */
  symbols(): SpeedSymbolInfo[];
}

interface SymbolEntry {
  venue: string;
  symbol: string;
  series: Map<Interval, Candle[]>;
  firstTradeTs: number | null;
  lastTradeTs: number | null;
  lastTradeId: string;
  lastPrice: number | null;
}

/** First index whose openTime is ≥ `openTime` (> when `after`). */
function search(list: readonly Candle[], openTime: number, after = false): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = (list[mid] as Candle).openTime;
    if (t < openTime || (after && t === openTime)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkRetention(retention: Readonly<Record<Interval, number>>): void {
  for (const interval of INTERVALS) {
    const count = retention[interval];
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new CryptoLambdaError(
        SPEED_ERRORS.badOptions,
        `retention of ${interval} must be a positive integer`,
      );
    }
  }
}

/** Builds an empty speed view. */
export function createSpeedView(options: Partial<SpeedViewOptions> = {}): SpeedView {
  const retention = { ...SPEED_VIEW_DEFAULTS.retention, ...options.retention };
  checkRetention(retention);
  const entries = new Map<string, SymbolEntry>();

  function entryOf(venue: string, symbol: string): SymbolEntry {
    const key = `${venue}\u0000${symbol}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = {
        venue,
        symbol,
        series: new Map(),
        firstTradeTs: null,
        lastTradeTs: null,
        lastTradeId: '',
        lastPrice: null,
      };
      entries.set(key, entry);
    }
    return entry;
  }

  return {
    upsert(candle) {
      const entry = entryOf(candle.venue, candle.symbol);
      let list = entry.series.get(candle.interval);
      if (list === undefined) {
        list = [];
        entry.series.set(candle.interval, list);
      }
      const keep = retention[candle.interval];
      const last = list[list.length - 1];
      if (last === undefined || last.openTime < candle.openTime) {
        list.push(candle);
        // Trim in chunks so the amortised cost stays O(1) per candle; queries only see `keep`.
        if (list.length >= keep + Math.max(64, keep >>> 3)) list.splice(0, list.length - keep);
        return;
      }
      const at = search(list, candle.openTime);
      if (list[at]?.openTime === candle.openTime) list[at] = candle;
      else if (list.length - at < keep) list.splice(at, 0, candle);
    },

    recordTrade(trade) {
      const entry = entryOf(trade.venue, trade.symbol);
      if (entry.firstTradeTs === null || trade.ts < entry.firstTradeTs) entry.firstTradeTs = trade.ts;
      if (
        entry.lastTradeTs === null ||
        compareTradeKeys(trade.ts, trade.tradeId, entry.lastTradeTs, entry.lastTradeId) > 0
      ) {
        entry.lastTradeTs = trade.ts;
        entry.lastTradeId = trade.tradeId;
        entry.lastPrice = trade.price;
      }
    },

    candles({ venue, symbol, interval, from, to, limit }) {
      const list = entries.get(`${venue}\u0000${symbol}`)?.series.get(interval);
      if (list === undefined || limit <= 0) return [];
      const oldest = Math.max(0, list.length - retention[interval]);
      const start = from === undefined ? oldest : Math.max(oldest, search(list, from));
      const end = to === undefined ? list.length : search(list, to, true);
      return list.slice(Math.max(start, end - limit), Math.max(start, end));
    },

    symbols() {
      return [...entries.values()].sort(compareSeries).map((e) => ({
        venue: e.venue,
        symbol: e.symbol,
        intervals: INTERVALS.filter((i) => (e.series.get(i)?.length ?? 0) > 0),
        firstTradeTs: e.firstTradeTs,
        lastTradeTs: e.lastTradeTs,
        lastPrice: e.lastPrice,
      }));
    },
  };
}
