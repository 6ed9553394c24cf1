import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestWriter, runInWorker } from '../src/ingest/index.js';
import { openLakeWriter } from '../src/lake/index.js';
import { appendEvents, type EventLog, openFileLog, TOPICS } from '../src/log/index.js';
import { createCandleOperator, createSpeedRunner, type SpeedRunner } from '../src/speed/index.js';
import { simulatedTrades } from './frames.js';

/**
 * The lake writer against the speed layer, both consuming the same trades from the embedded
 * log in this process: the lake must keep up with the speed layer or it lags behind it live.
 * Speed: the checkpointed runner with the candle operator over 6 intervals (closed candles
 * appended to the log). Lake: the writer staging into DuckDB, Parquet part files per hour, and
 * sealing every hour at the end (compaction with dedupe). Trades per second of each.
 */
export interface LakeRound {
  speedPerSec: number;
  lakePerSec: number;
  trades: number;
  lakeFiles: number;
}

/** The speed layer as the pipeline runs it, checkpointing to `checkpointPath`; candles dropped. */
function benchRunner(log: EventLog, checkpointPath: string): Promise<SpeedRunner> {
  return createSpeedRunner(
    {
      log,
      operator: createCandleOperator({
        openUpdates: 'on-drain',
        openInterest: { version: () => 0, wants: () => false },
      }),
      checkpointPath,
      onCandle: () => undefined,
    },
    { checkpointIntervalMs: 1000 },
  );
}

/** Writes `count` simulated trades to a fresh log; returns its directory. */
export async function prepareLog(
  count: number,
): Promise<{ dir: string; trades: number; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-lake-'));
  const log = await openFileLog({ dir: join(dir, 'log') });
  const trades = await simulatedTrades(count, 7);
  await log.createTopic(TOPICS.trades.name, TOPICS.trades.config);
  for (let i = 0; i < trades.length; i += 10_000)
    await appendEvents(log, TOPICS.trades, trades.slice(i, i + 10_000));
  await log.close();
  return { dir, trades: trades.length, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function speedRate(dir: string, round: number, trades: number): Promise<number> {
  const log = await openFileLog({ dir: join(dir, 'log') });
  const controller = new AbortController();
  try {
    const runner = await benchRunner(log, join(dir, `speed-${round}.json`));
    const t0 = performance.now();
    const running = runner.run(controller.signal);
    await runner.caughtUp();
    const seconds = (performance.now() - t0) / 1000;
    controller.abort();
    await running;
    return trades / seconds;
  } finally {
    await log.close();
  }
}

export async function lakeRate(
  dir: string,
  round: number,
  trades: number,
): Promise<{ perSec: number; files: number }> {
  const log = await openFileLog({ dir: join(dir, 'log') });
  try {
    const lake = await openLakeWriter(log, { lakeDir: join(dir, `lake-${round}`), live: false });
    const t0 = performance.now();
    await lake.catchUp({ sealAll: true });
    const seconds = (performance.now() - t0) / 1000;
    const files = Object.values(lake.manifest().hours).reduce((n, h) => n + h.files.length, 0);
    await lake.close();
    return { perSec: trades / seconds, files };
  } finally {
    await log.close();
  }
}

/**
 * The product's path with the lake on: a frames file → worker-thread parse → log writer →
 * handoff to the speed runner and the lake writer (both also read the log for what they were not
 * handed). Trades per second until the speed layer caught up, and until the lake committed
 * everything (every hour sealed).
 */
export async function pipelineWithLakeRate(
  framesFile: string,
  bronze = true,
): Promise<{
  speedPerSec: number;
  lakePerSec: number;
  lakeShareAtSpeedDone: number;
  /** The most trades the speed layer had processed that the lake had not yet staged, sampled every 50 ms. */
  maxLagTrades: number;
  /** From the speed layer caught up to the lake committed: its last commit and the sealing. */
  finalCommitMs: number;
}> {
  const source = runInWorker({ kind: 'replay', path: framesFile });
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-pl-'));
  const log = await openFileLog({ dir: join(dir, 'log') });
  const controller = new AbortController();
  try {
    const runner = await benchRunner(log, join(dir, 'checkpoint.json'));
    const lake = await openLakeWriter(log, {
      lakeDir: join(dir, 'lake'),
      live: false,
      bronze,
    });
    const writer = await createIngestWriter(log, dir, {}, (trades, acks) => {
      runner.offer(trades, acks);
      lake.offer(trades, acks);
    });
    const running = [runner.run(controller.signal), lake.run(controller.signal)];
    await source.ready();
    const t0 = performance.now();
    let maxLagTrades = 0;
    const sampler = setInterval(() => {
      maxLagTrades = Math.max(maxLagTrades, runner.tradesProcessed() - lake.tradesConsumed());
    }, 50);
    await writer.run(source, controller.signal);
    await runner.caughtUp();
    clearInterval(sampler);
    const speedSeconds = (performance.now() - t0) / 1000;
    // How much the lake had staged when the speed layer was done: 1 means it kept pace, and
    // only its last commit (and the sealing) was still to come.
    const stagedAtSpeedDone = lake.tradesConsumed();
    await lake.catchUp({ sealAll: true });
    const lakeSeconds = (performance.now() - t0) / 1000;
    controller.abort();
    await Promise.all(running);
    await lake.close();
    const trades = runner.tradesProcessed();
    return {
      speedPerSec: trades / speedSeconds,
      lakePerSec: lake.tradesConsumed() / lakeSeconds,
      lakeShareAtSpeedDone: stagedAtSpeedDone / trades,
      maxLagTrades,
      finalCommitMs: (lakeSeconds - speedSeconds) * 1000,
    };
  } finally {
    controller.abort();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}
