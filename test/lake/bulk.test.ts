import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Trade } from '../../src/domain/index.js';
import {
  type BulkCommit,
  type BulkLoader,
  type BulkSeal,
  createLakeReader,
  type LakeChange,
  type LakeWriter,
  loadManifest,
  openBulkLoader,
  openLakeWriter,
} from '../../src/lake/index.js';
import { DAY0, HOUR, readParquet, type TempLake, tempLake, trade } from './helpers.js';

/** A lake writer (consuming nothing) and a bulk loader beside it, as `backfill` has them. */
async function openBoth(
  lake: TempLake,
  flushRows?: number,
): Promise<{ writer: LakeWriter; loader: BulkLoader; changes: LakeChange[]; close(): Promise<void> }> {
  const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
  const changes: LakeChange[] = [];
  writer.onChange((c) => changes.push(...c));
  const controller = new AbortController();
  const running = writer.run(controller.signal);
  const loader = await openBulkLoader(writer, lake.lakeDir, flushRows === undefined ? {} : { flushRows });
  return {
    writer,
    loader,
    changes,
    async close() {
      await loader.close();
      controller.abort();
      await running;
      await writer.close();
    },
  };
}

/** Commits and waits for it. */
async function committed(loader: BulkLoader, seal?: BulkSeal): Promise<BulkCommit> {
  return (await loader.commit(seal)).done;
}

/** Runs `fn` over a fresh lake with a writer and a loader, closing them whatever happens. */
async function withBoth(
  fn: (lake: TempLake, both: Awaited<ReturnType<typeof openBoth>>) => Promise<void>,
  flushRows?: number,
): Promise<void> {
  const lake = await tempLake();
  try {
    const both = await openBoth(lake, flushRows);
    try {
      await fn(lake, both);
    } finally {
      await both.close();
    }
  } finally {
    await lake.cleanup();
  }
}

/** One row per trade of a day, every 10 s of `hours` hours, ids from `firstId`. */
function dayTrades(hours: number, firstId: number, symbol = 'BTC-USDT'): Trade[] {
  return Array.from({ length: (hours * HOUR) / 10_000 }, (_, i) =>
    trade({ symbol, tradeId: String(firstId + i), ts: DAY0 + i * 10_000, price: 100 + (i % 7) }),
  );
}

async function silverIds(lake: TempLake, writer: LakeWriter): Promise<string[]> {
  const reader = createLakeReader(lake.lakeDir, writer.manifest);
  const rows = await readParquet(reader.silverFiles('2019-10-11', '2019-10-11'));
  return rows.map((r) => `${r.symbol}:${r.trade_id}`);
}

describe('bulk loader: dumps into the lake beside the lake writer', () => {
  it('commits a day as sealed, sorted silver hours, the dump kept in bronze as received', async () => {
    await withBoth(async (lake, both) => {
      const path = join(lake.dir, 'BTCUSDT-aggTrades-2019-10-11.csv.gz');
      await writeFile(path, 'the bytes as received');
      const dump = await both.loader.openDump(path);
      assert.deepEqual([dump.fromLine, dump.done], [0, false]);
      // Two symbols, the second staged first: silver is sorted by symbol all the same.
      const eth = dayTrades(3, 1, 'ETH-USDT');
      const btc = dayTrades(3, 1);
      for (const t of [...eth, ...btc]) both.loader.pushTrade(t);
      dump.progress(42, eth.length + btc.length, 2, true);
      const result = await committed(both.loader, { untilTs: DAY0 + 86_400_000 });
      assert.deepEqual([result.staged, result.added], [eth.length + btc.length, eth.length + btc.length]);
      assert.deepEqual(
        both.changes.map((c) => [c.kind, (c.hourTs - DAY0) / HOUR]),
        [
          ['sealed', 0],
          ['sealed', 1],
          ['sealed', 2],
        ],
      );
      const reader = createLakeReader(lake.lakeDir, both.writer.manifest);
      assert.equal(reader.untilTs('2019-10-11'), DAY0 + 86_400_000, 'the day is complete');
      const files = reader.silverFiles('2019-10-11', '2019-10-11');
      assert.equal(files.length, 3);
      const rows = await readParquet([files[0] as string]);
      const sorted = [...rows].sort((a, b) =>
        a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.ts - b.ts,
      );
      assert.deepEqual(rows, sorted);
      assert.equal(rows.length, 2 * 360);

      const manifest = await loadManifest(lake.lakeDir);
      const entry = manifest.dumps?.[dump.key];
      assert.ok(entry !== undefined);
      assert.deepEqual(
        { ...entry, path: '' },
        {
          name: 'BTCUSDT-aggTrades-2019-10-11.csv.gz',
          path: '',
          bytes: 21,
          lines: 42,
          trades: eth.length + btc.length,
          rejected: 2,
          done: true,
        },
      );
      assert.match(entry.path, /^bronze\/dumps\/\d{8}\/BTCUSDT-aggTrades-2019-10-11\.csv\.gz$/);
      assert.equal(readFileSync(join(lake.lakeDir, entry.path), 'utf8'), 'the bytes as received');
      // The same bytes under another name are the same dump.
      const copy = join(lake.dir, 'renamed.csv.gz');
      await writeFile(copy, 'the bytes as received');
      assert.equal((await both.loader.openDump(copy)).done, true);
      const leftovers = (await readdir(join(lake.lakeDir, 'bronze', 'dumps'), { recursive: true })).filter(
        (f) => String(f).includes('.tmp-'),
      );
      assert.deepEqual(leftovers, [], 'no temporary copy left');
    });
  });

  it('adds nothing that silver holds: duplicates within a load, across loads and against sealed hours', async () => {
    await withBoth(async (lake, both) => {
      const first = dayTrades(2, 1);
      for (const t of [...first, ...first.slice(0, 100)]) both.loader.pushTrade(t);
      const a = await committed(both.loader, { untilTs: DAY0 + 86_400_000 });
      assert.deepEqual([a.staged, a.added], [first.length + 100, first.length]);
      // Overlapping the first load, plus an hour it had not.
      const second = dayTrades(3, 1);
      for (const t of second) both.loader.pushTrade(t);
      const b = await committed(both.loader, { untilTs: DAY0 + 86_400_000 });
      assert.deepEqual([b.staged, b.added], [second.length, second.length - first.length]);
      assert.deepEqual(
        both.changes.map((c) => [c.kind, (c.hourTs - DAY0) / HOUR]),
        [
          ['sealed', 0],
          ['sealed', 1],
          ['sealed', 2],
        ],
        'the sealed hours took nothing new: not re-opened',
      );
      const ids = await silverIds(lake, both.writer);
      assert.equal(ids.length, second.length);
      assert.equal(new Set(ids).size, ids.length);
    });
  });

  it('keeps rows in open parts until the sealing commit, and seals them with dedupe', async () => {
    await withBoth(async (lake, both) => {
      const trades = dayTrades(2, 1);
      for (const t of trades.slice(0, 600)) both.loader.pushTrade(t);
      assert.equal(both.loader.flushDue(), true);
      await committed(both.loader);
      assert.deepEqual(both.changes, [], 'nothing sealed yet');
      for (const t of trades.slice(500)) both.loader.pushTrade(t);
      const last = await committed(both.loader, { untilTs: DAY0 + 86_400_000 });
      assert.equal(last.added, trades.length - 600);
      const ids = await silverIds(lake, both.writer);
      assert.deepEqual(
        ids,
        trades.map((t) => `${t.symbol}:${t.tradeId}`),
      );
    }, 500);
  });

  it('stages the next rows while a commit runs, and the dump it cut is known meanwhile', async () => {
    await withBoth(async (lake, both) => {
      const path = join(lake.dir, 'BTCUSDT-aggTrades-2019-10-11.csv');
      await writeFile(path, 'bytes');
      const dump = await both.loader.openDump(path);
      const trades = dayTrades(3, 1);
      for (const t of trades.slice(0, 400)) both.loader.pushTrade(t);
      dump.progress(401, 400, 0, true);
      const first = await both.loader.commit();
      // The commit runs; the same bytes under another name are the dump it carries.
      const twin = join(lake.dir, 'twin.csv');
      await writeFile(twin, 'bytes');
      assert.equal((await both.loader.openDump(twin)).done, true);
      for (const t of trades.slice(400)) both.loader.pushTrade(t);
      const second = await both.loader.commit({ untilTs: DAY0 + 86_400_000 });
      const [a, b] = await Promise.all([first.done, second.done]);
      assert.equal(a.added + b.added, trades.length);
      assert.deepEqual(
        await silverIds(lake, both.writer),
        trades.map((t) => `${t.symbol}:${t.tradeId}`),
      );
    });
  });

  it('leaves the hours it holds open to itself: the writer does not seal them when its frontier passes', async () => {
    await withBoth(async (lake, both) => {
      const trades = dayTrades(2, 1);
      for (const t of trades.slice(0, 500)) both.loader.pushTrade(t);
      await committed(both.loader);
      // The log moves the writer's frontier past both hours.
      await lake.append([trade({ symbol: 'ETH-USDT', ts: DAY0 + 5 * HOUR })]);
      await both.writer.catchUp();
      const open = () =>
        Object.values(both.writer.manifest().hours)
          .filter((h) => !h.sealed && h.hourTs < DAY0 + 2 * HOUR)
          .map((h) => (h.hourTs - DAY0) / HOUR);
      assert.deepEqual(open(), [0, 1]);
      for (const t of trades.slice(500)) both.loader.pushTrade(t);
      const last = await committed(both.loader, { untilTs: DAY0 + 2 * HOUR });
      assert.deepEqual(open(), []);
      assert.equal(last.changes.filter((c) => c.kind === 'sealed').length, 2);
    });
  });

  it('merges with the hours the lake writer consumed from the log, and the writer goes on from the bulk commit', async () => {
    await withBoth(async (lake, both) => {
      // The log holds the first hour's trades (a live run, frames); the dump holds the day.
      const trades = dayTrades(2, 1);
      await lake.append(trades.slice(0, 360));
      await both.writer.catchUp();
      for (const t of trades) both.loader.pushTrade(t);
      const result = await committed(both.loader, { untilTs: DAY0 + 86_400_000 });
      assert.equal(result.added, trades.length - 360);
      // A late trade through the log re-opens the sealed hour, on top of the bulk commit.
      await lake.append([trade({ tradeId: '999999', ts: DAY0 + 5 })]);
      await both.writer.catchUp();
      const ids = await silverIds(lake, both.writer);
      assert.equal(ids.length, trades.length + 1);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(
        both.changes.map((c) => [c.kind, (c.hourTs - DAY0) / HOUR]),
        [
          ['sealed', 0],
          ['sealed', 1],
          ['reopened', 0],
        ],
      );
    });
  });
});
