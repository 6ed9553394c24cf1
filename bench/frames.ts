import type { Trade } from '../src/domain/index.js';
import {
  createSimulator,
  parseBinanceFrame,
  type Source,
  type SourceBatch,
  toAggTradeFrame,
} from '../src/ingest/index.js';

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

/**
 * A source over frames already in memory, parsed by the same `parseBinanceFrame` a live
 * connector uses: what the benchmark measures is the product's path, minus the network.
 */
export function frameSource(frames: readonly string[], batchSize = 2000, recvTs?: () => number): Source {
  let state: ReturnType<Source['state']> = 'idle';
  return {
    name: 'bench-frames',
    state: () => state,
    async *batches() {
      state = 'running';
      for (let i = 0; i < frames.length; i += batchSize) {
        const batch: SourceBatch = { trades: [], rejected: [], ignored: 0, position: String(i + batchSize) };
        const end = Math.min(frames.length, i + batchSize);
        const nowMs = recvTs?.();
        for (let j = i; j < end; j++) {
          const result = parseBinanceFrame(frames[j]!, nowMs, 'bench');
          if (result.kind === 'trade') batch.trades.push(result.trade);
          else if (result.kind === 'rejected') batch.rejected.push(result.rejected);
          else batch.ignored++;
        }
        yield batch;
      }
      state = 'finished';
    },
  };
}

export type { Trade };
