import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCryptoLambdaError, type Trade } from '../../src/domain/index.js';
import {
  appendEvents,
  type ConsumedRound,
  consume,
  createHandoff,
  type EventLog,
  forEachValue,
  LOG_ERRORS,
  openFileLog,
  TOPICS,
} from '../../src/log/index.js';
import { tempDir } from './adapters/file/helpers.js';

const { trades } = TOPICS;

function trade(i: number): Trade {
  return {
    venue: 'binance',
    symbol: `S${i % 7}-USDT`,
    tradeId: String(i),
    ts: 1_700_000_000_000 + i,
    price: 100 + i,
    qty: 1,
    side: 'buy',
    count: 1,
    recvTs: 1_700_000_000_000 + i,
  };
}

async function withLog(run: (log: EventLog) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  const log = await openFileLog({ dir });
  try {
    await run(log);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The trade ids a round holds, per partition in offset order, and checks batch offsets. */
function idsOf(round: ConsumedRound<Trade>, out: Map<number, string[]>): void {
  for (const batch of round.batches) {
    const list = out.get(batch.partition) ?? [];
    const before = list.length;
    forEachValue(trades, batch, (t) => list.push(t.tradeId));
    assert.equal(list.length - before, batch.nextOffset - batch.fromOffset);
    out.set(batch.partition, list);
  }
}

async function logIds(log: EventLog): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let p = 0; p < trades.config.partitions; p++) {
    const records = await log.read(trades.name, p, 0, { maxRecords: 1_000_000 });
    out.set(
      p,
      records.map((r) => trades.codec.decode(r.value).tradeId),
    );
  }
  return out;
}

describe('consume', () => {
  it('reads every partition from stored positions, each record once, and reports lag', async () => {
    await withLog(async (log) => {
      await log.createTopic(trades.name, trades.config);
      await appendEvents(
        log,
        trades,
        Array.from({ length: 100 }, (_, i) => trade(i)),
      );
      const all = await logIds(log);
      const from = [0, 3, 0, 5].map((n, p) => Math.min(n, all.get(p)?.length ?? 0));
      const consumer = await consume(log, trades, { name: 'test', from, maxRecords: 7 });
      assert.equal(await consumer.lag(), 100 - from.reduce((a, b) => a + b, 0));
      const seen = new Map<number, string[]>();
      for (;;) {
        const round = await consumer.poll();
        if (round.count === 0) break;
        idsOf(round, seen);
      }
      for (const [p, ids] of all) assert.deepEqual(seen.get(p) ?? [], ids.slice(from[p]));
      assert.equal(await consumer.lag(), 0);
      assert.deepEqual(
        consumer.positions(),
        [...all.values()].map((ids) => ids.length),
      );
    });
  });

  it('refuses a stored position past the end of the log, naming the consumer and what to run', async () => {
    await withLog(async (log) => {
      await log.createTopic(trades.name, trades.config);
      await appendEvents(log, trades, [trade(1)]);
      await assert.rejects(
        consume(log, trades, { name: 'speed layer', from: [0, 0, 0, 0].map(() => 2) }),
        (error) =>
          isCryptoLambdaError(error, LOG_ERRORS.offsetPastEnd) &&
          /speed layer/.test(error.message) &&
          (error.details as { consumer: string }[])[0]?.consumer === 'speed layer',
      );
    });
  });

  it('takes handed-over values while they continue a partition and reads the rest from the log', async () => {
    await withLog(async (log) => {
      await log.createTopic(trades.name, trades.config);
      const handoff = createHandoff<Trade>(trades.config.partitions, 1000);
      const consumer = await consume(log, trades, { name: 'test', handoff });
      const first = Array.from({ length: 40 }, (_, i) => trade(i));
      await appendEvents(log, trades, first); // not handed over: must be read back
      const second = Array.from({ length: 40 }, (_, i) => trade(40 + i));
      handoff.offer(second, await appendEvents(log, trades, second));
      const seen = new Map<number, string[]>();
      let offered = 0;
      for (;;) {
        const round = await consumer.poll();
        if (round.count === 0) break;
        for (const b of round.batches) offered += b.offered.length;
        idsOf(round, seen);
      }
      assert.deepEqual(seen, await logIds(log));
      assert.equal(offered, 40, 'the second half came from the hand-off');
      assert.equal(handoff.size(), 0);
    });
  });

  it('any mix of appends, hand-offs, drops and holes gives each partition in order, once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ n: fc.integer({ min: 1, max: 30 }), offer: fc.constantFrom('all', 'none', 'some') }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 64 }),
        async (steps, maxRecords, limit) => {
          await withLog(async (log) => {
            await log.createTopic(trades.name, trades.config);
            const handoff = createHandoff<Trade>(trades.config.partitions, limit);
            const consumer = await consume(log, trades, { name: 'test', handoff, maxRecords });
            const seen = new Map<number, string[]>();
            let next = 0;
            for (const step of steps) {
              const batch = Array.from({ length: step.n }, () => trade(next++));
              const acks = await appendEvents(log, trades, batch);
              if (step.offer === 'all') handoff.offer(batch, acks);
              if (step.offer === 'some') handoff.offer(batch.slice(1), acks.slice(1));
              idsOf(await consumer.poll(), seen);
            }
            for (;;) {
              const round = await consumer.poll();
              if (round.count === 0) break;
              idsOf(round, seen);
            }
            const expected = await logIds(log);
            for (const [p, ids] of expected) assert.deepEqual(seen.get(p) ?? [], ids);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('iterates with waits: yields what is appended, resolves caughtUp, ends at once on abort', async () => {
    await withLog(async (log) => {
      const controller = new AbortController();
      const consumer = await consume(log, trades, {
        name: 'test',
        signal: controller.signal,
        idleMs: 60_000,
      });
      const seen = new Map<number, string[]>();
      const iterating = (async () => {
        for await (const round of consumer) idsOf(round, seen);
      })();
      await appendEvents(
        log,
        trades,
        Array.from({ length: 25 }, (_, i) => trade(i)),
      );
      await consumer.caughtUp();
      assert.deepEqual(seen, await logIds(log));
      // The idle wait is a minute long: abort must end it now, not after the wait.
      const stoppedAt = Date.now();
      controller.abort();
      await iterating;
      assert.ok(Date.now() - stoppedAt < 30_000, 'abort ended the wait');
    });
  });

  it('marks a partition behind when a read filled maxRecords', async () => {
    await withLog(async (log) => {
      await log.createTopic(trades.name, trades.config);
      await appendEvents(
        log,
        trades,
        Array.from({ length: 200 }, (_, i) => trade(i)),
      );
      const consumer = await consume(log, trades, { name: 'test', maxRecords: 10 });
      const round = await consumer.poll();
      assert.deepEqual(round.behind, [true, true, true, true]);
      for (;;) if ((await consumer.poll()).count === 0) break;
      assert.deepEqual((await consumer.poll()).behind, [false, false, false, false]);
    });
  });

  it('commits positions to a consumer group, and refuses to without one', async () => {
    await withLog(async (log) => {
      await log.createTopic(trades.name, trades.config);
      await appendEvents(
        log,
        trades,
        Array.from({ length: 12 }, (_, i) => trade(i)),
      );
      const grouped = await consume(log, trades, { name: 'test', group: 'g1' });
      await grouped.poll();
      await grouped.commit();
      const committed = [];
      for (let p = 0; p < trades.config.partitions; p++)
        committed.push(await log.committedOffset('g1', trades.name, p));
      assert.deepEqual(committed, grouped.positions());
      const plain = await consume(log, trades, { name: 'test' });
      await assert.rejects(plain.commit(), (e) => isCryptoLambdaError(e, LOG_ERRORS.invalidArgument));
    });
  });
});

describe('handoff back-pressure', () => {
  const acks = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ partition: 0, offset: from + i }));
  const trades40 = Array.from({ length: 40 }, (_, i) => trade(i));

  it('holds a producer while more than the count wait, and lets it go once taken below', async () => {
    const handoff = createHandoff<Trade>(1, 1000);
    assert.equal(handoff.whenBelow(0, 10_000), undefined, 'nothing queued: no wait');
    handoff.offer(trades40, acks(0, 40));
    assert.equal(handoff.whenBelow(40, 10_000), undefined, 'at the count: no wait');
    let released = false;
    const waiting = handoff.whenBelow(10, 10_000)?.then(() => {
      released = true;
    });
    assert.ok(waiting !== undefined);
    assert.equal(handoff.take(0, 0, 20).length, 20);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(released, false, '20 still queued: still held');
    assert.equal(handoff.take(0, 20, 10).length, 10);
    await waiting;
    assert.equal(released, true);
  });

  it('lets a producer go after the timeout when nobody takes', async () => {
    const handoff = createHandoff<Trade>(1, 1000);
    handoff.offer(trades40, acks(0, 40));
    const t0 = Date.now();
    await handoff.whenBelow(0, 50);
    assert.ok(Date.now() - t0 >= 40, 'it waited for the timeout');
    assert.equal(handoff.size(), 40);
    // A later take finds no stale waiter to call.
    assert.equal(handoff.take(0, 0, 40).length, 40);
  });
});
