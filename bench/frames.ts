import type { Trade } from '../src/domain/index.js';
import { createSimulator, toAggTradeFrame } from '../src/ingest/index.js';

/** Simulated trades over the simulator's 8 markets, deterministic for a seed. */
export async function simulatedTrades(
  count: number,
  seed: number,
  startTs = Date.UTC(2024, 0, 1),
): Promise<Trade[]> {
  const sim = createSimulator({
    seed,
    realtime: false,
    startTs,
    tradesPerSec: 400,
    maxTrades: count,
    now: () => startTs,
  });
  const trades: Trade[] = [];
  for await (const batch of sim.batches({ signal: new AbortController().signal }))
    trades.push(...batch.trades);
  return trades;
}

/** Binance combined-stream aggTrade frames of simulated trades over the simulator's 8 markets. */
export async function generateFrames(count: number, startTs = Date.UTC(2024, 0, 1)): Promise<string[]> {
  const trades = await simulatedTrades(count, 42, startTs);
  return trades.map((trade) => toAggTradeFrame({ ...trade, recvTs: trade.ts + 2 }));
}
