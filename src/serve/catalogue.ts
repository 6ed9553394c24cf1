import { compareSeries, INTERVALS } from '../domain/index.js';
import type { ServeDeps, SymbolInfo } from './deps.js';

/**
 * Every series the API can answer candles of: the speed view's, and the batch views' (history
 * whose trades have left the log, a backfill the speed layer never saw). A series only the batch
 * views hold has no trade times (null, as for a speed series known from candles alone) and its
 * newest 1m close as its last price. By venue, then symbol.
 */
export async function knownSeries(deps: Pick<ServeDeps, 'candles' | 'batch'>): Promise<SymbolInfo[]> {
  const bySeries = new Map<string, SymbolInfo>();
  for (const s of deps.candles.symbols()) bySeries.set(`${s.venue}|${s.symbol}`, s);
  for (const b of (await deps.batch?.symbols()) ?? []) {
    const key = `${b.venue}|${b.symbol}`;
    const speed = bySeries.get(key);
    if (speed === undefined) {
      bySeries.set(key, {
        venue: b.venue,
        symbol: b.symbol,
        intervals: b.intervals,
        firstTradeTs: null,
        lastTradeTs: null,
        lastPrice: b.lastPrice,
      });
    } else {
      const intervals = INTERVALS.filter((i) => speed.intervals.includes(i) || b.intervals.includes(i));
      bySeries.set(key, { ...speed, intervals, lastPrice: speed.lastPrice ?? b.lastPrice });
    }
  }
  return [...bySeries.values()].sort(compareSeries);
}
