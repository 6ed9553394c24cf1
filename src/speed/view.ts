import type { Candle, CandleReader, Interval, SymbolInfo, UnixMs } from '../domain/index.js';
import { CryptoLambdaError, compareSeries, compareText, INTERVALS, symbolKey } from '../domain/index.js';
import { CandleColumns } from './candle-columns.js';
import { SPEED_ERRORS } from './errors.js';

/**
 * Where the view reads a series' newest event time and watermark: the candle operator that feeds
 * it (`CandleOperatorInstance.clockOf`), whose state the speed checkpoint restores.
 */
export interface SeriesClock {
  clockOf(
    venue: string,
    symbol: string,
  ):
    | {
        maxTs: UnixMs;
        watermarkTs: UnixMs;
        lastPrice: number;
        firstTradeTs: UnixMs | null;
        intervals: Interval[];
      }
    | undefined;
  /**
   * The buckets of a series not closed yet, as `open` candles, oldest first: read when asked,
   * so the operator need not hand every open bucket's latest state to the view after each batch
   * (with thousands of series, six candles per trade).
   */
  openCandlesOf(venue: string, symbol: string, interval: Interval): Candle[];
  /** The series from the `from`-th on, in the order first seen: a series is known before its first close. */
  seriesFrom(from: number): readonly { venue: string; symbol: string }[];
}

/** A clock that knows no series: a view fed with candles alone (tests, `batch run`). */
export const NO_SERIES_CLOCK: SeriesClock = {
  clockOf: () => undefined,
  openCandlesOf: () => [],
  seriesFrom: () => [],
};

/** Options of the speed view. */
export interface SpeedViewOptions {
  /**
   * Candles kept per (venue, symbol, interval); older ones are forgotten (the batch layer
   * has them). 10,000 is about 7 days of 1m candles and 35 days of 5m ones, in ~0.9 MB per
   * series and interval (typed arrays, outside the V8 heap). With the batch layer on, the days
   * it holds for good are forgotten sooner (`forgetBefore`).
   * @default 10000 for every interval
   */
  retention: Readonly<Record<Interval, number>>;
}

export const SPEED_VIEW_DEFAULTS: SpeedViewOptions = {
  retention: { '1m': 10_000, '5m': 10_000, '15m': 10_000, '1h': 10_000, '4h': 10_000, '1d': 10_000 },
};

/**
 * The speed layer's live candles, fed with the candle operator's outputs: the `CandleReader` of
 * the read contracts (`domain/read-contracts.ts`), every lookup by key.
 */
export interface SpeedView extends CandleReader {
  /** Stores a candle, replacing the one with the same series and open time (`revised`, newer `open`). */
  upsert(candle: Candle): void;
  /**
   * Forgets a series' candles (every interval) that open before `openTime`, once the batch
   * layer holds them for good; returns how many went. What the series is (its first trade,
   * its intervals) is kept.
   */
  forgetBefore(venue: string, symbol: string, openTime: UnixMs): number;
}

interface SymbolEntry {
  venue: string;
  symbol: string;
  series: Map<Interval, CandleColumns>;
  /** Open time of the first 1m candle with trades seen, kept when retention forgets that candle. */
  firstTradeTs: number | null;
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

/**
 * Builds an empty speed view. `clock` gives each series' newest trade time and watermark
 * (`lastTradeTs`, `watermarkTs()`): pass the candle operator that feeds the view.
 */
export function createSpeedView(
  options: Partial<SpeedViewOptions> = {},
  clock: SeriesClock = NO_SERIES_CLOCK,
): SpeedView {
  const retention = { ...SPEED_VIEW_DEFAULTS.retention, ...options.retention };
  checkRetention(retention);
  const entries = new Map<string, SymbolEntry>();
  /** Entries by `symbolKey`, for `find`. */
  const byKey = new Map<string, SymbolEntry[]>();
  const venues = new Set<string>();
  /** Every entry by venue then symbol; dropped when a series is added. */
  let sorted: SymbolEntry[] | undefined;

  function entryOf(venue: string, symbol: string): SymbolEntry {
    const key = `${venue}\u0000${symbol}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = { venue, symbol, series: new Map(), firstTradeTs: null };
      entries.set(key, entry);
      const sameKey = byKey.get(symbolKey(symbol)) ?? [];
      sameKey.push(entry);
      sameKey.sort((a, b) => compareText(a.venue, b.venue));
      byKey.set(symbolKey(symbol), sameKey);
      venues.add(venue);
      sorted = undefined;
    }
    return entry;
  }

  /** Takes in the series the operator saw since the last call. */
  let synced = 0;
  function sync(): void {
    const fresh = clock.seriesFrom(synced);
    for (const s of fresh) entryOf(s.venue, s.symbol);
    synced += fresh.length;
  }

  function info(e: SymbolEntry): SymbolInfo {
    const reading = clock.clockOf(e.venue, e.symbol);
    const newest = e.series.get('1m') ?? [...e.series.values()][0];
    const newestClose =
      newest === undefined || newest.length === 0 ? undefined : newest.closeAt(newest.length - 1);
    return {
      venue: e.venue,
      symbol: e.symbol,
      intervals: INTERVALS.filter(
        (i) => reading?.intervals.includes(i) || (e.series.get(i)?.length ?? 0) > 0,
      ),
      firstTradeTs: e.firstTradeTs ?? reading?.firstTradeTs ?? null,
      lastTradeTs: reading?.maxTs ?? null,
      lastPrice: reading?.lastPrice ?? newestClose ?? null,
    };
  }

  return {
    upsert(candle) {
      const entry = entryOf(candle.venue, candle.symbol);
      if (
        candle.interval === '1m' &&
        candle.trades > 0 &&
        (entry.firstTradeTs === null || candle.openTime < entry.firstTradeTs)
      ) {
        entry.firstTradeTs = candle.openTime;
      }
      let list = entry.series.get(candle.interval);
      if (list === undefined) {
        list = new CandleColumns(candle.venue, candle.symbol, candle.interval);
        entry.series.set(candle.interval, list);
      }
      const keep = retention[candle.interval];
      if (list.length === 0 || list.openTimeAt(list.length - 1) < candle.openTime) {
        list.push(candle);
        // Trim in chunks so the amortised cost stays O(1) per candle; queries only see `keep`.
        if (list.length >= keep + Math.max(64, keep >>> 3)) list.keepNewest(keep);
        return;
      }
      const at = list.search(candle.openTime);
      if (at < list.length && list.openTimeAt(at) === candle.openTime) list.set(at, candle);
      else if (list.length - at < keep) list.insert(at, candle);
    },

    forgetBefore(venue, symbol, openTime) {
      const entry = entries.get(`${venue}\u0000${symbol}`);
      if (entry === undefined) return 0;
      let dropped = 0;
      for (const list of entry.series.values()) dropped += list.dropBefore(openTime);
      return dropped;
    },

    candles({ venue, symbol, interval, from, to, limit }) {
      if (limit <= 0) return [];
      // The buckets still open come from the operator, newer than every closed one of the series.
      const open = clock
        .openCandlesOf(venue, symbol, interval)
        .filter((c) => (from === undefined || c.openTime >= from) && (to === undefined || c.openTime <= to));
      const list = entries.get(`${venue}\u0000${symbol}`)?.series.get(interval);
      let closed: Candle[] = [];
      if (list !== undefined) {
        const oldest = Math.max(0, list.length - retention[interval]);
        const start = from === undefined ? oldest : Math.max(oldest, list.search(from));
        let end = to === undefined ? list.length : list.search(to, true);
        const firstOpen = open[0]?.openTime;
        if (firstOpen !== undefined) end = Math.min(end, list.search(firstOpen));
        const closedWanted = Math.max(0, limit - open.length);
        closed = list.slice(Math.max(start, end - closedWanted), Math.max(start, end));
      }
      const merged = open.length === 0 ? closed : closed.concat(open);
      return merged.length > limit ? merged.slice(merged.length - limit) : merged;
    },

    series(venue, symbol) {
      sync();
      const entry = entries.get(`${venue}\u0000${symbol}`);
      return entry === undefined ? undefined : info(entry);
    },

    find(key) {
      sync();
      return (byKey.get(key) ?? []).map(info);
    },

    hasVenue(venue) {
      sync();
      return venues.has(venue);
    },

    symbols() {
      sync();
      sorted ??= [...entries.values()].sort(compareSeries);
      return sorted.map(info);
    },

    watermarkTs: (venue, symbol) => clock.clockOf(venue, symbol)?.watermarkTs,
  };
}
