import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLakeReader, type LakeChange, openLakeWriter } from '../../src/lake/index.js';
import { appendEvents, partitionForKey, TOPICS } from '../../src/log/index.js';
import { DAY0, HOUR, readParquet, tempLake, trade } from './helpers.js';

describe('lake writer: silver', () => {
  it('seals an hour once the watermark passes its end plus the allowed lateness, deduplicated and sorted', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const changes: LakeChange[] = [];
      writer.onChange((c) => changes.push(...c));
      const t1 = trade({ ts: DAY0 + 10_000, price: 101 });
      const t2 = trade({ ts: DAY0 + 5_000, price: 102, side: 'sell' });
      await lake.append([t1, t2, { ...t1 }]); // a duplicate the log writer's window missed
      // 01:01:00.999 → watermark 01:00:59.999: hour 00 not sealed yet (needs 01:01:00 + 1 s).
      await lake.append([trade({ ts: DAY0 + HOUR + 60_999 })]);
      await writer.catchUp();
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      assert.deepEqual(reader.silverFiles('2019-10-11', '2019-10-11'), []);
      assert.equal(reader.untilTs('2019-10-11'), DAY0);
      await lake.append([trade({ ts: DAY0 + HOUR + 61_000 })]);
      await writer.catchUp();
      const files = reader.silverFiles('2019-10-11', '2019-10-11');
      assert.equal(files.length, 1);
      assert.match(files[0] ?? '', /silver\/trades\/date=2019-10-11\/venue=binance\/00\.\d{8}\.parquet$/);
      const rows = await readParquet(files);
      assert.deepEqual(
        rows.map((r) => [r.trade_id, r.ts, r.price, r.is_buy]),
        [
          [t2.tradeId, t2.ts, 102, false],
          [t1.tradeId, t1.ts, 101, true],
        ],
      );
      assert.equal(rows[0]?.id_num, Number(t2.tradeId));
      assert.equal(reader.untilTs('2019-10-11'), DAY0 + HOUR);
      assert.deepEqual(
        changes.map((c) => [c.kind, c.hourTs]),
        [['sealed', DAY0]],
      );
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('keeps trades of every minute of an hour, the last half included', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      // Only the second half of hour 23 and the last millisecond of the day.
      const trades = [trade({ ts: DAY0 + 23 * HOUR + 45 * 60_000 }), trade({ ts: DAY0 + 24 * HOUR - 1 })];
      await lake.append(trades);
      await writer.catchUp({ sealAll: true });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      assert.deepEqual(reader.dates(), ['2019-10-11']);
      const rows = await readParquet(reader.silverFiles('2019-10-11', '2019-10-11'));
      assert.deepEqual(
        rows.map((r) => r.ts),
        trades.map((t) => t.ts),
      );
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('a late trade for a sealed hour lands in a later file of the partition and re-opens the hour', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, {
        lakeDir: lake.lakeDir,
        live: false,
        garbageGraceMs: 0,
      });
      const changes: LakeChange[] = [];
      writer.onChange((c) => changes.push(...c));
      const first = trade({ ts: DAY0 + 1000 });
      // Watermark 02:59:59 seals hours ending by 02:58:59: hour 00 (hour 01 has no trades).
      await lake.append([first, trade({ ts: DAY0 + 3 * HOUR })]);
      await writer.catchUp();
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const before = reader.silverFiles('2019-10-11', '2019-10-11');
      assert.equal(before.length, 1);
      const late = trade({ ts: DAY0 + 2000, price: 99 });
      await lake.append([late, { ...first }]); // and a duplicate, which changes nothing
      await writer.catchUp();
      const after = reader.silverFiles('2019-10-11', '2019-10-11');
      assert.equal(after.length, 1);
      assert.notEqual(after[0], before[0]);
      assert.equal(
        existsSync(before[0] ?? ''),
        false,
        'the replaced file is deleted once past the grace period',
      );
      const merged = await readParquet(after);
      assert.deepEqual(
        merged.map((r) => r.trade_id),
        [first.tradeId, late.tradeId],
      );
      // Exactly the silver columns: nothing picked up from the hive-style path (date=…/venue=…).
      assert.deepEqual(Object.keys(merged[0] ?? {}), [
        'venue',
        'symbol',
        'trade_id',
        'id_num',
        'ts',
        'price',
        'qty',
        'is_buy',
        'count',
        'recv_ts',
      ]);
      assert.deepEqual(
        changes.map((c) => [c.kind, c.hourTs, c.generation]),
        [
          ['sealed', DAY0, 1],
          ['reopened', DAY0, 2],
        ],
      );
      // A second copy of the late trade changes nothing more.
      await lake.append([{ ...late }]);
      await writer.catchUp();
      assert.deepEqual(reader.silverFiles('2019-10-11', '2019-10-11'), after);
      assert.equal(changes.length, 2);
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('sealAll seals every hour with data; a reopened writer resumes from the committed offsets and sweeps leftovers', async () => {
    const lake = await tempLake();
    try {
      let writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const trades = [trade({ ts: DAY0 + 1000 }), trade({ ts: DAY0 + 25 * HOUR, venue: 'bybit' })];
      await lake.append(trades);
      await writer.catchUp({ sealAll: true });
      await writer.close();
      const leftover = join(
        lake.lakeDir,
        'silver/trades/date=2019-10-11/venue=binance/.tmp-00.00000099.parquet',
      );
      await writeFile(leftover, 'half a file');
      writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      assert.equal(existsSync(leftover), false);
      await lake.append([trade({ ts: DAY0 + 2000 })]);
      await writer.catchUp({ sealAll: true });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      assert.deepEqual(reader.dates(), ['2019-10-11', '2019-10-12']);
      const rows = await readParquet(reader.silverFiles('2019-10-11', '2019-10-12'));
      assert.equal(rows.length, 3, 'each trade once');
      assert.deepEqual(
        rows.map((r) => r.venue),
        ['binance', 'binance', 'bybit'],
      );
      assert.equal(reader.untilTs('2019-10-12'), DAY0 + 26 * HOUR);
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('seals an hour of a few in-order parts as they are, and compacts parts a duplicate spans, even across writer runs', async () => {
    const lake = await tempLake();
    let writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
    try {
      const ids = (from: number, n: number, hour: number) =>
        Array.from({ length: n }, (_, i) =>
          trade({ ts: DAY0 + hour * HOUR + (from + i) * 1000, tradeId: String(from + i) }),
        );
      // Hour 0: two parts of one run, ids rising through both. Hour 1: a part before a restart.
      await lake.append([...ids(1, 3, 0), ...ids(1, 3, 1)]);
      await writer.catchUp();
      await lake.append(ids(4, 3, 0));
      await writer.catchUp();
      await writer.close();
      // After the restart, hour 1 gets its trade 3 again (a repeat the log writer missed) and trade 4.
      writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      await lake.append(ids(3, 2, 1));
      await writer.catchUp({ sealAll: true });
      const hours = writer.manifest().hours;
      const hour0 = Object.values(hours).find((h) => h.hourTs === DAY0);
      const hour1 = Object.values(hours).find((h) => h.hourTs === DAY0 + HOUR);
      assert.equal(hour0?.files.length, 2, 'hour 0 sealed as its two parts');
      assert.equal(hour1?.files.length, 1, 'hour 1 compacted');
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const rows = await readParquet(reader.silverFiles('2019-10-11', '2019-10-11'));
      assert.deepEqual(
        rows.map((r) => r.ts).sort((a, b) => a - b),
        [
          ...[1, 2, 3, 4, 5, 6].map((s) => DAY0 + s * 1000),
          ...[1, 2, 3, 4].map((s) => DAY0 + HOUR + s * 1000),
        ],
      );
    } finally {
      await writer.close();
      await lake.cleanup();
    }
  });

  it("catching up partition by partition, one partition read ahead never makes another one's trades late", async () => {
    const lake = await tempLake();
    // Small reads and a commit every few trades: SOL-USDT (partition 0) runs two hours ahead
    // in a few reads while BTC-USDT (partition 3) is still at minute 5.
    const writer = await openLakeWriter(lake.log, {
      lakeDir: lake.lakeDir,
      live: false,
      readBatchRecords: 2,
      flushRows: 4,
    });
    try {
      assert.notEqual(partitionForKey('binance:SOL-USDT', 4), partitionForKey('binance:BTC-USDT', 4));
      const changes: LakeChange[] = [];
      writer.onChange((c) => changes.push(...c));
      const sparse = [0, 30, 59, 61, 65, 120, 121, 125].map((m) =>
        trade({ symbol: 'SOL-USDT', ts: DAY0 + m * 60_000 }),
      );
      const dense = Array.from({ length: 130 }, (_, m) =>
        trade({ symbol: 'BTC-USDT', ts: DAY0 + m * 60_000 + 1 }),
      );
      await lake.append([...sparse, ...dense]);
      await writer.catchUp();
      assert.deepEqual(
        changes.map((c) => [c.kind, (c.hourTs - DAY0) / HOUR]),
        [
          ['sealed', 0],
          ['sealed', 1],
        ],
      );
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const rows = await readParquet(reader.silverFiles('2019-10-11', '2019-10-11'));
      assert.equal(rows.filter((r) => r.ts < DAY0 + 2 * HOUR).length, 5 + 120);
    } finally {
      await writer.close();
      await lake.cleanup();
    }
  });

  it('trades handed over with their acks are staged once, whatever gaps or repeats the offers have', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const batches = [0, 1, 2, 3].map((b) =>
        Array.from({ length: 50 }, (_, i) =>
          trade({ ts: DAY0 + b * 60_000 + i * 100, symbol: `S${i % 5}-USDT` }),
        ),
      );
      for (const [b, trades] of batches.entries()) {
        const acks = await appendEvents(lake.log, TOPICS.trades, trades);
        // Batch 1 is never offered (a gap), batch 2 is offered twice.
        if (b !== 1) writer.offer(trades, acks);
        if (b === 2) writer.offer(trades, acks);
      }
      await writer.catchUp({ sealAll: true });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const ids = (await readParquet(reader.silverFiles('2019-10-11', '2019-10-11'))).map((r) => r.trade_id);
      assert.equal(ids.length, 200);
      assert.deepEqual(new Set(ids), new Set(batches.flat().map((t) => t.tradeId)));
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('live: a venue quiet for idleSealMs has its ended hours sealed on the wall clock, not the current one', async () => {
    const lake = await tempLake();
    try {
      let nowMs = DAY0 + 2 * HOUR + 30 * 60_000; // 02:30
      const writer = await openLakeWriter(lake.log, {
        lakeDir: lake.lakeDir,
        live: true,
        idleSealMs: 10_000,
        clock: () => nowMs,
      });
      await lake.append([trade({ ts: DAY0 + HOUR + 1000 }), trade({ ts: DAY0 + 2 * HOUR + 1000 })]);
      await writer.catchUp();
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      assert.deepEqual(reader.silverFiles('2019-10-11', '2019-10-11'), []);
      nowMs += 10_000;
      const controller = new AbortController();
      const running = writer.run(controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await running;
      assert.equal(
        reader.untilTs('2019-10-11'),
        DAY0 + 2 * HOUR,
        'hour 01 sealed, hour 02 (still running) open',
      );
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });
});
