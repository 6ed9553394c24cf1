import { compareText, type Trade, type UnixMs } from '../domain/index.js';
import type { TradeFields } from '../log/index.js';
import type { IdChains } from './id-chains.js';
import { HOUR_MS, hourOf } from './layout.js';

/**
 * Trades waiting for the next lake commit, kept as typed-array columns per series (venue,
 * symbol) and hour, in the order they were consumed: no object per trade, and the columns go to
 * DuckDB as whole vectors. Each series-hour also notes whether its rows came in silver's sort
 * order, and whether their integer ids kept rising above every id the writer staged for that
 * series-hour before (`IdChains`), so a commit can skip the sort, and a seal the duplicate
 * count, when the feed was in order (as exchange feeds are).
 */
const CHUNK_ROWS = 2048;
/**
 * A series-hour's first chunk holds this many rows, and each next one twice as many up to
 * `CHUNK_ROWS`: with thousands of quiet series, a full-size chunk each (108 KB) was 2 GB of
 * columns holding a few rows apiece.
 */
const FIRST_CHUNK_ROWS = 32;
/** Full-size chunks kept for reuse after a commit, at most (about 27 MB). */
const MAX_FREE_CHUNKS = 256;

export interface StagedChunk {
  rows: number;
  /** The id where it is a plain integer; `NaN` where the id is in `texts`. */
  idNum: Float64Array<ArrayBuffer>;
  ts: Float64Array<ArrayBuffer>;
  price: Float64Array<ArrayBuffer>;
  qty: Float64Array<ArrayBuffer>;
  recvTs: Float64Array<ArrayBuffer>;
  count: Int32Array<ArrayBuffer>;
  /** 1 for a buy (a DuckDB BOOLEAN is one byte). */
  buy: Uint8Array<ArrayBuffer>;
  /** Ids that are not plain integers, by row. */
  texts: Map<number, string> | undefined;
}

export interface SeriesHour {
  venue: string;
  symbol: string;
  hourTs: UnixMs;
  rows: number;
  chunks: StagedChunk[];
  /** Rows came in silver's order: by `ts`, then by integer id. */
  sorted: boolean;
  /**
   * Every id is a plain integer above every id staged before it for this series-hour in this
   * writer run (its `IdChains`): no duplicate among these rows, nor with earlier parts so made.
   */
  strictIds: boolean;
  /** The last row's `ts` and integer id (`+Infinity` after a text id), for `sorted`. */
  lastTs: UnixMs;
  lastId: number;
  /** The largest integer id staged for this series-hour by this writer run. */
  chain: { maxId: number };
  /** Rows of its last chunk (0 before the first): the next is twice as large. */
  lastCapacity: number;
}

export interface TradeStaging {
  /** Stages trades handed over as objects. */
  pushTrade(t: Trade): void;
  /** Stages trades as `readTradeFields` reads them from the log. */
  pushFields(f: TradeFields): void;
  rows(): number;
  /** Per venue, the largest `ts` staged since the last call (the venues that had trades since). */
  takeVenueMaxTs(): Map<string, UnixMs>;
  /** The staged series-hours, by venue, hour and symbol. */
  seriesHours(): SeriesHour[];
  clear(): void;
}

function newChunk(capacity: number): StagedChunk {
  return {
    rows: 0,
    idNum: new Float64Array(capacity),
    ts: new Float64Array(capacity),
    price: new Float64Array(capacity),
    qty: new Float64Array(capacity),
    recvTs: new Float64Array(capacity),
    count: new Int32Array(capacity),
    buy: new Uint8Array(capacity),
    texts: undefined,
  };
}

/**
 * Keeps a chunk that is done with for the next trades staged, when it is full-size (a busy
 * series needs one again) and the free list has room; small ones, of quiet series, go.
 */
function recycle(free: StagedChunk[], chunk: StagedChunk): void {
  if (chunk.ts.length !== CHUNK_ROWS || free.length >= MAX_FREE_CHUNKS) return;
  chunk.rows = 0;
  chunk.texts = undefined;
  free.push(chunk);
}

/** The series-hours of `venues`, in no particular order. */
function allSeriesHours(venues: ReadonlyMap<string, VenueSeries>): SeriesHour[] {
  const out: SeriesHour[] = [];
  for (const { bySymbol } of venues.values()) {
    for (const { hours } of bySymbol.values()) out.push(...hours.values());
  }
  return out;
}

/** The series-hours of `venues`, by venue, hour and symbol. */
function sortedSeriesHours(venues: ReadonlyMap<string, VenueSeries>): SeriesHour[] {
  return allSeriesHours(venues).sort(
    (a, b) => compareText(a.venue, b.venue) || a.hourTs - b.hourTs || compareText(a.symbol, b.symbol),
  );
}

/** A decimal id below 2^53 without leading zeros as a number (as the log codec reads it), else `NaN`. */
function plainIntegerId(id: string): number {
  const n = id.length;
  if (n < 1 || n > 15 || (n > 1 && id.charCodeAt(0) === 48)) return Number.NaN;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
  }
  return Number(id);
}

interface VenueSeries {
  /** Per symbol: its hours, and the one written last. */
  bySymbol: Map<string, { last: SeriesHour; hours: Map<UnixMs, SeriesHour> }>;
  /** The largest `ts` since `takeVenueMaxTs`; `-Infinity` when none. */
  maxTs: UnixMs;
}

/**
 * `take`: offered each chunk once it is full, and a series' last chunk of an hour once the
 * series has moved to another hour; when it returns true (it copied the rows elsewhere), the
 * chunk leaves the staging (its columns are reused) while its rows still count.
 */
export function createTradeStaging(
  chains: IdChains,
  take?: (hour: SeriesHour, chunk: StagedChunk) => boolean,
): TradeStaging {
  let venues = new Map<string, VenueSeries>();
  const free: StagedChunk[] = [];
  let lastVenueName = '';
  let lastVenue: VenueSeries | undefined;
  let total = 0;

  const venueSeries = (venue: string): VenueSeries => {
    if (venue === lastVenueName && lastVenue !== undefined) return lastVenue;
    let state = venues.get(venue);
    if (state === undefined) {
      state = { bySymbol: new Map(), maxTs: Number.NEGATIVE_INFINITY };
      venues.set(venue, state);
    }
    lastVenueName = venue;
    lastVenue = state;
    return state;
  };

  /** Offers `hour`'s last chunk to `take`; recycles it when taken. */
  const offer = (hour: SeriesHour): void => {
    const chunk = hour.chunks[hour.chunks.length - 1];
    if (take === undefined || chunk === undefined || chunk.rows === 0 || !take(hour, chunk)) return;
    hour.chunks.pop();
    recycle(free, chunk);
  };

  const seriesHour = (state: VenueSeries, venue: string, symbol: string, ts: UnixMs): SeriesHour => {
    const known = state.bySymbol.get(symbol);
    if (known !== undefined && ts >= known.last.hourTs && ts < known.last.hourTs + HOUR_MS) return known.last;
    const hourTs = hourOf(ts);
    let hour = known?.hours.get(hourTs);
    if (hour === undefined) {
      hour = {
        venue,
        symbol,
        hourTs,
        rows: 0,
        chunks: [],
        sorted: true,
        strictIds: true,
        lastTs: Number.NEGATIVE_INFINITY,
        lastId: Number.NEGATIVE_INFINITY,
        chain: chains.chainOf(venue, symbol, hourTs),
        lastCapacity: 0,
      };
      if (known === undefined) state.bySymbol.set(symbol, { last: hour, hours: new Map([[hourTs, hour]]) });
      else known.hours.set(hourTs, hour);
    }
    if (known !== undefined) {
      if (known.last !== hour) offer(known.last);
      known.last = hour;
    }
    return hour;
  };

  const push = (
    venue: string,
    symbol: string,
    idNum: number,
    idText: string,
    ts: UnixMs,
    price: number,
    qty: number,
    buy: boolean,
    count: number,
    recvTs: UnixMs,
  ): void => {
    const state = venueSeries(venue);
    if (ts > state.maxTs) state.maxTs = ts;
    const hour = seriesHour(state, venue, symbol, ts);
    let chunk = hour.chunks[hour.chunks.length - 1];
    if (chunk === undefined || chunk.rows === chunk.ts.length) {
      const capacity =
        hour.lastCapacity === 0 ? FIRST_CHUNK_ROWS : Math.min(CHUNK_ROWS, hour.lastCapacity * 2);
      chunk = (capacity === CHUNK_ROWS ? free.pop() : undefined) ?? newChunk(capacity);
      hour.chunks.push(chunk);
      hour.lastCapacity = capacity;
    }
    const row = chunk.rows++;
    chunk.idNum[row] = idNum;
    chunk.ts[row] = ts;
    chunk.price[row] = price;
    chunk.qty[row] = qty;
    chunk.recvTs[row] = recvTs;
    chunk.count[row] = count;
    chunk.buy[row] = buy ? 1 : 0;
    if (Number.isNaN(idNum)) {
      chunk.texts ??= new Map();
      chunk.texts.set(row, idText);
      hour.strictIds = false;
      if (ts <= hour.lastTs) hour.sorted = false;
      // Silver orders a text id after every integer id of the same `ts`.
      hour.lastId = Number.POSITIVE_INFINITY;
    } else {
      if (ts < hour.lastTs || (ts === hour.lastTs && !(idNum > hour.lastId))) hour.sorted = false;
      hour.lastId = idNum;
      if (idNum > hour.chain.maxId) hour.chain.maxId = idNum;
      else hour.strictIds = false;
    }
    hour.lastTs = ts;
    hour.rows++;
    total++;
    if (chunk.rows === chunk.ts.length) offer(hour);
  };

  return {
    pushTrade(t) {
      const idNum = plainIntegerId(t.tradeId);
      push(
        t.venue,
        t.symbol,
        idNum,
        Number.isNaN(idNum) ? t.tradeId : '',
        t.ts,
        t.price,
        t.qty,
        t.side === 'buy',
        t.count,
        t.recvTs,
      );
    },
    pushFields(f) {
      push(f.venue, f.symbol, f.idNum, f.idText, f.ts, f.price, f.qty, f.buy, f.count, f.recvTs);
    },
    rows: () => total,
    takeVenueMaxTs() {
      const out = new Map<string, UnixMs>();
      for (const [name, state] of venues) {
        if (state.maxTs === Number.NEGATIVE_INFINITY) continue;
        out.set(name, state.maxTs);
        state.maxTs = Number.NEGATIVE_INFINITY;
      }
      return out;
    },
    seriesHours: () => sortedSeriesHours(venues),
    clear() {
      for (const hour of allSeriesHours(venues)) for (const chunk of hour.chunks) recycle(free, chunk);
      venues = new Map();
      lastVenue = undefined;
      total = 0;
    },
  };
}
