import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GOLD_JOBS, goldSnapshot } from '../../lake/helpers.js';
import { BIN, FIXTURES, runCli } from '../helpers.js';

const DAY_MS = 86_400_000;
const DAYS = ['2019-10-11', '2019-10-12', '2019-10-13'] as const;

/** Three days of real Binance aggTrades: the fixture day, and copies shifted by one and two days. */
async function writeDays(dir: string): Promise<void> {
  const text = gunzipSync(
    readFileSync(`${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`),
  ).toString('utf8');
  const [header, ...rows] = text.trim().split('\n');
  await mkdir(dir, { recursive: true });
  for (const [k, day] of DAYS.entries()) {
    const shifted = rows.map((row) => {
      const c = row.split(',');
      const id = (n: string | undefined): string => String(Number(n) + k * 1_000_000);
      return [id(c[0]), c[1], c[2], id(c[3]), id(c[4]), String(Number(c[5]) + k * DAY_MS), c[6], c[7]].join(
        ',',
      );
    });
    await writeFile(join(dir, `XRPETH-aggTrades-${day}.csv`), `${[header, ...shifted].join('\n')}\n`);
  }
}

describe('crypto-lambda backfill', () => {
  let dir: string;
  let input: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-backfill-'));
    input = join(dir, 'dumps');
    await writeDays(input);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const backfillArgs = (dataDir: string): string[] => [
    'backfill',
    '--from',
    DAYS[0],
    '--to',
    DAYS[2],
    '--input',
    input,
    '--data-dir',
    dataDir,
  ];

  it('loads several days into the lake, runs the DAG day by day with progress, and a re-run changes nothing', async () => {
    const dataDir = join(dir, 'a');
    const args = backfillArgs(dataDir);
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    for (const [i, day] of DAYS.entries()) {
      assert.match(
        first.stderr,
        new RegExp(`\\[day ${i + 1}/3 ${day}\\] XRPETH-aggTrades-${day}\\.csv: 5929 new trades`),
      );
      for (const job of GOLD_JOBS) assert.match(first.stderr, new RegExp(`✓ ${job} ${day}: succeeded`));
    }
    assert.match(first.stderr, /backfill done: batch watermark 2019-10-14T00:00:00\.000Z/);
    const status = await runCli(['batch', 'status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /batch watermark: 2019-10-14T00:00:00\.000Z/);
    assert.match(status.stdout, /days due: none/);

    const manifest = await readFile(join(dataDir, 'lake', '_manifest.json'), 'utf8');
    const runs = await readFile(join(dataDir, 'lake', '_batch', 'runs.jsonl'), 'utf8');
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /XRPETH-aggTrades-2019-10-12\.csv: 0 new trades/);
    assert.match(again.stderr, /\[day 3\/3 2019-10-13\] batch views up to date/);
    assert.equal(
      await readFile(join(dataDir, 'lake', '_batch', 'runs.jsonl'), 'utf8'),
      runs,
      'no job ran again',
    );
    const lakeAfter = JSON.parse(await readFile(join(dataDir, 'lake', '_manifest.json'), 'utf8')) as {
      hours: unknown;
    };
    assert.deepEqual(lakeAfter.hours, (JSON.parse(manifest) as { hours: unknown }).hours, 'silver unchanged');

    // Bronze: every line of every file as received (the CSV header too), gzip JSON lines.
    const bronze = Object.values(
      (JSON.parse(manifest) as { bronze: Record<string, { source: string; files: { path: string }[] }> })
        .bronze,
    );
    const lines = bronze.flatMap((h) =>
      h.files.flatMap((f) =>
        gunzipSync(readFileSync(join(dataDir, 'lake', f.path)))
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => `${h.source} ${(JSON.parse(l) as { payload: string }).payload}`),
      ),
    );
    assert.equal(lines.length, 3 * 5930);
    assert.ok(
      lines.includes(
        'replay:XRPETH-aggTrades-2019-10-12.csv 14519807,0.00141342,23.00000000,16373518,16373518,1570838411620,true,true',
      ),
    );

    // Day 2's metrics compare with day 1's close.
    const daily = (await goldSnapshot(dataDir, { dates: DAYS })).get('daily_market_metrics/2019-10-12') ?? [];
    assert.equal(daily.length, 1);
    assert.equal(
      (JSON.parse(daily[0] ?? '{}') as { change: number }).change,
      0,
      'the copy closes where day 1 did',
    );
  });

  it('killed mid-way and run again, it resumes and ends with the same gold as a run that never stopped', async () => {
    const dataDir = join(dir, 'b');
    const args = backfillArgs(dataDir);
    // Kill it once day 2 starts: day 1 is done, day 2 is loading.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (chunk.includes('[day 2/3')) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        assert.equal(signal, 'SIGKILL');
        resolve();
      });
    });
    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /XRPETH-aggTrades-2019-10-11\.csv: 0 new trades/);
    assert.deepEqual(
      await goldSnapshot(dataDir, { dates: DAYS }),
      await goldSnapshot(join(dir, 'a'), { dates: DAYS }),
    );
  });
});
