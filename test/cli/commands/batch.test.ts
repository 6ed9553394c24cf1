import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GOLD_JOBS, goldSnapshot } from '../../lake/helpers.js';
import { prng } from '../../pipeline/synthetic.js';
import { BIN, FIXTURES, runCli } from '../helpers.js';

const DAY = '2019-10-11';

/** Every committed gold file of the day, read whole (a partial Parquet file fails to read). */
const gold = (dataDir: string): Promise<Map<string, string[]>> => goldSnapshot(dataDir, { dates: [DAY] });

describe('crypto-lambda batch', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-batch-'));
    dataDir = join(dir, 'data');
    const input = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;
    const replay = await runCli(['replay', '--input', input, '--data-dir', dataDir]);
    assert.equal(replay.code, 0, replay.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('status shows the jobs, their last runs and the watermark; run says what is up to date', async () => {
    const status = await runCli(['batch', 'status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /batch watermark: 2019-10-12T00:00:00\.000Z/);
    for (const job of GOLD_JOBS)
      assert.match(status.stdout, new RegExp(`${job} .*✓ ${job} ${DAY}: succeeded`));
    const run = await runCli(['batch', 'run', 'all', '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /2019-10-11: up to date \(use --force to run again\)/);
    const unknown = await runCli(['batch', 'run', 'nope', '--data-dir', dataDir]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /no batch job "nope"; the jobs are quality, candles, .*\[BATCH_UNKNOWN_JOB\]/,
    );
  });

  it('killed with SIGKILL mid-run, never leaves a partial gold file; the re-run writes the same outputs', async (t) => {
    const before = await gold(dataDir);
    const random = prng(Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000));
    let kills = 0;
    for (let i = 0; i < 6; i++) {
      const killAfterMs = 150 + Math.floor(random() * 700);
      const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [BIN, 'batch', 'run', 'all', '--force', '--data-dir', dataDir],
          {
            stdio: 'ignore',
          },
        );
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('error', reject);
        child.on('exit', (_code, s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
      if (signal === 'SIGKILL') kills++;
      // Whatever the moment, every gold file is whole, and the same as before.
      assert.deepEqual(await gold(dataDir), before);
    }
    t.diagnostic(`killed ${kills} of 6 runs`);
    const rerun = await runCli(['batch', 'run', 'all', '--force', '--data-dir', dataDir]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(await gold(dataDir), before);
  });
});
