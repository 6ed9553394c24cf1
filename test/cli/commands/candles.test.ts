import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { aggTradeFrame, simulatedTrades } from '../../pipeline/synthetic.js';
import { FIXTURES, parseCsv, runCli } from '../helpers.js';

const DAY = `${FIXTURES}binance/xrpeth-2019-10-11/`;
const AGG_TRADES = `${DAY}XRPETH-aggTrades-2019-10-11.csv.gz`;

/** Binance's own klines are the oracle: every bucket, empty ones included, equal on OHLCV. */
for (const interval of ['1m', '5m'] as const) {
  describe(`crypto-lambda candles --interval ${interval} on the real XRPETH day`, () => {
    it("reproduces every one of Binance's klines exactly", async () => {
      const result = await runCli(['candles', '--input', AGG_TRADES, '--interval', interval]);
      assert.equal(result.code, 0, result.stderr);
      const ours = parseCsv(result.stdout);
      const binance = parseCsv(readFileSync(`${DAY}XRPETH-${interval}-2019-10-11.csv`, 'utf8'));
      assert.equal(ours.length, binance.length);
      assert.equal(ours.length, interval === '1m' ? 1440 : 288);
      let empty = 0;
      for (let i = 0; i < binance.length; i++) {
        const a = ours[i]!;
        const b = binance[i]!;
        for (const field of ['open_time', 'open', 'high', 'low', 'close', 'volume']) {
          assert.equal(Number(a[field]), Number(b[field]), `${field} of the kline at ${b['open_time']}`);
        }
        if (Number(b['volume']) === 0) {
          empty++;
          assert.equal(a['count'], '0');
        }
      }
      assert.ok(empty > 0, 'the day has empty buckets, and they must be candles too');
    });
  });
}

describe('crypto-lambda candles', () => {
  it('writes Binance kline columns as plain decimals, never exponent notation', async () => {
    const result = await runCli(['candles', '--input', AGG_TRADES, '--interval', '1h']);
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trim().split('\n');
    assert.equal(
      header,
      'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_base,taker_buy_quote',
    );
    assert.equal(rows.length, 24, 'a daily dump ends at the end of its UTC day');
    for (const row of rows) {
      assert.doesNotMatch(row, /e[+-]?\d/i);
      const cells = row.split(',');
      assert.equal(Number(cells[6]) - Number(cells[0]), 3_600_000 - 1, 'close_time = open_time + 1h - 1');
    }
    // Trade counts add up to the aggTrades' raw trade count: Σ(last - first + 1).
    const rawTrades = gunzipSync(readFileSync(AGG_TRADES))
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1)
      .reduce((sum, line) => {
        const cells = line.split(',');
        return sum + Number(cells[4]) - Number(cells[3]) + 1;
      }, 0);
    assert.ok(rawTrades > 5929, 'some aggTrades stand for several raw trades');
    assert.equal(
      rows.reduce((sum, row) => sum + Number(row.split(',')[8]), 0),
      rawTrades,
    );
  });

  it('honours --from and --to (inclusive bucket open times, ISO or ms)', async () => {
    const result = await runCli([
      'candles',
      '--input',
      AGG_TRADES,
      '--interval',
      '15m',
      '--from',
      '2019-10-11T01:00:00Z',
      '--to',
      String(Date.UTC(2019, 9, 11, 2, 0)),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const rows = parseCsv(result.stdout);
    assert.deepEqual(
      rows.map((r) => Number(r['open_time'])),
      [0, 1, 2, 3, 4].map((q) => Date.UTC(2019, 9, 11, 1, q * 15)),
    );
  });

  it('answers a bad interval with exit code 2 and a message that says what to do', async () => {
    const result = await runCli(['candles', '--input', AGG_TRADES, '--interval', '2m']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--interval "2m" is not one of 1m, 5m, 15m, 1h, 4h, 1d/);
    const missing = await runCli(['candles', '--interval', '1m']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs --input/);
  });

  it('counts a trade delivered twice once, as the log does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-candles-'));
    try {
      const trades = (await simulatedTrades(600, 3)).filter((t) => t.symbol === 'BTC-USDT');
      const once = join(dir, 'once.jsonl');
      const twice = join(dir, 'twice.jsonl');
      await writeFile(once, `${trades.map(aggTradeFrame).join('\n')}\n`);
      // Every third frame delivered again a little later, as after a reconnect.
      const repeated = trades.flatMap((t, i) => {
        const earlier = trades[i - 2];
        return i % 3 === 0 && earlier !== undefined
          ? [aggTradeFrame(t), aggTradeFrame(earlier)]
          : [aggTradeFrame(t)];
      });
      await writeFile(twice, `${repeated.join('\n')}\n`);
      const args = ['--symbol', 'BTC-USDT', '--interval', '1m'];
      const a = await runCli(['candles', '--input', once, ...args]);
      const b = await runCli(['candles', '--input', twice, ...args]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.ok(repeated.length > trades.length);
      assert.equal(b.stdout, a.stdout);
      assert.match(b.stderr, new RegExp(`${repeated.length - trades.length} duplicate trades dropped`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says where the file is missing', async () => {
    const result = await runCli(['candles', '--input', '/nonexistent/x.csv', '--interval', '1m']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /INGEST_FILE_NOT_FOUND/);
  });

  it('gives the same CSV with --engine batch (DuckDB) as with the default speed engine, on every interval', async () => {
    for (const interval of ['1m', '5m', '15m', '1h', '4h', '1d']) {
      const speed = await runCli(['candles', '--input', AGG_TRADES, '--interval', interval]);
      const batch = await runCli([
        'candles',
        '--engine',
        'batch',
        '--input',
        AGG_TRADES,
        '--interval',
        interval,
      ]);
      assert.equal(batch.code, 0, batch.stderr);
      assert.ok(speed.stdout.split('\n').length > 2);
      assert.equal(batch.stdout, speed.stdout, `${interval} CSV`);
    }
    const bad = await runCli(['candles', '--engine', 'spark', '--input', AGG_TRADES, '--interval', '1m']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--engine "spark" is not speed or batch/);
  });

  it('reads with --format a file detection cannot tell, and says --format when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-candles-'));
    try {
      // A recorder that logged 20 subscription replies before the first frame: nothing Binance-like
      // in the lines detection reads.
      const trades = (await simulatedTrades(300, 4)).filter((t) => t.symbol === 'BTC-USDT');
      const replies = Array.from({ length: 20 }, (_, i) => `{"result":null,"id":${i}}`);
      const file = join(dir, 'recording.jsonl');
      await writeFile(file, `${[...replies, ...trades.map(aggTradeFrame)].join('\n')}\n`);
      const undetected = await runCli(['candles', '--input', file, '--interval', '1m']);
      assert.equal(undetected.code, 1);
      assert.match(
        undetected.stderr,
        /cannot tell the format of .*pass --format binance-aggtrades-csv\|.*binance-ws/,
      );
      assert.match(undetected.stderr, /\[INGEST_UNKNOWN_FORMAT\]/);
      const given = await runCli(['candles', '--input', file, '--interval', '1m', '--format', 'binance-ws']);
      assert.equal(given.code, 0, given.stderr);
      assert.ok(given.stdout.trim().split('\n').length > 1);
      assert.match(given.stderr, new RegExp(`from ${trades.length} trades of binance-ws file`));

      const empty = join(dir, 'empty.csv');
      await writeFile(empty, '');
      const emptyRun = await runCli(['candles', '--input', empty, '--interval', '1m']);
      assert.equal(emptyRun.code, 1);
      assert.match(emptyRun.stderr, /empty file .*empty\.csv; pass --format/);
      const bad = await runCli(['candles', '--input', file, '--interval', '1m', '--format', 'json']);
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /--format "json" is not a format; use one of binance-aggtrades-csv, .*\[CLI_BAD_OPTION\]/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 when every record is rejected, 0 with a warning when only some are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-candles-'));
    try {
      const all = join(dir, 'XRPETH-aggTrades-2019-10-11.csv');
      await writeFile(all, 'a;b;c\n1;2;3\n');
      const failed = await runCli(['candles', '--input', all, '--interval', '1m']);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /2 records rejected \(bad_csv: 2\)/);
      assert.match(failed.stderr, /XRPETH-aggTrades-2019-10-11\.csv:1 bad_csv: expected 8 columns/);
      assert.match(failed.stderr, /every record of .* was rejected \(2: bad_csv: 2\).*\[CLI_ALL_REJECTED\]/);

      const lines = gunzipSync(readFileSync(AGG_TRADES)).toString('utf8').trim().split('\n');
      const some = join(dir, 'some', 'XRPETH-aggTrades-2019-10-11.csv');
      await mkdir(join(dir, 'some'));
      await writeFile(some, `${[...lines.slice(0, 10), '1,0,1,1,1,1570752011620,true,true'].join('\n')}\n`);
      const warned = await runCli(['candles', '--input', some, '--interval', '1m']);
      assert.equal(warned.code, 0, warned.stderr);
      assert.match(warned.stderr, /1 record\(s\) rejected \(invalid_price: 1\) beside 9 trades/);
      assert.match(warned.stderr, /XRPETH-aggTrades-2019-10-11\.csv:11 invalid_price/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints help', async () => {
    const result = await runCli(['candles', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: crypto-lambda candles --input <file> --interval <i>/);
  });
});
