import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { roundTo } from '../../../src/domain/index.js';
import { type LakeManifest, openLakeReader } from '../../../src/lake/index.js';
import { GOLD_JOBS, goldSnapshot, readParquetRows } from '../../lake/helpers.js';
import { FIXTURES, parseCsv, runCli } from '../helpers.js';

const DAY_MS = 86_400_000;
const DAYS = ['2019-10-11', '2019-10-12', '2019-10-13'] as const;

const backfillArgs = (from: string, to: string, input: string, dataDir: string): string[] => [
  'backfill',
  '--from',
  from,
  '--to',
  to,
  '--input',
  input,
  '--data-dir',
  dataDir,
];
const XRPETH = `${FIXTURES}binance/xrpeth-2019-10-11/`;
const DUMP = `${XRPETH}XRPETH-aggTrades-2019-10-11.csv.gz`;
const [HEADER, ...ROWS] = gunzipSync(readFileSync(DUMP)).toString('utf8').trim().split('\n') as [
  string,
  ...string[],
];

/** The real day's rows shifted by `k` days (times) and k million (ids). */
function shifted(k: number): string[] {
  return ROWS.map((row) => {
    const c = row.split(',');
    const id = (n: string | undefined): string => String(Number(n) + k * 1_000_000);
    return [id(c[0]), c[1], c[2], id(c[3]), id(c[4]), String(Number(c[5]) + k * DAY_MS), c[6], c[7]].join(
      ',',
    );
  });
}

/** The real day as Binance's dump, then two copies shifted by one and two days. */
async function writeDays(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'XRPETH-aggTrades-2019-10-11.csv.gz'), readFileSync(DUMP));
  for (const k of [1, 2]) {
    await writeFile(join(dir, `XRPETH-aggTrades-${DAYS[k]}.csv`), `${[HEADER, ...shifted(k)].join('\n')}\n`);
  }
}

/** Silver rows of a data dir's day, in file order, with the symbol replaced by `as`. */
async function silverRows(dataDir: string, date: string, as?: string): Promise<string[]> {
  const reader = await openLakeReader(join(dataDir, 'lake'));
  const rows = await readParquetRows(reader.silverFiles(date, date));
  return rows.map((r) => JSON.stringify(as === undefined ? r : { ...r, symbol: as }));
}

async function manifestOf(dataDir: string): Promise<LakeManifest> {
  return JSON.parse(await readFile(join(dataDir, 'lake', '_manifest.json'), 'utf8')) as LakeManifest;
}

describe('crypto-lambda backfill', () => {
  let dir: string;
  let input: string;
  let dataDir: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-backfill-'));
    input = join(dir, 'dumps');
    dataDir = join(dir, 'a');
    await writeDays(input);
    first = await runCli(backfillArgs(DAYS[0], DAYS[2], input, dataDir));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads each day into the lake, runs its DAG once, and a re-run changes nothing', async () => {
    assert.equal(first.code, 0, first.stderr);
    for (const [i, day] of DAYS.entries()) {
      const name = `XRPETH-aggTrades-${day}\\.csv${i === 0 ? '\\.gz' : ''}`;
      assert.match(first.stderr, new RegExp(`\\[day ${i + 1}/3 ${day}\\] ${name}: 5929 trades, 0 rejected`));
      assert.match(
        first.stderr,
        new RegExp(
          `\\[day ${i + 1}/3 ${day}\\] silver: 5929 new trades, 0 there already; 24 hour\\(s\\) sealed`,
        ),
      );
      for (const job of GOLD_JOBS) assert.match(first.stderr, new RegExp(`✓ ${job} ${day}: succeeded`));
    }
    assert.match(first.stderr, /backfill done: batch watermark 2019-10-14T00:00:00\.000Z/);
    // Each day's DAG ran once: one run of each job for each day, no more.
    const runsText = await readFile(join(dataDir, 'lake', '_batch', 'runs.jsonl'), 'utf8');
    const runs = runsText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { job: string; date: string; trigger: string });
    assert.deepEqual(
      runs.map((r) => `${r.date} ${r.job} ${r.trigger}`).sort(),
      DAYS.flatMap((d) => GOLD_JOBS.map((j) => `${d} ${j} backfill`)).sort(),
    );
    const status = await runCli(['batch', 'status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /batch watermark: 2019-10-14T00:00:00\.000Z/);
    assert.match(status.stdout, /days due: none/);

    const manifest = await manifestOf(dataDir);
    const again = await runCli(backfillArgs(DAYS[0], DAYS[2], input, dataDir));
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /XRPETH-aggTrades-2019-10-12\.csv: loaded before \(5929 trades, 0 rejected\), skipped/,
    );
    assert.match(again.stderr, /\[day 3\/3 2019-10-13\] batch views up to date/);
    assert.equal(
      await readFile(join(dataDir, 'lake', '_batch', 'runs.jsonl'), 'utf8'),
      runsText,
      'no job ran again',
    );
    const after = await manifestOf(dataDir);
    assert.deepEqual(after.hours, manifest.hours, 'silver unchanged');
    assert.deepEqual(after.dumps, manifest.dumps, 'bronze unchanged');
  });

  it('keeps each dump in bronze byte for byte, under its own name', async () => {
    const dumps = Object.values((await manifestOf(dataDir)).dumps ?? {}).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    assert.deepEqual(
      dumps.map((d) => [d.name, d.lines, d.trades, d.rejected, d.done]),
      [
        ['XRPETH-aggTrades-2019-10-11.csv.gz', 5930, 5929, 0, true],
        ['XRPETH-aggTrades-2019-10-12.csv', 5930, 5929, 0, true],
        ['XRPETH-aggTrades-2019-10-13.csv', 5930, 5929, 0, true],
      ],
    );
    for (const d of dumps) {
      assert.match(d.path, new RegExp(`^bronze/dumps/\\d{8}/${d.name.replaceAll('.', '\\.')}$`));
      assert.deepEqual(
        readFileSync(join(dataDir, 'lake', d.path)),
        readFileSync(join(input, d.name)),
        d.name,
      );
    }
  });

  it("gives the real day the candles of Binance's own 1m and 5m klines", async () => {
    const reader = await openLakeReader(join(dataDir, 'lake'));
    const gold = await readParquetRows(reader.goldPath('candles', DAYS[0]));
    for (const [interval, count] of [
      ['1m', 1440],
      ['5m', 288],
    ] as const) {
      const klines = parseCsv(readFileSync(`${XRPETH}XRPETH-${interval}-2019-10-11.csv`, 'utf8'));
      const mine = gold
        .filter((r) => r['interval'] === interval)
        .sort((a, b) => Number(a['open_time']) - Number(b['open_time']));
      assert.equal(mine.length, count);
      assert.deepEqual(
        mine.map((r) =>
          ['open_time', 'open', 'high', 'low', 'close', 'volume'].map((k) => roundTo(Number(r[k]), 8)),
        ),
        klines.map((k) => ['open_time', 'open', 'high', 'low', 'close', 'volume'].map((f) => Number(k[f]))),
        interval,
      );
    }
  });

  it('ends the real day with the silver and gold of a replay through the speed path', async () => {
    const replayDir = join(dir, 'replay');
    const replay = await runCli(['replay', '--input', DUMP, '--data-dir', replayDir]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.deepEqual(await silverRows(dataDir, DAYS[0]), await silverRows(replayDir, DAYS[0]));
    const mine = await goldSnapshot(dataDir, { dates: [DAYS[0]] });
    const theirs = await goldSnapshot(replayDir, { dates: [DAYS[0]] });
    assert.deepEqual([...mine.keys()], [...theirs.keys()]);
    for (const [key, rows] of theirs) assert.deepEqual(mine.get(key), rows, key);
  });

  it('loads recorded WebSocket frames through the log, as replay does, and a dump of the same day beside them', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    const frames = `${FIXTURES}binance/ws-cryptofeed/binance-spot_aggTrade+kline_1m_2021-04-17T1636Z.jsonl`;
    await writeFile(
      join(mixed, 'binance-spot_aggTrade+kline_1m_2021-04-17T1636Z.jsonl'),
      readFileSync(frames),
    );
    const day = ROWS.slice(0, 100).map((r) => {
      const c = r.split(',');
      c[5] = String(Number(c[5]) + Date.UTC(2021, 3, 17) - Date.UTC(2019, 9, 11));
      return c.join(',');
    });
    await writeFile(join(mixed, 'XRPETH-aggTrades-2021-04-17.csv'), `${day.join('\n')}\n`);
    const mixedDir = join(dir, 'm');
    const run = await runCli(backfillArgs('2021-04-17', '2021-04-17', mixed, mixedDir));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /binance-spot_aggTrade\+kline_1m_2021-04-17T1636Z\.jsonl: 24 new trades/);
    assert.match(run.stderr, /XRPETH-aggTrades-2021-04-17\.csv: 100 trades, 0 rejected/);
    const rows = (await silverRows(mixedDir, '2021-04-17')).map((r) => JSON.parse(r) as { symbol: string });
    assert.equal(rows.length, 124);
    assert.equal(rows.filter((r) => r.symbol === 'XRP-ETH').length, 100);
    const runs = (await readFile(join(mixedDir, 'lake', '_batch', 'runs.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(runs.length, GOLD_JOBS.length, 'the day ran its DAG once');
  });

  it('reads headerless, µs, CRLF, plain and gzip dumps into the same silver', async () => {
    const variants = join(dir, 'variants');
    await mkdir(variants);
    const micros = ROWS.map((r) => {
      const c = r.split(',');
      c[5] = `${c[5]}000`;
      return c.join(',');
    });
    await writeFile(join(variants, 'XRPBTC-aggTrades-2019-10-11.csv'), `${ROWS.join('\n')}\n`);
    await writeFile(join(variants, 'XRPBNB-aggTrades-2019-10-11.csv.gz'), gzipSync(`${micros.join('\n')}\n`));
    await writeFile(
      join(variants, 'XRPUSDT-aggTrades-2019-10-11.csv'),
      `${[HEADER, ...ROWS].join('\r\n')}\r\n`,
    );
    const variantsDir = join(dir, 'v');
    const run = await runCli(backfillArgs(DAYS[0], DAYS[0], variants, variantsDir));
    assert.equal(run.code, 0, run.stderr);
    const all = (await silverRows(variantsDir, DAYS[0])).map((r) => JSON.parse(r) as Record<string, unknown>);
    const reference = await silverRows(dataDir, DAYS[0]);
    for (const symbol of ['XRP-BNB', 'XRP-BTC', 'XRP-USDT']) {
      const rows = all
        .filter((r) => r['symbol'] === symbol)
        .map((r) => JSON.stringify({ ...r, symbol: 'XRP-ETH' }));
      assert.deepEqual(rows, reference, symbol);
    }
  });

  it('loads the good files and exits 1 naming a file whose every row was rejected', async () => {
    const mixed = join(dir, 'one-bad');
    await mkdir(mixed);
    await writeFile(join(mixed, 'XRPETH-aggTrades-2019-10-11.csv.gz'), readFileSync(DUMP));
    // Not a dump at all: every row is rejected.
    await writeFile(join(mixed, 'XRPETH-aggTrades-2019-10-12.csv'), 'id,when\nabc,def\nghi,jkl\n');
    const mixedDir = join(dir, 'ob');
    const run = await runCli(backfillArgs(DAYS[0], DAYS[1], mixed, mixedDir));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /CLI_ALL_REJECTED/);
    assert.match(run.stderr, /every row of \S*XRPETH-aggTrades-2019-10-12\.csv was rejected/);
    assert.doesNotMatch(run.stderr, /2019-10-11\.csv\.gz was rejected/);
    assert.deepEqual(
      await silverRows(mixedDir, DAYS[0]),
      await silverRows(dataDir, DAYS[0]),
      'the good day is in',
    );
  });
});
