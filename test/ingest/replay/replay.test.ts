import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Trade } from '../../../src/domain/index.js';
import { openReplay, type SourceBatch } from '../../../src/ingest/index.js';
import { AGG_TRADES_CSV_GZ, collect, fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from '../fixtures.js';
import { aggRows, tempDir, tradesLayout } from './tmp.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const rows = aggRows();
const trades = (batches: SourceBatch[]): Trade[] => batches.flatMap((b) => b.trades);
const sum = (batches: SourceBatch[], key: 'rejected' | 'ignored'): number =>
  batches.reduce((n, b) => n + (key === 'ignored' ? b.ignored : b.rejected.length), 0);

function expectedFromRow(row: string[]): Trade {
  const [id, price, qty, first, last, time, maker] = row as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    venue: 'binance',
    symbol: 'XRP-ETH',
    tradeId: id,
    ts: Number(time),
    price: Number(price),
    qty: Number(qty),
    side: maker === 'true' ? 'sell' : 'buy',
    count: Number(last) - Number(first) + 1,
    recvTs: Number(time),
  };
}

describe('openReplay: aggTrades CSV dumps', () => {
  it('replays the real XRPETH dump: 5,929 trades, first and last as in the file', async () => {
    const source = openReplay(AGG_TRADES_CSV_GZ);
    assert.equal(source.name, 'replay:XRPETH-aggTrades-2019-10-11.csv.gz');
    assert.equal(source.state(), 'idle');
    const batches = await collect(source);
    const all = trades(batches);
    assert.equal(all.length, 5929);
    assert.equal(rows.length, 5929);
    assert.deepEqual(all[0], expectedFromRow(rows[0]!));
    assert.deepEqual(all.at(-1), expectedFromRow(rows.at(-1)!));
    assert.ok(all.every((t) => t.symbol === 'XRP-ETH' && t.venue === 'binance'));
    assert.equal(sum(batches, 'rejected'), 0);
    assert.equal(sum(batches, 'ignored'), 0);
    assert.equal(source.state(), 'finished');
    assert.match(batches.at(-1)?.position ?? '', /^5930@[0-9a-f]{16}$/);
  });

  it('reads a headerless plain copy once given the symbol, and asks for --symbol otherwise', async () => {
    const file = tmp.write(
      'xrp-dump.csv',
      rows.map((r) => r.join(',')),
    );
    const unnamed = openReplay(file);
    await assert.rejects(collect(unnamed), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INGEST_SYMBOL_REQUIRED');
      assert.match(error.message, /--symbol/);
      return true;
    });
    assert.equal(unnamed.state(), 'failed');
    const named = trades(await collect(openReplay(file, { symbol: 'XRPETH', batchSize: 777 })));
    assert.deepEqual(named, trades(await collect(openReplay(AGG_TRADES_CSV_GZ))));
  });

  it('converts µs times (SPOT dumps from 2025) to ms', async () => {
    const micros = rows.map((r) => [
      ...r.slice(0, 5),
      `${r[5]}${String(Number(r[0]) % 1000).padStart(3, '0')}`,
      ...r.slice(6),
    ]);
    const file = tmp.write(
      'XRPETH-aggTrades-2025-01-01.csv.gz',
      micros.map((r) => r.join(',')),
    );
    const all = trades(await collect(openReplay(file)));
    assert.equal(all.length, 5929);
    assert.deepEqual(
      all.map((t) => t.ts),
      rows.map((r) => Number(r[5])),
    );
  });

  it('turns bad rows into rejections with file:line and goes on', async () => {
    const lines = [
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
    ];
    lines.push(...rows.slice(0, 100).map((r) => r.join(',')));
    lines.splice(10, 0, 'total garbage');
    lines.splice(20, 0, rows[0]!.map((c, i) => (i === 1 ? '-1' : c)).join(','));
    const file = tmp.write('XRPETH-aggTrades-2019-10-12.csv', lines);
    const batches = await collect(openReplay(file));
    assert.equal(trades(batches).length, 100);
    const rejected = batches.flatMap((b) => b.rejected);
    assert.deepEqual(
      rejected.map((r) => [r.reason, r.origin, r.payload]),
      [
        ['bad_csv', `${file}:11`, 'total garbage'],
        ['invalid_price', `${file}:21`, lines[20]],
      ],
    );
  });
});

describe('openReplay: trades CSV dumps', () => {
  it('replays the trades layout, named or headerless, ms or µs', async () => {
    const named = tmp.write('XRPETH-trades-2019-10-11.csv', tradesLayout(rows));
    const headerless = tmp.write('unnamed.csv.gz', tradesLayout(rows, 1000));
    const header = 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match';
    const withHeader = tmp.write('with-header.csv', [header, ...tradesLayout(rows)]);
    const expected = rows.map((r) => ({ ...expectedFromRow(r), tradeId: r[3]!, count: 1 }));
    assert.deepEqual(trades(await collect(openReplay(named))), expected);
    assert.deepEqual(trades(await collect(openReplay(headerless, { symbol: 'XRP-ETH' }))), expected);
    assert.deepEqual(trades(await collect(openReplay(withHeader, { symbol: 'xrpeth' }))), expected);
  });
});

describe('openReplay: recorded WebSocket frames', () => {
  it('replays the jsonl recording: 24 aggTrades and 20 ignored klines', async () => {
    const batches = await collect(openReplay(WS_JSONL));
    const all = trades(batches);
    assert.equal(all.length, 24);
    assert.equal(sum(batches, 'ignored'), 20);
    assert.equal(sum(batches, 'rejected'), 0);
    const recordedAt = fixtureLines(WS_JSONL)
      .map((l) => JSON.parse(l) as { received_at: number; raw: { data: { e: string } } })
      .filter((r) => r.raw.data.e === 'aggTrade')
      .map((r) => Math.round(r.received_at * 1000));
    assert.deepEqual(
      all.map((t) => t.recvTs),
      recordedAt,
    );
  });

  it('replays the raw cryptofeed capture: the same aggTrades, everything else ignored', async () => {
    const batches = await collect(openReplay(WS_CAPTURE_GZ, { batchSize: 100 }));
    const fromJsonl = trades(await collect(openReplay(WS_JSONL)));
    assert.deepEqual(trades(batches), fromJsonl);
    assert.equal(sum(batches, 'rejected'), 0);
    const lines = fixtureLines(WS_CAPTURE_GZ).filter((l) => l.trim() !== '');
    assert.equal(sum(batches, 'ignored'), lines.length - 24);
  });

  it('replays trade frames written one per line', async () => {
    const frames = fixtureLines(WS_JSONL)
      .map((l) => (JSON.parse(l) as { raw: { data: Record<string, unknown> } }).raw.data)
      .filter((d) => d['e'] === 'aggTrade')
      .map((d) =>
        JSON.stringify({
          e: 'trade',
          E: d['E'],
          s: d['s'],
          t: d['f'],
          p: d['p'],
          q: d['q'],
          T: d['T'],
          m: d['m'],
        }),
      );
    const file = tmp.write('trades.log', frames);
    const all = trades(await collect(openReplay(file)));
    assert.equal(all.length, 24);
    assert.ok(all.every((t) => t.count === 1));
  });
});

describe('openReplay: runs', () => {
  it('resumes right after any delivered position, deterministically', async () => {
    const batches = await collect(openReplay(AGG_TRADES_CSV_GZ, { batchSize: 700 }));
    const all = trades(batches);
    for (const k of [0, 3, batches.length - 2, batches.length - 1]) {
      const resumed = trades(
        await collect(openReplay(AGG_TRADES_CSV_GZ, { batchSize: 500 }), {
          fromPosition: batches[k]!.position,
        }),
      );
      const deliveredBefore = batches.slice(0, k + 1).reduce((n, b) => n + b.trades.length, 0);
      assert.deepEqual(resumed, all.slice(deliveredBefore));
    }
    await assert.rejects(collect(openReplay(AGG_TRADES_CSV_GZ), { fromPosition: 'line-7' }), {
      code: 'INGEST_BAD_POSITION',
    });
  });

  it("starts another file of the same name from its first line, never from the other's position", async () => {
    const lines = fixtureLines(AGG_TRADES_CSV_GZ);
    for (const d of ['a', 'b']) mkdirSync(tmp.path(`same-name/${d}`), { recursive: true });
    const first = tmp.write('same-name/a/XRPETH-aggTrades-2019-10-11.csv', lines.slice(0, 3000));
    const other = tmp.write('same-name/b/XRPETH-aggTrades-2019-10-11.csv', lines.slice(3000));
    const done = await collect(openReplay(first, { batchSize: 1000 }));
    const saved = done.at(-1)?.position;
    assert.equal(openReplay(first).name, openReplay(other).name, 'the two share a source name');
    const all = trades(await collect(openReplay(other)));
    const resumed = trades(await collect(openReplay(other), { fromPosition: saved }));
    assert.equal(resumed.length, all.length, 'every trade of the other file, none skipped');
    assert.deepEqual(resumed, all);
    // The same file rewritten (its head changed) also starts over; unchanged, it resumes.
    assert.deepEqual(trades(await collect(openReplay(first), { fromPosition: saved })), []);
    tmp.write('same-name/a/XRPETH-aggTrades-2019-10-11.csv', lines.slice(1, 3000));
    const rewritten = trades(await collect(openReplay(first)));
    assert.deepEqual(trades(await collect(openReplay(first), { fromPosition: saved })), rewritten);
  });

  it('resumes after a bare line number, as positions were saved before fingerprints', async () => {
    const batches = await collect(openReplay(AGG_TRADES_CSV_GZ, { batchSize: 700 }));
    const line = batches[2]?.position.split('@')[0];
    const resumed = trades(await collect(openReplay(AGG_TRADES_CSV_GZ), { fromPosition: line }));
    assert.deepEqual(resumed, trades(batches.slice(3)));
  });

  it('paces a replayRate in small batches, and stops when aborted', async () => {
    const controller = new AbortController();
    const source = openReplay(AGG_TRADES_CSV_GZ, { replayRate: 2000 });
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    const batches = await collect(source, { signal: controller.signal });
    const elapsedMs = Date.now() - started;
    const delivered = trades(batches).length;
    assert.equal(source.state(), 'stopped');
    // 2000/s for ~0.5 s: about 1000; generous bounds for a loaded machine.
    assert.ok(delivered >= 100 && delivered <= 2000, `delivered ${delivered} in ${elapsedMs} ms`);
    assert.ok(batches.every((b) => b.trades.length <= 100));
    assert.ok(elapsedMs < 3000);
  });

  it('takes about the time a rate implies for a whole file', async () => {
    const started = Date.now();
    const batches = await collect(openReplay(AGG_TRADES_CSV_GZ, { replayRate: 20_000 }));
    const elapsedMs = Date.now() - started;
    assert.equal(trades(batches).length, 5929);
    assert.ok(elapsedMs >= 150, `5929 trades at 20000/s took only ${elapsedMs} ms`);
  });

  it('stops when the consumer leaves early', async () => {
    const source = openReplay(AGG_TRADES_CSV_GZ, { batchSize: 100 });
    for await (const batch of source.batches({ signal: new AbortController().signal })) {
      assert.equal(batch.trades.length, 100);
      break;
    }
    assert.equal(source.state(), 'stopped');
  });

  it('fails with a clear code when the file is missing or damaged', async () => {
    const missing = openReplay(tmp.path('nope-aggTrades.csv'));
    await assert.rejects(collect(missing), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INGEST_FILE_NOT_FOUND');
      assert.match(error.message, /does not exist/);
      return true;
    });
    assert.equal(missing.state(), 'failed');
    const good = fixtureLines(AGG_TRADES_CSV_GZ).join('\n');
    const gz = gzipSync(good);
    const damaged = tmp.path('XRPETH-aggTrades-2019-10-13.csv.gz');
    writeFileSync(damaged, gz.subarray(0, gz.length >> 1));
    const source = openReplay(damaged);
    await assert.rejects(collect(source), { code: 'INGEST_FILE_CORRUPT' });
    assert.equal(source.state(), 'failed');
    const unknown = tmp.write('notes.txt', ['hello', 'world']);
    await assert.rejects(collect(openReplay(unknown)), { code: 'INGEST_UNKNOWN_FORMAT' });
  });

  it('refuses bad options at once', () => {
    assert.throws(() => openReplay(AGG_TRADES_CSV_GZ, { replayRate: 0 }), { code: 'INGEST_BAD_OPTION' });
    assert.throws(() => openReplay(AGG_TRADES_CSV_GZ, { batchSize: 0 }), { code: 'INGEST_BAD_OPTION' });
    assert.throws(() => openReplay(AGG_TRADES_CSV_GZ, { symbol: 'not a symbol' }), {
      code: 'INGEST_BAD_SYMBOL',
    });
  });
});

describe('openReplay: raw payloads for bronze', () => {
  const payloads = (batches: SourceBatch[]): string[] => batches.flatMap((b) => b.raw?.payloads ?? []);

  it('gives every line of a CSV dump as read, header included, stamped with the read time', async () => {
    const started = Date.now();
    const batches = await collect(openReplay(AGG_TRADES_CSV_GZ, { batchSize: 700 }));
    assert.deepEqual(payloads(batches), fixtureLines(AGG_TRADES_CSV_GZ));
    assert.equal(batches[0]!.raw!.payloads.length, 701, 'the header and 700 rows');
    for (const b of batches) {
      assert.ok(b.raw!.recvTs >= started && b.raw!.recvTs <= Date.now());
    }
  });

  it('gives recorded frame lines as recorded, stamped with the first one’s receive time', async () => {
    const jsonl = await collect(openReplay(WS_JSONL, { batchSize: 10 }));
    const lines = fixtureLines(WS_JSONL);
    assert.deepEqual(payloads(jsonl), lines);
    const receivedAt = (line: string): number =>
      Math.round((JSON.parse(line) as { received_at: number }).received_at * 1000);
    assert.deepEqual(
      jsonl.map((b) => b.raw!.recvTs),
      [0, 10, 20, 30, 40].map((i) => receivedAt(lines[i]!)),
    );
    const capture = await collect(openReplay(WS_CAPTURE_GZ, { batchSize: 100 }));
    const captured = fixtureLines(WS_CAPTURE_GZ);
    assert.deepEqual(payloads(capture), captured);
    // The first line is the subscription URL; the first frame after it says when it came.
    assert.match(captured[0]!, /^wss:/);
    assert.equal(capture[0]!.raw!.recvTs, Math.round(Number(captured[1]!.split(': ')[0]) * 1000));
  });

  it('keeps rejected lines and line endings, leaves blank lines out, and resumes after a position', async () => {
    const lines = [
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
      ...rows.slice(0, 30).map((r) => `${r.join(',')}\r`),
    ];
    lines.splice(5, 0, 'total garbage', '', '\r', 'prix ≠ 0,5 €');
    const file = tmp.write('XRPETH-aggTrades-2019-10-14.csv', lines);
    const batches = await collect(openReplay(file, { batchSize: 7 }));
    const kept = lines.filter((l) => l !== '' && l !== '\r');
    assert.deepEqual(payloads(batches), kept);
    assert.equal(batches.flatMap((b) => b.rejected).length, 2);
    for (const k of [0, 2, batches.length - 1]) {
      const resumed = await collect(openReplay(file, { batchSize: 7 }), {
        fromPosition: batches[k]!.position,
      });
      assert.deepEqual(payloads(resumed), payloads(batches.slice(k + 1)));
    }
  });

  it('delivers a CSV header alone as a batch of one payload and no trades', async () => {
    const header =
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match';
    const batches = await collect(openReplay(tmp.write('XRPETH-aggTrades-2019-10-15.csv', [header])));
    assert.deepEqual(
      batches.map((b) => [b.trades.length, b.raw?.payloads]),
      [[0, [header]]],
    );
  });
});
