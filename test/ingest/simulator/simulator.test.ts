import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTrade, type Trade } from '../../../src/domain/index.js';
import { createSimulator, DEFAULT_SIM_SYMBOLS, type SourceBatch } from '../../../src/ingest/index.js';
import { collect } from '../fixtures.js';

const START = Date.UTC(2024, 5, 1);
const trades = (batches: SourceBatch[]): Trade[] => batches.flatMap((b) => b.trades);
const offline = { realtime: false, startTs: START, seed: 7, tradesPerSec: 1000 } as const;

describe('createSimulator (not realtime)', () => {
  it('is deterministic for a seed, and another seed gives another market', async () => {
    const a = trades(await collect(createSimulator({ ...offline, maxTrades: 5000 })));
    const b = trades(await collect(createSimulator({ ...offline, maxTrades: 5000 })));
    const c = trades(await collect(createSimulator({ ...offline, seed: 8, maxTrades: 5000 })));
    assert.equal(a.length, 5000);
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.map((t) => t.price),
      c.map((t) => t.price),
    );
  });

  it('spaces event times 1/tradesPerSec apart from startTs and makes valid trades', async () => {
    const source = createSimulator({ ...offline, tradesPerSec: 400, maxTrades: 20_000, batchSize: 3000 });
    const batches = await collect(source);
    assert.equal(source.state(), 'finished');
    assert.ok(batches.every((b) => b.trades.length <= 3000 && b.rejected.length === 0));
    const all = trades(batches);
    assert.equal(all.length, 20_000);
    all.forEach((t, i) => {
      assert.equal(t.ts, START + Math.floor((i * 1000) / 400));
      assert.equal(t.recvTs, t.ts);
      assert.equal(checkTrade(t, START + 86_400_000), undefined);
      assert.equal(t.venue, 'sim');
    });
  });

  it('trades eight real-looking markets on their tick and lot sizes, ids rising per symbol', async () => {
    const all = trades(await collect(createSimulator({ ...offline, maxTrades: 30_000 })));
    const specs = new Map(DEFAULT_SIM_SYMBOLS.map((s) => [s.symbol, s]));
    assert.equal(specs.size, 8);
    const lastId = new Map<string, number>();
    for (const t of all) {
      const spec = specs.get(t.symbol);
      assert.ok(spec, t.symbol);
      const ticks = t.price / spec.tickSize;
      assert.ok(Math.abs(ticks - Math.round(ticks)) < 1e-6, `${t.symbol} price ${t.price}`);
      const lots = t.qty / spec.lotSize;
      assert.ok(Math.abs(lots - Math.round(lots)) < 1e-6, `${t.symbol} qty ${t.qty}`);
      assert.ok(Math.abs(t.price / spec.price - 1) < 0.25, `${t.symbol} drifted to ${t.price}`);
      const id = Number(t.tradeId);
      assert.equal(id, (lastId.get(t.symbol) ?? 0) + 1);
      lastId.set(t.symbol, id);
    }
    assert.equal(lastId.size, 8);
    const btc = all.filter((t) => t.symbol === 'BTC-USDT');
    assert.ok(btc.length > all.length * 0.2, 'BTC is the busiest market');
    const notional = btc.map((t) => t.price * t.qty).sort((x, y) => x - y);
    const median = notional[notional.length >> 1]!;
    assert.ok(notional.at(-1)! > 20 * median, 'whales show up');
    const sells = all.filter((t) => t.side === 'sell').length;
    assert.ok(sells > all.length * 0.35 && sells < all.length * 0.65);
  });

  it('resumes from a position with exactly the trades that followed it', async () => {
    const options = { ...offline, maxTrades: 6000, batchSize: 1000 };
    const batches = await collect(createSimulator(options));
    const all = trades(batches);
    for (const k of [0, 2, 4]) {
      const rest = trades(await collect(createSimulator(options), { fromPosition: batches[k]!.position }));
      assert.deepEqual(rest, all.slice((k + 1) * 1000));
    }
    await assert.rejects(collect(createSimulator(options), { fromPosition: '12' }), {
      code: 'INGEST_BAD_POSITION',
    });
  });

  it('refuses bad options', () => {
    assert.throws(() => createSimulator({ tradesPerSec: 0 }), { code: 'INGEST_BAD_OPTION' });
    assert.throws(() => createSimulator({ symbols: [] }), { code: 'INGEST_BAD_OPTION' });
    const bad = { ...DEFAULT_SIM_SYMBOLS[0]!, tickSize: -1 };
    assert.throws(() => createSimulator({ symbols: [bad] }), { code: 'INGEST_BAD_OPTION' });
  });
});

describe('createSimulator (realtime)', () => {
  it('hits the target rate on average, in bursts, on an injected clock', async () => {
    let clockMs = START;
    // Each look at the clock moves it a minute on: an hour of market in a few dozen batches.
    const now = (): number => {
      clockMs += 60_000;
      return clockMs;
    };
    const hourEnd = START + 3_600_000;
    const source = createSimulator({ seed: 3, tradesPerSec: 50, now, batchSize: 10_000 });
    const controller = new AbortController();
    const all: Trade[] = [];
    for await (const batch of source.batches({ signal: controller.signal })) {
      all.push(...batch.trades);
      if (clockMs > hourEnd) controller.abort();
    }
    const inHour = all.filter((t) => t.ts < START + 3_600_000);
    const rate = inHour.length / 3600;
    assert.ok(rate > 30 && rate < 75, `aggregate rate ${rate}/s`);
    assert.ok(all.every((t, i) => i === 0 || t.ts >= all[i - 1]!.ts));
    assert.ok(all.every((t) => t.recvTs >= t.ts));
    // Bursts: per-second counts vary far more than a steady Poisson stream's would.
    const perSecond = new Map<number, number>();
    for (const t of inHour)
      perSecond.set(Math.floor(t.ts / 1000), (perSecond.get(Math.floor(t.ts / 1000)) ?? 0) + 1);
    const counts = Array.from({ length: 3600 }, (_, s) => perSecond.get(Math.floor(START / 1000) + s) ?? 0);
    const mean = counts.reduce((x, y) => x + y, 0) / counts.length;
    const variance = counts.reduce((x, y) => x + (y - mean) ** 2, 0) / counts.length;
    assert.ok(variance / mean > 1.5, `index of dispersion ${variance / mean}`);
    assert.equal(source.state(), 'stopped');
  });

  it('delivers trades as they happen on the real clock', async () => {
    const controller = new AbortController();
    const source = createSimulator({ seed: 5, tradesPerSec: 200 });
    const started = Date.now();
    setTimeout(() => controller.abort(), 400);
    const all = trades(await collect(source, { signal: controller.signal }));
    const ended = Date.now();
    assert.ok(all.length > 10 && all.length < 1000, `${all.length} trades in 400 ms at 200/s`);
    assert.ok(all.every((t) => t.ts >= started - 1 && t.ts <= ended && t.recvTs >= t.ts));
    assert.ok(Number(all[0]!.tradeId) >= started, 'ids start at the clock so restarts keep them rising');
    assert.equal(source.state(), 'stopped');
  });
});
