import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RawBatch } from '../../src/domain/index.js';
import {
  createIngestWriter,
  type IngestCounters,
  type IngestWriterOptions,
  openSource,
  runInWorker,
  type Source,
  type SourceSpec,
} from '../../src/ingest/index.js';
import { parseWriterState } from '../../src/ingest/raw-capture.js';
import { type EventLog, forEachEvent, openFileLog, TOPICS } from '../../src/log/index.js';
import { AGG_TRADES_CSV_GZ, fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from './fixtures.js';
import { crashSpec } from './raw-crash-writer.js';

const CRASH_WRITER = fileURLToPath(new URL('./raw-crash-writer.js', import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cl-raw-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A source's raw records in the log, in the order appended. */
async function rawRecords(log: EventLog, source: string): Promise<RawBatch[]> {
  const records: RawBatch[] = [];
  const partition = log.partitionFor(TOPICS.raw.name, source);
  await forEachEvent(log, TOPICS.raw, partition, 0, (r) => {
    if (r.source === source) records.push(r);
  });
  return records;
}

/** Asserts the log holds each line once, in order, and each batch's record once. */
function exactlyOnce(records: readonly RawBatch[], lines: readonly string[]): void {
  assert.deepEqual(
    records.flatMap((r) => r.payloads),
    lines,
  );
  const positions = records.map((r) => Number(r.position.split('@')[0]));
  assert.ok(
    positions.every((p, i) => i === 0 || p > positions[i - 1]!),
    `positions in order, none twice: ${positions}`,
  );
}

/** Runs sources one after another through one log and state dir; returns the counters and raw records. */
async function writeThrough(
  name: string,
  sources: readonly (() => Source)[],
  options: Partial<IngestWriterOptions> = {},
  abortAfterBatches?: number,
): Promise<{ counters: IngestCounters[]; raw: RawBatch[]; trades: number }> {
  const log = await openFileLog({ dir: join(dir, name, 'log') });
  try {
    const counters: IngestCounters[] = [];
    let sourceName = '';
    for (const make of sources) {
      const writer = await createIngestWriter(log, join(dir, name), options);
      const source = make();
      sourceName = source.name;
      const controller = new AbortController();
      let taken = 0;
      const counting: Source = {
        name: source.name,
        state: () => source.state(),
        async *batches(run) {
          for await (const batch of source.batches(run)) {
            yield batch;
            if (++taken === abortAfterBatches) controller.abort();
          }
        },
      };
      counters.push({ ...(await writer.run(counting, controller.signal)) });
    }
    let trades = 0;
    for (let p = 0; p < TOPICS.trades.config.partitions; p++) {
      await forEachEvent(log, TOPICS.trades, p, 0, () => trades++);
    }
    return { counters, raw: await rawRecords(log, sourceName), trades };
  } finally {
    await log.close();
  }
}

describe('log writer: raw capture', () => {
  it('appends every line of a CSV dump and of recorded frames to raw, once, a record per batch', async () => {
    for (const [path, batchSize] of [
      [AGG_TRADES_CSV_GZ, 700],
      [WS_JSONL, 10],
      [WS_CAPTURE_GZ, 100],
    ] as const) {
      const spec: SourceSpec = { kind: 'replay', path, options: { batchSize } };
      const started = Date.now();
      const thread = await writeThrough(`thread-${batchSize}`, [() => openSource(spec)]);
      const worker = await writeThrough(`worker-${batchSize}`, [() => runInWorker(spec)]);
      const lines = fixtureLines(path);
      exactlyOnce(thread.raw, lines);
      assert.equal(thread.counters[0]!.raw, thread.raw.length);
      assert.equal(
        thread.raw.length,
        Math.ceil((lines.length - (path === AGG_TRADES_CSV_GZ ? 1 : 0)) / batchSize),
      );
      // The worker path writes the same records; only the read time of a CSV line differs.
      const masked = (records: RawBatch[]) => records.map((r) => ({ ...r, recvTs: 0 }));
      assert.deepEqual(masked(worker.raw), masked(thread.raw));
      assert.deepEqual(worker.counters, thread.counters);
      for (const [i, r] of worker.raw.entries()) {
        const same = r.recvTs === thread.raw[i]!.recvTs;
        assert.ok(same || (r.recvTs >= started && r.recvTs <= Date.now()), `recvTs ${r.recvTs}`);
      }
      if (path === WS_JSONL) {
        assert.equal(worker.raw[0]!.recvTs, Math.round(1618677374.0321941 * 1000), 'the recorded time');
      }
    }
  });

  it('captures nothing with captureRaw off, and the rest as before', async () => {
    const spec: SourceSpec = { kind: 'replay', path: AGG_TRADES_CSV_GZ, options: { batchSize: 700 } };
    const off = await writeThrough('off', [() => runInWorker(spec)], { captureRaw: false });
    assert.deepEqual(off.raw, []);
    assert.equal(off.counters[0]!.raw, 0);
    assert.equal(off.counters[0]!.trades, 5929);
  });

  it('does not append a raw record twice when a run resumes after its position', async () => {
    const spec: SourceSpec = { kind: 'replay', path: WS_CAPTURE_GZ, options: { batchSize: 100 } };
    const run = await writeThrough('resume', [() => openSource(spec), () => runInWorker(spec)], {}, 3);
    assert.deepEqual(
      run.counters.map((c) => c.raw),
      [3, 3],
    );
    const all = await writeThrough('resume', [() => openSource(spec)]);
    exactlyOnce(all.raw, fixtureLines(WS_CAPTURE_GZ));
  });

  it('resumes from a positions file in the first format (a plain map)', async () => {
    const spec: SourceSpec = { kind: 'replay', path: WS_JSONL, options: { batchSize: 10 } };
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'positions.json'), JSON.stringify({ [openSource(spec).name]: '20' }));
    const run = await writeThrough('old', [() => openSource(spec)]);
    exactlyOnce(run.raw, fixtureLines(WS_JSONL).slice(20));
  });

  it('appends every raw record exactly once across SIGKILLs at any moment (worker and thread)', async () => {
    const lines = fixtureLines(AGG_TRADES_CSV_GZ);
    let redelivered = 0;
    for (const [mode, killAfterMs] of [
      ['thread', 150],
      ['worker', 600],
      ['thread', 1100],
      ['worker', 300],
    ] as const) {
      const dataDir = join(dir, `crash-${mode}-${killAfterMs}`);
      await runKilled(dataDir, AGG_TRADES_CSV_GZ, mode, killAfterMs);
      redelivered += await rawPastPosition(dataDir);
      // A run that stops after re-delivered batches only, then one to the end.
      const spec = crashSpec(AGG_TRADES_CSV_GZ);
      const make = () => (mode === 'worker' ? runInWorker(spec) : openSource(spec));
      const run = await writeThrough(`crash-${mode}-${killAfterMs}`, [make], {}, 1);
      const rest = await writeThrough(`crash-${mode}-${killAfterMs}`, [make]);
      exactlyOnce(rest.raw, lines);
      assert.equal(rest.trades, 5929);
      assert.ok(run.counters[0]!.raw <= 1);
    }
    // The kills left raw records past the saved positions: the restarts had batches to drop.
    assert.ok(redelivered > 0, 'no kill landed between an append and its position save');
  });
});

/** Raw records in a killed writer's log past the position it saved: those a restart delivers again. */
async function rawPastPosition(dataDir: string): Promise<number> {
  const path = join(dataDir, 'positions.json');
  const state = parseWriterState(existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined);
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  try {
    const name = openSource(crashSpec(AGG_TRADES_CSV_GZ)).name;
    const saved = Number((state.positions[name] ?? '0').split('@')[0]);
    return (await rawRecords(log, name)).filter((r) => Number(r.position.split('@')[0]) > saved).length;
  } finally {
    await log.close();
  }
}

/** Runs the writer in a child process and SIGKILLs it `killAfterMs` after it started. */
function runKilled(
  dataDir: string,
  path: string,
  mode: 'worker' | 'thread',
  killAfterMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CRASH_WRITER, '--raw-crash-writer', dataDir, path, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line === 'started') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve();
      else reject(new Error(`crash writer exited with ${code ?? signal}`));
    });
  });
}

describe('log writer state', () => {
  it('reads the current format and the first one, and ignores what is not a position', () => {
    assert.deepEqual(parseWriterState(undefined), { positions: {}, rawScanFrom: {} });
    assert.deepEqual(parseWriterState({ 'replay:a.csv': '12', bad: 3 }), {
      positions: { 'replay:a.csv': '12' },
      rawScanFrom: {},
    });
    assert.deepEqual(
      parseWriterState({ positions: { 'replay:a.csv': '12' }, rawScanFrom: { 'replay:a.csv': 40, b: 'x' } }),
      { positions: { 'replay:a.csv': '12' }, rawScanFrom: { 'replay:a.csv': 40 } },
    );
  });
});
