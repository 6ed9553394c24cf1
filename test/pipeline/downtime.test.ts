import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline } from '../../src/cli/pipeline.js';
import { openReplay } from '../../src/ingest/index.js';
import { buildServer } from '../../src/serve/index.js';
import { FIXTURES } from '../cli/helpers.js';
import { listSource, liveTrades } from './list-source.js';

const MIN = 60_000;
const SAMPLE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;

interface CandlesBody {
  candles: { openTime: number; trades: number }[];
  gaps: { fromTs: number; toTs: number }[];
}

describe('downtime gaps (a live series, the pipeline stopped for 7 minutes and started again)', () => {
  it('marks the flat candles of the downtime as a gap, and none in a quiet stretch or a replayed 2019 day', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-downtime-'));
    // The session runs three hours back, so that the speed layer's wall clock (which closes the
    // buckets of series trading within the last hour) leaves it to event time; the uptime record
    // is given the same clock as the trades.
    const base = Math.floor(Date.now() / (60 * MIN)) * 60 * MIN - 180 * MIN;
    let clock = base;
    const uptime = { now: () => clock, heartbeatMs: 60_000 };
    try {
      const first = await openPipeline({ dataDir, live: true, batch: false, uptime });
      try {
        await first.runSource(openReplay(SAMPLE));
        // Trades for five minutes, then a quiet minute while the pipeline still runs.
        await first.runSource(listSource('live', [liveTrades('LIVE-USDT', base, base + 5 * MIN, 5_000)]));
        await first.runner.caughtUp();
        clock = base + 6 * MIN;
      } finally {
        await first.close();
      }
      clock = base + 13 * MIN;
      const second = await openPipeline({ dataDir, live: true, batch: false, uptime });
      const app = buildServer(second.deps, { dashboard: false, processMetrics: false });
      try {
        await second.runSource(
          listSource('live', [liveTrades('LIVE-USDT', base + 13 * MIN, base + 16 * MIN, 5_000)]),
        );
        await second.runner.caughtUp();
        const live = (
          await app.inject('/api/v1/candles?venue=sim&symbol=LIVE-USDT&interval=1m')
        ).json() as CandlesBody;
        const flat = live.candles.filter((c) => c.trades === 0).map((c) => (c.openTime - base) / MIN);
        assert.deepEqual(flat, [5, 6, 7, 8, 9, 10, 11, 12], 'a quiet minute, then the downtime');
        // Minute 5 was quiet while the pipeline ran: not a gap. 6..12 were downtime.
        assert.deepEqual(live.gaps, [{ fromTs: base + 6 * MIN, toTs: base + 13 * MIN }]);
        const fiveMinutes = (
          await app.inject('/api/v1/candles?venue=sim&symbol=LIVE-USDT&interval=5m')
        ).json() as CandlesBody;
        // 5m: [5, 10) is empty, [10, 15) took trades after the restart: only the first is a gap.
        assert.deepEqual(fiveMinutes.gaps, [{ fromTs: base + 6 * MIN, toTs: base + 10 * MIN }]);
        const replayed = (
          await app.inject('/api/v1/candles?symbol=XRP-ETH&interval=1m&limit=1440')
        ).json() as CandlesBody;
        assert.ok(replayed.candles.some((c) => c.trades === 0));
        assert.deepEqual(replayed.gaps, [], 'the 2019 sample was never live');
      } finally {
        await app.close();
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
