import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestWriter } from '../src/ingest/index.js';
import { openFileLog } from '../src/log/index.js';
import { createCandleOperator, createSpeedRunner } from '../src/speed/index.js';
import { frameSource } from './frames.js';

/** The bare reference: `JSON.parse` of every frame, nothing else. Frames per second. */
export function jsonParseRate(frames: readonly string[]): number {
  const t0 = performance.now();
  let sink = 0;
  for (const frame of frames) sink += (JSON.parse(frame) as { data: { a: number } }).data.a;
  const seconds = (performance.now() - t0) / 1000;
  if (sink === -1) console.log(sink);
  return frames.length / seconds;
}

export interface PipelineRun {
  tradesPerSec: number;
  trades: number;
  candles: number;
}

/**
 * frames → `parseBinanceFrame` (validated trades) → log writer (dedupe, encode, append to the
 * embedded log) → speed runner (read, decode, candle operator over 6 intervals, closed candles
 * appended to the log), in one process as `crypto-lambda start` runs it. Timed from the first
 * frame to the speed layer having processed the last trade.
 */
export async function pipelineRate(frames: readonly string[]): Promise<PipelineRun> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-'));
  const log = await openFileLog({ dir: join(dir, 'log') });
  const controller = new AbortController();
  let candles = 0;
  try {
    const operator = createCandleOperator({ openUpdates: 'on-drain' });
    const runner = await createSpeedRunner(
      {
        log,
        operator,
        checkpointPath: join(dir, 'checkpoint.json'),
        onCandle: (c) => {
          if (c.state !== 'open') candles++;
        },
      },
      { checkpointIntervalMs: 1000 },
    );
    const writer = await createIngestWriter(log, dir, {}, (trades, acks) => runner.offer(trades, acks));
    const running = runner.run(controller.signal);
    const t0 = performance.now();
    const counters = await writer.run(frameSource(frames), controller.signal);
    await runner.caughtUp();
    const seconds = (performance.now() - t0) / 1000;
    controller.abort();
    await running;
    return { tradesPerSec: runner.tradesProcessed() / seconds, trades: counters.trades, candles };
  } finally {
    controller.abort();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}
