import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Trade } from '../../src/domain/index.js';
import {
  createIngestWriter,
  openSource,
  runInWorker,
  type Source,
  type SourceBatch,
  type SourceSpec,
} from '../../src/ingest/index.js';
import { type EventLog, openFileLog, TOPICS } from '../../src/log/index.js';
import { messyFrames, simulatedTrades } from '../pipeline/synthetic.js';
import { tempDir } from './replay/tmp.js';

const tmp = tempDir();
let dir: string;
let framesFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cl-writer-'));
  const trades = await simulatedTrades(12_000, 5);
  framesFile = tmp.write('frames.jsonl', messyFrames(trades, 3));
});
after(async () => {
  tmp.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Every value of a topic, partition by partition, as bytes. */
async function topicBytes(log: EventLog, topic: { name: string; config: { partitions: number } }) {
  const out: string[][] = [];
  for (let p = 0; p < topic.config.partitions; p++) {
    const values: string[] = [];
    let offset = 0;
    for (;;) {
      const records = await log.read(topic.name, p, offset, { maxRecords: 5000 });
      if (records.length === 0) break;
      for (const r of records) values.push(`${r.key} ${Buffer.from(r.value).toString('hex')}`);
      offset = records[records.length - 1]!.offset + 1;
    }
    out.push(values);
  }
  return out;
}

/** Runs a source through a fresh log's writer; returns the trades topic and the counters. */
async function writeThrough(name: string, source: Source) {
  const log = await openFileLog({ dir: join(dir, name, 'log') });
  try {
    const writer = await createIngestWriter(log, join(dir, name));
    const counters = await writer.run(source, new AbortController().signal);
    return { counters, trades: await topicBytes(log, TOPICS.trades) };
  } finally {
    await log.close();
  }
}

describe('log writer', () => {
  it('writes the same log from a worker source as from the same source in this thread', async () => {
    const spec: SourceSpec = { kind: 'replay', path: framesFile };
    const fromWorker = await writeThrough('worker', runInWorker(spec));
    const inThread = await writeThrough('thread', openSource(spec));
    assert.deepEqual(fromWorker.counters, inThread.counters);
    assert.ok(fromWorker.counters.duplicates > 0 && fromWorker.counters.rejected > 0);
    assert.deepEqual(fromWorker.trades, inThread.trades);
    assert.equal(fromWorker.trades.flat().length, fromWorker.counters.trades);
  });

  it('appends the bytes a source encoded as they are, instead of encoding again', async () => {
    const trades = (await simulatedTrades(10, 9)).map((t) => ({ ...t, venue: 'binance' }));
    // Bytes that differ from what the writer would encode (another recvTs) show which it used.
    const marked = (t: Trade): Trade => ({ ...t, recvTs: t.recvTs + 1 });
    const batch: SourceBatch = {
      trades,
      encodedTrades: trades.map((t) => TOPICS.trades.codec.encode(marked(t))),
      rejected: [],
      ignored: 0,
      position: '1',
    };
    const source: Source = {
      name: 'pre-encoded',
      state: () => 'finished',
      async *batches() {
        yield batch;
      },
    };
    const { trades: stored } = await writeThrough('pre-encoded', source);
    const expected = new Set(
      trades.map((t) => Buffer.from(TOPICS.trades.codec.encode(marked(t))).toString('hex')),
    );
    const values = stored.flat().map((line) => line.split(' ')[1]!);
    assert.equal(values.length, trades.length);
    for (const value of values) assert.ok(expected.has(value));
  });
  it('waits while a consumer it hands trades to holds it back, and loses nothing', async () => {
    const all = await simulatedTrades(100, 11);
    let pulled = 0;
    const source: Source = {
      name: 'held',
      state: () => 'running',
      async *batches() {
        for (let b = 0; b < 10; b++) {
          pulled++;
          const trades = all.slice(b * 10, b * 10 + 10);
          yield { trades, rejected: [], ignored: 0, position: String(b) };
        }
      },
    };
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handed: Trade[] = [];
    const log = await openFileLog({ dir: join(dir, 'held', 'log') });
    try {
      const writer = await createIngestWriter(log, join(dir, 'held'), { maxBatchesInFlight: 2 }, (trades) => {
        handed.push(...trades);
        return held;
      });
      const running = writer.run(source, new AbortController().signal);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Two batches in flight, both held, and the generator paused at its next yield.
      assert.ok(pulled <= 3, `the writer took ${pulled} batches while held`);
      release();
      const counters = await running;
      assert.equal(pulled, 10);
      assert.equal(counters.trades, 100);
      assert.equal(handed.length, 100);
      assert.equal((await topicBytes(log, TOPICS.trades)).flat().length, 100);
    } finally {
      await log.close();
    }
  });
});
