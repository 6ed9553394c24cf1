import { compareSeries, INTERVALS, type SymbolInfo, symbolKey } from '../domain/index.js';
import type { ServeDeps } from './deps.js';
import { pickSeries } from './params.js';

/**
 * One series as the API shows it, from what the speed view and the batch views know of it:
 * intervals of either, the first trade of the earlier, the speed view's newest trade and price
 * (the batch views' last price when the speed view has none).
 */
export function mergeInfo(speed: SymbolInfo | undefined, batch: SymbolInfo | undefined): SymbolInfo {
  if (speed === undefined) return { ...(batch as SymbolInfo) };
  if (batch === undefined) return speed;
  const firsts = [speed.firstTradeTs, batch.firstTradeTs].filter((ts): ts is number => ts !== null);
  return {
    ...speed,
    intervals: INTERVALS.filter((i) => speed.intervals.includes(i) || batch.intervals.includes(i)),
    firstTradeTs: firsts.length === 0 ? null : Math.min(...firsts),
    lastPrice: speed.lastPrice ?? batch.lastPrice,
  };
}

/**
 * Every series the API can answer candles of: the speed view's, and the batch views' (history
 * whose trades have left the log, a backfill the speed layer never saw). By venue, then symbol.
 * It lists them all (`/api/v1/symbols`); a request for one series uses `findSeries`.
 */
export async function knownSeries(deps: Pick<ServeDeps, 'candles' | 'batch'>): Promise<SymbolInfo[]> {
  const batch = new Map<string, SymbolInfo>();
  for (const b of (await deps.batch?.symbols()) ?? []) batch.set(`${b.venue}|${b.symbol}`, b);
  const out: SymbolInfo[] = [];
  for (const s of deps.candles.symbols()) {
    const key = `${s.venue}|${s.symbol}`;
    out.push(mergeInfo(s, batch.get(key)));
    batch.delete(key);
  }
  if (batch.size === 0) return out;
  return [...out, ...batch.values()].sort(compareSeries);
}

/**
 * The series a request means (see `pickSeries`), found by key in the speed view and the batch
 * views: its cost does not depend on how many series there are.
 * Throws `UNKNOWN_VENUE` (field `venue`) or `UNKNOWN_SYMBOL` (field `symbol`).
 */
export async function findSeries(
  deps: Pick<ServeDeps, 'candles' | 'batch'>,
  request: { venue?: string | undefined; symbol: string },
  defaultVenue: string,
): Promise<SymbolInfo> {
  const key = symbolKey(request.symbol);
  const batch = new Map<string, SymbolInfo>();
  for (const b of (await deps.batch?.find(key)) ?? []) batch.set(`${b.venue}|${b.symbol}`, b);
  const candidates: SymbolInfo[] = [];
  for (const s of deps.candles.find(key)) {
    const id = `${s.venue}|${s.symbol}`;
    candidates.push(mergeInfo(s, batch.get(id)));
    batch.delete(id);
  }
  candidates.push(...batch.values());
  const venue = request.venue?.toLowerCase();
  const venueKnown =
    venue !== undefined && (deps.candles.hasVenue(venue) || (await deps.batch?.hasVenue(venue)) === true);
  return pickSeries(candidates, request, defaultVenue, () => venueKnown);
}
