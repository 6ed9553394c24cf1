import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RawBatch } from '../../../src/domain/index.js';
import {
  openSource,
  runInWorker,
  type Source,
  type SourceBatch,
  type SourceSpec,
} from '../../../src/ingest/index.js';
import { TOPICS } from '../../../src/log/index.js';
import { messyFrames, simulatedTrades } from '../../pipeline/synthetic.js';
import { AGG_TRADES_CSV_GZ, collect, WS_CAPTURE_GZ, WS_JSONL } from '../fixtures.js';
import { aggRows, tempDir, tradesLayout } from '../replay/tmp.js';

const tmp = tempDir();
after(() => tmp.cleanup());

/**
 * Batches to compare across runs: without the bytes only a worker adds, without the raw part
 * (compared by `rawRecords`), and without the wall clock's reading that stamps each rejection
 * (two runs never reject at the same millisecond).
 */
function plain(batches: readonly SourceBatch[]): SourceBatch[] {
  return batches.map(({ encodedTrades: _, encodedRaw: _bytes, raw: _raw, keys: _keys, ...rest }) => ({
    ...rest,
    rejected: rest.rejected.map((r) => ({ ...r, ts: 0 })),
  }));
}

/** Each batch's raw record as the log writer would append it, whichever way the batch carries it. */
function rawRecords(source: string, batches: readonly SourceBatch[]): (RawBatch | undefined)[] {
  return batches.map((b) => {
    if (b.encodedRaw !== undefined) return TOPICS.raw.codec.decode(b.encodedRaw);
    if (b.raw === undefined) return undefined;
    return { source, position: b.position, recvTs: b.raw.recvTs, payloads: b.raw.payloads };
  });
}

/** `rawRecords` without their read times, which differ between runs. */
function rawPayloads(source: string, batches: readonly SourceBatch[]): (RawBatch | undefined)[] {
  return rawRecords(source, batches).map((r) => r && { ...r, recvTs: 0 });
}

/**
 * The worker's raw records are the source's own, but for the time a line was read (a recorded
 * receive time is the same both ways).
 */
function sameRaw(
  name: string,
  fromWorker: readonly SourceBatch[],
  fromThread: readonly SourceBatch[],
  startedMs: number,
  endedMs: number,
): void {
  const worker = rawRecords(name, fromWorker);
  const thread = rawRecords(name, fromThread);
  assert.ok(
    fromWorker.every((b) => b.raw === undefined),
    'a worker sends raw records encoded',
  );
  assert.deepEqual(rawPayloads(name, fromWorker), rawPayloads(name, fromThread));
  worker.forEach((r, i) => {
    if (r === undefined) return;
    const recorded = r.recvTs === thread[i]!.recvTs;
    assert.ok(
      recorded || (r.recvTs >= startedMs && r.recvTs <= endedMs),
      `read at ${r.recvTs}, outside the run`,
    );
  });
}

/** Runs the spec in a worker and in this thread; both must deliver exactly the same. */
async function sameBothWays(
  spec: SourceSpec,
  options: { fromPosition?: string } = {},
): Promise<SourceBatch[]> {
  const worker = runInWorker(spec);
  const inThread = openSource(spec);
  assert.equal(worker.name, inThread.name);
  assert.equal(worker.state(), 'idle');
  const startedMs = Date.now();
  const fromWorker = await collect(worker, options);
  const endedMs = Date.now();
  const fromThread = await collect(inThread, options);
  assert.deepEqual(plain(fromWorker), plain(fromThread));
  sameRaw(worker.name, fromWorker, fromThread, startedMs, endedMs);
  for (const r of fromWorker.flatMap((b) => b.rejected)) {
    assert.ok(r.ts >= startedMs && r.ts <= endedMs, `rejected at ${r.ts}, outside the run`);
  }
  assert.equal(worker.state(), inThread.state());
  for (const batch of fromWorker) {
    assert.equal(batch.encodedTrades?.length, batch.trades.length);
    assert.deepEqual(
      batch.keys,
      batch.trades.map((t) => TOPICS.trades.key(t)),
      'each trade comes with its trades topic key',
    );
    batch.trades.forEach((trade, i) => {
      assert.deepEqual(
        Buffer.from(batch.encodedTrades![i]!),
        Buffer.from(TOPICS.trades.codec.encode(trade)),
        'the bytes the worker sends are the log codec’s',
      );
    });
  }
  return fromWorker;
}

/** Runs the source and expects it to fail with `code`, leaving its state `failed`. */
async function failsWith(source: Source, code: string): Promise<void> {
  await assert.rejects(collect(source), (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    return true;
  });
  assert.equal(source.state(), 'failed');
}

let messyFile: string;

before(async () => {
  const trades = await simulatedTrades(20_000, 7);
  messyFile = tmp.write('frames.jsonl', messyFrames(trades, 11));
});

describe('runInWorker: the same batches as the source in this thread', () => {
  it('on the real aggTrades dump, the trades layout and the recorded WebSocket frames', async () => {
    const dump = await sameBothWays({ kind: 'replay', path: AGG_TRADES_CSV_GZ, options: { batchSize: 700 } });
    assert.equal(
      dump.reduce((n, b) => n + b.trades.length, 0),
      5929,
    );
    const tradesFile = tmp.write('XRPETH-trades-2019-10-11.csv', tradesLayout(aggRows()));
    await sameBothWays({ kind: 'replay', path: tradesFile });
    const jsonl = await sameBothWays({ kind: 'replay', path: WS_JSONL });
    assert.equal(
      jsonl.reduce((n, b) => n + b.ignored, 0),
      20,
    );
    await sameBothWays({ kind: 'replay', path: WS_CAPTURE_GZ, options: { batchSize: 100 } });
  });

  it('on a messy frames file: trades, duplicates, rejections with file:line, positions', async () => {
    const batches = await sameBothWays({ kind: 'replay', path: messyFile, options: { batchSize: 1500 } });
    assert.ok(batches.length > 10);
    assert.ok(batches.some((b) => b.rejected.length > 0));
    assert.match(batches.flatMap((b) => b.rejected)[0]!.origin, /frames\.jsonl:\d+$/);
  });

  it('on the simulator, positions included', async () => {
    const spec: SourceSpec = {
      kind: 'simulator',
      options: { seed: 3, realtime: false, startTs: Date.UTC(2024, 0, 1), maxTrades: 5000, batchSize: 400 },
    };
    const batches = await sameBothWays(spec);
    assert.equal(batches.length, 13);
    await sameBothWays(spec, { fromPosition: batches[5]!.position });
  });

  it('resumes after any delivered position', async () => {
    const spec: SourceSpec = { kind: 'replay', path: messyFile, options: { batchSize: 2500 } };
    const all = await collect(openSource(spec));
    for (const k of [0, 3, all.length - 2, all.length - 1]) {
      const resumed = await sameBothWays(spec, { fromPosition: all[k]!.position });
      assert.deepEqual(plain(resumed), plain(all.slice(k + 1)));
      const name: string = openSource(spec).name;
      assert.deepEqual(rawPayloads(name, resumed), rawPayloads(name, all.slice(k + 1)));
    }
  });

  it('fails as the source in this thread does, with its error code', async () => {
    await failsWith(
      runInWorker({ kind: 'replay', path: tmp.path('nope-aggTrades.csv') }),
      'INGEST_FILE_NOT_FOUND',
    );
    await failsWith(runInWorker({ kind: 'replay', path: tmp.path('') }), 'INGEST_FILE_UNREADABLE');
    await failsWith(
      runInWorker({ kind: 'replay', path: tmp.write('notes.txt', ['hello', 'world']) }),
      'INGEST_UNKNOWN_FORMAT',
    );
    const source = runInWorker({ kind: 'replay', path: AGG_TRADES_CSV_GZ });
    await assert.rejects(collect(source, { fromPosition: 'line-7' }), { code: 'INGEST_BAD_POSITION' });
    assert.equal(source.state(), 'failed');
  });

  it('refuses bad options at once, clocks included (they cannot cross threads)', () => {
    assert.throws(
      () => runInWorker({ kind: 'replay', path: AGG_TRADES_CSV_GZ, options: { replayRate: 0 } }),
      {
        code: 'INGEST_BAD_OPTION',
      },
    );
    const withClock = { kind: 'simulator', options: { now: () => 0 } } as unknown as SourceSpec;
    assert.throws(() => runInWorker(withClock), { code: 'INGEST_BAD_OPTION' });
    assert.throws(() => runInWorker({ kind: 'simulator' }, { maxBatchesInFlight: 0 }), {
      code: 'INGEST_BAD_OPTION',
    });
  });
});

describe('runInWorker: runs', () => {
  it('stops when aborted mid-file, after the same batches as in this thread', async () => {
    const spec: SourceSpec = { kind: 'replay', path: messyFile, options: { batchSize: 500 } };
    const runs: SourceBatch[][] = [];
    for (const source of [runInWorker(spec), openSource(spec)]) {
      const controller = new AbortController();
      const batches: SourceBatch[] = [];
      for await (const batch of source.batches({ signal: controller.signal })) {
        batches.push(batch);
        if (batches.length === 3) controller.abort();
      }
      assert.equal(source.state(), 'stopped');
      runs.push(batches);
    }
    assert.deepEqual(plain(runs[0]!), plain(runs[1]!));
    const name: string = openSource(spec).name;
    assert.deepEqual(rawPayloads(name, runs[0]!), rawPayloads(name, runs[1]!));
    assert.equal(runs[0]!.length, 3);
  });

  it('stops when the consumer leaves early, and runs again from a position', async () => {
    const source = runInWorker({ kind: 'replay', path: AGG_TRADES_CSV_GZ, options: { batchSize: 100 } });
    let first: SourceBatch | undefined;
    for await (const batch of source.batches({ signal: new AbortController().signal })) {
      first = batch;
      break;
    }
    assert.equal(source.state(), 'stopped');
    assert.equal(first?.trades.length, 100);
    const rest = await collect(source, { fromPosition: first!.position });
    assert.equal(source.state(), 'finished');
    assert.equal(
      rest.reduce((n, b) => n + b.trades.length, 0),
      5929 - 100,
    );
  });

  it('keeps at most maxBatchesInFlight batches ahead of a slow consumer', async () => {
    // An endless simulator that makes batches far faster than this consumer takes them.
    const source = runInWorker(
      {
        kind: 'simulator',
        options: { seed: 1, realtime: false, startTs: Date.UTC(2024, 0, 1), batchSize: 50 },
      },
      { maxBatchesInFlight: 3 },
    );
    const controller = new AbortController();
    let taken = 0;
    let peak = 0;
    for await (const _ of source.batches({ signal: controller.signal })) {
      taken++;
      // Let the worker run ahead as far as it can: until it has sent everything it may…
      while (source.buffered() < 2) await nextTurn();
      // …and then some more turns, watching it never send more.
      for (let turn = 0; turn < 50; turn++) {
        peak = Math.max(peak, source.buffered());
        await nextTurn();
      }
      if (taken === 20) controller.abort();
    }
    assert.equal(source.state(), 'stopped');
    // The batch being consumed plus the ones received: exactly the credits, never more.
    assert.equal(peak, 2);
  });

  it('fails with INGEST_WORKER_FAILED when the worker thread dies', async () => {
    const source = runInWorker(
      {
        kind: 'simulator',
        options: { seed: 1, realtime: false, startTs: Date.UTC(2024, 0, 1), batchSize: 5_000_000 },
      },
      { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } },
    );
    await failsWith(source, 'INGEST_WORKER_FAILED');
  });

  it('does not keep the process alive while it is made and not run (a command that fails before running it exits)', async () => {
    const ingest = new URL('../../../src/ingest/index.js', import.meta.url).href;
    const script = `const { runInWorker } = await import(${JSON.stringify(ingest)});
      runInWorker({ kind: 'simulator', options: {} });
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.stdout.write('made');`;
    // A module file: \`node -e\` ends when its code does, whatever still holds the event loop.
    const file = tmp.path('made-not-run.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref());
    const result = await Promise.race([exited, hung]);
    if (result === 'hung') child.kill('SIGKILL');
    assert.equal(out, 'made');
    assert.equal(result, 0);
  });
});
