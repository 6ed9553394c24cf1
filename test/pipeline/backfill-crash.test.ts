import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openPipeline } from '../../src/cli/pipeline.js';
import type { Rejected } from '../../src/domain/index.js';
import { type LakeManifest, openLakeReader } from '../../src/lake/index.js';
import { forEachEvent, openFileLog, TOPICS } from '../../src/log/index.js';
import { buildServer } from '../../src/serve/index.js';
import { BIN, FIXTURES, runCli } from '../cli/helpers.js';
import { goldSnapshot, readParquetRows } from '../lake/helpers.js';
import { prng } from './synthetic.js';

const DAY_MS = 86_400_000;
const DAYS = ['2019-10-11', '2019-10-12', '2019-10-13'] as const;
const [HEADER, ...ROWS] = gunzipSync(
  readFileSync(`${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`),
)
  .toString('utf8')
  .trim()
  .split('\n') as [string, ...string[]];

function shifted(k: number): string[] {
  return ROWS.map((row) => {
    const c = row.split(',');
    const id = (n: string | undefined): string => String(Number(n) + k * 1_000_000);
    return [id(c[0]), c[1], c[2], id(c[3]), id(c[4]), String(Number(c[5]) + k * DAY_MS), c[6], c[7]].join(
      ',',
    );
  });
}

/** Bad rows of every kind, with the reason the streaming parser gives each. */
function badRows(): [string, string][] {
  const c = (ROWS[100] as string).split(',');
  const at = (col: number, value: string): string => c.map((x, i) => (i === col ? value : x)).join(',');
  return [
    [at(1, 'NaN'), 'invalid_price'],
    [at(1, '0.00000000'), 'invalid_price'],
    [at(1, '-0.00141342'), 'invalid_price'],
    [at(5, 'yesterday'), 'invalid_time'],
    [at(5, '1000'), 'time_out_of_range'],
    [`${ROWS[100]},surplus,columns`, 'bad_csv'],
    ['x'.repeat(50 * 1024 * 1024), 'line_too_long'],
  ];
}

/**
 * Three days of the real XRPETH day (shifted), as a monthly dump that overlaps the first two
 * daily ones, a daily dump with every kind of bad row and repeated rows, one gzip, one without
 * a header.
 */
async function writeInput(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const [day1, day2, day3] = [shifted(0), shifted(1), shifted(2)];
  const bad = badRows();
  const withBad = [
    ...day1.slice(0, 2000),
    ...bad.map(([row]) => row),
    ...day1.slice(2000),
    ...day1.slice(100, 300),
  ];
  await writeFile(
    join(dir, 'XRPETH-aggTrades-2019-10.csv.gz'),
    gzipSync([HEADER, ...day1.slice(3000), ...day2.slice(0, 1000)].join('\n')),
  );
  await writeFile(join(dir, 'XRPETH-aggTrades-2019-10-11.csv'), `${[HEADER, ...withBad].join('\n')}\n`);
  await writeFile(
    join(dir, 'XRPETH-aggTrades-2019-10-12.csv.gz'),
    gzipSync(`${[HEADER, ...day2].join('\n')}\n`),
  );
  await writeFile(join(dir, 'XRPETH-aggTrades-2019-10-13.csv'), `${day3.join('\n')}\n`);
  // Origins as the replay names them: the file's path and its line.
  return bad.map(([, reason], i) => `${join(dir, 'XRPETH-aggTrades-2019-10-11.csv')}:${2002 + i} ${reason}`);
}

interface Outcome {
  silver: string[];
  gold: Map<string, string[]>;
  /** `origin reason` of every rejected record in the log. */
  rejected: string[];
  dumps: string[];
  temps: string[];
}

async function outcome(dataDir: string): Promise<Outcome> {
  const reader = await openLakeReader(join(dataDir, 'lake'));
  const silver = (await readParquetRows(reader.dates().flatMap((d) => reader.silverFiles(d, d)))).map((r) =>
    JSON.stringify(r),
  );
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  const rejected: string[] = [];
  try {
    await log.createTopic(TOPICS.rejected.name, TOPICS.rejected.config);
    await forEachEvent(log, TOPICS.rejected, 0, 0, (r: Rejected) => rejected.push(`${r.origin} ${r.reason}`));
  } finally {
    await log.close();
  }
  const manifest = JSON.parse(
    await readFile(join(dataDir, 'lake', '_manifest.json'), 'utf8'),
  ) as LakeManifest;
  const dumps = Object.values(manifest.dumps ?? {})
    .map((d) => `${d.name} ${d.lines} ${d.trades} ${d.rejected} ${d.done}`)
    .sort();
  const temps = (await readdir(join(dataDir, 'lake'), { recursive: true }))
    .map(String)
    .filter((f) => f.split('/').pop()?.startsWith('.tmp-'));
  return { silver, gold: await goldSnapshot(dataDir, { dates: DAYS }), rejected, dumps, temps };
}

function backfillKilledAfter(args: readonly string[], killAfterMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('backfill of dumps with bad rows and repeated trades, killed at random points', () => {
  let dir: string;
  let input: string;
  let expectedRejected: string[];
  let reference: Outcome;
  let referenceRun: Awaited<ReturnType<typeof runCli>>;
  let referenceMs = 0;
  const args = (dataDir: string): string[] => [
    'backfill',
    '--from',
    DAYS[0],
    '--to',
    DAYS[2],
    '--input',
    input,
    '--data-dir',
    dataDir,
    // Commits within each file, so a kill also falls between them.
    '--commit-every',
    '1500',
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-backfill-crash-'));
    input = join(dir, 'dumps');
    expectedRejected = await writeInput(input);
    const t0 = Date.now();
    referenceRun = await runCli(args(join(dir, 'reference')));
    referenceMs = Date.now() - t0;
    reference = await outcome(join(dir, 'reference'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects the bad rows with the streaming parser’s reasons, counts them, and loads every other trade once', async () => {
    assert.equal(referenceRun.code, 0, referenceRun.stderr);
    assert.match(
      referenceRun.stderr,
      /\[undated\] XRPETH-aggTrades-2019-10\.csv\.gz: 3929 trades, 0 rejected/,
    );
    assert.match(referenceRun.stderr, /\[undated\] silver: 3929 new trades, 0 there already/);
    assert.match(
      referenceRun.stderr,
      /\[day 1\/3 2019-10-11\] XRPETH-aggTrades-2019-10-11\.csv: 6129 trades, 7 rejected/,
    );
    assert.match(referenceRun.stderr, /\[day 1\/3 2019-10-11\] silver: 3000 new trades, 3129 there already/);
    assert.match(referenceRun.stderr, /\[day 2\/3 2019-10-12\] silver: 4929 new trades, 1000 there already/);
    assert.deepEqual([...reference.rejected].sort(), [...expectedRejected].sort());
    const ids = reference.silver.map((r) => (JSON.parse(r) as { trade_id: string }).trade_id);
    assert.equal(ids.length, 3 * 5929);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(reference.gold.size >= 18);
    assert.deepEqual(reference.temps, []);
  });

  it('shows the rejections through /api/v1/rejected and the status counts', async () => {
    const pipeline = await openPipeline({ dataDir: join(dir, 'reference'), live: false, batch: false });
    const app = buildServer(pipeline.deps);
    try {
      for (let i = 0; i < 100 && pipeline.status().rejected.total < 7; i++)
        await new Promise((r) => setTimeout(r, 50));
      const status = (await app.inject('/api/v1/system/status')).json() as {
        rejected: { total: number; byReason: Record<string, number> };
      };
      assert.deepEqual(status.rejected, {
        total: 7,
        byReason: { bad_csv: 1, invalid_price: 3, invalid_time: 1, line_too_long: 1, time_out_of_range: 1 },
      });
      const listed = (await app.inject('/api/v1/rejected?limit=100')).json() as { rejected: Rejected[] };
      assert.deepEqual(
        listed.rejected.map((r) => `${r.origin} ${r.reason}`).sort(),
        [...expectedRejected].sort(),
      );
    } finally {
      await app.close();
      await pipeline.close();
    }
  });

  it('a re-run adds nothing', async () => {
    const dataDir = join(dir, 'again');
    assert.equal((await runCli(args(dataDir))).code, 0);
    const once = await outcome(dataDir);
    const again = await runCli(args(dataDir));
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /XRPETH-aggTrades-2019-10-11\.csv: loaded before \(6129 trades, 7 rejected\), skipped/,
    );
    assert.deepEqual(await outcome(dataDir), once);
  });

  it('resumes after every SIGKILL to the silver, gold, rejections and bronze of a run that never stopped', async (t) => {
    const dataDir = join(dir, 'crashed');
    const random = prng(Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000));
    let kills = 0;
    let finished = false;
    let spanMs = referenceMs;
    for (let attempt = 0; attempt < 24 && !(finished && kills >= 2); attempt++) {
      if (finished) {
        // It ran to the end before two kills (the machine ran faster than the reference run):
        // start over with kill times within the time that run took.
        await rm(dataDir, { recursive: true, force: true });
        finished = false;
        kills = 0;
      }
      // From start-up to the last job: a resumed run has less left to do, so earlier is likelier.
      const t0 = Date.now();
      const code = await backfillKilledAfter(args(dataDir), 200 + Math.floor(random() * random() * spanMs));
      if (code === 0) {
        finished = true;
        if (kills < 2) spanMs = Math.min(spanMs, Math.max(400, Date.now() - t0));
      } else kills++;
    }
    if (!finished) assert.equal((await runCli(args(dataDir))).code, 0);
    assert.ok(kills >= 2, `backfill was killed ${kills} times; too few to test anything`);
    t.diagnostic(`killed ${kills} times, then ran to the end`);
    const crashed = await outcome(dataDir);
    assert.deepEqual(crashed.silver, reference.silver);
    assert.deepEqual([...crashed.gold.keys()].sort(), [...reference.gold.keys()].sort());
    for (const [key, rows] of reference.gold) assert.deepEqual(crashed.gold.get(key), rows, `gold ${key}`);
    assert.deepEqual([...crashed.rejected].sort(), [...reference.rejected].sort(), 'every rejection once');
    assert.deepEqual(crashed.dumps, reference.dumps);
    assert.deepEqual(crashed.temps, []);
  });
});
