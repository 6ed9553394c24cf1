import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type FileEventLog, LOG_ERRORS, openFileLog, repairFileLog } from '../../../../src/log/index.js';
import { checkAgainstModel, LogModel, makeRecords, Prng } from '../../contract-model.js';
import {
  baseOf,
  dropPoints,
  flip,
  HEADER_BYTES,
  lastSegment,
  POINTS_FILE,
  patch,
  type Written,
  writeTen,
} from './damage-helpers.js';
import { segmentFiles } from './helpers.js';

async function withTen(test: (w: Written) => Promise<void>, segmentBytes?: number): Promise<void> {
  const written = await writeTen(segmentBytes);
  try {
    await test(written);
  } finally {
    await rm(written.dir, { recursive: true, force: true });
  }
}

async function repair(w: Written) {
  const { log, report } = await repairFileLog({ dir: w.dir }, join(w.dir, 'aside'));
  await log.close();
  return report;
}

/** Every record of `t/0` from `from`, read in batches of `maxRecords`. */
async function readAll(log: FileEventLog, from: number, maxRecords: number) {
  const all = [];
  for (let next = from; ; ) {
    const records = await log.read('t', 0, next, { maxRecords });
    if (records.length === 0) return all;
    all.push(...records);
    next = (records[records.length - 1]?.offset ?? next) + 1;
  }
}

/** The model's records without offsets `[from, to)`, with their offsets. */
function without(w: Written, from: number, to: number) {
  return w.model
    .records(0)
    .map((r, offset) => ({ offset, value: Buffer.from(r.value).toString('hex') }))
    .filter((r) => r.offset < from || r.offset >= to);
}

describe('repairFileLog', () => {
  it('keeps every whole batch around a flipped one, with a gap frame for its offsets; a second run changes nothing', () =>
    withTen(async (w) => {
      const path = await lastSegment(w.dir);
      const damaged = await readFile(path);
      await flip(path, (w.sizes[4] as number) + HEADER_BYTES + 30, 8);
      const flipped = await readFile(path);
      const aside = join(w.dir, 'aside');
      const { log, report } = await repairFileLog({ dir: w.dir }, aside);
      const [from, to] = [w.boundaries[5] as number, w.boundaries[6] as number];
      try {
        assert.deepEqual(report.lost, [
          {
            topic: 't',
            partition: 0,
            path,
            position: w.sizes[4],
            reason: 'a checksum mismatch',
            fromOffset: from,
            toOffset: to,
            records: to - from,
          },
        ]);
        assert.deepEqual(report.movedAside, [
          { from: path, to: join(aside, 'topics', 't', '0', '00000000000000000000.log') },
        ]);
        assert.ok(
          (await readFile(join(aside, 'topics', 't', '0', '00000000000000000000.log'))).equals(flipped),
          'the damaged file, as it was',
        );
        assert.ok(!damaged.equals(flipped));
        assert.deepEqual(
          await log.offsets('t', 0),
          { start: 0, end: w.boundaries[10] },
          'offsets stay where they were',
        );
        for (const maxRecords of [1, 3, 1000]) {
          const got = (await readAll(log, 0, maxRecords)).map((r) => ({
            offset: r.offset,
            value: Buffer.from(r.value).toString('hex'),
          }));
          assert.deepEqual(got, without(w, from, to), `maxRecords ${maxRecords}`);
        }
        // A consumer positioned inside the gap goes on after it.
        assert.equal((await log.read('t', 0, from + 1, { maxRecords: 1 }))[0]?.offset, to);
        const acks = await log.append('t', makeRecords(new Prng(5), 2, 'k', 40));
        assert.deepEqual(
          acks.map((a) => a.offset),
          [w.boundaries[10], (w.boundaries[10] as number) + 1],
        );
      } finally {
        await log.close();
      }
      const reopened = await openFileLog({ dir: w.dir, tailCacheBytes: 0 });
      try {
        assert.equal((await readAll(reopened, 0, 7)).length, (w.boundaries[10] as number) - (to - from) + 2);
      } finally {
        await reopened.close();
      }
      const again = await repairFileLog({ dir: w.dir }, join(w.dir, 'aside-2'));
      await again.log.close();
      assert.deepEqual(again.report, { lost: [], movedAside: [], rewound: [] });
    }));

  it('cuts a zero-filled last segment back to its base, says how many durable records went, and rewinds consumer groups', () =>
    withTen(async (w) => {
      const log = await openFileLog({ dir: w.dir });
      await log.commitOffset('g', 't', 0, w.boundaries[10] as number);
      await log.close();
      const path = await lastSegment(w.dir);
      await patch(path, 0, new Uint8Array(w.sizes[9] as number));
      const { log: repaired, report } = await repairFileLog({ dir: w.dir }, join(w.dir, 'aside'));
      try {
        assert.deepEqual(
          report.lost.map((l) => [l.fromOffset, l.toOffset, l.records, l.reason]),
          [[0, w.boundaries[10], w.boundaries[10], 'a bad frame magic']],
        );
        assert.deepEqual(report.rewound, [
          { group: 'g', topic: 't', partition: 0, from: w.boundaries[10], to: 0 },
        ]);
        assert.deepEqual(await repaired.offsets('t', 0), { start: 0, end: 0 });
        assert.equal(await repaired.committedOffset('g', 't', 0), 0);
      } finally {
        await repaired.close();
      }
      assert.equal((await stat(path)).size, 0);
    }));

  it('fills a missing middle segment with a gap frame', () =>
    withTen(async (w) => {
      const files = await segmentFiles(w.dir, 't', 0);
      await unlink(files[2] as string);
      const [from, to] = [baseOf(files[2] as string), baseOf(files[3] as string)];
      const { log, report } = await repairFileLog({ dir: w.dir }, join(w.dir, 'aside'));
      try {
        assert.deepEqual(
          report.lost.map((l) => [l.path, l.fromOffset, l.toOffset, l.records]),
          [[files[1], from, to, to - from]],
        );
        const got = (await readAll(log, 0, 4)).map((r) => ({
          offset: r.offset,
          value: Buffer.from(r.value).toString('hex'),
        }));
        assert.deepEqual(got, without(w, from, to));
      } finally {
        await log.close();
      }
    }, 700));

  it('cuts a truncation at a batch boundary below the recovery point, counting the records it took', () =>
    withTen(async (w) => {
      await truncate(await lastSegment(w.dir), w.sizes[4] as number);
      const report = await repair(w);
      assert.deepEqual(
        report.lost.map((l) => [l.fromOffset, l.toOffset, l.records]),
        [[w.boundaries[5], w.boundaries[10], (w.boundaries[10] as number) - (w.boundaries[5] as number)]],
      );
      const log = await openFileLog({ dir: w.dir });
      try {
        const expected = new LogModel();
        expected.append(0, w.model.records(0).slice(0, w.boundaries[5]));
        await checkAgainstModel(log, 't', 0, expected, 0, 1000);
      } finally {
        await log.close();
      }
    }));

  it('sets a broken recovery-points file aside and checks every frame instead', () =>
    withTen(async (w) => {
      await patch(join(w.dir, POINTS_FILE), 0, Buffer.from('{{'));
      const { log, report } = await repairFileLog({ dir: w.dir }, join(w.dir, 'aside'));
      await log.close();
      assert.deepEqual(report.lost, []);
      assert.deepEqual(
        report.movedAside.map((m) => m.from),
        [join(w.dir, POINTS_FILE)],
      );
      assert.ok((await readdir(w.dir)).includes(POINTS_FILE), 'written again at close');
      const reopened = await openFileLog({ dir: w.dir });
      await reopened.close();
    }));

  it('leaves a whole log alone, and refuses to run beside a process that has it open', () =>
    withTen(async (w) => {
      await dropPoints(w.dir);
      const before = await readFile(await lastSegment(w.dir));
      const open = await openFileLog({ dir: w.dir });
      try {
        await assert.rejects(repairFileLog({ dir: w.dir }, join(w.dir, 'aside')), {
          code: LOG_ERRORS.locked,
        });
      } finally {
        await open.close();
      }
      assert.deepEqual(await repair(w), { lost: [], movedAside: [], rewound: [] });
      assert.ok((await readFile(await lastSegment(w.dir))).equals(before));
    }));
});
