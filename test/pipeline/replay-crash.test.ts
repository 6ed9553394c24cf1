import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Candle, Trade } from '../../src/domain/index.js';
import { openLakeReader } from '../../src/lake/index.js';
import { type EventLog, forEachEvent, openFileLog, TOPICS, type TopicDef } from '../../src/log/index.js';
import { BIN, runCli } from '../cli/helpers.js';
import { GOLD_JOBS, goldSnapshot, readParquetRows } from '../lake/helpers.js';
import { messyFrames, prng, simulatedTrades } from './synthetic.js';

const TRADES = 40_000;
const REPLAY_RATE = '25000';

async function readTopic<T>(log: EventLog, topic: TopicDef<T>): Promise<T[][]> {
  const partitions: T[][] = [];
  for (let p = 0; p < topic.config.partitions; p++) {
    const values: T[] = [];
    await forEachEvent(log, topic, p, 0, (value) => values.push(value));
    partitions.push(values);
  }
  return partitions;
}

interface Outcome {
  candlesBySymbol: Map<string, string[]>;
  tradeIds: string[];
  rejected: number;
  /** `symbol:tradeId` of every silver row, in file order. */
  silver: string[];
  /** Per gold job, its rows as JSON (quality without its wall-clock freshness figure). */
  gold: Map<string, string[]>;
  /** Temporary files left visible under the lake. */
  temps: string[];
}

async function lakeOutcome(dataDir: string): Promise<Pick<Outcome, 'silver' | 'gold' | 'temps'>> {
  const reader = await openLakeReader(join(dataDir, 'lake'));
  const files = reader.dates().flatMap((d) => reader.silverFiles(d, d));
  const silver = (await readParquetRows(files)).map((r) => `${r['symbol']}:${r['trade_id']}`);
  const gold = await goldSnapshot(dataDir, { skipMissing: true });
  const temps = (await readdir(join(dataDir, 'lake'), { recursive: true })).filter((f) =>
    String(f).split('/').pop()?.startsWith('.tmp-'),
  );
  return { silver, gold, temps: temps.map(String) };
}

async function outcome(dataDir: string): Promise<Outcome> {
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  try {
    const candlesBySymbol = new Map<string, string[]>();
    for (const partition of await readTopic<Candle>(log, TOPICS.candles)) {
      for (const c of partition) {
        const key = `${c.venue}:${c.symbol}`;
        const list = candlesBySymbol.get(key) ?? [];
        list.push(JSON.stringify(c));
        candlesBySymbol.set(key, list);
      }
    }
    const tradeIds = (await readTopic<Trade>(log, TOPICS.trades))
      .flat()
      .map((t) => `${t.symbol}:${t.tradeId}`);
    const rejected = (await readTopic(log, TOPICS.rejected)).flat().length;
    return { candlesBySymbol, tradeIds, rejected, ...(await lakeOutcome(dataDir)) };
  } finally {
    await log.close();
  }
}

/** Starts a replay and SIGKILLs it after `killAfterMs`; resolves with how it ended. */
function replayKilledAfter(input: string, dataDir: string, killAfterMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'replay', '--input', input, '--data-dir', dataDir, '--replay-rate', REPLAY_RATE],
      {
        stdio: 'ignore',
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('replay killed with SIGKILL at random points and restarted', () => {
  let dir: string;
  let input: string;
  let reference: Outcome;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-crash-'));
    input = join(dir, 'frames.jsonl');
    const trades = await simulatedTrades(TRADES, 7);
    await writeFile(input, `${messyFrames(trades, 11).join('\n')}\n`);
    const run = await runCli(['replay', '--input', input, '--data-dir', join(dir, 'reference')]);
    assert.equal(run.code, 0, run.stderr);
    reference = await outcome(join(dir, 'reference'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with the same log when the file is parsed in the main thread (--no-worker)', async () => {
    const dataDir = join(dir, 'no-worker');
    const run = await runCli(['replay', '--input', input, '--data-dir', dataDir, '--no-worker']);
    assert.equal(run.code, 0, run.stderr);
    const inThread = await outcome(dataDir);
    assert.deepEqual([...inThread.tradeIds].sort(), [...reference.tradeIds].sort());
    assert.deepEqual(inThread.candlesBySymbol, reference.candlesBySymbol);
    assert.equal(inThread.rejected, reference.rejected);
  });

  it('ends with exactly the candles, trades and rejections of a run that never stopped', async (t) => {
    const dataDir = join(dir, 'crashed');
    const random = prng(Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000));
    // Kill it at random points (start-up, mid-replay, checkpointing, shutdown), then let a last
    // run finish: however the kills fell, the end state must be the uninterrupted run's.
    let kills = 0;
    let finished = false;
    for (let attempt = 0; attempt < 12 && !finished; attempt++) {
      const code = await replayKilledAfter(input, dataDir, 150 + Math.floor(random() * 1800));
      if (code === 0) finished = true;
      else kills++;
    }
    if (!finished) assert.equal((await runCli(['replay', '--input', input, '--data-dir', dataDir])).code, 0);
    assert.ok(kills >= 2, `the replay was killed ${kills} times; too few to test anything`);
    t.diagnostic(`killed ${kills} times, then ran to the end`);
    const crashed = await outcome(dataDir);

    // No trade lost or duplicated in the log.
    assert.equal(new Set(crashed.tradeIds).size, crashed.tradeIds.length, 'duplicate trades in the log');
    assert.deepEqual([...crashed.tradeIds].sort(), [...reference.tradeIds].sort());
    // Candles: per symbol, the very same sequence of closed and revised candles, none repeated.
    assert.deepEqual(
      [...crashed.candlesBySymbol.keys()].sort(),
      [...reference.candlesBySymbol.keys()].sort(),
    );
    for (const [symbol, candles] of reference.candlesBySymbol) {
      assert.deepEqual(crashed.candlesBySymbol.get(symbol), candles, `candles of ${symbol}`);
    }
    assert.ok(reference.rejected > 0, 'the input has malformed frames');
    assert.equal(crashed.rejected, reference.rejected, 'every rejected record once');
    // The lake: every trade exactly once in silver, in the same order; gold identical; no temp file.
    assert.equal(reference.silver.length, reference.tradeIds.length, 'silver holds every trade of the log');
    assert.deepEqual(crashed.silver, reference.silver);
    assert.deepEqual([...crashed.gold.keys()].sort(), [...reference.gold.keys()].sort());
    assert.ok(reference.gold.size >= GOLD_JOBS.length, 'every batch job wrote its output');
    for (const [key, rows] of reference.gold) assert.deepEqual(crashed.gold.get(key), rows, `gold ${key}`);
    assert.deepEqual(crashed.temps, []);
  });
});
