import assert from 'node:assert/strict';
import { readFile, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AppendRecord, LogDamage, RecoveryNote } from '../../../../src/log/index.js';
import { LOG_ERRORS, logDamageOf, openFileLog } from '../../../../src/log/index.js';
import { checkAgainstModel, LogModel, makeRecords, Prng } from '../../contract-model.js';
import {
  baseOf,
  dropPoints,
  flip,
  HEADER_BYTES,
  lastSegment,
  POINTS_FILE,
  patch,
  setPoint,
  type Written,
  writeTen,
} from './damage-helpers.js';
import { segmentFiles } from './helpers.js';

/**
 * Reopens the log and checks it ends at `end`, whole, and takes appends from there.
 * Returns what recovery reported.
 */
async function expectRecoveredTo(
  written: Written,
  end: number,
  cut: boolean,
): Promise<readonly RecoveryNote[]> {
  const log = await openFileLog({ dir: written.dir });
  try {
    assert.deepEqual(await log.offsets('t', 0), { start: 0, end });
    assert.equal(log.recovery.length > 0, cut, JSON.stringify(log.recovery));
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

/** Opening fails with LOG_DAMAGED, and leaves every file as it was; returns the damage. */
async function expectRefused(dir: string): Promise<readonly LogDamage[]> {
  const files = await segmentFiles(dir, 't', 0);
  const before = await Promise.all(files.map((f) => readFile(f)));
  let damage: readonly LogDamage[] | undefined;
  await assert.rejects(openFileLog({ dir }), (error: unknown) => {
    damage = logDamageOf(error);
    return damage !== undefined;
  });
  const after = await Promise.all(files.map((f) => readFile(f)));
  assert.deepEqual(after, before, 'a refused open changes nothing');
  // The lock is released: the log opens again (and is refused again).
  await assert.rejects(openFileLog({ dir }), { code: LOG_ERRORS.damaged });
  return damage as readonly LogDamage[];
}

/** The recovery point of `t/0` after batch `i` of a one-segment log. */
const pointAfter = (w: Written, i: number) => ({
  segment: 0,
  bytes: w.sizes[i] as number,
  offset: w.boundaries[i + 1] as number,
});

async function withTen(test: (w: Written) => Promise<void>, segmentBytes?: number): Promise<void> {
  const written = await writeTen(segmentBytes);
  try {
    await test(written);
  } finally {
    await rm(written.dir, { recursive: true, force: true });
  }
}

describe('segment recovery: a torn write after the recovery point is cut', () => {
  it('cuts a torn last batch written after the last sync, whatever the length of the tear', async () => {
    const tears = (w: Written) => {
      const lastFrame = (w.sizes[9] as number) - (w.sizes[8] as number);
      return [1, 7, lastFrame - HEADER_BYTES, lastFrame - HEADER_BYTES + 1, lastFrame - 1];
    };
    for (const [i, tear] of tears(await writeTen()).entries()) {
      await withTen(async (w) => {
        await truncate(await lastSegment(w.dir), (w.sizes[9] as number) - tear);
        // Batch 10 was being written after the sync that recorded batch 9.
        if (i % 2 === 0) await setPoint(w.dir, pointAfter(w, 8));
        else await dropPoints(w.dir);
        await expectRecoveredTo(w, w.boundaries[9] as number, true);
      });
    }
  });

  it('cuts a last batch whose bytes or header were flipped, when it was written after the last sync', async () => {
    const spots = [
      (w: Written) => (w.sizes[9] as number) - 1,
      (w: Written) => (w.sizes[8] as number) + HEADER_BYTES + 10,
      (w: Written) => (w.sizes[8] as number) + 4,
      (w: Written) => (w.sizes[8] as number) + 24,
      (w: Written) => w.sizes[8] as number,
    ];
    for (const spot of spots) {
      await withTen(async (w) => {
        await flip(await lastSegment(w.dir), spot(w));
        await setPoint(w.dir, pointAfter(w, 8));
        await expectRecoveredTo(w, w.boundaries[9] as number, true);
      });
    }
  });

  it('removes garbage and zeros after the last whole batch', async () => {
    for (const garbage of [new Uint8Array(100), new Uint8Array(5000).map((_, i) => (i * 7919) % 256)]) {
      await withTen(async (w) => {
        const path = await lastSegment(w.dir);
        await patch(path, w.sizes[9] as number, garbage);
        const log = await openFileLog({ dir: w.dir });
        assert.equal(log.recovery.length, 1, JSON.stringify(log.recovery));
        await log.close();
        assert.equal((await stat(path)).size, w.sizes[9]);
        await expectRecoveredTo(w, w.boundaries[10] as number, false);
      });
    }
  });
});

describe('segment recovery: damage is refused, never cut', () => {
  it('refuses a flipped batch with whole batches after it, naming the file, byte, offset and records after', async () => {
    for (const keepPoints of [true, false]) {
      await withTen(async (w) => {
        const path = await lastSegment(w.dir);
        await flip(path, (w.sizes[4] as number) + HEADER_BYTES + 30, 8);
        if (!keepPoints) await dropPoints(w.dir);
        const damage = await expectRefused(w.dir);
        assert.equal(damage.length, 1);
        assert.deepEqual(damage[0], {
          path,
          topic: 't',
          partition: 0,
          position: w.sizes[4],
          offset: w.boundaries[5],
          recordsAfter: (w.boundaries[10] as number) - (w.boundaries[6] as number),
          reason: 'a checksum mismatch',
        });
      });
    }
  });

  it('refuses a flipped last batch that the recovery point says was on disk', () =>
    withTen(async (w) => {
      await flip(await lastSegment(w.dir), (w.sizes[9] as number) - 1);
      const [damage] = await expectRefused(w.dir);
      assert.equal(damage?.position, w.sizes[8]);
      assert.equal(damage?.recordsAfter, 0);
    }));

  it('refuses a zero-filled segment', () =>
    withTen(async (w) => {
      const path = await lastSegment(w.dir);
      await patch(path, 0, new Uint8Array(w.sizes[9] as number));
      const [damage] = await expectRefused(w.dir);
      assert.deepEqual([damage?.position, damage?.offset, damage?.reason], [0, 0, 'a bad frame magic']);
    }));

  it('refuses a truncation below the recovery point, mid-batch or at a batch boundary', async () => {
    for (const extra of [40, 0]) {
      await withTen(async (w) => {
        await truncate(await lastSegment(w.dir), (w.sizes[4] as number) + extra);
        const [damage] = await expectRefused(w.dir);
        assert.equal(damage?.offset, w.boundaries[5]);
        if (extra === 0) assert.match(damage?.reason ?? '', /records up to offset \d+ were on disk/);
      });
    }
  });

  it('refuses a missing middle segment, and a broken older one', async () => {
    await withTen(async (w) => {
      const files = await segmentFiles(w.dir, 't', 0);
      assert.ok(files.length >= 4, `${files.length} segments`);
      await unlink(files[1] as string);
      await dropPoints(w.dir);
      const [damage] = await expectRefused(w.dir);
      assert.equal(damage?.path, files[1]);
      assert.equal(damage?.offset, baseOf(files[1] as string));
      assert.match(damage?.reason ?? '', /in no segment file/);
      assert.equal(damage?.recordsAfter, (w.boundaries[10] as number) - baseOf(files[2] as string));
    }, 700);
    await withTen(async (w) => {
      const files = await segmentFiles(w.dir, 't', 0);
      const second = files[1] as string;
      await truncate(second, (await stat(second)).size - 3);
      const [damage] = await expectRefused(w.dir);
      assert.equal(damage?.path, second);
      assert.equal(damage?.reason, 'a partial frame');
    }, 700);
  });

  it('refuses a recovery-points file that is not one', () =>
    withTen(async (w) => {
      await patch(join(w.dir, POINTS_FILE), 0, Buffer.from('{{'));
      const [damage] = await expectRefused(w.dir);
      assert.equal(damage?.path, join(w.dir, POINTS_FILE));
    }));

  it('never returns a record of a damaged batch in an older segment: the read fails with LOG_DAMAGED', () =>
    withTen(async (w) => {
      const files = await segmentFiles(w.dir, 't', 0);
      await patch(files[0] as string, HEADER_BYTES + 20, new Uint8Array([0xff, 0x00, 0xff]));
      const log = await openFileLog({ dir: w.dir, tailCacheBytes: 0 });
      try {
        assert.deepEqual(
          log.recovery,
          [],
          'older segments below the recovery point are walked, not checksummed',
        );
        await assert.rejects(log.read('t', 0, 0), (error: unknown) => {
          const [damage] = logDamageOf(error) ?? [];
          return damage?.path === files[0] && damage?.position === 0 && damage?.offset === 0;
        });
        await checkAgainstModel(log, 't', 0, w.model, baseOf(files[1] as string), 1000);
      } finally {
        await log.close();
      }
    }, 700));
});

describe('recovery points', () => {
  it('records what is on disk on sync and close, and writes nothing while nothing is appended', async () => {
    await withTen(async (w) => {
      const pointsPath = join(w.dir, POINTS_FILE);
      const read = async () =>
        JSON.parse(await readFile(pointsPath, 'utf8')) as { partitions: Record<string, unknown> };
      assert.deepEqual((await read()).partitions['t/0'], pointAfter(w, 9), 'close records the end');
      const log = await openFileLog({ dir: w.dir, syncIntervalMs: 60_000 });
      try {
        const before = await stat(pointsPath);
        await log.sync();
        assert.equal((await stat(pointsPath)).ino, before.ino, 'nothing appended: nothing written');
        await log.append('t', makeRecords(new Prng(9), 5, 'k', 50));
        await log.sync();
        const size = (await stat(await lastSegment(w.dir))).size;
        assert.deepEqual((await read()).partitions['t/0'], {
          segment: 0,
          bytes: size,
          offset: (w.boundaries[10] as number) + 5,
        });
      } finally {
        await log.close();
      }
    });
  });
});
