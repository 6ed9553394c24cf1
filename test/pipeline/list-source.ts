import type { Trade } from '../../src/domain/index.js';
import type { Source, SourceBatch } from '../../src/ingest/index.js';

/** A source that delivers the given batches of trades in order, then finishes. */
export function listSource(name: string, batches: readonly Trade[][]): Source {
  let state: ReturnType<Source['state']> = 'idle';
  return {
    name,
    state: () => state,
    async *batches(): AsyncIterable<SourceBatch> {
      state = 'running';
      for (const [i, trades] of batches.entries())
        yield { trades, rejected: [], ignored: 0, position: String(i) };
      state = 'finished';
    },
  };
}

/**
 * Trades of a live-like series: one every `everyMs` from `fromTs` to `toTs` on venue `sim`, the
 * price walking up and down, received as they happen.
 */
export function liveTrades(symbol: string, fromTs: number, toTs: number, everyMs: number): Trade[] {
  const out: Trade[] = [];
  let id = fromTs;
  for (let ts = fromTs; ts < toTs; ts += everyMs) {
    const price = 100 + 5 * Math.sin((ts - fromTs) / 3_600_000);
    out.push({
      venue: 'sim',
      symbol,
      tradeId: String(id++),
      ts,
      price,
      qty: 0.1,
      side: 'buy',
      count: 1,
      recvTs: ts,
    });
  }
  return out;
}
