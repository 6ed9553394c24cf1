import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AppendAck, FileEventLog, StoredRecord } from '../../../../src/log/index.js';
import { openFileLog } from '../../../../src/log/index.js';
import { Prng } from '../../contract-model.js';
import {
  CRASH_PARTITIONS,
  CRASH_SEGMENT_BYTES,
  CRASH_TOPIC,
  crashBatch,
  crashKey,
  crashRecord,
  parseCrashValue,
} from './crash-data.js';
import { tempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url));
const ITERATIONS = 16;

interface ChildRun {
  acks: Map<number, AppendAck[]>;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Starts the writer, SIGKILLs it after `killAfterMs` (counted from its `ready` line or spawn). */
function runWriter(dir: string, fsync: string, firstBatch: number, killAfterMs: number, afterReady: boolean) {
  return new Promise<ChildRun>((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, '--crash-writer', dir, fsync, String(firstBatch)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acks = new Map<number, AppendAck[]>();
    const kill = () => setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    if (!afterReady) kill();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line === 'ready' && afterReady) kill();
      const match = /^ack (\d+) (.+)$/.exec(line);
      if (match === null) return;
      const parsed = (match[2] as string).split(',').map((pair) => {
        const [partition, offset] = pair.split(':').map(Number);
        return { partition: partition as number, offset: offset as number };
      });
      acks.set(Number(match[1]), parsed);
    });
    let exit: { signal: NodeJS.Signals | null; code: number | null } | undefined;
    let closed = false;
    const done = () => {
      if (exit !== undefined && closed) resolve({ acks, ...exit });
    };
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      done();
    });
    lines.on('close', () => {
      closed = true;
      done();
    });
  });
}

/**
 * Checks the records appended since its last call: every record is whole and byte-exact, no
 * (batch, index) twice, batches in call order, each batch's records of a partition all there or
 * all missing, and every newly acked record at its acked offset. Records it checked before must
 * all still be there.
 */
class LogVerifier {
  maxBatch = -1;
  private readonly seen = new Set<string>();
  private readonly checked = Array.from({ length: CRASH_PARTITIONS }, () => ({
    end: 0,
    batch: -1,
    index: -1,
  }));

  async check(log: FileEventLog, newAcks: ReadonlyMap<number, AppendAck[]>, where: string): Promise<void> {
    const fresh: StoredRecord[][] = [];
    for (let p = 0; p < CRASH_PARTITIONS; p++) {
      const state = this.checked[p] as { end: number; batch: number; index: number };
      const { start, end } = await log.offsets(CRASH_TOPIC, p);
      assert.equal(start, 0, `${where}: start of partition ${p}`);
      assert.ok(
        end >= state.end,
        `${where}: partition ${p} lost checked records (end ${end} < ${state.end})`,
      );
      const records = await readFrom(log, p, state.end);
      const perBatch = new Map<number, number[]>();
      for (const record of records)
        this.checkRecord(log, record, state, perBatch, `${where}: at ${p}:${record.offset}`);
      for (const [batch, indexes] of perBatch) {
        const expected = crashBatch(batch)
          .map((_, i) => i)
          .filter((i) => log.partitionFor(CRASH_TOPIC, crashKey(batch, i)) === p);
        assert.deepEqual(indexes, expected, `${where}: batch ${batch} is partial in partition ${p}`);
      }
      fresh.push(records);
      state.end = end;
    }
    for (const [batch, acks] of newAcks) {
      acks.forEach((ack, i) => {
        const first = fresh[ack.partition]?.[0]?.offset ?? 0;
        const stored = fresh[ack.partition]?.[ack.offset - first];
        const id = stored === undefined ? undefined : parseCrashValue(stored.value);
        assert.ok(
          id?.batch === batch && id.index === i,
          `${where}: acked record ${batch}:${i} is not at its offset`,
        );
      });
    }
  }

  private checkRecord(
    log: FileEventLog,
    record: StoredRecord,
    state: { batch: number; index: number },
    perBatch: Map<number, number[]>,
    at: string,
  ): void {
    const id = parseCrashValue(record.value);
    assert.ok(id !== undefined, `${at}: unparseable record`);
    const expected = crashRecord(id.batch, id.index);
    assert.ok(Buffer.from(record.value).equals(Buffer.from(expected.value)), `${at}: bytes differ`);
    assert.equal(record.key, expected.key, `${at}: key`);
    assert.equal(record.ts, expected.ts, `${at}: ts`);
    assert.equal(
      log.partitionFor(CRASH_TOPIC, record.key),
      record.partition,
      `${at}: partition of ${record.key}`,
    );
    const name = `${id.batch}:${id.index}`;
    assert.ok(!this.seen.has(name), `${at}: duplicate record ${name}`);
    this.seen.add(name);
    assert.ok(
      id.batch > state.batch || (id.batch === state.batch && id.index > state.index),
      `${at}: ${name} after ${state.batch}:${state.index}`,
    );
    state.batch = id.batch;
    state.index = id.index;
    this.maxBatch = Math.max(this.maxBatch, id.batch);
    const indexes = perBatch.get(id.batch);
    if (indexes === undefined) perBatch.set(id.batch, [id.index]);
    else indexes.push(id.index);
  }
}

async function readFrom(log: FileEventLog, partition: number, fromOffset: number): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for (;;) {
    const records = await log.read(CRASH_TOPIC, partition, fromOffset + all.length, { maxRecords: 5000 });
    if (records.length === 0) return all;
    all.push(...records);
  }
}

it('keeps every acknowledged record, whole and in order, across SIGKILLs at random moments', async () => {
  const seed = Date.now() % 1_000_000;
  const prng = new Prng(seed);
  const dir = await tempDir();
  const acked = new Map<number, AppendAck[]>();
  let nextBatch = 0;
  let kills = 0;
  const verifier = new LogVerifier();
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      const fsync = i % 3 === 2 ? 'always' : 'never';
      // Most kills land while appending; every fifth one during start-up and recovery.
      const afterReady = i % 5 !== 4;
      const run = await runWriter(dir, fsync, nextBatch, prng.int(afterReady ? 250 : 120), afterReady);
      const where = `seed ${seed}, iteration ${i} (${fsync})`;
      assert.ok(run.signal === 'SIGKILL', `${where}: writer exited with code ${run.code}`);
      kills++;
      for (const [batch, acks] of run.acks) acked.set(batch, acks);
      const log = await openFileLog({ dir, segmentBytes: CRASH_SEGMENT_BYTES });
      try {
        await verifier.check(log, run.acks, where);
        nextBatch = Math.max(nextBatch, verifier.maxBatch + 1, ...[...run.acks.keys()].map((b) => b + 1));
      } finally {
        await log.close();
      }
    }
    assert.equal(kills, ITERATIONS);
    assert.ok(acked.size > ITERATIONS, `only ${acked.size} batches were acknowledged`);

    const log = await openFileLog({ dir, segmentBytes: CRASH_SEGMENT_BYTES });
    try {
      const ends = await Promise.all(
        Array.from({ length: CRASH_PARTITIONS }, async (_, p) => (await log.offsets(CRASH_TOPIC, p)).end),
      );
      const acks = await log.append(CRASH_TOPIC, crashBatch(nextBatch));
      const next = [...ends];
      for (const ack of acks) {
        assert.equal(ack.offset, next[ack.partition], 'appends after recovery continue at the end');
        next[ack.partition] = (next[ack.partition] ?? 0) + 1;
      }
      acked.set(nextBatch, acks);
      await new LogVerifier().check(log, acked, `seed ${seed}, whole log after recovery`);
    } finally {
      await log.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
