import type { Candle, Interval, Trade } from '../../domain/index.js';
import { applyTrade, type Bucket, emptyBucket, fillEmpty, recycleBucket, toCandle } from './bucket.js';
import type { CandleCounters } from './snapshot.js';

/**
 * The buckets of one (venue, symbol, interval) still in state: contiguous (empty buckets
 * included), ascending by open time. Closed buckets form a prefix; `firstOpen` indexes the
 * first bucket not closed (`buckets.length` when all are).
 */
export interface Lane {
  readonly interval: Interval;
  readonly intervalMs: number;
  buckets: Bucket[];
  firstOpen: number;
  /** Somebody wants this lane's `open` updates (see `CandleOperatorOptions.openInterest`). */
  wantsOpen: boolean;
  /*
   * What a trade for the newest bucket needs to know, read from the lane alone (`refreshLane`
   * keeps them after every change of `buckets`). With thousands of series each lane's buckets
   * are cold in the CPU caches; reaching the newest, the first open and the oldest bucket
   * through the array was a chain of misses per lane and trade, a fifth of the main thread.
   */
  /** The newest bucket; undefined when there is none. */
  newest: Bucket | undefined;
  /** Its open time; NaN when there is none. */
  newestOpenTime: number;
  /** End of the first open bucket: a clock before it closes nothing. -Infinity when all are closed. */
  closesAt: number;
  /** End of the oldest bucket: it leaves state once the clock passes this plus the allowed lateness. */
  oldestEnd: number;
}

/** A lane without buckets. */
export function newLane(interval: Interval, intervalMs: number): Lane {
  return {
    interval,
    intervalMs,
    buckets: [],
    firstOpen: 0,
    wantsOpen: true,
    newest: undefined,
    newestOpenTime: Number.NaN,
    closesAt: Number.NEGATIVE_INFINITY,
    oldestEnd: Number.POSITIVE_INFINITY,
  };
}

/** Sets the lane's derived fields from its buckets and `firstOpen`. */
export function refreshLane(lane: Lane): void {
  const { buckets, intervalMs: ms } = lane;
  const newest = buckets[buckets.length - 1];
  lane.newest = newest;
  lane.newestOpenTime = newest === undefined ? Number.NaN : newest.openTime;
  const firstOpen = buckets[lane.firstOpen];
  lane.closesAt = firstOpen === undefined ? Number.NEGATIVE_INFINITY : firstOpen.openTime + ms;
  const oldest = buckets[0];
  lane.oldestEnd = oldest === undefined ? Number.POSITIVE_INFINITY : oldest.openTime + ms;
}

/** What every lane operation needs besides the lane: who it belongs to and where outputs go. */
export interface LaneContext {
  venue: string;
  symbol: string;
  allowedLatenessMs: number;
  counters: CandleCounters;
  emit: (candle: Candle) => void;
  /** The newest bucket took a trade: emit its `open` update now, or mark it for `drainOpen`. */
  openUpdate: (lane: Lane, bucket: Bucket) => void;
}

/**
 * Adds a trade to its bucket, creating the buckets between the series' range and it, then
 * closes what the closing clock has passed, emits what changed and drops what can no longer be
 * revised. Returns false when the trade is too late for this interval (nothing changes).
 */
export function laneTrade(lane: Lane, trade: Trade, clockTs: number, ctx: LaneContext): boolean {
  const ms = lane.intervalMs;
  const openTime = Math.floor(trade.ts / ms) * ms;
  if (openTime + ms + ctx.allowedLatenessMs <= clockTs) return false;
  if (lane.newestOpenTime === openTime && clockTs < lane.closesAt) {
    // Hot path: the trade is for the newest bucket (open: the first open one is not behind the
    // clock) and nothing closes. No cascade (no bucket follows), no walk; only the drop of
    // buckets the clock moved past lateness.
    const last = lane.newest as Bucket;
    applyTrade(last, trade);
    last.emitted = true;
    ctx.openUpdate(lane, last);
    if (lane.oldestEnd + ctx.allowedLatenessMs <= clockTs) settle(lane, lane.firstOpen, clockTs, ctx);
    return true;
  }
  const { buckets } = lane;
  const last = buckets[buckets.length - 1];
  let index: number;
  if (last === undefined) {
    buckets.push(emptyBucket(openTime, trade.price));
    index = 0;
  } else if (openTime > last.openTime) {
    for (let t = last.openTime + ms; t <= openTime; t += ms) buckets.push(emptyBucket(t, last.close));
    index = buckets.length - 1;
  } else {
    const firstOpenTime = (buckets[0] as Bucket).openTime;
    if (openTime >= firstOpenTime) {
      // An integer the engine keeps small (a Smi): a double index makes element access generic.
      index = ((openTime - firstOpenTime) / ms) | 0;
    } else {
      // Before the series' first bucket (no bucket was ever dropped, else this trade would be too
      // late): the gap up to the old first bucket copies this trade's price, the new close.
      const added: Bucket[] = [];
      for (let t = openTime; t < firstOpenTime; t += ms) added.push(emptyBucket(t, trade.price));
      buckets.unshift(...added);
      lane.firstOpen = 0;
      index = 0;
    }
  }
  const bucket = buckets[index] as Bucket;
  if (applyTrade(bucket, trade)) {
    for (let j = index + 1; j < buckets.length; j++) {
      const next = buckets[j] as Bucket;
      if (next.trades !== 0) break;
      if (fillEmpty(next, bucket.close)) next.dirty = true;
    }
  }
  bucket.dirty = true;
  settle(lane, Math.min(index, lane.firstOpen), clockTs, ctx);
  return true;
}

/**
 * Moves a lane to a closing clock without a trade (idle close, end of input): creates the empty
 * buckets up to the one holding `clockTs`, then closes, emits and drops as `laneTrade` does.
 */
export function laneAdvance(lane: Lane, clockTs: number, ctx: LaneContext): void {
  const { buckets } = lane;
  const last = buckets[buckets.length - 1];
  if (last === undefined) return;
  const ms = lane.intervalMs;
  const target = Math.floor(clockTs / ms) * ms;
  for (let t = last.openTime + ms; t <= target; t += ms) buckets.push(emptyBucket(t, last.close));
  settle(lane, lane.firstOpen, clockTs, ctx);
}

function settle(lane: Lane, from: number, clockTs: number, ctx: LaneContext): void {
  const { buckets, interval, intervalMs: ms } = lane;
  const { venue, symbol, emit } = ctx;
  for (let j = from; j < buckets.length; j++) {
    const b = buckets[j] as Bucket;
    if (!b.closed && b.openTime + ms <= clockTs) {
      b.closed = true;
      b.emitted = true;
      b.dirty = false;
      emit(toCandle(venue, symbol, interval, ms, b, 'closed'));
    } else if (b.dirty || !b.emitted) {
      b.dirty = false;
      b.emitted = true;
      if (b.closed) {
        ctx.counters.revised++;
        emit(toCandle(venue, symbol, interval, ms, b, 'revised'));
      } else {
        // An open bucket's update goes the way the operator emits them (at once, or at the next
        // drain): with thousands of series most trades open a bucket, and a candle object for
        // each interval of each, made at once, was most of the operator's garbage.
        ctx.openUpdate(lane, b);
      }
    }
  }
  let firstOpen = from;
  while (firstOpen < buckets.length && (buckets[firstOpen] as Bucket).closed) firstOpen++;
  // A bucket leaves state once it can no longer be revised; the newest one stays as the source
  // of the previous close for the next gap.
  const dropBefore = clockTs - ctx.allowedLatenessMs;
  let drop = 0;
  while (drop < buckets.length - 1 && (buckets[drop] as Bucket).openTime + ms <= dropBefore) drop++;
  if (drop > 0) {
    // A bucket whose `open` update still waits for a drain stays referenced there: not reused.
    for (let k = 0; k < drop; k++) {
      const b = buckets[k] as Bucket;
      if (!b.openPending) recycleBucket(b);
    }
    buckets.splice(0, drop);
  }
  lane.firstOpen = firstOpen - drop;
  refreshLane(lane);
}
