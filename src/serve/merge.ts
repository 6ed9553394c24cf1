import {
  type BatchReader,
  bucketStart,
  type Candle,
  type CandleQuery,
  type CandleReader,
  INTERVAL_MS,
  type UnixMs,
} from '../domain/index.js';

/** Candles of one series as the API answers them, and the batch watermark they were merged at. */
export interface MergedCandles {
  /** Oldest first, one per bucket, at most `limit`. */
  candles: Candle[];
  /** The series' batch watermark, or null when no batch view was used. */
  batchWatermarkTs: UnixMs | null;
}

/**
 * Reads one series from the speed view and, when the series has a batch watermark, merges the
 * batch view under it (ARCHITECTURE.md §5). The watermark is the series' own: a live venue
 * sealing its hours does not move the split of a replayed or quiet series.
 *
 * - A bucket that ends at or before the watermark (`closeTime < watermark`, i.e. `openTime < split`
 *   with `split = floor(watermark / interval) * interval`) comes from the batch view when the batch
 *   view has it: it wins over the speed candle of the same bucket because it has seen late trades,
 *   and is returned `closed`. A speed candle before the split fills a bucket only where the batch
 *   view has none (a series the lake does not hold yet).
 * - Every bucket from the split on comes from the speed view.
 * - The result is the newest `limit` buckets of the merged `[from, to]` range, like the speed view's.
 *
 * The speed view is asked exactly what the request asked. The batch view is asked for a bounded
 * window, see {@link batchWindow}. Without `batch`, or before its first run, the speed view's
 * answer is returned unchanged.
 */
export async function readMergedCandles(
  speed: CandleReader,
  batch: BatchReader | undefined,
  query: CandleQuery,
): Promise<MergedCandles> {
  const speedCandles = speed.candles(query);
  // Read once: the watermark may advance while the batch view is read.
  const watermarkTs = await batch?.watermarkTs(query.venue, query.symbol);
  if (batch === undefined || watermarkTs === undefined)
    return { candles: speedCandles, batchWatermarkTs: null };
  const intervalMs = INTERVAL_MS[query.interval];
  const splitTs = bucketStart(watermarkTs, intervalMs);
  const window = batchWindow(query, splitTs, intervalMs, speedCandles.at(-1)?.openTime);
  const batchCandles =
    window === undefined
      ? []
      : await batch.candles({
          venue: query.venue,
          symbol: query.symbol,
          interval: query.interval,
          from: window.from,
          to: window.to,
          limit: query.limit,
        });
  return {
    candles: mergeAtSplit(speedCandles, batchCandles, splitTs, window?.from ?? splitTs, query.limit),
    batchWatermarkTs: watermarkTs,
  };
}

/**
 * The open-time range `[from, to]` to ask the batch view for, or undefined when no batch bucket
 * can be among the answer.
 *
 * `to` is the request's `to`, capped at the last bucket before the split. `from` is the request's
 * `from`, raised to `limit - 1` buckets before the newest bucket the answer can hold (the request's
 * `to`, else the newest speed candle, but not before the last batch bucket): since every bucket
 * between a series' first trade and now is a candle (§4), older buckets cannot be among the
 * newest `limit`. So a request without `from` reads at most `limit` batch candles, and one with
 * an old `from` does not read years of history to return the last `limit`.
 */
export function batchWindow(
  query: { from?: UnixMs | undefined; to?: UnixMs | undefined; limit: number },
  splitTs: UnixMs,
  intervalMs: number,
  newestSpeedOpen: UnixMs | undefined,
): { from: UnixMs; to: UnixMs } | undefined {
  const lastBatchOpen = splitTs - intervalMs;
  const toOpen = query.to === undefined ? Number.POSITIVE_INFINITY : bucketStart(query.to, intervalMs);
  const newestOpen = Math.min(toOpen, Math.max(newestSpeedOpen ?? lastBatchOpen, lastBatchOpen));
  const from = Math.max(query.from ?? 0, newestOpen - (query.limit - 1) * intervalMs, 0);
  const to = Math.min(query.to ?? lastBatchOpen, lastBatchOpen);
  return from <= to ? { from, to } : undefined;
}

/**
 * One list oldest first, one candle per bucket: batch candles before `splitTs` (tagged `batch`,
 * `closed`), speed candles from `splitTs` on, and speed candles in `[batchFrom, splitTs)` where the
 * batch view has none; the newest `limit`. Speed candles before `batchFrom` are dropped: the batch
 * view was not asked about those buckets, so a speed candle there could hide a batch one.
 */
export function mergeAtSplit(
  speed: readonly Candle[],
  batch: readonly Candle[],
  splitTs: UnixMs,
  batchFrom: UnixMs,
  limit: number,
): Candle[] {
  const byOpen = new Map<UnixMs, Candle>();
  for (const c of speed) {
    if (c.openTime >= batchFrom) byOpen.set(c.openTime, c.source === 'speed' ? c : { ...c, source: 'speed' });
  }
  for (const c of batch) {
    if (c.openTime < splitTs) byOpen.set(c.openTime, { ...c, source: 'batch', state: 'closed' });
  }
  const merged = [...byOpen.values()].sort((a, b) => a.openTime - b.openTime);
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}
