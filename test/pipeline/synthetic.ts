import type { Trade } from '../../src/domain/index.js';
import { createSimulator, toAggTradeFrame } from '../../src/ingest/index.js';

/** Simulated trades, deterministic for a seed: the simulator in non-realtime mode. */
export async function simulatedTrades(
  count: number,
  seed: number,
  startTs = Date.UTC(2024, 0, 1),
): Promise<Trade[]> {
  const sim = createSimulator({
    seed,
    realtime: false,
    startTs,
    tradesPerSec: 500,
    maxTrades: count,
    now: () => startTs,
  });
  const trades: Trade[] = [];
  for await (const batch of sim.batches({ signal: new AbortController().signal }))
    trades.push(...batch.trades);
  return trades;
}

/** A trade as a Binance combined-stream aggTrade frame, its event time 3 ms before receipt. */
export function aggTradeFrame(trade: Trade): string {
  return toAggTradeFrame({ ...trade, recvTs: trade.ts + 3 });
}

/** A small seeded PRNG (mulberry32), so inputs are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Frames of a messy but realistic feed: arrival order shuffled within `maxDisorderMs`, about
 * 1% delivered twice, some malformed lines, and a few trades arriving long after their time.
 */
export function messyFrames(trades: readonly Trade[], seed: number, maxDisorderMs = 500): string[] {
  const random = prng(seed);
  const keyed = trades.map((t) => ({ t, at: t.ts + random() * maxDisorderMs }));
  // A few trades turn up two minutes late: past the allowed lateness, left to the batch layer.
  for (let i = 50; i < keyed.length; i += 997) keyed[i]!.at += 120_000;
  keyed.sort((a, b) => a.at - b.at);
  const lines: string[] = [];
  for (const { t } of keyed) {
    const frame = aggTradeFrame(t);
    lines.push(frame);
    const r = random();
    if (r < 0.01) lines.push(frame);
    else if (r < 0.015) lines.push(frame.slice(0, Math.floor(frame.length * random())));
    else if (r < 0.017) lines.push(frame.replace(/"p":"[^"]+"/, '"p":"-1"'));
  }
  return lines;
}
