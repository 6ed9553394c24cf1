import type { Candle, Interval, Trade, UnixMs } from '../../domain/index.js';
import type { OperatorDef, OperatorInstance } from '../operator.js';
import { toCandle } from './bucket.js';
import { type Lane, type LaneContext, laneAdvance, laneTrade } from './lane.js';
import { CANDLE_OPERATOR_DEFAULTS, type CandleOperatorOptions, resolveCandleOptions } from './options.js';
import {
  createSeriesIndex,
  drainPending,
  lanesShape,
  mergeStates,
  newLanes,
  openCandlesOfLane,
  type PendingOpen,
  readClock,
  restoreSeries,
  type Series,
  type SeriesClockReading,
  seriesToState,
  untouched,
  wantsOpenUpdates,
} from './series.js';
import { type CandleCounters, type CandleOperatorState, checkOperatorState } from './snapshot.js';

export type { SeriesClockReading } from './series.js';

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
   * trades since the last drain, of the series `openInterest` wants (all without it). Nobody
   * needs an `open` candle object of a series no one watches: a view reads open buckets with
   * `openCandlesOf`.
   */
  drainOpen(emit: (candle: Candle) => void): void;
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

/** Builds a candle operator instance; options are merged over `CANDLE_OPERATOR_DEFAULTS`. */
export function createCandleOperator(options: Partial<CandleOperatorOptions> = {}): CandleOperatorInstance {
  const {
    intervals,
    maxOutOfOrdernessMs,
    allowedLatenessMs,
    idleCloseMs,
    liveHorizonMs,
    openUpdates,
    openInterest,
  } = resolveCandleOptions(options);
  let pendingOpen: PendingOpen[] = [];
  let known = createSeriesIndex();
  let counters: CandleCounters = { tradesProcessed: 0, lateDropped: 0, revised: 0 };
  let changed: Series[] = [];
  const markChanged = (s: Series): void => {
    if (!s.changed) changed.push(s);
    s.changed = true;
  };
  const takeChanged = (): Series[] => untouched(changed.splice(0));
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
            const s = currentSeries as Series;
            if (bucket.openPending || !wantsOpenUpdates(s, lane, openInterest)) return;
            bucket.openPending = true;
            pendingOpen.push({ s, lane, bucket });
          },
  };
  let currentSeries: Series | undefined;

  function seriesOf(trade: Trade): Series {
    return (
      known.get(trade.venue, trade.symbol) ??
      known.add({
        venue: trade.venue,
        symbol: trade.symbol,
        changed: false,
        maxTs: trade.ts,
        floorTs: Number.NEGATIVE_INFINITY,
        lanes: newLanes(intervals),
        interestVersion: -1,
      })
    );
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
    for (const s of known.all) {
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

    drainOpen(emit) {
      const pending = pendingOpen;
      pendingOpen = [];
      drainPending(pending, emit);
    },

    openCandlesOf(venue, symbol, interval) {
      const lane = known.get(venue, symbol)?.lanes.find((l) => l.interval === interval);
      return lane === undefined ? [] : openCandlesOfLane(venue, symbol, lane);
    },

    seriesFrom: (from) => known.all.slice(from),

    openCandles(emit) {
      for (const s of known.all) {
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
      known.all.map((s) => ({
        venue: s.venue,
        symbol: s.symbol,
        watermarkTs: s.maxTs - maxOutOfOrdernessMs,
      })),

    clockOf(venue, symbol) {
      const s = known.get(venue, symbol);
      return s === undefined ? undefined : readClock(s, maxOutOfOrdernessMs);
    },

    snapshot() {
      takeChanged();
      return { version: 2, counters: { ...counters }, series: known.all.map(seriesToState) };
    },

    changes() {
      const out = takeChanged().map(seriesToState);
      return out.length === 0 ? undefined : { version: 2, counters: { ...counters }, series: out };
    },

    merge: mergeStates,

    restore(state) {
      const checked = checkOperatorState(state);
      changed = [];
      known = createSeriesIndex();
      counters = { ...checked.counters };
      ctx.counters = counters;
      for (const saved of checked.series) known.add(restoreSeries(saved, intervals));
    },
  };
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
