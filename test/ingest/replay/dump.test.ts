import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Rejected, Trade } from '../../../src/domain/index.js';
import { inspectReplay, openReplay, readDump } from '../../../src/ingest/index.js';
import { AGG_TRADES_CSV_GZ, collect, fixtureLines } from '../fixtures.js';

const NOW = Date.UTC(2026, 0, 1);
const now = (): number => NOW;

/** What `readDump` gives: trades as objects (fast-path fields turned back into trades) and rejections. */
async function dumpOf(
  path: string,
  fromLine = 0,
): Promise<{ trades: Trade[]; rejected: Rejected[]; line: number }> {
  const info = await inspectReplay(path);
  const trades: Trade[] = [];
  const rejected: Rejected[] = [];
  const progress = await readDump(
    info,
    {
      fields: (f) =>
        trades.push({
          venue: f.venue,
          symbol: f.symbol,
          tradeId: f.idText === '' ? String(f.idNum) : f.idText,
          ts: f.ts,
          price: f.price,
          qty: f.qty,
          side: f.buy ? 'buy' : 'sell',
          count: f.count,
          recvTs: f.recvTs,
        }),
      trade: (t) => trades.push(t),
      rejected: (r) => rejected.push(r),
    },
    { now, fromLine },
  );
  assert.equal(progress.trades, trades.length);
  assert.equal(progress.rejected, rejected.length);
  return { trades, rejected, line: progress.line };
}

/** What the replay source (the streaming path) gives for the same file. */
async function replayOf(
  path: string,
  fromPosition?: string,
): Promise<{ trades: Trade[]; rejected: Rejected[] }> {
  const batches = await collect(
    openReplay(path, { now }),
    fromPosition === undefined ? {} : { fromPosition },
  );
  return { trades: batches.flatMap((b) => b.trades), rejected: batches.flatMap((b) => b.rejected) };
}

const [HEADER, ...ROWS] = fixtureLines(AGG_TRADES_CSV_GZ) as [string, ...string[]];
const good = (i: number): string => ROWS[i] as string;

/** Every kind of line a dump can hold that is not a plain row, among real rows. */
function messyLines(): string[] {
  const row = good(10).split(',');
  const at = (col: number, value: string): string => row.map((c, i) => (i === col ? value : c)).join(',');
  return [
    `\uFEFF${HEADER}`,
    good(0),
    '',
    at(1, 'NaN'),
    at(1, '0.00000000'),
    at(1, '-0.00141342'),
    at(2, '0'),
    at(5, '99999999999999999999'),
    at(5, 'soon'),
    at(5, String((NOW + 3 * 86_400_000) * 1000)),
    `${good(1)},unexpected`,
    good(2).replace(',true,', ',True,'),
    at(6, 'maybe'),
    at(3, String(Number(row[4]) + 1)), // first > last
    '\r',
    `${good(3)}\r`,
    HEADER,
    'agg_trade_id,price,quantity',
    'garbage without commas',
    `${good(4)}`,
    good(4), // a duplicate stays a trade here: silver removes it
    'ünïcödé,1,2,3,4,5,true,true',
    ...ROWS.slice(20, 60),
  ];
}

describe('readDump: a dump straight from its bytes', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-dump-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the replay’s trades for the real day', async () => {
    const dump = await dumpOf(AGG_TRADES_CSV_GZ);
    assert.equal(dump.trades.length, 5929);
    assert.deepEqual(dump, { ...(await replayOf(AGG_TRADES_CSV_GZ)), line: 5930 });
  });

  for (const [name, gzip, crlf] of [
    ['XRPETH-aggTrades-2019-10-11.csv', false, false],
    ['XRPETH-aggTrades-2019-10-12.csv.gz', true, true],
  ] as const) {
    it(`gives the replay’s trades and rejections, reasons, payloads and lines, for a messy ${gzip ? 'gzip' : 'plain'} file`, async () => {
      const text = messyLines().join(crlf ? '\r\n' : '\n');
      const path = join(dir, name);
      await writeFile(path, gzip ? gzipSync(text) : text);
      const dump = await dumpOf(path);
      const replay = await replayOf(path);
      assert.deepEqual(dump.trades, replay.trades);
      assert.deepEqual(dump.rejected, replay.rejected);
      assert.deepEqual([...new Set(dump.rejected.map((r) => r.reason))].sort(), [
        'bad_csv',
        'invalid_id',
        'invalid_price',
        'invalid_qty',
        'invalid_time',
        'time_out_of_range',
      ]);
      // With CRLF endings the line holding a lone CR is not blank: one more bad_csv, in both.
      assert.equal(dump.rejected.length, crlf ? 13 : 12);
    });
  }

  it('reads headerless dumps with µs times, and trades dumps, as the replay does', async () => {
    const micros = ROWS.slice(0, 200).map((r) => {
      const c = r.split(',');
      c[5] = `${c[5]}${String(Number(c[0]) % 1000).padStart(3, '0')}`;
      return c.join(',');
    });
    const trades = ROWS.slice(0, 200).map((r) => {
      const c = r.split(',');
      return [c[3], c[1], c[2], '0.1', c[5], c[6], c[7]].join(',');
    });
    for (const [name, lines] of [
      ['XRPETH-aggTrades-2025-01-02.csv', micros],
      ['XRPETH-trades-2019-10-11.csv.gz', trades],
    ] as const) {
      const path = join(dir, name);
      // A line of letters after the rows is no header: rejected.
      const text = [...lines, 'not a header'].join('\n');
      await writeFile(path, name.endsWith('.gz') ? gzipSync(text) : text);
      const dump = await dumpOf(path);
      assert.equal(dump.trades.length, 200, name);
      assert.equal(dump.rejected.length, 1, name);
      assert.deepEqual(dump, { ...(await replayOf(path)), line: 201 }, name);
    }
  });

  it('resumes after a line as the replay resumes after a position', async () => {
    const path = join(dir, 'XRPETH-aggTrades-2019-10-13.csv');
    await writeFile(path, messyLines().join('\n'));
    for (const from of [1, 7, 20]) {
      const dump = await dumpOf(path, from);
      const replay = await replayOf(path, String(from));
      assert.deepEqual({ trades: dump.trades, rejected: dump.rejected }, replay, `from line ${from}`);
    }
  });

  it('rejects a 50 MB line once, as line_too_long with its first 1 KiB (as the replay does), and loads the rows around it', async () => {
    const path = join(dir, 'XRPETH-aggTrades-2019-10-14.csv.gz');
    const lines = [HEADER, good(0), 'x'.repeat(50 * 1024 * 1024), good(1), good(2)];
    await writeFile(path, gzipSync(lines.join('\n')));
    const dump = await dumpOf(path);
    assert.equal(dump.trades.length, 3);
    assert.equal(dump.rejected.length, 1);
    const [rejected] = dump.rejected as [Rejected];
    assert.equal(rejected.reason, 'line_too_long');
    assert.equal(rejected.origin, `${path}:3`);
    assert.equal(rejected.payload, 'x'.repeat(1024));
    assert.match(rejected.detail, /52428800 bytes/);
    assert.equal(dump.line, 5);
  });

  it('reads a USD-M futures dump (no is_best_match) as binance-usdm, as the replay does, never as spot', async () => {
    const path = join(
      dir,
      'futures',
      'um',
      'daily',
      'aggTrades',
      'XRPETH',
      'XRPETH-aggTrades-2019-10-15.csv',
    );
    await import('node:fs/promises').then((fs) => fs.mkdir(join(path, '..'), { recursive: true }));
    const futures = (line: string): string => line.slice(0, line.lastIndexOf(','));
    await writeFile(path, `${[futures(HEADER), futures(good(0)), futures(good(1))].join('\n')}\n`);
    const dump = await dumpOf(path);
    assert.deepEqual(
      dump.trades.map((t) => t.venue),
      ['binance-usdm', 'binance-usdm'],
    );
    assert.deepEqual(dump.trades, (await replayOf(path)).trades);
  });
});
