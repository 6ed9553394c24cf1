import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Candle, Trade } from '../../src/domain/index.js';
import { openLakeReader } from '../../src/lake/index.js';
import { type EventLog, forEachEvent, openFileLog, TOPICS, type TopicDef } from '../../src/log/index.js';
import { BIN, FIXTURES } from '../cli/helpers.js';
import { goldSnapshot, readParquetRows } from '../lake/helpers.js';

/** The shipped real day: 5 929 XRP/ETH aggTrades, which the replay appends as frames of 2 000. */
export const FIXTURE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;
/** Its trades land in one partition of the trades topic. */
export const TRADES_PARTITION = 3;
/** Only a hang reaches it; durations are not asserted. */
const KILL_AFTER_MS = 60_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real executable; a process still running after a minute is killed and fails the test. */
export function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (hung) reject(new Error(`crypto-lambda ${args.join(' ')} hung; killed. stderr:\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

export const replay = (
  dataDir: string,
  env: Record<string, string> = {},
  input = FIXTURE,
  replayRate?: string,
) =>
  run(
    [
      'replay',
      '--input',
      input,
      '--data-dir',
      dataDir,
      ...(replayRate === undefined ? [] : ['--replay-rate', replayRate]),
    ],
    env,
  );
export const start = (dataDir: string) =>
  run(['start', '--source', 'simulator', '--port', '0', '--data-dir', dataDir]);
export const repair = (dataDir: string) => run(['repair', '--data-dir', dataDir]);

/**
 * Asserts a refusal: a non-zero exit (not a kill), the given message parts, the advice to run
 * `repair` on this data directory, and the lock released.
 */
export function assertRefused(result: Run, dataDir: string, parts: readonly (string | RegExp)[]): void {
  assert.notEqual(result.code, 0, result.stderr);
  assert.equal(typeof result.code, 'number');
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(result.stderr.includes(part), `${part} in:\n${result.stderr}`);
    else assert.match(result.stderr, part);
  }
  assert.ok(result.stderr.includes(`crypto-lambda repair --data-dir ${dataDir}`), result.stderr);
  assert.ok(!existsSync(join(dataDir, 'log', 'LOCK')), 'the lock is released');
}

/** Every file of the log, by path, for checking that a refused start changed nothing. */
export async function logFiles(dataDir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const dir = join(dataDir, 'log');
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, String(name));
    if (String(name).endsWith('.log') || String(name).endsWith('.json'))
      out.set(String(name), await readFile(path));
  }
  return out;
}

export async function copyDir(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}

/** The lost ranges `repair` printed: `[topic, partition, from, to (exclusive), records]`. */
export function reportedLost(stdout: string): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  for (const m of stdout.matchAll(/^ {2}(\w+) partition (\d+): offsets (\d+) to (\d+) \((\d+) records/gm)) {
    out.push([m[1] as string, Number(m[2]), Number(m[3]), Number(m[4]) + 1, Number(m[5])]);
  }
  return out;
}

async function readTopic<T>(log: EventLog, topic: TopicDef<T>, partition: number): Promise<T[]> {
  const values: T[] = [];
  await forEachEvent(log, topic, partition, 0, (value) => values.push(value));
  return values;
}

/** What a run leaves: the candles topic, the trades in the log, silver, gold candles. */
export interface Outcome {
  /** Closed and revised candles, per partition in log order, as JSON. */
  candles: string[][];
  /** `tradeId`s in the trades topic, sorted. */
  trades: string[];
  /** `trade_id`s in silver, sorted. */
  silver: string[];
  /** The gold candles job's rows. */
  goldCandles: string[];
}

export async function outcome(dataDir: string): Promise<Outcome> {
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  const candles: string[][] = [];
  const trades: string[] = [];
  try {
    for (let p = 0; p < TOPICS.candles.config.partitions; p++) {
      candles.push((await readTopic<Candle>(log, TOPICS.candles, p)).map((c) => JSON.stringify(c)));
    }
    for (let p = 0; p < TOPICS.trades.config.partitions; p++) {
      trades.push(...(await readTopic<Trade>(log, TOPICS.trades, p)).map((t) => t.tradeId));
    }
  } finally {
    await log.close();
  }
  const reader = await openLakeReader(join(dataDir, 'lake'));
  const files = reader.dates().flatMap((d) => reader.silverFiles(d, d));
  const silver = (await readParquetRows(files)).map((r) => String(r['trade_id']));
  const gold = await goldSnapshot(dataDir, { skipMissing: true });
  const goldCandles = [...gold].filter(([key]) => key.startsWith('candles/')).flatMap(([, rows]) => rows);
  return { candles, trades: trades.sort(), silver: silver.sort(), goldCandles };
}

/** The trade ids at `[from, to)` of the trades partition in a log (of an undamaged copy). */
export async function tradeIdsAt(dataDir: string, from: number, to: number): Promise<string[]> {
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  try {
    const records = await log.read(TOPICS.trades.name, TRADES_PARTITION, from, { maxRecords: to - from });
    return records.map((r) => TOPICS.trades.codec.decode(r.value).tradeId);
  } finally {
    await log.close();
  }
}
