import type { Candle, Interval } from '../domain/index.js';
import type { LiveFeed } from '../serve/index.js';

/** In-process fan-out of candle updates to the server's subscribers, keyed by series. */
export interface CandleFeed extends LiveFeed {
  publish(candle: Candle): void;
  /** Whether anybody listens to the series' candles. */
  wants(venue: string, symbol: string, interval: Interval): boolean;
  /** Changes whenever `wants` may answer differently (a series' first subscriber or last one leaves). */
  version(): number;
}

export function createCandleFeed(): CandleFeed {
  const listeners = new Map<string, Set<(candle: Candle) => void>>();
  let version = 0;
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
    version: () => version,
    subscribeCandles(series, listener) {
      const key = keyOf(series.venue, series.symbol, series.interval);
      let set = listeners.get(key);
      if (set === undefined) {
        set = new Set();
        listeners.set(key, set);
        version++;
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(key) === set) {
          listeners.delete(key);
          version++;
        }
      };
    },
  };
}
