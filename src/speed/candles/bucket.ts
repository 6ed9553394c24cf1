import type { Candle, CandleState, Interval, Trade } from '../../domain/index.js';
import type { BucketStateV1, BucketTuple } from './snapshot.js';
import { compareTradeKeys } from './trade-order.js';

/** The mutable bucket the operator updates in place; `dirty` means "changed since last emitted". */
export interface Bucket extends BucketStateV1 {
  dirty: boolean;
  /** Its `open` update waits for `drainOpen` (openUpdates: 'on-drain'); not part of snapshots. */
  openPending: boolean;
}

/**
 * Buckets dropped from state, kept for `emptyBucket` to reuse. With thousands of series most
 * trades open a bucket somewhere, each lives a few minutes of event time: long enough to be
 * copied by every young-generation collection and promoted, then dropped. Reusing them took
 * most of the candle operator's garbage collection away.
 */
const freeBuckets: Bucket[] = [];
const FREE_BUCKETS_MAX = 65_536;

/** Gives a bucket that left state back for reuse; the caller holds no other reference to it. */
export function recycleBucket(b: Bucket): void {
  if (freeBuckets.length < FREE_BUCKETS_MAX) freeBuckets.push(b);
}

export function emptyBucket(openTime: number, fill: number): Bucket {
  const b = freeBuckets.pop();
  if (b === undefined) return newBucket(openTime, fill);
  b.openTime = openTime;
  b.open = fill;
  b.high = fill;
  b.low = fill;
  b.close = fill;
  b.openTs = 0;
  b.openId = '';
  b.closeTs = 0;
  b.closeId = '';
  b.volume = 0;
  b.volumeC = 0;
  b.quoteVolume = 0;
  b.quoteVolumeC = 0;
  b.takerBuyVolume = 0;
  b.takerBuyVolumeC = 0;
  b.takerBuyQuoteVolume = 0;
  b.takerBuyQuoteVolumeC = 0;
  b.trades = 0;
  b.closed = false;
  b.emitted = false;
  b.dirty = false;
  b.openPending = false;
  return b;
}

function newBucket(openTime: number, fill: number): Bucket {
  return {
    openTime,
    open: fill,
    high: fill,
    low: fill,
    close: fill,
    openTs: 0,
    openId: '',
    closeTs: 0,
    closeId: '',
    volume: 0,
    volumeC: 0,
    quoteVolume: 0,
    quoteVolumeC: 0,
    takerBuyVolume: 0,
    takerBuyVolumeC: 0,
    takerBuyQuoteVolume: 0,
    takerBuyQuoteVolumeC: 0,
    trades: 0,
    closed: false,
    emitted: false,
    dirty: false,
    // Every field set at birth: buckets keep one shape, and the lane code stays monomorphic.
    openPending: false,
  };
}

/** Sets an empty bucket's prices to the previous close. Returns whether anything changed. */
export function fillEmpty(bucket: Bucket, price: number): boolean {
  if (bucket.close === price) return false;
  bucket.open = price;
  bucket.high = price;
  bucket.low = price;
  bucket.close = price;
  return true;
}

/**
 * Adds a trade to a bucket whatever the arrival order. Returns whether the close changed, i.e.
 * whether following empty buckets must take the new close.
 */
export function applyTrade(b: Bucket, trade: Trade): boolean {
  const { price, qty, ts, tradeId } = trade;
  let closeChanged = false;
  if (b.trades === 0) {
    closeChanged = b.close !== price;
    b.open = price;
    b.high = price;
    b.low = price;
    b.close = price;
    b.openTs = ts;
    b.openId = tradeId;
    b.closeTs = ts;
    b.closeId = tradeId;
  } else {
    if (price > b.high) b.high = price;
    if (price < b.low) b.low = price;
    if (compareTradeKeys(ts, tradeId, b.openTs, b.openId) < 0) {
      b.open = price;
      b.openTs = ts;
      b.openId = tradeId;
    }
    if (compareTradeKeys(ts, tradeId, b.closeTs, b.closeId) > 0) {
      closeChanged = b.close !== price;
      b.close = price;
      b.closeTs = ts;
      b.closeId = tradeId;
    }
  }
  // Neumaier summation, unrolled per field: the hot path must not allocate or call through
  // property names.
  const quote = price * qty;
  let s = b.volume;
  let t = s + qty;
  b.volumeC += Math.abs(s) >= qty ? s - t + qty : qty - t + s;
  b.volume = t;
  s = b.quoteVolume;
  t = s + quote;
  b.quoteVolumeC += Math.abs(s) >= quote ? s - t + quote : quote - t + s;
  b.quoteVolume = t;
  if (trade.side === 'buy') {
    s = b.takerBuyVolume;
    t = s + qty;
    b.takerBuyVolumeC += Math.abs(s) >= qty ? s - t + qty : qty - t + s;
    b.takerBuyVolume = t;
    s = b.takerBuyQuoteVolume;
    t = s + quote;
    b.takerBuyQuoteVolumeC += Math.abs(s) >= quote ? s - t + quote : quote - t + s;
    b.takerBuyQuoteVolume = t;
  }
  b.trades += trade.count;
  return closeChanged;
}

/** A fresh, immutable-by-convention candle: listeners may keep it. */
export function toCandle(
  venue: string,
  symbol: string,
  interval: Interval,
  intervalMs: number,
  b: Bucket,
  state: CandleState,
): Candle {
  return {
    venue,
    symbol,
    interval,
    openTime: b.openTime,
    closeTime: b.openTime + intervalMs - 1,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume + b.volumeC,
    quoteVolume: b.quoteVolume + b.quoteVolumeC,
    trades: b.trades,
    takerBuyVolume: b.takerBuyVolume + b.takerBuyVolumeC,
    takerBuyQuoteVolume: b.takerBuyQuoteVolume + b.takerBuyQuoteVolumeC,
    state,
    source: 'speed',
  };
}

/** The bucket as snapshots keep it (see `BucketTupleSchema` for the order). */
export function bucketToState(b: BucketStateV1): BucketTuple {
  return [
    b.openTime,
    b.open,
    b.high,
    b.low,
    b.close,
    b.openTs,
    b.openId,
    b.closeTs,
    b.closeId,
    b.volume,
    b.volumeC,
    b.quoteVolume,
    b.quoteVolumeC,
    b.takerBuyVolume,
    b.takerBuyVolumeC,
    b.takerBuyQuoteVolume,
    b.takerBuyQuoteVolumeC,
    b.trades,
    (b.closed ? 1 : 0) + (b.emitted ? 2 : 0),
  ];
}

export function bucketFromState(t: BucketTuple): Bucket {
  return {
    openTime: t[0],
    open: t[1],
    high: t[2],
    low: t[3],
    close: t[4],
    openTs: t[5],
    openId: t[6],
    closeTs: t[7],
    closeId: t[8],
    volume: t[9],
    volumeC: t[10],
    quoteVolume: t[11],
    quoteVolumeC: t[12],
    takerBuyVolume: t[13],
    takerBuyVolumeC: t[14],
    takerBuyQuoteVolume: t[15],
    takerBuyQuoteVolumeC: t[16],
    trades: t[17],
    closed: (t[18] & 1) !== 0,
    emitted: (t[18] & 2) !== 0,
    dirty: false,
    openPending: false,
  };
}
