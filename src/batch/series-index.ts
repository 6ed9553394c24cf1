import { existsSync } from 'node:fs';
import {
  compareSeries,
  compareText,
  INTERVALS,
  type Interval,
  type SymbolInfo,
  symbolKey,
  type UnixMs,
} from '../domain/index.js';
import { dayStart, HOUR_MS, type LakeReader, readParquetSql } from '../lake/index.js';
import type { GoldRow } from './gold-row.js';
import type { BatchScheduler } from './scheduler.js';

/** What the gold candles hold of one series, and its batch watermark. */
export interface GoldSeries {
  info: SymbolInfo;
  /**
   * The end of the last hour of this series that every batch job has processed (ARCHITECTURE.md
   * §5): its candles before it are served from gold. Undefined while no day of it is processed.
   */
  watermarkTs: UnixMs | undefined;
  /** UTC days whose candles file holds the series, oldest first. */
  days: string[];
}

/** Every series of the gold candles, by key, as of one version of the run history. */
export interface SeriesIndex {
  /** By `venue\0symbol`. */
  series: ReadonlyMap<string, GoldSeries>;
  /** By `symbolKey(symbol)`, by venue. */
  byKey: ReadonlyMap<string, SymbolInfo[]>;
  venues: ReadonlySet<string>;
  /** By venue then symbol. */
  sorted: readonly SymbolInfo[];
}

/** One series in one day's candles file. */
interface DaySeries {
  venue: string;
  symbol: string;
  intervals: Interval[];
  /** Open time of its first 1m candle with trades that day, if any. */
  firstOpen: UnixMs | null;
  /** Exclusive end of its 1m candles that day. */
  endTs: UnixMs;
  /** Close of its last 1m candle that day. */
  lastClose: number;
}

export const seriesId = (venue: string, symbol: string): string => `${venue}\u0000${symbol}`;

/**
 * Keeps a `SeriesIndex` of the gold candles, rebuilt when the run history changes (each day's
 * file read once per run of it), so that every lookup a request makes is by key. Concurrent
 * callers during a rebuild share it.
 */
export function createSeriesIndexer(
  scheduler: BatchScheduler,
  lake: LakeReader,
  query: (sql: string) => Promise<GoldRow[]>,
): { current(): Promise<SeriesIndex> } {
  const ofDay = new Map<string, DaySeries[]>();
  let built: { version: string; index: SeriesIndex } | undefined;
  let building: { version: string; promise: Promise<SeriesIndex> } | undefined;

  const build = async (): Promise<SeriesIndex> => {
    const series = new Map<string, GoldSeries>();
    /** Per series, whether its watermark still advances (every earlier day processed to its end). */
    const open = new Set<string>();
    const keys = new Set<string>();
    for (const date of lake.dates()) {
      const path = lake.goldPath('candles', date);
      const run = scheduler.history.last('candles', date);
      if (run === undefined || !existsSync(path)) continue;
      const key = `${path}|${run.id}`;
      keys.add(key);
      let day = ofDay.get(key);
      if (day === undefined) {
        day = await readDay(query, path);
        ofDay.set(key, day);
      }
      const processed = scheduler.processedUntilTs(date);
      for (const d of day) addDay(series, open, d, date, processed);
    }
    for (const key of ofDay.keys()) if (!keys.has(key)) ofDay.delete(key);
    return indexOf(series);
  };

  return {
    async current() {
      const runs = scheduler.history.all();
      const version = `${runs.length}|${runs.at(-1)?.id}`;
      if (built?.version === version) return built.index;
      if (building?.version !== version) {
        const promise = build();
        building = { version, promise };
        promise.then(
          (index) => {
            if (building?.promise === promise) building = undefined;
            built = { version, index };
          },
          () => {
            if (building?.promise === promise) building = undefined;
          },
        );
      }
      return building.promise;
    },
  };
}

/** The series of one day's candles file, and what the index keeps of each. */
async function readDay(query: (sql: string) => Promise<GoldRow[]>, path: string): Promise<DaySeries[]> {
  const rows = await query(
    `SELECT venue, symbol, list(DISTINCT interval) AS intervals,
       min(open_time) FILTER (WHERE interval = '1m' AND trades > 0) AS first_open,
       max(close_time) FILTER (WHERE interval = '1m') AS last_close_time,
       arg_max(close, open_time) FILTER (WHERE interval = '1m') AS last_close
     FROM ${readParquetSql(path)} GROUP BY venue, symbol`,
  );
  return rows.flatMap((r) =>
    r['last_close_time'] === null
      ? []
      : [
          {
            venue: String(r['venue']),
            symbol: String(r['symbol']),
            intervals: INTERVALS.filter((i) => (r['intervals'] as unknown[]).includes(i)),
            firstOpen: r['first_open'] === null ? null : Number(r['first_open']),
            endTs: Number(r['last_close_time']) + 1,
            lastClose: Number(r['last_close']),
          },
        ],
  );
}

/**
 * Adds one day of a series, days in order. Its watermark moves to the end of its candles that day
 * when every job has processed the day that far; else to the last hour processed, and stops there.
 */
function addDay(
  series: Map<string, GoldSeries>,
  open: Set<string>,
  d: DaySeries,
  date: string,
  processedTs: UnixMs,
): void {
  const id = seriesId(d.venue, d.symbol);
  let s = series.get(id);
  if (s === undefined) {
    s = {
      info: {
        venue: d.venue,
        symbol: d.symbol,
        intervals: [],
        firstTradeTs: d.firstOpen,
        lastTradeTs: null,
        lastPrice: d.lastClose,
      },
      watermarkTs: undefined,
      days: [],
    };
    series.set(id, s);
    open.add(id);
  }
  const { info } = s;
  info.intervals = INTERVALS.filter((i) => info.intervals.includes(i) || d.intervals.includes(i));
  if (info.firstTradeTs === null) info.firstTradeTs = d.firstOpen;
  info.lastPrice = d.lastClose;
  s.days.push(date);
  if (!open.has(id)) return;
  if (processedTs >= d.endTs) {
    s.watermarkTs = d.endTs;
    return;
  }
  const hourTs = Math.floor(processedTs / HOUR_MS) * HOUR_MS;
  if (hourTs > dayStart(date)) s.watermarkTs = hourTs;
  open.delete(id);
}

function indexOf(series: Map<string, GoldSeries>): SeriesIndex {
  const byKey = new Map<string, SymbolInfo[]>();
  const venues = new Set<string>();
  const sorted: SymbolInfo[] = [];
  for (const s of series.values()) {
    const key = symbolKey(s.info.symbol);
    const list = byKey.get(key) ?? [];
    list.push(s.info);
    byKey.set(key, list);
    venues.add(s.info.venue);
    sorted.push(s.info);
  }
  for (const list of byKey.values()) list.sort((a, b) => compareText(a.venue, b.venue));
  sorted.sort(compareSeries);
  return { series, byKey, venues, sorted };
}
