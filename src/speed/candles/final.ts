import type { Candle, Interval, Trade, UnixMs } from '../../domain/index.js';
import { INTERVAL_MS } from '../../domain/index.js';
import { createCandleOperator } from './operator.js';
import { resolveCandleOptions } from './options.js';
import type { CandleCounters } from './snapshot.js';

/** Options of `finalCandles`. */
export interface FinalCandlesOptions {
  interval: Interval;
  /** Only trades of this venue. @default undefined (every venue) */
  venue?: string;
  /** Only trades of this canonical symbol. @default undefined (every symbol) */
  symbol?: string;
  /**
   * Exclusive end: buckets with `openTime + intervalMs ≤ toTs` are yielded, empty ones included
   * (for one UTC day of 1m candles, the next midnight gives 1,440 candles).
   * @default the end of the bucket holding the latest trade of the input (all series)
   */
  toTs?: UnixMs;
  /** @default 1000 (as the operator) */
  maxOutOfOrdernessMs?: number;
  /**
   * How far out of order the input may be and still count; raise it for unsorted files (the
   * memory held grows with it). Later trades are counted in `counters().lateDropped`.
   * @default 60000 (as the operator)
   */
  allowedLatenessMs?: number;
}

/** A single-use stream of final candles, with the operator's counters once it has run. */
export interface FinalCandleStream extends AsyncIterable<Candle> {
  counters(): CandleCounters;
}

const CHUNK = 4096;

function isBatch(item: readonly Trade[] | Trade): item is readonly Trade[] {
  return Array.isArray(item);
}

async function* batches(
  input: AsyncIterable<readonly Trade[] | Trade> | Iterable<Trade>,
): AsyncGenerator<readonly Trade[]> {
  if (Symbol.asyncIterator in input) {
    for await (const item of input) yield isBatch(item) ? item : [item];
    return;
  }
  let chunk: Trade[] = [];
  for (const trade of input) {
    chunk.push(trade);
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Inserts or replaces by open time; arrivals are nearly always the newest, so search from the end. */
function upsert(list: Candle[], candle: Candle): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as Candle).openTime > candle.openTime) i--;
  if (i > 0 && (list[i - 1] as Candle).openTime === candle.openTime) list[i - 1] = candle;
  else list.splice(i, 0, candle);
}

function asFinal(candle: Candle): Candle {
  return candle.state === 'closed' ? candle : { ...candle, state: 'closed' };
}

/**
 * The final candles of one interval from a stream of trades (the `crypto-lambda candles` CLI),
 * built on the candle operator: each bucket is yielded once, with state `closed`, when it can
 * no longer be revised, in open-time order per series, from each series' first trade's bucket
 * up to `toTs`, empty buckets included. Holds the operator's bounded state and the candles still
 * within lateness, never the trades. `trades` is a sync iterable of trades or an async
 * iterable of batches (or single trades).
 */
export function finalCandles(
  trades: AsyncIterable<readonly Trade[] | Trade> | Iterable<Trade>,
  options: FinalCandlesOptions,
): FinalCandleStream {
  const { interval, venue, symbol, toTs } = options;
  const intervalMs = INTERVAL_MS[interval];
  const resolved = resolveCandleOptions({
    intervals: [interval],
    ...(options.maxOutOfOrdernessMs === undefined
      ? {}
      : { maxOutOfOrdernessMs: options.maxOutOfOrdernessMs }),
    ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs }),
  });
  const operator = createCandleOperator(resolved);
  const pending = new Map<string, Candle[]>();

  const collect = (candle: Candle): void => {
    if (candle.state === 'open') return;
    if (toTs !== undefined && candle.openTime + intervalMs > toTs) return;
    const key = `${candle.venue}\u0000${candle.symbol}`;
    let list = pending.get(key);
    if (list === undefined) {
      list = [];
      pending.set(key, list);
    }
    upsert(list, candle);
  };

  function* takeFinal(): Generator<Candle> {
    for (const { venue: v, symbol: s, watermarkTs } of operator.watermarks()) {
      const list = pending.get(`${v}\u0000${s}`);
      if (list === undefined) continue;
      let n = 0;
      while (
        n < list.length &&
        (list[n] as Candle).openTime + intervalMs + resolved.allowedLatenessMs <= watermarkTs
      ) {
        n++;
      }
      if (n > 0) for (const candle of list.splice(0, n)) yield asFinal(candle);
    }
  }

  async function* run(): AsyncGenerator<Candle> {
    for await (const batch of batches(trades)) {
      for (const trade of batch) {
        if (
          (venue === undefined || trade.venue === venue) &&
          (symbol === undefined || trade.symbol === symbol)
        ) {
          operator.process(trade, collect);
        }
      }
      yield* takeFinal();
    }
    let endTs = toTs;
    if (endTs === undefined) {
      for (const { watermarkTs } of operator.watermarks()) {
        const maxTs = watermarkTs + resolved.maxOutOfOrdernessMs;
        const end = Math.floor(maxTs / intervalMs) * intervalMs + intervalMs;
        if (endTs === undefined || end > endTs) endTs = end;
      }
    }
    if (endTs === undefined) return;
    operator.flush(endTs, collect);
    const limit = endTs;
    for (const list of pending.values()) {
      for (const candle of list) if (candle.openTime + intervalMs <= limit) yield asFinal(candle);
    }
    pending.clear();
  }

  const stream = run();
  return { [Symbol.asyncIterator]: () => stream, counters: () => operator.counters() };
}
