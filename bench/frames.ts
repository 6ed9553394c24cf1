import { createSimulator, toAggTradeFrame } from '../src/ingest/index.js';

/** Binance combined-stream aggTrade frames of simulated trades over the simulator's 8 markets. */
export async function generateFrames(count: number, startTs = Date.UTC(2024, 0, 1)): Promise<string[]> {
  const sim = createSimulator({
    seed: 42,
    realtime: false,
    startTs,
    tradesPerSec: 400,
    maxTrades: count,
    now: () => startTs,
  });
  const frames: string[] = [];
  for await (const batch of sim.batches({ signal: new AbortController().signal })) {
    for (const trade of batch.trades) frames.push(toAggTradeFrame({ ...trade, recvTs: trade.ts + 2 }));
  }
  return frames;
}
