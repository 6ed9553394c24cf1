import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { NODE_FLAGS } from '../src/cli/node-flags.js';
import { createRng } from '../src/ingest/index.js';
import { sqlList } from '../src/lake/index.js';

/**
 * The backfill benchmark (ARCHITECTURE.md §8: load + all jobs ≥ 30% of DuckDB's bare
 * `read_csv` + `GROUP BY` over the same files). The files are synthetic data.binance.vision
 * aggTrades dumps, gzip, one per UTC day; the reference reads them with DuckDB's CSV reader
 * (types sniffed) and aggregates per minute (count, min/max price, Σ qty); the product is the
 * `crypto-lambda backfill` executable on a fresh data directory, from start to exit: bronze,
 * silver, every hour sealed and every batch job run for every day.
 */

export const BACKFILL_DAYS = ['2024-03-01', '2024-03-02', '2024-03-03'] as const;
const SYMBOL = 'BTCUSDT';
/** Bump when the generated files change, so older ones are not reused. */
const FORMAT_VERSION = 1;
const BENCH_DIR = fileURLToPath(new URL('../../.bench/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/crypto-lambda', import.meta.url));
const DAY_MS = 86_400_000;

export interface DumpSet {
  dir: string;
  files: string[];
  trades: number;
  /** How long generating took; 0 when the files were reused. */
  generatedMs: number;
}

/**
 * `perDay` aggTrades a day for each of `BACKFILL_DAYS`, as data.binance.vision lays them out
 * (`BTCUSDT-aggTrades-2024-03-01.csv.gz`, the header row, ids consecutive across days, times in
 * ms spread over the day, prices and quantities with 8 decimals, a random walk), under
 * `.bench/`. Reused when already generated.
 */
export async function syntheticDumps(perDay: number): Promise<DumpSet> {
  const dir = join(BENCH_DIR, `backfill-dumps-${perDay}`);
  const files = BACKFILL_DAYS.map((day) => join(dir, `${SYMBOL}-aggTrades-${day}.csv.gz`));
  // Not a name backfill takes for a trades file: the folder is the benchmark's --input.
  const manifestPath = join(dir, 'generated.txt');
  const set = (generatedMs: number): DumpSet => ({ dir, files, trades: perDay * files.length, generatedMs });
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version?: number };
    if (manifest.version === FORMAT_VERSION) return set(0);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  // Seeded (mulberry32): the same files on every machine.
  const random = createRng(20240301).next;
  let id = 3_000_000_000;
  let firstId = 3_900_000_000;
  let price = 61_234.56;
  for (const [d, day] of BACKFILL_DAYS.entries()) {
    const start = Date.parse(`${day}T00:00:00Z`);
    const out = createGzip();
    const done = new Promise<void>((resolve, reject) => {
      const file = createWriteStream(files[d] as string);
      file.on('finish', resolve).on('error', reject);
      out.pipe(file);
    });
    out.write(
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\n',
    );
    let lines: string[] = [];
    for (let i = 0; i < perDay; i++) {
      const ts = start + Math.floor((i * DAY_MS) / perDay) + Math.floor(random() * 3);
      price = Math.max(1, price * (1 + (random() - 0.5) * 4e-4));
      const qty = (random() ** 3 * 2 + 0.00001).toFixed(8);
      const last = firstId + Math.floor(random() ** 4 * 4);
      lines.push(
        `${id++},${price.toFixed(2)}000000,${qty},${firstId},${last},${Math.min(ts, start + DAY_MS - 1)},${random() < 0.5},true`,
      );
      firstId = last + 1;
      if (lines.length === 10_000) {
        if (!out.write(`${lines.join('\n')}\n`)) await new Promise((r) => out.once('drain', r));
        lines = [];
      }
    }
    out.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    await done;
  }
  writeFileSync(manifestPath, JSON.stringify({ version: FORMAT_VERSION, perDay }));
  return set(performance.now() - t0);
}

/** Trades per second of wall clock, and per second of CPU time (every thread of the process). */
export interface Rate {
  perSec: number;
  perCpuSec: number;
}

/** The reference: DuckDB's `read_csv` over the files and a 1m `GROUP BY`, materialized. */
export async function referenceRate(dumps: DumpSet): Promise<Rate> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await connection.run(`CREATE TEMP TABLE bench_reference AS
      SELECT transact_time // 60000 AS minute, count(*) AS trades, min(price) AS low, max(price) AS high,
        sum(quantity) AS volume
      FROM read_csv(${sqlList(dumps.files)}) GROUP BY ALL`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perSec: dumps.trades / seconds, perCpuSec: dumps.trades / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface BackfillRound extends Rate {
  seconds: number;
  /** Job runs recorded in `_batch/runs.jsonl`, and the most runs of one job for one day. */
  runs: number;
  maxRunsPerJobDay: number;
}

/** `crypto-lambda backfill` of the files into a fresh data directory, as a user runs it; trades/s. */
export async function backfillRate(dumps: DumpSet): Promise<BackfillRound> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cl-bench-backfill-'));
  try {
    const args = [BIN, 'backfill', '--from', BACKFILL_DAYS[0], '--to', BACKFILL_DAYS[2]];
    const t0 = performance.now();
    const { code, stderr } = await run([...args, '--input', dumps.dir, '--data-dir', dataDir]);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`backfill exited with ${code}:\n${stderr}`);
    // Worker threads load the reporter too and print first: the process's line is the last.
    const cpuMicros = Number([...stderr.matchAll(/bench-cpu-us (\d+)/g)].pop()?.[1] ?? Number.NaN);
    const runs = (await readFile(join(dataDir, 'lake', '_batch', 'runs.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { job: string; date: string });
    const perJobDay = new Map<string, number>();
    for (const r of runs) perJobDay.set(`${r.job} ${r.date}`, (perJobDay.get(`${r.job} ${r.date}`) ?? 0) + 1);
    return {
      perSec: dumps.trades / seconds,
      perCpuSec: dumps.trades / (cpuMicros / 1e6),
      seconds,
      runs: runs.length,
      maxRunsPerJobDay: Math.max(...perJobDay.values()),
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Preloaded into the child: reports its CPU time (all its threads: DuckDB's, the thread pool's)
 * on stderr as it exits.
 */
const CPU_REPORTER = `data:text/javascript,${encodeURIComponent(
  'process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("\\nbench-cpu-us " + (u.user + u.system) + "\\n"); });',
)}`;

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', CPU_REPORTER, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
