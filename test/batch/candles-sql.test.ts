import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import {
  GENERAL_ORDER_KEY,
  orderKeySql,
  ROW_ORDER_KEY,
  silverCandleSources,
  type TradeKeyStats,
} from '../../src/batch/candle-sources.js';
import { candlesSql } from '../../src/batch/candles-sql.js';
import { openWorkspace, type Workspace, writeSilver } from './jobs/helpers.js';

const DAY_START = 1_709_251_200_000n; // 2024-03-01T00:00Z
const DAY = 86_400_000n;

const stats = (minTs: bigint, maxTs: bigint, minId: bigint, maxId: bigint, nullIds = 0n): TradeKeyStats => ({
  minTs,
  maxTs,
  minId,
  maxId,
  nullIds,
});

describe('candles SQL: the order key', () => {
  it('packs (ts, id) of a venue-day into a BIGINT with masks when min and max share their high bits', () => {
    const key = orderKeySql(stats(DAY_START, DAY_START + DAY - 1n, 3_000_000_000n, 3_500_000_000n));
    assert.equal(key, '(((ts & 268435455) << 31) | (id_num & 2147483647))');
  });

  it('subtracts the minimum when masks would not fit, and falls back to the struct when nothing fits', () => {
    assert.equal(
      orderKeySql(stats(DAY_START, DAY_START + DAY - 1n, 2n ** 40n - 200n, 2n ** 40n + 200n)),
      '(((ts & 268435455) << 9) | (id_num - 1099511627576))',
    );
    assert.equal(
      orderKeySql(stats(DAY_START, DAY_START + DAY, 5n, 900_000_000_000_000_000n)),
      GENERAL_ORDER_KEY,
    );
  });

  it('uses the struct key for ids that are not all numbers, negative values or unknown bounds', () => {
    assert.equal(orderKeySql(stats(DAY_START, DAY_START + 5n, 1n, 9n, 1n)), GENERAL_ORDER_KEY);
    assert.equal(orderKeySql({ ...stats(DAY_START, DAY_START, 1n, 2n), nullIds: null }), GENERAL_ORDER_KEY);
    assert.equal(orderKeySql({ ...stats(DAY_START, DAY_START, 1n, 2n), minTs: null }), GENERAL_ORDER_KEY);
    assert.equal(orderKeySql(stats(-5n, DAY_START, 1n, 2n)), GENERAL_ORDER_KEY);
    assert.equal(orderKeySql(undefined), GENERAL_ORDER_KEY);
  });

  describe('in DuckDB', () => {
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    before(async () => {
      instance = await DuckDBInstance.create(':memory:');
      connection = await instance.connect();
    });
    after(() => {
      connection.closeSync();
      instance.closeSync();
    });

    it('orders any trades within the bounds exactly as ORDER BY ts, id_num, trade_id', async () => {
      const bound = (max: bigint) => fc.bigInt({ min: 0n, max });
      const arb = fc
        .record({
          minTs: bound(2n ** 42n),
          tsSpan: fc.oneof(bound(2n ** 8n), bound(DAY), bound(2n ** 40n)),
          minId: fc.oneof(bound(2n ** 20n), bound(2n ** 45n), bound(10n ** 18n)),
          idSpan: fc.oneof(bound(2n ** 8n), bound(2n ** 34n), bound(10n ** 17n)),
        })
        .chain((b) =>
          fc.record({
            b: fc.constant(b),
            rows: fc.array(fc.tuple(bound(b.tsSpan), bound(b.idSpan)), { minLength: 1, maxLength: 30 }),
          }),
        );
      await fc.assert(
        fc.asyncProperty(arb, async ({ b, rows }) => {
          const values = [
            [b.minTs, b.minId],
            [b.minTs + b.tsSpan, b.minId + b.idSpan],
            ...rows.map(([t, i]) => [b.minTs + t, b.minId + i]),
          ];
          const key = orderKeySql(stats(b.minTs, b.minTs + b.tsSpan, b.minId, b.minId + b.idSpan));
          const table = `(VALUES ${values.map(([t, i]) => `(${t}::BIGINT, ${i}::BIGINT, '${i}')`).join(', ')}) AS t(ts, id_num, trade_id)`;
          // Ranked by (ts, id_num), each key must be greater than the one before, or equal for the same pair.
          const reader = await connection.runAndReadAll(
            `SELECT count(*) FILTER (WHERE NOT (CASE WHEN ts = pts AND id_num = pid THEN k = pk ELSE k > pk END)) AS bad
             FROM (
               SELECT ts, id_num, k, lag(ts) OVER w AS pts, lag(id_num) OVER w AS pid, lag(k) OVER w AS pk
               FROM (SELECT *, ${key} AS k FROM ${table})
               WINDOW w AS (ORDER BY ts, id_num)
             ) WHERE pts IS NOT NULL`,
          );
          assert.equal(reader.getRows()[0]?.[0], 0n, key);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe('candles SQL: silver sources', () => {
  let ws: Workspace;
  before(async () => {
    ws = await openWorkspace();
  });
  after(() => ws.close());

  const ts = Number(DAY_START);

  it('keys each venue by its own bounds when a file spans hours, from the files’ statistics', async () => {
    const a = await writeSilver(ws.connection, ws.path('a.parquet'), [
      { venue: 'binance', symbol: 'BTC-USDT', tradeId: '5', ts, price: 1, qty: 1 },
      { venue: 'binance', symbol: 'ETH-USDT', tradeId: '900000', ts: ts + 3_600_000, price: 1, qty: 1 },
    ]);
    const b = await writeSilver(ws.connection, ws.path('b.parquet'), [
      { venue: 'binance', symbol: 'BTC-USDT', tradeId: '6', ts: ts + 7_200_000, price: 1, qty: 1 },
    ]);
    const c = await writeSilver(ws.connection, ws.path('c.parquet'), [
      { venue: 'kraken', symbol: 'BTC-USD', tradeId: 'TX-1', ts, price: 1, qty: 1 },
    ]);
    const sources = await silverCandleSources(ws.connection, [a, b, c]);
    assert.equal(sources.length, 2);
    const [binance, kraken] = sources;
    assert.ok(binance?.relation.includes('a.parquet') && binance.relation.includes('b.parquet'));
    assert.match(binance?.orderKey ?? '', /<< 20\) \| \(id_num & 1048575\)\)$/);
    assert.ok(kraken?.relation.includes('c.parquet') && !kraken.relation.includes('a.parquet'));
    // Alone in its hour: ordered by row number, which text ids cannot slow down.
    assert.equal(kraken?.orderKey, ROW_ORDER_KEY);
    assert.match(kraken?.relation ?? '', /file_row_number = true/);
    assert.deepEqual(
      sources.map((x) => x.venue),
      ['binance', 'kraken'],
    );
  });

  it('orders the files alone in their hour by row number, and the hours of several parts by key', async () => {
    const hour = 3_600_000;
    const row = (tradeId: string, at: number) => ({ symbol: 'BTC-USDT', tradeId, ts: at, price: 1, qty: 1 });
    const h0 = await writeSilver(ws.connection, ws.path('h0.parquet'), [
      row('1', ts),
      row('2', ts + hour - 1),
    ]);
    const h1a = await writeSilver(ws.connection, ws.path('h1a.parquet'), [row('3', ts + hour)]);
    const h1b = await writeSilver(ws.connection, ws.path('h1b.parquet'), [row('4', ts + hour + 5)]);
    const h2 = await writeSilver(ws.connection, ws.path('h2.parquet'), [row('5', ts + 2 * hour)]);
    const sources = await silverCandleSources(ws.connection, [h0, h1a, h1b, h2]);
    assert.equal(sources.length, 2);
    const [byRow, byKey] = sources;
    assert.equal(byRow?.orderKey, ROW_ORDER_KEY);
    assert.ok(byRow?.relation.includes('h0.parquet') && byRow.relation.includes('h2.parquet'));
    assert.ok(!byRow?.relation.includes('h1a.parquet') && !byRow?.relation.includes('h1b.parquet'));
    assert.notEqual(byKey?.orderKey, ROW_ORDER_KEY);
    assert.ok(byKey?.relation.includes('h1a.parquet') && byKey.relation.includes('h1b.parquet'));
    assert.deepEqual(
      sources.map((x) => x.venue),
      ['binance', 'binance'],
    );
  });

  it('puts every file in one source when a file holds several venues', async () => {
    const mixed = await writeSilver(ws.connection, ws.path('mixed.parquet'), [
      { venue: 'binance', symbol: 'BTC-USDT', tradeId: '1', ts, price: 1, qty: 1 },
      { venue: 'kraken', symbol: 'BTC-USD', tradeId: '2', ts, price: 1, qty: 1 },
    ]);
    const other = await writeSilver(ws.connection, ws.path('other.parquet'), [
      { venue: 'binance', symbol: 'BTC-USDT', tradeId: '3', ts, price: 1, qty: 1 },
    ]);
    const sources = await silverCandleSources(ws.connection, [mixed, other]);
    assert.equal(sources.length, 1);
    assert.notEqual(sources[0]?.orderKey, GENERAL_ORDER_KEY);
    assert.equal(sources[0]?.venue, undefined, 'the venue column is read');
  });

  it('has no source without files, and the SQL still yields typed, empty candles', async () => {
    assert.deepEqual(await silverCandleSources(ws.connection, []), []);
    const reader = await ws.connection.runAndReadAll(
      `DESCRIBE ${candlesSql([], { intervals: ['1m', '1d'] })}`,
    );
    assert.equal(reader.getRows().length, 14);
  });

  it('rejects a fromTs that is not aligned to an interval, and seeds without fromTs', () => {
    assert.throws(() => candlesSql([], { intervals: ['1h'], fromTs: ts + 60_000 }), RangeError);
    assert.throws(() => candlesSql([], { intervals: ['1m'], seeds: 'seeds' }), RangeError);
  });
});
