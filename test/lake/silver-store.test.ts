import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import type { Trade } from '../../src/domain/index.js';
import { createIdChains } from '../../src/lake/id-chains.js';
import { readParquetSql, sqlText } from '../../src/lake/index.js';
import { openSilverStore } from '../../src/lake/silver-store.js';
import { tradeBinaryCodec } from '../../src/log/index.js';
import { DAY0, HOUR, readParquet, type SilverRow } from './helpers.js';

/** The first row of a query, numbers as numbers. */
async function queryRow(sql: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const row = (await connection.runAndReadAll(sql)).getRows()[0] ?? [];
    return row.map((v) => (typeof v === 'bigint' ? Number(v) : v));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const compareText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Silver's order (ARCHITECTURE.md §4): venue, symbol, ts, integer id (none last), id text. */
function compareSilver(a: SilverRow, b: SilverRow): number {
  const text = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return (
    text(a.venue, b.venue) ||
    text(a.symbol, b.symbol) ||
    a.ts - b.ts ||
    (a.id_num === null ? (b.id_num === null ? 0 : 1) : b.id_num === null ? -1 : a.id_num - b.id_num) ||
    text(a.trade_id, b.trade_id)
  );
}

/** A trade id of one of the kinds venues send: integers (some in order), zero-padded, text. */
const tradeIdArb = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
  fc.integer({ min: 0, max: 999 }).map((n) => `00${n}`),
  fc.uuid(),
  fc.constantFrom('1e5', '-7', '12345678901234567'),
);

const tradeArb = fc.record({
  venue: fc.constantFrom('binance', 'bybit'),
  symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT', 'ADA-USDT'),
  tradeId: tradeIdArb,
  ts: fc.integer({ min: DAY0, max: DAY0 + 2 * HOUR + 5000 }),
  price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
  qty: fc.double({ min: 1e-8, max: 1e4, noNaN: true }),
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
  count: fc.integer({ min: 1, max: 1000 }),
  recvTs: fc.integer({ min: DAY0, max: DAY0 + 3 * HOUR }),
});

/** Trades that came in order: one series, times and integer ids rising together. */
function orderedRun(count: number, start: number): Trade[] {
  return Array.from({ length: count }, (_, i) => ({
    venue: 'binance',
    symbol: 'XRP-USDT',
    tradeId: String(start + i),
    ts: DAY0 + 1000 + i * 7,
    price: 0.5 + i / 1e6,
    qty: 10,
    side: i % 3 === 0 ? 'sell' : 'buy',
    count: 1,
    recvTs: DAY0 + 1002 + i * 7,
  }));
}

describe('silver store', () => {
  it('writes every staged trade of each hour in silver order, decoded or handed over, and knows when the part holds no duplicate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-silver-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(tradeArb, { maxLength: 60 }),
          fc.integer({ min: 0, max: 5000 }),
          fc.boolean(),
          fc.boolean(),
          async (randomTrades, ordered, encoded, repeatOne) => {
            // An in-order series long enough to span chunks, beside trades in any order.
            const trades: Trade[] = [...orderedRun(ordered, 1_000_000), ...randomTrades];
            if (repeatOne && trades.length > 0) trades.push({ ...(trades[0] as Trade) });
            const store = await openSilverStore(createIdChains('run'));
            try {
              if (encoded) store.appendEncoded(trades.map((t) => tradeBinaryCodec.encode(t)));
              else store.append(trades);
              assert.equal(store.stagedRows(), trades.length);
              let written = 0;
              for (const { venue, hourTs, rows } of store.stagedHours()) {
                const path = join(dir, `part-${run++}.parquet`);
                const part = await store.writePart(venue, hourTs, path);
                assert.equal(part.rows, rows);
                written += rows;
                const fileRows = await readParquet([path]);
                const expected = trades
                  .filter((t) => t.venue === venue && t.ts >= hourTs && t.ts < hourTs + HOUR)
                  .map((t) => ({
                    venue: t.venue,
                    symbol: t.symbol,
                    trade_id: t.tradeId,
                    id_num: /^[0-9]{1,18}$/.test(t.tradeId) ? Number(t.tradeId) : null,
                    ts: t.ts,
                    price: t.price,
                    qty: t.qty,
                    is_buy: t.side === 'buy',
                    count: t.count,
                    recv_ts: t.recvTs,
                  }));
                // Same rows, and in silver order (rows equal in every sort key may come either way).
                assert.deepEqual(
                  [...fileRows]
                    .sort(compareSilver)
                    .map((r) => JSON.stringify(r))
                    .sort(),
                  expected.map((r) => JSON.stringify(r)).sort(),
                );
                for (let i = 1; i < fileRows.length; i++) {
                  assert.ok(
                    compareSilver(fileRows[i - 1] as SilverRow, fileRows[i] as SilverRow) <= 0,
                    `row ${i} of ${venue} ${hourTs} out of order`,
                  );
                }
                const ids = fileRows.map((r) => `${r.symbol}|${r.trade_id}`);
                if (part.chain !== undefined) assert.equal(new Set(ids).size, ids.length);
              }
              assert.equal(written, trades.length);
            } finally {
              await store.clear();
              store.close();
            }
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a series that came in order is written without a sort, and each part that continues its ids carries the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-silver-'));
    const store = await openSilverStore(createIdChains('run-a'));
    const write = async (trades: Trade[], name: string): Promise<{ chain?: string; path: string }> => {
      store.appendEncoded(trades.map((t) => tradeBinaryCodec.encode(t)));
      const [hour] = store.stagedHours();
      assert.ok(hour !== undefined);
      const path = join(dir, name);
      const part = await store.writePart(hour.venue, hour.hourTs, path);
      await store.clear();
      return { ...part, path };
    };
    try {
      const trades = orderedRun(10_000, 5);
      const a = await write(trades, 'a.parquet');
      assert.equal(a.chain, 'run-a');
      assert.deepEqual(
        (await readParquet([a.path])).map((r) => r.trade_id),
        trades.map((t) => t.tradeId),
      );
      // The next ids of the series continue the chain; ids at or below its top break it.
      assert.equal((await write(orderedRun(100, 10_005), 'b.parquet')).chain, 'run-a');
      const c = await write([...orderedRun(3, 20_000), ...orderedRun(1, 20_001)], 'c.parquet');
      assert.equal(c.chain, undefined);
      assert.equal(await store.duplicates([c.path]), 1);
      assert.equal((await write(orderedRun(5, 10_100), 'd.parquet')).chain, undefined);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a large in-order hour sorted without a sort, over several row groups and both thread counts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-silver-'));
    const store = await openSilverStore(createIdChains('run'));
    try {
      // Four series interleaved as they arrive: the store must group them by symbol.
      const symbols = ['SOL-USDT', 'BTC-USDT', 'ETH-USDT', 'ADA-USDT'];
      const trades = Array.from({ length: 300_000 }, (_, i) => ({
        ...(orderedRun(1, 1_000 + i)[0] as Trade),
        symbol: symbols[i % 4] as string,
        ts: DAY0 + Math.floor(i / 3),
      }));
      store.appendEncoded(trades.map((t) => tradeBinaryCodec.encode(t)));
      const [hour] = store.stagedHours();
      assert.ok(hour !== undefined);
      for (const threads of [2, 1]) {
        await store.useThreads(threads);
        const path = join(dir, `t${threads}.parquet`);
        assert.equal((await store.writePart(hour.venue, hour.hourTs, path)).rows, trades.length);
        // File order, row by row against the one before (an empty OVER keeps it).
        const [outOfOrder, rowGroups] = await queryRow(
          `SELECT (SELECT count(*) FILTER (WHERE rn > 1 AND (symbol, ts, id_num) < (ps, pts, pid))
             FROM (SELECT row_number() OVER () AS rn, symbol, ts, id_num, lag(symbol) OVER () AS ps,
               lag(ts) OVER () AS pts, lag(id_num) OVER () AS pid FROM ${readParquetSql(path)})),
           (SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${sqlText(path)}))`,
        );
        assert.equal(outOfOrder, 0, `${threads} thread(s)`);
        assert.ok(Number(rowGroups) >= 2, `${rowGroups} row groups`);
      }
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compacts a part written in the earlier format (zstd level 3, format 1) with new rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-silver-'));
    const store = await openSilverStore(createIdChains('run'));
    try {
      const trades = orderedRun(6_000, 50);
      store.appendEncoded(trades.slice(0, 3_000).map((t) => tradeBinaryCodec.encode(t)));
      const [hour] = store.stagedHours();
      assert.ok(hour !== undefined);
      const fresh = join(dir, 'fresh.parquet');
      await store.writePart(hour.venue, hour.hourTs, fresh);
      await store.clear();
      // The part as the lake wrote it before: DuckDB's default encodings, zstd at its default level.
      const old = join(dir, 'old.parquet');
      await queryRow(
        `COPY (SELECT * FROM ${readParquetSql(fresh)}) TO ${sqlText(old)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const [encodings] = await queryRow(
        `SELECT string_agg(DISTINCT encodings) FROM parquet_metadata(${sqlText(old)}) WHERE path_in_schema = 'ts'`,
      );
      assert.equal(encodings, 'PLAIN');
      store.appendEncoded(trades.slice(2_500).map((t) => tradeBinaryCodec.encode(t)));
      const out = join(dir, 'sealed.parquet');
      assert.equal((await store.compact(hour.venue, hour.hourTs, [old], true, out)).rows, 6_000);
      assert.deepEqual(
        (await readParquet([out])).map((r) => r.trade_id),
        trades.map((t) => t.tradeId),
      );
      const [newEncodings] = await queryRow(
        `SELECT string_agg(DISTINCT encodings) FROM parquet_metadata(${sqlText(out)}) WHERE path_in_schema = 'ts'`,
      );
      assert.equal(newEncodings, 'DELTA_BINARY_PACKED');
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('eager: loads chunks as they fill and writes each hour in silver order, however its series came', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-silver-'));
    // Two series over two hours (997 ms apart: 6,000 trades span 100 minutes).
    const run = (symbol: string, count: number, start: number): Trade[] =>
      orderedRun(count, start).map((t, i) => ({ ...t, symbol, ts: DAY0 + i * 997 }));
    const btc = run('BTC-USDT', 6_000, 1);
    const eth = run('ETH-USDT', 5_000, 100_000);
    const cases: Record<string, Trade[]> = {
      'one symbol after the other, in symbol order': [...btc, ...eth],
      'in reverse symbol order': [...eth, ...btc],
      interleaved: btc.flatMap((t, i) => (eth[i] === undefined ? [t] : [t, eth[i] as Trade])),
      'a series back in an hour it had left': [
        ...btc.slice(0, 3_000),
        ...btc.slice(4_000),
        ...btc.slice(3_000, 4_000),
      ],
      'a series back after another': [...btc.slice(0, 3_000), ...eth, ...btc.slice(3_000)],
    };
    try {
      for (const [name, trades] of Object.entries(cases)) {
        const store = await openSilverStore(createIdChains('run'), { eager: true });
        try {
          store.appendEncoded(trades.map((t) => tradeBinaryCodec.encode(t)));
          const files: string[] = [];
          for (const { venue, hourTs, rows } of store.stagedHours()) {
            const path = join(dir, `${name}-${hourTs}.parquet`);
            assert.equal((await store.writePart(venue, hourTs, path)).rows, rows, name);
            files.push(path);
          }
          // Hours in order, each file in silver's order: the rows of all, one after the other.
          const expected = [...trades]
            .sort(
              (a, b) =>
                Math.floor(a.ts / HOUR) - Math.floor(b.ts / HOUR) ||
                compareText(a.symbol, b.symbol) ||
                a.ts - b.ts,
            )
            .map((t) => `${t.symbol} ${t.tradeId}`);
          const written = (await readParquet(files)).map((r) => `${r.symbol} ${r.trade_id}`);
          assert.deepEqual(written, expected, name);
          await store.clear();
          assert.equal(store.stagedRows(), 0);
        } finally {
          store.close();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
