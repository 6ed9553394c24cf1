import type { Candle, TimeRange, UptimeReader } from '../domain/index.js';

/**
 * The downtime gaps of an answer: where the pipeline was not running (`uptime`) and the series'
 * candles hold no trades, so that a flat candle of a stopped pipeline is not taken for a quiet
 * market. Each gap is a downtime range clipped to an empty candle's bucket, adjacent ones merged;
 * oldest first. A candle with trades is never in a gap: what it holds was received (a backfill or a
 * replay filled it). Only series traded while the pipeline ran around them can have gaps: a replay
 * of 2019 data has buckets in 2019, when this pipeline never ran, so none.
 */
export function downtimeGaps(candles: readonly Candle[], uptime: UptimeReader | undefined): TimeRange[] {
  const first = candles[0];
  const last = candles.at(-1);
  if (uptime === undefined || first === undefined || last === undefined) return [];
  const down = uptime.downtime(first.openTime, last.closeTime + 1);
  const out: TimeRange[] = [];
  let j = 0;
  for (const c of candles) {
    if (c.trades > 0) continue;
    const endTs = c.closeTime + 1;
    while (j < down.length && (down[j] as TimeRange).toTs <= c.openTime) j++;
    for (let k = j; k < down.length && (down[k] as TimeRange).fromTs < endTs; k++) {
      const range = down[k] as TimeRange;
      const fromTs = Math.max(c.openTime, range.fromTs);
      const toTs = Math.min(endTs, range.toTs);
      const previous = out.at(-1);
      if (previous !== undefined && previous.toTs === fromTs) previous.toTs = toTs;
      else out.push({ fromTs, toTs });
    }
  }
  return out;
}
