import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline, type Pipeline } from '../../src/cli/pipeline.js';
import { INTERVAL_MS, INTERVALS } from '../../src/domain/index.js';
import { openReplay } from '../../src/ingest/index.js';
import { buildServer } from '../../src/serve/index.js';
import { FIXTURES } from '../cli/helpers.js';
import { listSource, liveTrades } from './list-source.js';

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2019, 9, 11);
const SAMPLE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;

interface CandlesBody {
  candles: { openTime: number; source: string }[];
  watermarks: { speed: number | null; batch: number | null };
}

async function check(pipeline: Pipeline, liveHourTs: number, when: string): Promise<void> {
  const app = buildServer(pipeline.deps, { dashboard: false, processMetrics: false });
  try {
    const get = async (url: string): Promise<CandlesBody> => {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 200, `${when}: ${url}: ${response.body}`);
      return response.json() as CandlesBody;
    };
    // The dashboard's default chart: no from, no to.
    for (const interval of INTERVALS) {
      const body = await get(`/api/v1/candles?symbol=XRP-ETH&interval=${interval}`);
      assert.ok(body.candles.length > 0, `${when}: XRP-ETH ${interval} answered no candles`);
      assert.equal(body.watermarks.batch, DAY0 + 24 * HOUR, `${when}: the replayed day's own watermark`);
      const last = body.candles.at(-1);
      assert.equal(
        last && last.openTime + INTERVAL_MS[interval],
        DAY0 + 24 * HOUR,
        `${when}: ${interval} ends with the day`,
      );
    }
    const minutes = await get('/api/v1/candles?symbol=XRP-ETH&interval=1m&limit=60');
    assert.equal(minutes.candles.length, 60);
    assert.equal(minutes.candles.at(-1)?.openTime, DAY0 + 24 * HOUR - 60_000);
    assert.ok(minutes.candles.every((c) => c.source === 'batch'));
    // The live series merges at its own, later watermark.
    const live = await get('/api/v1/candles?venue=sim&symbol=LIVE-USDT&interval=1m&limit=5');
    assert.ok((live.watermarks.batch ?? 0) >= liveHourTs, `${when}: live watermark ${live.watermarks.batch}`);
    const symbols = (await app.inject('/api/v1/symbols')).json() as {
      symbols: { venue: string; symbol: string; firstTradeTs: number | null; lastTradeTs: number | null }[];
    };
    const xrp = symbols.symbols.find((s) => s.symbol === 'XRP-ETH');
    assert.equal(xrp?.firstTradeTs, DAY0, `${when}: first trade minute`);
    assert.equal(xrp?.lastTradeTs, 1_570_838_072_670, `${when}: the sample's last trade`);
  } finally {
    await app.close();
  }
}

describe('per-series batch watermarks (a replayed day beside a live series)', () => {
  it('serves the replayed 2019 day by default, before and after a restart, once a live hour has sealed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-watermarks-'));
    const now = Date.now();
    const liveHourTs = Math.floor(now / HOUR) * HOUR - HOUR;
    try {
      const pipeline = await openPipeline({ dataDir, live: true });
      try {
        await pipeline.runSource(openReplay(SAMPLE));
        await pipeline.runSource(listSource('live', [liveTrades('LIVE-USDT', now - 3 * HOUR, now, 20_000)]));
        await pipeline.runner.caughtUp();
        await pipeline.batch?.finishInput();
        const history = pipeline.batch?.scheduler.history;
        assert.equal(history?.last('top_movers', '2019-10-11')?.status, 'succeeded');
        // The live venue's sealed hours moved the lake-wide frontier past 2019.
        assert.ok((pipeline.batch?.views.status().watermarkTs ?? 0) > liveHourTs);
        await check(pipeline, liveHourTs, 'running');
      } finally {
        await pipeline.close();
      }
      const restarted = await openPipeline({ dataDir, live: true });
      try {
        await check(restarted, liveHourTs, 'after a restart');
      } finally {
        await restarted.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
