import type { Candle, Interval, UnixMs } from '../../domain/index.js';
import { CryptoLambdaError, INTERVAL_MS } from '../../domain/index.js';
import { SPEED_ERRORS } from '../errors.js';
import { type Bucket, bucketFromState, bucketToState, toCandle } from './bucket.js';
import { type Lane, newLane, refreshLane } from './lane.js';
import type { OpenInterest } from './options.js';
import { asCurrentState, type CandleOperatorState, type SeriesState } from './snapshot.js';

/** The candle operator's series: their lanes, index, snapshot form and clock readings. */

/** What the operator knows of one series' time (`clockOf`). */
export interface SeriesClockReading {
  /** The largest event time seen: the newest trade's. */
  maxTs: UnixMs;
  /** `maxTs − maxOutOfOrdernessMs`. */
  watermarkTs: UnixMs;
  /** The close of the series' newest bucket: its last price by `(ts, tradeId)`. */
  lastPrice: number;
  /** The open time of the oldest 1m (finest) bucket in state that took trades; null when none has. */
  firstTradeTs: UnixMs | null;
  /** The intervals with a bucket in state. */
  intervals: Interval[];
}

export interface Series {
  readonly venue: string;
  readonly symbol: string;
  /** Changed since the last snapshot or `changes` (it is then in `changed`). */
  changed: boolean;
  maxTs: number;
  /** The closing clock set by `onWallClock` / `flush` for this series; -Infinity until then. */
  floorTs: number;
  readonly lanes: Lane[];
  /** The `OpenInterest.version` its lanes' `wantsOpen` were read at; -1: never. */
  interestVersion: number;
}

export function newLanes(intervals: readonly Interval[]): Lane[] {
  return intervals.map((interval) => newLane(interval, INTERVAL_MS[interval]));
}

export function firstOpenOf(lane: Lane): number {
  const index = lane.buckets.findIndex((b) => !b.closed);
  return index < 0 ? lane.buckets.length : index;
}

/** The lane invariants the operator relies on: aligned, contiguous, closed buckets first. */
export function checkLane(lane: Lane, where: string): void {
  const ms = lane.intervalMs;
  const firstOpen = firstOpenOf(lane);
  lane.buckets.forEach((b, i) => {
    const first = lane.buckets[0]?.openTime ?? 0;
    if (b.openTime % ms !== 0 || b.openTime !== first + i * ms || b.closed !== i < firstOpen) {
      throw new CryptoLambdaError(
        SPEED_ERRORS.badSnapshot,
        `${where}: buckets are not contiguous and aligned`,
      );
    }
  });
}

/** The series by (venue, symbol), and in the order first seen (which orders wall-clock outputs). */
export interface SeriesIndex {
  readonly all: Series[];
  get(venue: string, symbol: string): Series | undefined;
  add(s: Series): Series;
}

export function createSeriesIndex(): SeriesIndex {
  const all: Series[] = [];
  const byVenue = new Map<string, Map<string, Series>>();
  // A stream of trades repeats a series many times in a row.
  let last: Series | undefined;
  return {
    all,
    get(venue, symbol) {
      if (last !== undefined && last.symbol === symbol && last.venue === venue) return last;
      const found = byVenue.get(venue)?.get(symbol);
      if (found !== undefined) last = found;
      return found;
    },
    add(s) {
      let bySymbol = byVenue.get(s.venue);
      if (bySymbol === undefined) {
        bySymbol = new Map();
        byVenue.set(s.venue, bySymbol);
      }
      bySymbol.set(s.symbol, s);
      all.push(s);
      last = s;
      return s;
    },
  };
}

/** The series, each marked not changed since (the operator has just written them out). */
export function untouched(series: Series[]): Series[] {
  for (const s of series) s.changed = false;
  return series;
}

/** Whether anybody wants `lane`'s `open` updates; asks `interest` again only when its version changed. */
export function wantsOpenUpdates(s: Series, lane: Lane, interest: OpenInterest | undefined): boolean {
  if (interest === undefined) return true;
  const version = interest.version();
  if (s.interestVersion !== version) {
    s.interestVersion = version;
    for (const l of s.lanes) l.wantsOpen = interest.wants(s.venue, s.symbol, l.interval);
  }
  return lane.wantsOpen;
}

export interface PendingOpen {
  s: Series;
  lane: Lane;
  bucket: Bucket;
}

/** Emits the `open` state of the pending buckets still open. */
export function drainPending(pending: readonly PendingOpen[], emit: (candle: Candle) => void): void {
  for (const { s, lane, bucket } of pending) {
    bucket.openPending = false;
    // A bucket closed since then went out with its final state when it closed.
    if (bucket.closed) continue;
    emit(toCandle(s.venue, s.symbol, lane.interval, lane.intervalMs, bucket, 'open'));
  }
}

/** A series of a snapshot, with its lanes checked; lanes match by interval (one added since starts empty). */
export function restoreSeries(saved: SeriesState, intervals: readonly Interval[]): Series {
  const lanes = newLanes(intervals);
  for (const lane of lanes) {
    const savedLane = saved.lanes.find((l) => l.interval === lane.interval);
    if (savedLane === undefined) continue;
    lane.buckets = savedLane.buckets.map(bucketFromState);
    lane.firstOpen = firstOpenOf(lane);
    checkLane(lane, `${saved.venue}:${saved.symbol}:${lane.interval}`);
    refreshLane(lane);
  }
  return {
    venue: saved.venue,
    symbol: saved.symbol,
    changed: false,
    maxTs: saved.maxTs,
    floorTs: saved.floorTs ?? Number.NEGATIVE_INFINITY,
    lanes,
    interestVersion: -1,
  };
}

export function readClock(s: Series, maxOutOfOrdernessMs: number): SeriesClockReading {
  const lane = s.lanes[0] as Lane;
  return {
    maxTs: s.maxTs,
    watermarkTs: s.maxTs - maxOutOfOrdernessMs,
    lastPrice: lane.buckets[lane.buckets.length - 1]?.close ?? Number.NaN,
    firstTradeTs: lane.buckets.find((b) => b.trades > 0)?.openTime ?? null,
    intervals: s.lanes.filter((l) => l.buckets.length > 0).map((l) => l.interval),
  };
}

export function openCandlesOfLane(venue: string, symbol: string, lane: Lane): Candle[] {
  const out: Candle[] = [];
  for (let i = lane.firstOpen; i < lane.buckets.length; i++) {
    out.push(toCandle(venue, symbol, lane.interval, lane.intervalMs, lane.buckets[i] as Bucket, 'open'));
  }
  return out;
}

export function seriesToState(s: Series): SeriesState {
  return {
    venue: s.venue,
    symbol: s.symbol,
    maxTs: s.maxTs,
    floorTs: Number.isFinite(s.floorTs) ? s.floorTs : null,
    lanes: s.lanes.map((lane) => ({ interval: lane.interval, buckets: lane.buckets.map(bucketToState) })),
  };
}

/** Bucket count, first open bucket and first open time of every lane, as one comparable string. */
export function lanesShape(lanes: readonly Lane[]): string {
  let shape = '';
  for (const lane of lanes) shape += `${lane.buckets.length},${lane.firstOpen},${lane.buckets[0]?.openTime};`;
  return shape;
}

/** A snapshot with `changes` folded in: changed series replaced where they were, new ones appended in order. */
export function mergeStates(saved: CandleOperatorState, changes: CandleOperatorState): CandleOperatorState {
  // A checkpoint written before the upgrade holds a version 1 snapshot.
  const base = asCurrentState(saved);
  const at = new Map(base.series.map((s, i) => [`${s.venue}\u0000${s.symbol}`, i]));
  const series = base.series.slice();
  for (const s of changes.series) {
    const i = at.get(`${s.venue}\u0000${s.symbol}`);
    if (i === undefined) {
      at.set(`${s.venue}\u0000${s.symbol}`, series.length);
      series.push(s);
    } else series[i] = s;
  }
  return { version: 2, counters: changes.counters, series };
}
