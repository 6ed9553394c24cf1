import type { Candle, Interval, Trade, UnixMs } from '../../domain/index.js';
import { CryptoLambdaError, INTERVAL_MS } from '../../domain/index.js';
import { SPEED_ERRORS } from '../errors.js';
import type { OperatorDef, OperatorInstance } from '../operator.js';
import { type Bucket, bucketFromState, bucketToState, toCandle } from './bucket.js';
import { type Lane, type LaneContext, laneAdvance, laneTrade } from './lane.js';
import { CANDLE_OPERATOR_DEFAULTS, type CandleOperatorOptions, resolveCandleOptions } from './options.js';
import {
  asCurrentState,
  type CandleCounters,
  type CandleOperatorState,
  checkOperatorState,
  type SeriesState,
} from './snapshot.js';

/** The event-time watermark of one (venue, symbol). */
export interface SeriesWatermark {
  venue: string;
  symbol: string;
  /** The largest event time seen minus `maxOutOfOrdernessMs`. */
  watermarkTs: UnixMs;
}

/** The candle operator's instance: the generic operator plus end of input and observability. */
export interface CandleOperatorInstance extends OperatorInstance<Trade, Candle, CandleOperatorState> {
  /**
   * Live mode: closes, for every series, the buckets whose end + `maxOutOfOrdernessMs` +
   * `idleCloseMs` ≤ `nowMs`, creating the empty buckets of quiet symbols up to then (and the
   * bucket then open, emitted once as `open`). The clock it sets also bounds lateness: a bucket
   * whose end + `allowedLatenessMs` is behind it is dropped from state. Call it only while
   * caught up with the log: on a backlog it would close and drop buckets the backlog still fills.
   */
  onWallClock(nowMs: UnixMs, emit: (candle: Candle) => void): void;
  /**
   * With `openUpdates: 'on-drain'`: emits the latest `open` state of every bucket that took
   * trades since the last drain, of the series `wants` (all without it). Nobody needs an `open`
   * candle object of a series no one watches: a view reads open buckets with `openCandlesOf`.
   */
  drainOpen(
    emit: (candle: Candle) => void,
    wants?: (venue: string, symbol: string, interval: Interval) => boolean,
  ): void;
  /** The buckets of one series and interval not closed yet, as `open` candles, oldest first. */
  openCandlesOf(venue: string, symbol: string, interval: Interval): Candle[];
  /** The series from the `from`-th on, in the order they were first seen. */
  seriesFrom(from: number): readonly { venue: string; symbol: string }[];
  /** Emits every bucket still open, as `open`: a view rebuilt after a restart gets the live candles too. */
  openCandles(emit: (candle: Candle) => void): void;
  /**
   * End of input (a file, a replay): closes every bucket whose end ≤ `untilTs` in every
   * series, creating empty buckets up to there, as if every watermark had reached `untilTs`.
   * Like the wall clock, it also bounds lateness from then on.
   */
  flush(untilTs: UnixMs, emit: (candle: Candle) => void): void;
  /** Counters since the first snapshot-chained start (they travel in snapshots). */
  counters(): CandleCounters;
  /** Event-time watermarks per (venue, symbol), in first-seen order. */
  watermarks(): SeriesWatermark[];
  /** One series' newest event time and watermark, by key; undefined before its first trade. */
  clockOf(venue: string, symbol: string): SeriesClockReading | undefined;
}

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

interface Series {
  readonly venue: string;
  readonly symbol: string;
  /** Changed since the last snapshot or `changes` (it is then in `changed`). */
  changed: boolean;
  maxTs: number;
  /** The closing clock set by `onWallClock` / `flush` for this series; -Infinity until then. */
  floorTs: number;
  readonly lanes: Lane[];
}

function newLanes(intervals: readonly Interval[]): Lane[] {
  return intervals.map((interval) => ({
    interval,
    intervalMs: INTERVAL_MS[interval],
    buckets: [],
    firstOpen: 0,
  }));
}

function firstOpenOf(lane: Lane): number {
  const index = lane.buckets.findIndex((b) => !b.closed);
  return index < 0 ? lane.buckets.length : index;
}

/** The lane invariants the operator relies on: aligned, contiguous, closed buckets first. */
function checkLane(lane: Lane, where: string): void {
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

/** Builds a candle operator instance; options are merged over `CANDLE_OPERATOR_DEFAULTS`. */
export function createCandleOperator(options: Partial<CandleOperatorOptions> = {}): CandleOperatorInstance {
  const { intervals, maxOutOfOrdernessMs, allowedLatenessMs, idleCloseMs, liveHorizonMs, openUpdates } =
    resolveCandleOptions(options);
  let pendingOpen: { s: Series; lane: Lane; bucket: Bucket }[] = [];
  let series: Series[] = [];
  let byVenue = new Map<string, Map<string, Series>>();
  let counters: CandleCounters = { tradesProcessed: 0, lateDropped: 0, revised: 0 };
  let lastSeries: Series | undefined;
  let changed: Series[] = [];
  const markChanged = (s: Series): void => {
    if (s.changed) return;
    s.changed = true;
    changed.push(s);
  };
  const noop = (): void => {};
  // One mutable context reused by every lane call: the hot path allocates only emitted candles.
  const ctx: LaneContext = {
    venue: '',
    symbol: '',
    allowedLatenessMs,
    counters,
    emit: noop,
    openUpdate:
      openUpdates === 'each-trade'
        ? (lane, bucket) =>
            ctx.emit(toCandle(ctx.venue, ctx.symbol, lane.interval, lane.intervalMs, bucket, 'open'))
        : (lane, bucket) => {
            if (bucket.openPending === true) return;
            bucket.openPending = true;
            pendingOpen.push({ s: currentSeries as Series, lane, bucket });
          },
  };
  let currentSeries: Series | undefined;

  function index(s: Series): void {
    let bySymbol = byVenue.get(s.venue);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      byVenue.set(s.venue, bySymbol);
    }
    bySymbol.set(s.symbol, s);
    series.push(s);
  }

  function seriesOf(trade: Trade): Series {
    if (lastSeries !== undefined && lastSeries.symbol === trade.symbol && lastSeries.venue === trade.venue) {
      return lastSeries;
    }
    let s = byVenue.get(trade.venue)?.get(trade.symbol);
    if (s === undefined) {
      s = {
        venue: trade.venue,
        symbol: trade.symbol,
        changed: false,
        maxTs: trade.ts,
        floorTs: Number.NEGATIVE_INFINITY,
        lanes: newLanes(intervals),
      };
      index(s);
    }
    lastSeries = s;
    return s;
  }

  function bind(s: Series, emit: (candle: Candle) => void): LaneContext {
    currentSeries = s;
    ctx.venue = s.venue;
    ctx.symbol = s.symbol;
    ctx.emit = emit;
    return ctx;
  }

  /** Advances the closing clock of every series whose newest trade is at or after `sinceTs`. */
  function advanceAll(clockTs: number, sinceTs: number, emit: (candle: Candle) => void): void {
    for (const s of series) {
      if (s.maxTs < sinceTs) continue;
      if (clockTs > s.floorTs) s.floorTs = clockTs;
      const c = bind(s, emit);
      const seriesClock = Math.max(s.maxTs - maxOutOfOrdernessMs, s.floorTs);
      // The clock alone is not worth a checkpoint write (the next tick sets it again); what it
      // created, closed or dropped is.
      const before = lanesShape(s.lanes);
      for (const lane of s.lanes) laneAdvance(lane, seriesClock, c);
      if (!s.changed && lanesShape(s.lanes) !== before) markChanged(s);
    }
    ctx.emit = noop;
  }

  return {
    process(trade, emit) {
      counters.tradesProcessed++;
      const s = seriesOf(trade);
      markChanged(s);
      if (trade.ts > s.maxTs) s.maxTs = trade.ts;
      const eventClock = s.maxTs - maxOutOfOrdernessMs;
      const clockTs = Math.max(eventClock, s.floorTs);
      const c = bind(s, emit);
      let dropped = false;
      const { lanes } = s;
      for (let i = 0; i < lanes.length; i++) {
        if (!laneTrade(lanes[i] as Lane, trade, clockTs, c)) dropped = true;
      }
      if (dropped) counters.lateDropped++;
      ctx.emit = noop;
    },

    drainOpen(emit, wants) {
      const pending = pendingOpen;
      pendingOpen = [];
      for (const { s, lane, bucket } of pending) {
        bucket.openPending = false;
        // A bucket closed since then went out with its final state when it closed.
        if (bucket.closed || (wants !== undefined && !wants(s.venue, s.symbol, lane.interval))) continue;
        emit(toCandle(s.venue, s.symbol, lane.interval, lane.intervalMs, bucket, 'open'));
      }
    },

    openCandlesOf(venue, symbol, interval) {
      const s = byVenue.get(venue)?.get(symbol);
      const lane = s?.lanes.find((l) => l.interval === interval);
      if (s === undefined || lane === undefined) return [];
      const out: Candle[] = [];
      for (let i = lane.firstOpen; i < lane.buckets.length; i++) {
        out.push(toCandle(venue, symbol, interval, lane.intervalMs, lane.buckets[i] as Bucket, 'open'));
      }
      return out;
    },

    seriesFrom: (from) => series.slice(from),

    openCandles(emit) {
      for (const s of series) {
        for (const lane of s.lanes) {
          for (const b of lane.buckets) {
            if (!b.closed) emit(toCandle(s.venue, s.symbol, lane.interval, lane.intervalMs, b, 'open'));
          }
        }
      }
    },

    onWallClock(nowMs, emit) {
      // Only series trading near the wall clock are live; a replay of old data (whose event
      // time is far behind) keeps closing on event time alone, even beside a live source.
      advanceAll(nowMs - maxOutOfOrdernessMs - idleCloseMs, nowMs - liveHorizonMs, emit);
    },

    flush(untilTs, emit) {
      advanceAll(untilTs, Number.NEGATIVE_INFINITY, emit);
    },

    counters: () => ({ ...counters }),

    watermarks: () =>
      series.map((s) => ({ venue: s.venue, symbol: s.symbol, watermarkTs: s.maxTs - maxOutOfOrdernessMs })),

    clockOf(venue, symbol) {
      const s = byVenue.get(venue)?.get(symbol);
      if (s === undefined) return undefined;
      const lane = s.lanes[0] as Lane;
      return {
        maxTs: s.maxTs,
        watermarkTs: s.maxTs - maxOutOfOrdernessMs,
        lastPrice: lane.buckets[lane.buckets.length - 1]?.close ?? Number.NaN,
        firstTradeTs: lane.buckets.find((b) => b.trades > 0)?.openTime ?? null,
        intervals: s.lanes.filter((l) => l.buckets.length > 0).map((l) => l.interval),
      };
    },

    snapshot() {
      for (const s of changed) s.changed = false;
      changed = [];
      return { version: 2, counters: { ...counters }, series: series.map(seriesToState) };
    },

    changes() {
      if (changed.length === 0) return undefined;
      const out = changed.map(seriesToState);
      for (const s of changed) s.changed = false;
      changed = [];
      return { version: 2, counters: { ...counters }, series: out };
    },

    merge: mergeStates,

    restore(state) {
      const checked = checkOperatorState(state);
      changed = [];
      series = [];
      byVenue = new Map();
      lastSeries = undefined;
      counters = { ...checked.counters };
      ctx.counters = counters;
      for (const saved of checked.series) {
        // Lanes match by interval: an interval added since the snapshot starts with the next trade.
        const lanes = newLanes(intervals);
        for (const lane of lanes) {
          const savedLane = saved.lanes.find((l) => l.interval === lane.interval);
          if (savedLane === undefined) continue;
          lane.buckets = savedLane.buckets.map(bucketFromState);
          lane.firstOpen = firstOpenOf(lane);
          checkLane(lane, `${saved.venue}:${saved.symbol}:${lane.interval}`);
        }
        const floorTs = saved.floorTs ?? Number.NEGATIVE_INFINITY;
        index({
          venue: saved.venue,
          symbol: saved.symbol,
          changed: false,
          maxTs: saved.maxTs,
          floorTs,
          lanes,
        });
      }
    },
  };
}

function seriesToState(s: Series): SeriesState {
  return {
    venue: s.venue,
    symbol: s.symbol,
    maxTs: s.maxTs,
    floorTs: Number.isFinite(s.floorTs) ? s.floorTs : null,
    lanes: s.lanes.map((lane) => ({ interval: lane.interval, buckets: lane.buckets.map(bucketToState) })),
  };
}

/** Bucket count, first open bucket and first open time of every lane, as one comparable string. */
function lanesShape(lanes: readonly Lane[]): string {
  let shape = '';
  for (const lane of lanes) shape += `${lane.buckets.length},${lane.firstOpen},${lane.buckets[0]?.openTime};`;
  return shape;
}

/** A snapshot with `changes` folded in: changed series replaced where they were, new ones appended in order. */
function mergeStates(saved: CandleOperatorState, changes: CandleOperatorState): CandleOperatorState {
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

/** The candle operator as a plain definition (ARCHITECTURE.md §4, §5; STYLE.md 8). */
export const CANDLE_OPERATOR: OperatorDef<Trade, Candle, CandleOperatorOptions, CandleOperatorState> & {
  create(options: CandleOperatorOptions): CandleOperatorInstance;
} = {
  name: 'candles',
  input: 'trades',
  output: 'candles',
  defaults: CANDLE_OPERATOR_DEFAULTS,
  create: (options) => createCandleOperator(options),
};
