import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestWriter, openSource, runInWorker, type Source } from '../src/ingest/index.js';
import { openFileLog } from '../src/log/index.js';
import { createCandleOperator, createSpeedRunner } from '../src/speed/index.js';

/** The bare reference: `JSON.parse` of every frame, nothing else. Frames per second. */
export function jsonParseRate(frames: readonly string[]): number {
  const t0 = performance.now();
  let sink = 0;
  for (const frame of frames) sink += (JSON.parse(frame) as { data: { a: number } }).data.a;
  const seconds = (performance.now() - t0) / 1000;
  if (sink === -1) console.log(sink);
  return frames.length / seconds;
}

/** The frames as a recording on disk, one per line, as `crypto-lambda replay` reads them. */
export async function writeFramesFile(
  frames: readonly string[],
): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-frames-'));
  const path = join(dir, 'frames.jsonl');
  await writeFile(path, `${frames.join('\n')}\n`);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The frames of a file `writeFramesFile` wrote, in memory again (for `jsonParseRate`). */
export async function readFrames(path: string): Promise<string[]> {
  const frames = (await readFile(path, 'utf8')).split('\n');
  frames.pop();
  return frames;
}

export interface PipelineRun {
  tradesPerSec: number;
  trades: number;
  candles: number;
  /** The worker thread's start-up (loading its code), not in the rate; 0 in this thread. */
  startupMs: number;
  /** Trades per CPU second of the process (all threads): steadier than wall time on a shared machine. */
  tradesPerCpuSec: number;
}

/**
 * A replay of the frames file → parse (validated trades) → log writer (dedupe, append to the
 * embedded log) → speed runner (handoff, candle operator over 6 intervals, closed candles
 * appended to the log), in one process as `crypto-lambda replay` and `start` run it. `worker`:
 * the source runs in a worker thread (the product's default, `runInWorker`); `thread`: in this
 * thread (`--no-worker`). Timed from starting the source to the speed layer having processed
 * the last trade; the source is made before the pipeline opens, as the CLI does, and the worker
 * thread's start-up (a few hundred ms of loading code, once per source) is reported apart.
 */
export async function pipelineRate(
  framesFile: string,
  mode: 'worker' | 'thread',
  writer: { captureRaw?: boolean } = {},
): Promise<PipelineRun> {
  const created = performance.now();
  const spec = { kind: 'replay', path: framesFile } as const;
  const worker = mode === 'worker' ? runInWorker(spec) : undefined;
  const source: Source = worker ?? openSource(spec);
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-'));
  const log = await openFileLog({ dir: join(dir, 'log') });
  const controller = new AbortController();
  let candles = 0;
  try {
    const operator = createCandleOperator({
      openUpdates: 'on-drain',
      openInterest: { version: () => 0, wants: () => false },
    });
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
    const ingest = await createIngestWriter(log, dir, writer, (trades, acks) => runner.offer(trades, acks));
    const running = runner.run(controller.signal);
    await worker?.ready();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const counters = await ingest.run(source, controller.signal);
    await runner.caughtUp();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    controller.abort();
    await running;
    return {
      tradesPerSec: runner.tradesProcessed() / seconds,
      trades: counters.trades,
      candles,
      startupMs: worker === undefined ? 0 : t0 - created,
      tradesPerCpuSec: runner.tradesProcessed() / cpuSeconds,
    };
  } finally {
    controller.abort();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}
