import type { Candle, Interval } from '../domain/index.js';
import type { LiveFeed } from '../serve/index.js';

/** In-process fan-out of candle updates to the server's subscribers, keyed by series. */
export interface CandleFeed extends LiveFeed {
  publish(candle: Candle): void;
  /** Whether anybody listens to the series' candles. */
  wants(venue: string, symbol: string, interval: Interval): boolean;
}

export function createCandleFeed(): CandleFeed {
  const listeners = new Map<string, Set<(candle: Candle) => void>>();
  const keyOf = (venue: string, symbol: string, interval: Interval): string =>
    `${venue}:${symbol}:${interval}`;
  return {
    publish(candle) {
      // Most candles have no subscriber: no key is built for them.
      if (listeners.size === 0) return;
      const set = listeners.get(keyOf(candle.venue, candle.symbol, candle.interval));
      if (set === undefined) return;
      for (const listener of set) listener(candle);
    },
    wants: (venue, symbol, interval) => listeners.size > 0 && listeners.has(keyOf(venue, symbol, interval)),
    subscribeCandles(series, listener) {
      const key = keyOf(series.venue, series.symbol, series.interval);
      let set = listeners.get(key);
      if (set === undefined) {
        set = new Set();
        listeners.set(key, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(key);
      };
    },
  };
}
