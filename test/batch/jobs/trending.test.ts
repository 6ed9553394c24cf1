import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  TRENDING_SCALES,
  TRENDING_WEIGHTS,
  trendingJob,
  WHALE_QUANTILE,
} from '../../../src/batch/jobs/trending.js';
import {
  allFinite,
  type CandleRow,
  DAY,
  HOUR,
  MINUTE,
  makeContext,
  near,
  openWorkspace,
  parquetColumns,
  readParquet,
  type SilverRow,
  type Workspace,
  writeCandles,
  writeSilver,
} from './helpers.js';

const DATE = '2024-03-10';
const D = Date.UTC(2024, 2, 10);

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DuckDB's `quantile_cont`: linear interpolation between the closest ranks. */
function quantileCont(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

function stddevPop(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

interface Expected {
  symbol: string;
  hourTs: number;
  raw: [number, number, number, number];
  scores: [number, number, number, number];
  score: number;
}

/** The trending rows by the job's definition, in plain TypeScript. */
function expectedTrending(candles: readonly CandleRow[], trades: readonly SilverRow[], untilTs: number) {
  const out: Expected[] = [];
  const todayHours = candles.filter(
    (c) => c.interval === '1h' && c.openTime >= D && c.openTime + HOUR <= untilTs,
  );
  const dayTrades = trades.filter((t) => t.ts >= D && t.ts < untilTs);
  for (const h of todayHours) {
    const mine = (interval: string) =>
      candles.filter((c) => c.interval === interval && c.symbol === h.symbol);
    const minutes = mine('1m');
    const returns = minutes
      .filter((m) => m.openTime >= h.openTime && m.openTime < h.openTime + HOUR)
      .flatMap((m) => {
        const prev = minutes.find((p) => p.openTime === m.openTime - MINUTE);
        return prev === undefined ? [] : [Math.log(m.close / prev.close)];
      });
    const volatility = returns.length === 0 ? 0 : stddevPop(returns);
    const history = mine('1h').filter((c) => c.openTime >= h.openTime - 7 * DAY && c.openTime < h.openTime);
    const baseline = history.reduce((s, c) => s + (c.quoteVolume ?? 0), 0) / history.length;
    const spike = history.length === 0 || baseline === 0 ? 0 : (h.quoteVolume ?? 0) / baseline;
    const previous = mine('1h').find((c) => c.openTime === h.openTime - HOUR)?.trades ?? 0;
    const growth = (h.trades ?? 0) / Math.max(previous, 1);
    const symbolTrades = dayTrades.filter((t) => t.symbol === h.symbol);
    const threshold = quantileCont(
      symbolTrades.map((t) => t.price * t.qty),
      WHALE_QUANTILE,
    );
    const inHour = symbolTrades.filter((t) => t.ts >= h.openTime && t.ts < h.openTime + HOUR);
    const quote = inHour.reduce((s, t) => s + t.price * t.qty, 0);
    const whale = inHour.filter((t) => t.price * t.qty >= threshold).reduce((s, t) => s + t.price * t.qty, 0);
    const whaleShare = quote === 0 ? 0 : whale / quote;
    const scores: Expected['scores'] = [
      volatility / (volatility + TRENDING_SCALES.volatility),
      spike / (spike + TRENDING_SCALES.volumeSpike),
      growth / (growth + TRENDING_SCALES.tradeGrowth),
      whaleShare,
    ];
    const w = TRENDING_WEIGHTS;
    out.push({
      symbol: h.symbol,
      hourTs: h.openTime,
      raw: [volatility, spike, growth, whaleShare],
      scores,
      score:
        w.volatility * scores[0] +
        w.volumeSpike * scores[1] +
        w.tradeGrowth * scores[2] +
        w.whaleShare * scores[3],
    });
  }
  return out.sort((a, b) => a.hourTs - b.hourTs || b.score - a.score || (a.symbol < b.symbol ? -1 : 1));
}

const COMPONENTS = ['volatility', 'volume_spike', 'trade_growth', 'whale_share'] as const;

function assertTrending(rows: readonly Record<string, unknown>[], expected: readonly Expected[]): void {
  assert.equal(rows.length, expected.length);
  let rank = 0;
  rows.forEach((row, i) => {
    const e = expected[i]!;
    rank = i > 0 && expected[i - 1]!.hourTs === e.hourTs ? rank + 1 : 1;
    const where = `${e.symbol} at ${e.hourTs}`;
    assert.deepEqual([row['symbol'], row['hour_ts'], row['rank']], [e.symbol, e.hourTs, rank], where);
    COMPONENTS.forEach((c, j) => {
      assert.ok(
        near(row[`${c}_raw`], e.raw[j]!, 1e-9),
        `${c}_raw of ${where}: ${row[`${c}_raw`]} vs ${e.raw[j]}`,
      );
      assert.ok(near(row[`${c}_score`], e.scores[j]!, 1e-9), `${c}_score of ${where}`);
    });
    assert.ok(near(row['score'], e.score, 1e-9), `score of ${where}`);
  });
}

async function runOn(
  ws: Workspace,
  candles: readonly CandleRow[],
  trades: readonly SilverRow[],
  untilTs: number,
) {
  const byDay = new Map<string, CandleRow[]>();
  for (const c of candles) {
    const day = new Date(c.openTime).toISOString().slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), c]);
  }
  const gold: Record<string, string> = {};
  for (const [day, rows] of byDay)
    gold[`candles/${day}`] = await writeCandles(
      ws.connection,
      ws.path(`c-${day}-${Math.random()}.parquet`),
      rows,
    );
  const silver: Record<string, string[]> =
    trades.length === 0
      ? {}
      : { [DATE]: [await writeSilver(ws.connection, ws.path(`s-${Math.random()}.parquet`), trades)] };
  const ctx = makeContext(ws, { date: DATE, untilTs, gold, silver });
  const result = await trendingJob.run(ctx);
  return { result, rows: await readParquet(ws.connection, ctx.outputPath), ctx };
}

describe('trending job', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  it('depends on candles, with weights summing to 1', () => {
    assert.deepEqual(trendingJob.dependsOn, ['candles']);
    const w = TRENDING_WEIGHTS;
    assert.ok(near(w.volatility + w.volumeSpike + w.tradeGrowth + w.whaleShare, 1));
  });

  it('scores each full hour of the day from volatility, volume spike, trade growth and whale share', async () => {
    const rand = random(7);
    const untilTs = D + 3 * HOUR;
    const candles: CandleRow[] = [];
    const trades: SilverRow[] = [];
    for (const symbol of ['AAA-USDT', 'BBB-USDT', 'CCC-USDT']) {
      // History: two days of hours for AAA, one silent hour for BBB, none for CCC.
      const historyFrom = symbol === 'AAA-USDT' ? D - 2 * DAY : symbol === 'BBB-USDT' ? D - HOUR : D;
      for (let t = historyFrom; t <= untilTs; t += HOUR) {
        const silent = t === D - HOUR;
        const trades = silent ? 0 : Math.floor(rand() * 50);
        const quoteVolume = silent ? 0 : Math.round(rand() * 10_000) / 4;
        candles.push({ interval: '1h', symbol, openTime: t, close: 100, trades, quoteVolume });
      }
      let close = 100;
      for (let t = D - 5 * MINUTE; t < untilTs + 5 * MINUTE; t += MINUTE) {
        if (rand() < 0.7) close *= 1 + (rand() - 0.5) / 100;
        if (symbol !== 'CCC-USDT' || t < D + HOUR)
          candles.push({ interval: '1m', symbol, openTime: t, close });
      }
      for (let i = 0; i < 40; i++) {
        const ts = D + Math.floor(rand() * (untilTs + HOUR - D));
        trades.push({ symbol, tradeId: String(i + 1), ts, price: 100 + rand(), qty: rand() * 3 });
      }
    }
    const { result, rows } = await runOn(ws, candles, trades, untilTs);
    const expected = expectedTrending(candles, trades, untilTs);
    assert.equal(expected.length, 9, '3 symbols × 3 full hours');
    assert.deepEqual(result, { rows: 9, status: 'ok' });
    assertTrending(rows, expected);
    assert.ok(rows.some((r) => (r['whale_share_raw'] as number) > 0));
    assert.ok(rows.some((r) => (r['volume_spike_raw'] as number) > 0));
  });

  it('gives sane values for one symbol without history, silver, or trades in the previous hour', async () => {
    const candles: CandleRow[] = [
      { interval: '1h', symbol: 'ONE-USDT', openTime: D, close: 5, trades: 4, quoteVolume: 40 },
      { interval: '1h', symbol: 'ONE-USDT', openTime: D + HOUR, close: 5, trades: 0, quoteVolume: 0 },
      { interval: '1h', symbol: 'ONE-USDT', openTime: D + 2 * HOUR, close: 6, trades: 3, quoteVolume: 18 },
      { interval: '1m', symbol: 'ONE-USDT', openTime: D, close: 5 },
    ];
    const { result, rows } = await runOn(ws, candles, [], D + 3 * HOUR);
    assert.deepEqual(result, { rows: 3, status: 'ok' });
    assert.ok(allFinite(rows));
    assertTrending(rows, expectedTrending(candles, [], D + 3 * HOUR));
    assert.deepEqual(
      rows.map((r) => [
        r['rank'],
        r['volatility_raw'],
        r['volume_spike_raw'],
        r['trade_growth_raw'],
        r['whale_share_raw'],
      ]),
      [
        [1, 0, 0, 4, 0],
        [1, 0, 0, 0, 0],
        [1, 0, 18 / 20, 3, 0],
      ],
    );
  });

  it('never writes NaN or Infinity, keeps scores in [0, 1] and ranks every hour 1..n', async () => {
    const candle = fc.record({
      trades: fc.nat(20),
      quoteVolume: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true })),
      close: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(candle, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        async (series) => {
          const candles: CandleRow[] = series.flatMap((hoursOf, s) =>
            hoursOf.flatMap((c, h) => [
              { interval: '1h', symbol: `S${s}-USDT`, openTime: D - HOUR + h * HOUR, ...c },
              { interval: '1m', symbol: `S${s}-USDT`, openTime: D - HOUR + h * HOUR, close: c.close },
              {
                interval: '1m',
                symbol: `S${s}-USDT`,
                openTime: D - HOUR + h * HOUR + MINUTE,
                close: c.close * 2,
              },
            ]),
          );
          const { rows } = await runOn(ws, candles, [], D + 3 * HOUR);
          assert.equal(rows.length, 3 * series.length);
          assert.ok(allFinite(rows));
          for (const row of rows) {
            for (const c of [...COMPONENTS.map((name) => `${name}_score`), 'score'])
              assert.ok((row[c] as number) >= 0 && (row[c] as number) <= 1, `${c} ${row[c]}`);
          }
          for (const hour of [D, D + HOUR, D + 2 * HOUR]) {
            const ranks = rows.filter((r) => r['hour_ts'] === hour).map((r) => r['rank']);
            assert.deepEqual(
              ranks,
              Array.from({ length: series.length }, (_, i) => i + 1),
            );
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('writes a readable empty file with the columns without candles', async () => {
    const { result, ctx } = await runOn(ws, [], [], D + DAY);
    assert.deepEqual(result, { rows: 0, status: 'ok' });
    assert.deepEqual(await parquetColumns(ws.connection, ctx.outputPath), [
      'venue VARCHAR',
      'symbol VARCHAR',
      'hour_ts BIGINT',
      'rank INTEGER',
      'score DOUBLE',
      'volatility_raw DOUBLE',
      'volatility_score DOUBLE',
      'volume_spike_raw DOUBLE',
      'volume_spike_score DOUBLE',
      'trade_growth_raw DOUBLE',
      'trade_growth_score DOUBLE',
      'whale_share_raw DOUBLE',
      'whale_share_score DOUBLE',
    ]);
  });
});
