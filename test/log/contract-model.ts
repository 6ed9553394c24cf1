import assert from 'node:assert/strict';
import type { AppendRecord, EventLog } from '../../src/log/index.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same test data everywhere. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  }
}

/** A record whose value bytes are derived from `seed`. */
export function makeRecord(
  key: string,
  seed: number,
  valueBytes = 150,
  ts = 1_700_000_000_000 + seed,
): AppendRecord {
  const prng = new Prng(seed);
  const value = new Uint8Array(valueBytes);
  for (let i = 0; i < valueBytes; i++) value[i] = prng.int(256);
  return { key, value, ts };
}

export function makeRecords(
  prng: Prng,
  count: number,
  key: string,
  maxValueBytes = 200,
  ts?: number,
): AppendRecord[] {
  return Array.from({ length: count }, () => {
    const seed = prng.int(2 ** 31);
    return makeRecord(key, seed, prng.int(maxValueBytes + 1), ts ?? 1_700_000_000_000 + seed);
  });
}

/** What each partition of a topic should hold, from offset 0. */
export class LogModel {
  private readonly partitions = new Map<number, AppendRecord[]>();

  append(partition: number, records: readonly AppendRecord[]): void {
    const stored = this.partitions.get(partition) ?? [];
    stored.push(...records);
    this.partitions.set(partition, stored);
  }

  end(partition: number): number {
    return this.partitions.get(partition)?.length ?? 0;
  }

  records(partition: number): readonly AppendRecord[] {
    return this.partitions.get(partition) ?? [];
  }
}

/** Reads `[from, from + maxRecords)` and compares every field with the model. */
export async function checkAgainstModel(
  log: EventLog,
  topic: string,
  partition: number,
  model: LogModel,
  from: number,
  maxRecords: number,
): Promise<void> {
  const stored = await log.read(topic, partition, from, { maxRecords });
  const expected = model.records(partition).slice(from, from + maxRecords);
  const where = `read(${topic}, ${partition}, ${from}, ${maxRecords})`;
  assert.equal(stored.length, expected.length, `${where}: count`);
  for (let i = 0; i < stored.length; i++) {
    const got = stored[i];
    const want = expected[i] as AppendRecord;
    assert.ok(got !== undefined);
    assert.equal(got.offset, from + i, `${where}: offset`);
    assert.equal(got.partition, partition, `${where}: partition`);
    assert.equal(got.key, want.key, `${where}: key at ${got.offset}`);
    assert.equal(got.ts, want.ts, `${where}: ts at ${got.offset}`);
    assert.ok(Buffer.from(got.value).equals(Buffer.from(want.value)), `${where}: value at ${got.offset}`);
  }
}
