import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBatchLayer } from '../../src/cli/batch-layer.js';
import { TIME_POLICY_DEFAULTS } from '../../src/domain/index.js';
import { appendEvents, openFileLog, TOPICS } from '../../src/log/index.js';
import { createCandleOperator, createSpeedView } from '../../src/speed/index.js';
import { createFakeBatch, createFakeDeps } from '../serve/fake-deps.js';
import { END_TS, runReadContract } from './read-contracts.case.js';

runReadContract('speed view, fed by the candle operator', async ({ trades }) => {
  const operator = createCandleOperator();
  const view = createSpeedView({}, operator);
  for (const trade of trades) operator.process(trade, view.upsert);
  operator.flush(END_TS, view.upsert);
  return { reader: view, seesTrades: true, close: async () => undefined };
});

runReadContract('batch views, DuckDB over a lake written from the log', async ({ trades }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cl-read-contract-'));
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
  await appendEvents(log, TOPICS.trades, trades);
  const layer = await openBatchLayer({
    dataDir,
    log,
    live: false,
    view: createSpeedView(),
    time: TIME_POLICY_DEFAULTS,
  });
  await layer.finishInput();
  return {
    reader: layer.views,
    seesTrades: false,
    async close() {
      await layer.close();
      await log.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

runReadContract('test fake of the speed view (test/serve/fake-deps.ts)', async ({ candles }) => {
  const fake = createFakeDeps(candles);
  fake.status.speed.watermarks = [...new Set(candles.map((c) => `${c.venue}|${c.symbol}`))].map((key) => {
    const [venue = '', symbol = ''] = key.split('|');
    return { venue, symbol, watermarkTs: END_TS };
  });
  return { reader: fake.deps.candles, seesTrades: false, close: async () => undefined };
});

runReadContract('test fake of the batch views (test/serve/fake-deps.ts)', async ({ candles }) => {
  const fake = createFakeBatch({
    watermarkTs: END_TS,
    candles: candles.map((c) => ({ ...c, source: 'batch' as const })),
  });
  return { reader: fake.reader, seesTrades: false, close: async () => undefined };
});
