import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MOVER_PERIOD_MS, MOVERS_LIMIT, topMoversJob } from '../../../src/batch/jobs/movers.js';
import { MOVER_PERIODS } from '../../../src/domain/index.js';
import {
  type CandleRow,
  DAY,
  HOUR,
  makeContext,
  near,
  openWorkspace,
  parquetColumns,
  readParquet,
  type Workspace,
  writeCandles,
} from './helpers.js';

const DATE = '2024-03-10';
const D = Date.UTC(2024, 2, 10);

interface ExpectedMover {
  period: string;
  type: string;
  rank: number;
  venue: string;
  symbol: string;
  open: number;
  close: number;
  changePct: number;
  volume: number;
  quoteVolume: number;
  fromTs: number;
  partial: boolean;
}

type Change = Omit<ExpectedMover, 'type' | 'rank'>;

/** The movers by the definition, in plain TypeScript over the 1h candles the job can see. */
function expectedMovers(candles: readonly CandleRow[], asOfTs: number): ExpectedMover[] {
  const hourly = candles.filter((c) => c.interval === '1h');
  const series = [...new Set(hourly.map((c) => `${c.venue ?? 'binance'}|${c.symbol}`))];
  const out: ExpectedMover[] = [];
  for (const period of MOVER_PERIODS) {
    const ms = MOVER_PERIOD_MS[period];
    const changes = series.flatMap((key): Change[] => {
      const [venue = '', symbol = ''] = key.split('|');
      const mine = hourly.filter((c) => (c.venue ?? 'binance') === venue && c.symbol === symbol);
      const end = mine.find((c) => c.openTime === asOfTs - HOUR);
      const inPeriod = mine
        .filter((c) => c.openTime >= asOfTs - ms && c.openTime < asOfTs)
        .sort((a, b) => a.openTime - b.openTime);
      const before = mine.find((c) => c.openTime === asOfTs - ms - HOUR);
      // Less history than the period: the change since its first candle within it, flagged.
      const first = inPeriod[0];
      if (end === undefined || first === undefined) return [];
      const open = before === undefined ? (first.open ?? first.close) : before.close;
      return [
        {
          period,
          venue,
          symbol,
          open,
          close: end.close,
          changePct: ((end.close - open) / open) * 100,
          fromTs: before === undefined ? first.openTime : asOfTs - ms,
          partial: before === undefined,
          volume: inPeriod.reduce((s, c) => s + (c.volume ?? 0), 0),
          quoteVolume: inPeriod.reduce((s, c) => s + (c.quoteVolume ?? 0), 0),
        },
      ];
    });
    const bySymbol = (a: Change, b: Change) =>
      a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0;
    const gainers = changes
      .filter((c) => c.changePct > 0)
      .sort((a, b) => b.changePct - a.changePct || bySymbol(a, b));
    const losers = changes
      .filter((c) => c.changePct < 0)
      .sort((a, b) => a.changePct - b.changePct || bySymbol(a, b));
    for (const [type, list] of [
      ['gainers', gainers],
      ['losers', losers],
    ] as const) {
      out.push(...list.slice(0, MOVERS_LIMIT).map((c, i) => ({ ...c, type, rank: i + 1 })));
    }
  }
  return out;
}

function assertMovers(
  rows: readonly Record<string, unknown>[],
  expected: readonly ExpectedMover[],
  asOf: number,
) {
  assert.equal(rows.length, expected.length);
  rows.forEach((row, i) => {
    const e = expected[i]!;
    const where = `${e.period} ${e.type} #${e.rank}`;
    assert.deepEqual(
      [
        row['period'],
        row['type'],
        row['rank'],
        row['venue'],
        row['symbol'],
        row['as_of_ts'],
        row['from_ts'],
        row['partial'],
      ],
      [e.period, e.type, e.rank, e.venue, e.symbol, asOf, e.fromTs, e.partial],
      where,
    );
    assert.equal(row['open'], e.open, `open ${where}`);
    assert.equal(row['close'], e.close, `close ${where}`);
    assert.ok(near(row['change_pct'], e.changePct), `change_pct ${where}`);
    assert.ok(near(row['volume'], e.volume), `volume ${where}`);
    assert.ok(near(row['quote_volume'], e.quoteVolume), `quote_volume ${where}`);
  });
}

/** Hourly candles of a series over [fromTs, toTs), close given by the hour's index from D − 7d. */
function hours(
  symbol: string,
  fromTs: number,
  toTs: number,
  close: (i: number) => number,
  venue = 'binance',
) {
  const out: CandleRow[] = [];
  for (let t = fromTs; t < toTs; t += HOUR) {
    const i = (t - (D - 7 * DAY)) / HOUR;
    const volume = 1 + (i % 3);
    out.push({
      interval: '1h',
      venue,
      symbol,
      openTime: t,
      close: close(i),
      volume,
      quoteVolume: volume * close(i),
    });
  }
  return out;
}

/** Writes one gold candles file per day of `candles`, leaving out `skipDays`. */
async function goldByDay(ws: Workspace, candles: readonly CandleRow[], skipDays: readonly string[] = []) {
  const gold: Record<string, string> = {};
  const days = new Map<string, CandleRow[]>();
  for (const c of candles) {
    const day = new Date(c.openTime).toISOString().slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), c]);
  }
  for (const [day, rows] of days) {
    if (skipDays.includes(day)) continue;
    gold[`candles/${day}`] = await writeCandles(
      ws.connection,
      ws.path(`candles-${day}-${Math.random()}.parquet`),
      rows,
    );
  }
  return gold;
}

describe('top_movers job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('depends on candles', () => {
    assert.equal(topMoversJob.name, 'top_movers');
    assert.deepEqual(topMoversJob.dependsOn, ['candles']);
  });

  it('ranks gainers and losers of 1h, 24h and 7d from the hourly closes; a younger series since its first candle, flagged', async () => {
    const asOf = D + 12 * HOUR;
    const from = D - 8 * DAY;
    const candles: CandleRow[] = [
      ...hours('UP-USDT', from, asOf, (i) => 100 + i * 0.5),
      ...hours('UP-USDT', from, asOf, (i) => 100 + i * 0.25 + (i % 2), 'coinbase'),
      ...hours('DOWN-USDT', from, asOf, (i) => 400 - i * 0.75),
      ...hours('FLAT-USDT', from, asOf, () => 50),
      ...hours('TIE-B', from, asOf, (i) => 10 + (i % 5)),
      ...hours('TIE-A', from, asOf, (i) => 10 + (i % 5)),
      // Listed at D + 6h: no candle at the start of 24h and 7d; its first hour opened lower.
      ...hours('NEW-USDT', D + 6 * HOUR, asOf, (i) => 1 + i / 1000).map((c, i) =>
        i === 0 ? { ...c, open: 0.9 } : c,
      ),
      // Other intervals in the same files are not hours.
      { interval: '1m', symbol: 'UP-USDT', openTime: asOf - HOUR, close: 9999, volume: 5 },
      { interval: '1d', symbol: 'DOWN-USDT', openTime: D - DAY, close: 1, volume: 5 },
    ];
    // The day three days back has no candles file: its hours are missing from the sums.
    const skip = ['2024-03-07'];
    const gold = await goldByDay(ws, candles, skip);
    const ctx = makeContext(ws, { date: DATE, untilTs: asOf + 30 * 60_000, gold });
    const result = await topMoversJob.run(ctx);
    const visible = candles.filter((c) => !skip.includes(new Date(c.openTime).toISOString().slice(0, 10)));
    const expected = expectedMovers(visible, asOf);
    assert.deepEqual(result, { rows: expected.length, status: 'ok' });
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assertMovers(rows, expected, asOf);
    const of = (period: string, type: string) =>
      rows
        .filter((r) => r['period'] === period && r['type'] === type)
        .map((r) => `${r['venue']} ${r['symbol']}`);
    assert.ok(!rows.some((r) => r['symbol'] === 'FLAT-USDT'), 'unchanged is neither gainer nor loser');
    assert.ok(of('1h', 'gainers').includes('binance NEW-USDT'));
    for (const period of ['24h', '7d']) {
      const listed = rows.find((r) => r['period'] === period && r['symbol'] === 'NEW-USDT');
      assert.deepEqual(
        listed && [listed['type'], listed['open'], listed['from_ts'], listed['partial']],
        ['gainers', 0.9, D + 6 * HOUR, true],
        `${period}: NEW-USDT since its listing`,
      );
    }
    assert.ok(rows.every((r) => r['symbol'] === 'NEW-USDT' || r['partial'] === false));
    assert.deepEqual(of('7d', 'losers'), ['binance DOWN-USDT']);
    // TIE-A and TIE-B move alike: the symbol breaks the tie.
    const ties = rows.filter((r) => String(r['symbol']).startsWith('TIE'));
    for (let i = 0; i < ties.length; i += 2) {
      assert.equal(ties[i]!['symbol'], 'TIE-A');
      assert.equal(ties[i + 1]!['symbol'], 'TIE-B');
      assert.equal(ties[i + 1]!['rank'], (ties[i]!['rank'] as number) + 1);
    }
  });

  it('keeps the top 100 of each side', async () => {
    const asOf = D + 5 * HOUR;
    const endIndex = (asOf - HOUR - (D - 7 * DAY)) / HOUR;
    const candles: CandleRow[] = [];
    for (let s = 0; s < 130; s++) {
      const symbol = `G${String(s).padStart(3, '0')}-USDT`;
      candles.push(
        ...hours(symbol, asOf - 2 * HOUR, asOf, (i) => (i === endIndex ? 100 + ((s * 7) % 50) + 1 : 100)),
      );
    }
    for (let s = 0; s < 120; s++) {
      const symbol = `L${String(s).padStart(3, '0')}-USDT`;
      candles.push(...hours(symbol, asOf - 2 * HOUR, asOf, (i) => (i === endIndex ? 99 - (s % 40) : 100)));
    }
    const gold = await goldByDay(ws, candles);
    const ctx = makeContext(ws, { date: DATE, untilTs: asOf, gold });
    const result = await topMoversJob.run(ctx);
    // Two hours of history: 1h from the close before it, 24h and 7d since the first hour, flagged.
    assert.deepEqual(result, { rows: 600, status: 'ok' });
    const rows = await readParquet(ws.connection, ctx.outputPath);
    assertMovers(rows, expectedMovers(candles, asOf), asOf);
    assert.deepEqual(
      rows.filter((r) => r['type'] === 'gainers' && r['period'] === '1h').map((r) => r['rank']),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.ok(rows.every((r) => (r['period'] === '1h') === (r['partial'] === false)));
  });

  it('writes a readable empty file with the columns without candles', async () => {
    const ctx = makeContext(ws, { date: DATE });
    assert.deepEqual(await topMoversJob.run(ctx), { rows: 0, status: 'ok' });
    assert.deepEqual(await parquetColumns(ws.connection, ctx.outputPath), [
      'period VARCHAR',
      'type VARCHAR',
      'rank INTEGER',
      'venue VARCHAR',
      'symbol VARCHAR',
      'as_of_ts BIGINT',
      'open DOUBLE',
      'close DOUBLE',
      'change_pct DOUBLE',
      'volume DOUBLE',
      'quote_volume DOUBLE',
      'from_ts BIGINT',
      'partial BOOLEAN',
    ]);
  });
});
