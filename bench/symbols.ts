import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../src/cli/node-flags.js';
import type { Trade } from '../src/domain/index.js';
import { toAggTradeFrame } from '../src/ingest/index.js';
import { type PipelineRun, writeFramesFile } from './throughput.js';

/**
 * The symbols sweep (issue 10 §2): the same trades, over the same event-time span, spread over
 * N symbols. What grows with N is what a symbol costs: series state, candles (every symbol's
 * buckets, empty ones included), checkpoints, lookups.
 */

/** `trades` re-keyed over `symbols` symbols (`S0-USDT`…), with unique ids: frames to replay. */
export function framesOverSymbols(trades: readonly Trade[], symbols: number): string[] {
  return trades.map((trade, i) =>
    toAggTradeFrame({
      ...trade,
      symbol: `S${i % symbols}-USDT`,
      tradeId: String(i + 1),
      recvTs: trade.ts + 2,
    }),
  );
}

export { writeFramesFile };

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./symbols-child.js', import.meta.url));

/** The pipeline rate of a frames file in a fresh process (so RSS is this run's alone). */
export async function pipelineRateInChild(framesFile: string): Promise<PipelineRun & { rssMiB: number }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, CHILD, framesFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`bench child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as PipelineRun & { rssMiB: number };
}

export interface IdleRun {
  /** `start` replaying the frames: seconds from spawn to every trade in the speed layer. */
  ingestS: number;
  /** Resident memory once idle. */
  rssMiB: number;
  /** Share of one core used while idle (main and worker threads). */
  idleCpu: number;
  /** Bytes the process sent to storage per second while idle (`/proc/<pid>/io` write_bytes). */
  idleWriteBytesPerSec: number;
  /** `GET /api/v1/candles` (60 1m candles of one symbol) per second, 8 requests in flight. */
  candlesReqPerSec: number;
}

/**
 * `crypto-lambda start` replaying the frames as a user would run it (live mode, lake and batch
 * layer on), then, once every trade is in and the batch layer has settled, a quiet window:
 * CPU share, bytes written, and the candles endpoint's request rate.
 */
export async function idleRun(framesFile: string, dataDir: string, idleWindowMs: number): Promise<IdleRun> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, CLI, 'start', '--source', `replay:${framesFile}`, '--data-dir', dataDir, '--port', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /at (http:\/\/[^\s]+)/.exec(err);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`start exited with ${code}: ${err}`)));
    });
    const pid = child.pid as number;
    await until(async () => {
      const status = (await (await fetch(`${base}/api/v1/system/status`)).json()) as {
        sources: { state: string }[];
        speed: { lag: number };
      };
      return status.sources.every((s) => s.state === 'finished') && status.speed.lag === 0;
    });
    const ingestS = (performance.now() - t0) / 1000;
    // Settled: nothing written for 15 s in a row (idle sealing waits 10 s after the last trade,
    // then the hours seal and the jobs run).
    let last = await procIo(pid);
    let quietSince = performance.now();
    const settleLimit = performance.now() + 180_000;
    while (performance.now() - quietSince < 15_000 && performance.now() < settleLimit) {
      await sleep(500);
      const io = await procIo(pid);
      if (io.writeBytes !== last.writeBytes) quietSince = performance.now();
      last = io;
    }
    const cpu0 = await procCpuS(pid);
    const io0 = await procIo(pid);
    await sleep(idleWindowMs);
    const cpu1 = await procCpuS(pid);
    const io1 = await procIo(pid);
    const rssMiB = await procRssMiB(pid);
    const candlesReqPerSec = await requestRate(
      `${base}/api/v1/candles?symbol=S1-USDT&interval=1m&limit=60`,
      3000,
    );
    return {
      ingestS,
      rssMiB,
      idleCpu: (cpu1 - cpu0) / (idleWindowMs / 1000),
      idleWriteBytesPerSec: ((io1.writeBytes - io0.writeBytes) * 1000) / idleWindowMs,
      candlesReqPerSec,
    };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** Requests per second with 8 in flight for `durationMs`; every answer must be 200. */
async function requestRate(url: string, durationMs: number): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, loop));
  return (done * 1000) / (performance.now() - t0);
}

async function until(check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > end) throw new Error('timed out');
    await sleep(250);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function procIo(pid: number): Promise<{ writeBytes: number }> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8');
  return { writeBytes: Number(/write_bytes:\s*(\d+)/.exec(text)?.[1] ?? 0) };
}

/** User + system CPU seconds of the process, all threads. */
async function procCpuS(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function procRssMiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s*(\d+)/.exec(text)?.[1] ?? 0) / 1024);
}
