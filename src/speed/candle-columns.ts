import type { Candle, CandleState, Interval } from '../domain/index.js';

/**
 * The candles of one series and interval, oldest first, kept as columns of numbers rather than
 * as `Candle` objects: a candle object and its eleven boxed numbers took about 250 bytes of the
 * V8 heap, which every major collection marked again (at 10,000 symbols the speed view held
 * 140 MB of them after 42 minutes of trades). Here a candle is 89 bytes in typed arrays outside
 * the heap; `Candle` objects are made only for what a read returns.
 */

/** The numbers of a candle, in the order they are stored. */
const OPEN_TIME = 0;
const CLOSE_TIME = 1;
const OPEN = 2;
const HIGH = 3;
const LOW = 4;
const CLOSE = 5;
const VOLUME = 6;
const QUOTE_VOLUME = 7;
const TRADES = 8;
const TAKER_BUY_VOLUME = 9;
const TAKER_BUY_QUOTE_VOLUME = 10;
const STRIDE = 11;

const STATES: readonly CandleState[] = ['open', 'closed', 'revised'];
const SOURCES: readonly Candle['source'][] = ['speed', 'batch'];
const INITIAL_CAPACITY = 8;

export class CandleColumns {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: Interval;
  private numbers = new Float64Array(INITIAL_CAPACITY * STRIDE);
  /** State index in the low 2 bits, source index above. */
  private tags = new Uint8Array(INITIAL_CAPACITY);
  /** Index of the oldest candle kept; the ones before it were dropped. */
  private start = 0;
  private end = 0;

  constructor(venue: string, symbol: string, interval: Interval) {
    this.venue = venue;
    this.symbol = symbol;
    this.interval = interval;
  }

  get length(): number {
    return this.end - this.start;
  }

  openTimeAt(i: number): number {
    return this.numbers[(this.start + i) * STRIDE + OPEN_TIME] as number;
  }

  closeAt(i: number): number {
    return this.numbers[(this.start + i) * STRIDE + CLOSE] as number;
  }

  /** The `i`-th candle kept (0 is the oldest), as a new object. */
  at(i: number): Candle {
    const n = this.numbers;
    const o = (this.start + i) * STRIDE;
    const tag = this.tags[this.start + i] as number;
    return {
      venue: this.venue,
      symbol: this.symbol,
      interval: this.interval,
      openTime: n[o + OPEN_TIME] as number,
      closeTime: n[o + CLOSE_TIME] as number,
      open: n[o + OPEN] as number,
      high: n[o + HIGH] as number,
      low: n[o + LOW] as number,
      close: n[o + CLOSE] as number,
      volume: n[o + VOLUME] as number,
      quoteVolume: n[o + QUOTE_VOLUME] as number,
      trades: n[o + TRADES] as number,
      takerBuyVolume: n[o + TAKER_BUY_VOLUME] as number,
      takerBuyQuoteVolume: n[o + TAKER_BUY_QUOTE_VOLUME] as number,
      state: STATES[tag & 3] as CandleState,
      source: SOURCES[tag >> 2] as Candle['source'],
    };
  }

  /** The candles `[from, to)`, oldest first, as new objects. */
  slice(from: number, to: number): Candle[] {
    const out: Candle[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i));
    return out;
  }

  /** Replaces the `i`-th candle. */
  set(i: number, c: Candle): void {
    this.write(this.start + i, c);
  }

  /** Appends a candle newer than every one kept. */
  push(c: Candle): void {
    this.makeRoom();
    this.write(this.end, c);
    this.end++;
  }

  /** Inserts a candle before the `i`-th (the candles from there on move up one). */
  insert(i: number, c: Candle): void {
    this.makeRoom();
    const at = this.start + i;
    this.numbers.copyWithin((at + 1) * STRIDE, at * STRIDE, this.end * STRIDE);
    this.tags.copyWithin(at + 1, at, this.end);
    this.end++;
    this.write(at, c);
  }

  /** Forgets the oldest candles so that at most `keep` remain. */
  keepNewest(keep: number): void {
    if (this.length > keep) this.start = this.end - keep;
  }

  /** Forgets the candles that open before `openTime`; returns how many went. */
  dropBefore(openTime: number): number {
    const drop = this.search(openTime);
    this.start += drop;
    return drop;
  }

  /** First index whose open time is ≥ `openTime` (> when `after`). */
  search(openTime: number, after = false): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.openTimeAt(mid);
      if (t < openTime || (after && t === openTime)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private write(slot: number, c: Candle): void {
    const n = this.numbers;
    const o = slot * STRIDE;
    n[o + OPEN_TIME] = c.openTime;
    n[o + CLOSE_TIME] = c.closeTime;
    n[o + OPEN] = c.open;
    n[o + HIGH] = c.high;
    n[o + LOW] = c.low;
    n[o + CLOSE] = c.close;
    n[o + VOLUME] = c.volume;
    n[o + QUOTE_VOLUME] = c.quoteVolume;
    n[o + TRADES] = c.trades;
    n[o + TAKER_BUY_VOLUME] = c.takerBuyVolume;
    n[o + TAKER_BUY_QUOTE_VOLUME] = c.takerBuyQuoteVolume;
    this.tags[slot] = STATES.indexOf(c.state) | (SOURCES.indexOf(c.source) << 2);
  }

  /** Makes room for one more candle at the end: moves the kept ones down, or grows. */
  private makeRoom(): void {
    const capacity = this.tags.length;
    if (this.end < capacity) return;
    const length = this.length;
    if (this.start > 0 && length <= capacity >>> 1) {
      // Half or more was dropped: moving the rest down is enough.
      this.numbers.copyWithin(0, this.start * STRIDE, this.end * STRIDE);
      this.tags.copyWithin(0, this.start, this.end);
    } else {
      const numbers = new Float64Array(capacity * 2 * STRIDE);
      numbers.set(this.numbers.subarray(this.start * STRIDE, this.end * STRIDE));
      const tags = new Uint8Array(capacity * 2);
      tags.set(this.tags.subarray(this.start, this.end));
      this.numbers = numbers;
      this.tags = tags;
    }
    this.start = 0;
    this.end = length;
  }
}
