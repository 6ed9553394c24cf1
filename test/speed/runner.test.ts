import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Candle } from '../../src/domain/index.js';
import { appendEvents, openFileLog, TOPICS } from '../../src/log/index.js';
import { createCandleOperator, createSpeedRunner } from '../../src/speed/index.js';
import { DAY0, trade } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every file of the directory with its size and modification time. */
async function files(dir: string): Promise<string> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const s = await stat(join(dir, name));
    out.push(`${name}:${s.size}:${s.mtimeMs}`);
  }
  return out.join(' ');
}

describe('speed runner checkpoints', () => {
  it('writes what changed, nothing while idle, and restores to the same state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'speed-runner-'));
    const log = await openFileLog({ dir: join(dir, 'log') });
    const checkpointDir = join(dir, 'speed');
    await import('node:fs/promises').then((fs) => fs.mkdir(checkpointDir));
    const checkpointPath = join(checkpointDir, 'checkpoint.json');
    const open = async () => {
      const operator = createCandleOperator();
      const candles: Candle[] = [];
      const runner = await createSpeedRunner(
        { log, operator, checkpointPath, onCandle: (c) => candles.push(c) },
        { checkpointIntervalMs: 20 },
      );
      return { operator, runner };
    };
    const controller = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
      const symbols = Array.from({ length: 50 }, (_, i) => `S${i}-USDT`);
      await appendEvents(
        log,
        TOPICS.trades,
        symbols.map((symbol, i) => trade({ symbol, ts: DAY0 + i, price: 1 + i })),
      );
      const first = await open();
      running = first.runner.run(controller.signal);
      await first.runner.caughtUp();
      // An idle runner looks at the log every 200 ms; the round after catching up checkpoints.
      await sleep(600);
      const settled = await files(checkpointDir);
      assert.match(settled, /checkpoint\.json/);
      await sleep(800);
      assert.equal(await files(checkpointDir), settled, 'an idle runner writes nothing');

      await appendEvents(log, TOPICS.trades, [trade({ symbol: 'S3-USDT', ts: DAY0 + 90_000, price: 7 })]);
      await first.runner.caughtUp();
      await sleep(600);
      assert.notEqual(await files(checkpointDir), settled, 'a change is written');
      const deltaBytes = (await stat(join(checkpointDir, 'checkpoint.1.delta'))).size;
      assert.ok(
        deltaBytes > 0 && deltaBytes < 8_000,
        `only the changed series is appended (${deltaBytes} B)`,
      );
      controller.abort();
      await running;

      const second = await open();
      assert.deepEqual(second.operator.snapshot(), first.operator.snapshot());
      assert.equal(second.runner.tradesProcessed(), 51);
    } finally {
      controller.abort();
      await running;
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('speed runner hand-off', () => {
  it('asks the writer to wait while more offered trades than its high-water mark wait', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'speed-runner-offer-'));
    const log = await openFileLog({ dir: join(dir, 'log') });
    const controller = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
      const runner = await createSpeedRunner(
        {
          log,
          operator: createCandleOperator(),
          checkpointPath: join(dir, 'checkpoint.json'),
          onCandle: () => {},
        },
        { inboxHighWater: 10 },
      );
      const first = [trade({ ts: DAY0, price: 1 })];
      assert.equal(runner.offer(first, await appendEvents(log, TOPICS.trades, first)), undefined);
      const more = Array.from({ length: 30 }, (_, i) => trade({ ts: DAY0 + 1 + i, price: 2 + i }));
      const wait = runner.offer(more, await appendEvents(log, TOPICS.trades, more));
      assert.ok(wait !== undefined, '31 waiting, above 10: the writer is held');
      let released = false;
      void wait.then(() => {
        released = true;
      });
      await sleep(20);
      assert.equal(released, false, 'nobody has taken them yet');
      running = runner.run(controller.signal);
      await wait;
      await runner.caughtUp();
      assert.equal(runner.tradesProcessed(), 31);
    } finally {
      controller.abort();
      await running;
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
