import assert from 'node:assert/strict';
import { open, rm, stat, truncate } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { AppendRecord, RecoveryNote } from '../../../../src/log/index.js';
import { LOG_ERRORS, openFileLog } from '../../../../src/log/index.js';
import { checkAgainstModel, LogModel, makeRecords, Prng } from '../../contract-model.js';
import { segmentFiles, tempDir } from './helpers.js';

const HEADER_BYTES = 32;

interface Written {
  dir: string;
  model: LogModel;
  /** Offset of the first record of each batch, and the end offset. */
  boundaries: number[];
  /** Segment file size after each batch. */
  sizes: number[];
}

/** A one-partition log of 10 batches in a single segment, closed. */
async function writeTen(segmentBytes = 1 << 20): Promise<Written> {
  const dir = await tempDir();
  const model = new LogModel();
  const boundaries = [0];
  const sizes: number[] = [];
  const log = await openFileLog({ dir, segmentBytes });
  await log.createTopic('t', { partitions: 1 });
  const prng = new Prng(42);
  for (let i = 0; i < 10; i++) {
    const records = makeRecords(prng, 3 + i, 'k', 120);
    await log.append('t', records);
    model.append(0, records);
    boundaries.push(model.end(0));
    const files = await segmentFiles(dir, 't', 0);
    sizes.push((await stat(files[files.length - 1] as string)).size);
  }
  await log.close();
  return { dir, model, boundaries, sizes };
}

async function lastSegment(dir: string): Promise<string> {
  const files = await segmentFiles(dir, 't', 0);
  return files[files.length - 1] as string;
}

async function patch(path: string, position: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

async function byteAt(path: string, position: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, position);
    return buf[0] as number;
  } finally {
    await handle.close();
  }
}

/**
 * Reopens the damaged log and checks it ends at `end`, whole, and takes appends from there.
 * Returns what recovery reported.
 */
async function expectRecoveredTo(
  written: Written,
  end: number,
  repaired: boolean,
): Promise<readonly RecoveryNote[]> {
  const log = await openFileLog({ dir: written.dir });
  try {
    assert.deepEqual(await log.offsets('t', 0), { start: 0, end });
    assert.equal(log.recovery.length > 0, repaired, JSON.stringify(log.recovery));
    const expected = new LogModel();
    expected.append(0, written.model.records(0).slice(0, end));
    await checkAgainstModel(log, 't', 0, expected, 0, end + 10);
    const extra: AppendRecord[] = makeRecords(new Prng(7), 4, 'k', 50);
    const acks = await log.append('t', extra);
    assert.deepEqual(
      acks.map((a) => a.offset),
      [end, end + 1, end + 2, end + 3],
    );
    expected.append(0, extra);
    await checkAgainstModel(log, 't', 0, expected, 0, end + 10);
    return log.recovery;
  } finally {
    await log.close();
  }
}

describe('segment recovery', () => {
  it('cuts a torn last batch, whatever the length of the tear', async () => {
    const written = await writeTen();
    try {
      const size = written.sizes[9] as number;
      const lastFrame = size - (written.sizes[8] as number);
      for (const cut of [1, 7, lastFrame - HEADER_BYTES, lastFrame - HEADER_BYTES + 1, lastFrame - 1]) {
        const copy = await writeTen();
        try {
          await truncate(await lastSegment(copy.dir), size - cut);
          await expectRecoveredTo(copy, copy.boundaries[9] as number, true);
        } finally {
          await rm(copy.dir, { recursive: true, force: true });
        }
      }
    } finally {
      await rm(written.dir, { recursive: true, force: true });
    }
  });

  it('cuts the log back to the last whole batch before a truncation deep inside it', async () => {
    const written = await writeTen();
    try {
      await truncate(await lastSegment(written.dir), (written.sizes[4] as number) + 40);
      await expectRecoveredTo(written, written.boundaries[5] as number, true);
    } finally {
      await rm(written.dir, { recursive: true, force: true });
    }
  });

  it('drops a last batch whose bytes or header were flipped', async () => {
    const start = (written: Written) => written.sizes[8] as number;
    const spots = [
      (w: Written) => (w.sizes[9] as number) - 1,
      (w: Written) => start(w) + HEADER_BYTES + 10,
      (w: Written) => start(w) + 4,
      (w: Written) => start(w) + 8,
      (w: Written) => start(w) + 24,
      (w: Written) => start(w),
    ];
    for (const spot of spots) {
      const written = await writeTen();
      try {
        const path = await lastSegment(written.dir);
        const position = spot(written);
        await patch(path, position, new Uint8Array([(await byteAt(path, position)) ^ 0x5a]));
        await expectRecoveredTo(written, written.boundaries[9] as number, true);
      } finally {
        await rm(written.dir, { recursive: true, force: true });
      }
    }
  });

  it('removes garbage after the last whole batch', async () => {
    for (const garbage of [new Uint8Array(100), new Uint8Array(5000).map((_, i) => (i * 7919) % 256)]) {
      const written = await writeTen();
      try {
        const path = await lastSegment(written.dir);
        await patch(path, written.sizes[9] as number, garbage);
        const log = await openFileLog({ dir: written.dir });
        await log.close();
        assert.equal((await stat(path)).size, written.sizes[9]);
        await expectRecoveredTo(written, written.boundaries[10] as number, false);
      } finally {
        await rm(written.dir, { recursive: true, force: true });
      }
    }
  });

  it('cuts a broken older segment and deletes the segments after it', async () => {
    const written = await writeTen(700);
    try {
      const files = await segmentFiles(written.dir, 't', 0);
      assert.ok(files.length >= 4, `${files.length} segments`);
      const second = files[1] as string;
      await truncate(second, (await stat(second)).size - 3);
      const secondBase = Number(/(\d{20})\.log$/.exec(second)?.[1]);
      const thirdBase = Number(/(\d{20})\.log$/.exec(files[2] as string)?.[1]);
      // The second segment loses its last batch (the one that ends at the third one's base).
      const end = written.boundaries.filter((b) => b < thirdBase).pop() as number;
      assert.ok(end >= secondBase);
      const recovery = await expectRecoveredTo(written, end, true);
      assert.equal(recovery.length, 1 + files.length - 2, JSON.stringify(recovery));
    } finally {
      await rm(written.dir, { recursive: true, force: true });
    }
  });

  it('never returns a record of a damaged batch in an older segment: the read fails with LOG_CORRUPT', async () => {
    const written = await writeTen(700);
    try {
      const files = await segmentFiles(written.dir, 't', 0);
      await patch(files[0] as string, HEADER_BYTES + 20, new Uint8Array([0xff, 0x00, 0xff]));
      const log = await openFileLog({ dir: written.dir, tailCacheBytes: 0 });
      try {
        assert.deepEqual(log.recovery, [], 'only the last segment is checksummed at open');
        await assert.rejects(log.read('t', 0, 0), { code: LOG_ERRORS.corrupt });
        const secondBase = Number(/(\d{20})\.log$/.exec(files[1] as string)?.[1]);
        await checkAgainstModel(log, 't', 0, written.model, secondBase, 1000);
      } finally {
        await log.close();
      }
    } finally {
      await rm(written.dir, { recursive: true, force: true });
    }
  });
});
