import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline } from '../../src/cli/pipeline.js';
import type { Trade } from '../../src/domain/index.js';
import { openReplay } from '../../src/ingest/index.js';
import { buildServer } from '../../src/serve/index.js';
import { FIXTURES } from '../cli/helpers.js';
import { listSource, liveTrades } from './list-source.js';

const HOUR = 3_600_000;
const SAMPLE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;

interface MoversBody {
  asOfTs: number | null;
  movers: { symbol: string; changePct: number; fromTs: number; partial: boolean; asOfTs: number }[];
}

/** A live series whose price only goes `up` or down over the session. */
function trending(symbol: string, fromTs: number, toTs: number, up: boolean): Trade[] {
  return liveTrades(symbol, fromTs, toTs, 30_000).map((t, i) => ({ ...t, price: up ? 100 + i : 1000 - i }));
}

describe('movers of a session shorter than the period (the simulator beside the 2019 sample)', () => {
  it('ranks every live series since its first candle, flagged partial, for 1h, 24h and 7d, and never the replayed day', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-movers-'));
    const now = Date.now();
    const start = now - 2.5 * HOUR;
    try {
      const pipeline = await openPipeline({ dataDir, live: true });
      const app = buildServer(pipeline.deps, { dashboard: false, processMetrics: false });
      try {
        await pipeline.runSource(openReplay(SAMPLE));
        await pipeline.runSource(
          listSource('live', [
            [...trending('UP-USDT', start, now, true), ...trending('DOWN-USDT', start, now, false)],
          ]),
        );
        await pipeline.runner.caughtUp();
        await pipeline.batch?.finishInput();
        // The replayed day's movers run again after today's: the newest day still wins.
        await pipeline.batch?.scheduler.runDate('2019-10-11', 'manual', {
          only: ['top_movers'],
          force: true,
        });
        for (const period of ['1h', '24h', '7d']) {
          for (const [type, symbol] of [
            ['gainers', 'UP-USDT'],
            ['losers', 'DOWN-USDT'],
          ] as const) {
            const body = (
              await app.inject(`/api/v1/movers?period=${period}&type=${type}`)
            ).json() as MoversBody;
            assert.deepEqual(
              body.movers.map((m) => m.symbol),
              [symbol],
              `${period} ${type}: ${JSON.stringify(body)}`,
            );
            const [mover] = body.movers;
            assert.ok((body.asOfTs ?? 0) > now - 2 * HOUR, `${period} ${type}: as of today`);
            // Under two hours of history: only 1h has a candle at its start.
            assert.equal(mover?.partial, period !== '1h', `${period} ${type}: partial`);
            assert.equal(
              mover?.fromTs,
              period === '1h' ? (body.asOfTs ?? 0) - HOUR : Math.floor(start / HOUR) * HOUR,
            );
          }
        }
      } finally {
        await app.close();
        await pipeline.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
