import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertRefused,
  copyDir,
  logFiles,
  type Outcome,
  outcome,
  repair,
  replay,
  reportedLost,
  start,
  TRADES_PARTITION,
  tradeIdsAt,
} from './damage-helpers.js';

/**
 * Damage to a data directory, as a user meets it: the real executable on a copy of a replayed
 * real day, a file damaged by hand, `start` refused (or not), `repair`, and a replay after it that
 * must end with the outcome of the undamaged run, minus exactly what `repair` reported.
 */

const segmentOf = (dataDir: string, base = 0) =>
  join(dataDir, 'log', 'topics', 'trades', String(TRADES_PARTITION), `${String(base).padStart(20, '0')}.log`);

/** Byte positions of the frames of a segment file, and its size. */
async function frameBoundaries(path: string): Promise<number[]> {
  const bytes = await readFile(path);
  const out = [0];
  for (let pos = 0; pos + 32 <= bytes.length; ) {
    pos += 32 + bytes.readUInt32LE(pos + 4);
    out.push(pos);
  }
  return out;
}

async function patch(path: string, position: number, bytes: Uint8Array): Promise<void> {
  const file = await readFile(path);
  file.set(bytes, position);
  await writeFile(path, file);
}

const without = (all: readonly string[], gone: readonly string[]) => {
  const drop = new Set(gone);
  return all.filter((id) => !drop.has(id));
};

describe('damage is refused or repaired, never silently cut (real processes)', () => {
  let dir: string;
  let ref: string;
  let refSmall: string;
  let reference: Outcome;
  let n = 0;
  const copy = async (from = ref): Promise<string> => {
    const to = join(dir, `case-${n++}`);
    await copyDir(from, to);
    return to;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-damage-'));
    ref = join(dir, 'reference');
    assert.equal((await replay(ref)).code, 0);
    reference = await outcome(ref);
    // Segments of 64 KiB: the 3 frames of the trades partition are 3 segment files.
    refSmall = join(dir, 'reference-small');
    assert.equal((await replay(refSmall, { LOG_SEGMENT_BYTES: '65536' })).code, 0);
    assert.ok(reference.trades.length === 5929 && reference.silver.length === 5929);
    assert.ok(reference.goldCandles.length > 0 && reference.candles.flat().length > 0);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses 8 flipped bytes mid-segment; repair keeps the records after them and says which went', async () => {
    const data = await copy();
    const segment = segmentOf(data);
    const [, second, third] = await frameBoundaries(segment);
    await patch(segment, (second as number) + 5000, new Uint8Array(8).fill(0xa5));
    const damaged = await readFile(segment);
    const before = await logFiles(data);
    assertRefused(await start(data), data, [
      '[LOG_DAMAGED]',
      `${segment} (topic trades, partition 3) at byte ${second}, where offset 2000 should be: a checksum mismatch`,
      '1929 acknowledged records lie after it',
    ]);
    assert.deepEqual(await logFiles(data), before, 'a refused start changes nothing');

    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, 2000, 4000, 2000]]);
    assert.match(repaired.stdout, new RegExp(`a checksum mismatch at byte ${second} of ${segment}`));
    assert.match(repaired.stdout, /the speed layer had read trades partition 3 offsets 2000 to 3999/);
    const aside = /→ (\S+)$/m.exec(repaired.stdout)?.[1] as string;
    assert.ok((await readFile(aside)).equals(damaged), 'the damaged file is kept, as it was');
    assert.ok(third !== undefined);
    assert.match((await repair(data)).stdout, /nothing is damaged in .*; nothing was changed/);

    assert.equal((await replay(data)).code, 0);
    const after = await outcome(data);
    // The speed layer and the lake had read the lost records: what they derived stays whole.
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.goldCandles, reference.goldCandles);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, 2000, 4000)));
  });

  it('refuses a zero-filled segment; repair cuts the partition and sets its consumers back', async () => {
    const data = await copy();
    const segment = segmentOf(data);
    await writeFile(segment, Buffer.alloc((await stat(segment)).size));
    assertRefused(await start(data), data, [
      `${segment} (topic trades, partition 3) at byte 0`,
      'a bad frame magic',
    ]);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, 0, 5929, 5929]]);
    assert.match(repaired.stdout, /the speed layer: trades partition 3 set back from offset 5929 to 0/);
    assert.match(repaired.stdout, /the lake writer: trades partition 3 set back from offset 5929 to 0/);
    assert.equal((await replay(data)).code, 0);
    const after = await outcome(data);
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.trades, []);
  });

  it('cuts a torn write after the last sync silently: the run ends as if it never happened', async () => {
    const data = await copy();
    const segment = segmentOf(data);
    const size = (await stat(segment)).size;
    // The start of a frame for offset 5929 whose write never completed.
    const torn = (await readFile(segment)).subarray(0, 700);
    torn.writeUInt32LE(5929, 12);
    await writeFile(segment, Buffer.concat([await readFile(segment), torn]));
    const replayed = await replay(data);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.equal((await stat(segment)).size, size);
    assert.deepEqual(await outcome(data), reference);
  });

  it('refuses a truncated segment: the log below its recovery point, the consumers past its end without one', async () => {
    const midFrame = await copy();
    const [, , third] = await frameBoundaries(segmentOf(midFrame));
    await truncate(segmentOf(midFrame), (third as number) + 100);
    assertRefused(await start(midFrame), midFrame, [`at byte ${third}`, 'a partial frame']);

    const data = await copy();
    await truncate(segmentOf(data), third as number);
    assertRefused(await start(data), data, ['records up to offset 5929 were on disk']);
    // As if the power went before the log's background sync recorded its last point.
    await unlink(join(data, 'log', 'recovery-points.json'));
    assertRefused(await start(data), data, [
      '[LOG_OFFSET_PAST_END]',
      `the speed layer (checkpoint ${join(data, 'speed', 'checkpoint.json')}) has read topic trades partition 3 up to offset 5929, which ends at 4000`,
    ]);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /the speed layer: trades partition 3 set back from offset 5929 to 4000/);
    assert.match(repaired.stdout, /the lake writer: trades partition 3 set back from offset 5929 to 4000/);
    assert.equal((await replay(data)).code, 0);
    const after = await outcome(data);
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, 4000, 5929)));
  });

  it('refuses a missing middle segment; repair fills its offsets with a gap', async () => {
    const data = await copy(refSmall);
    const middle = segmentOf(data, 2000);
    await unlink(middle);
    assertRefused(await start(data), data, [
      `${middle} (topic trades, partition 3)`,
      'offsets 2000 to 3999 are in no segment file',
      '1929 acknowledged records lie after it',
    ]);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, 2000, 4000, 2000]]);
    assert.equal((await replay(data, { LOG_SEGMENT_BYTES: '65536' })).code, 0);
    const after = await outcome(data);
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, 2000, 4000)));
  });

  const corrupt = [
    ['speed checkpoint', ['speed', 'checkpoint.json'], 'SPEED_CHECKPOINT_CORRUPT'],
    ['positions file', ['ingest', 'positions.json'], 'INGEST_POSITIONS_CORRUPT'],
    ['lake manifest', ['lake', '_manifest.json'], 'LAKE_MANIFEST_CORRUPT'],
  ] as const;
  for (const [what, parts, code] of corrupt) {
    it(`refuses a corrupt ${what}; repair sets it aside and rebuilds it, and the next run ends whole`, async () => {
      const data = await copy();
      const path = join(data, ...parts);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
      assertRefused(await start(data), data, [path, `[${code}]`]);
      const repaired = await repair(data);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.match(repaired.stdout, new RegExp(`rebuilt: ${path} was not .*set aside to (\\S+)\\)`));
      assert.deepEqual(reportedLost(repaired.stdout), []);
      const replayed = await replay(data);
      assert.equal(replayed.code, 0, replayed.stderr);
      assert.deepEqual(await outcome(data), reference);
      assert.match((await repair(data)).stdout, /nothing is damaged/);
    });
  }

  it('takes over the lock of a process that no longer runs', async () => {
    const data = await copy();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    await writeFile(join(data, 'log', 'LOCK'), `${dead.pid}\n`);
    const replayed = await replay(data);
    assert.equal(replayed.code, 0, replayed.stderr);
  });

  it('exits at once when a live process holds the lock, and leaves that lock alone', async () => {
    const data = await copy();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      const lock = join(data, 'log', 'LOCK');
      await writeFile(lock, `${holder.pid}\n`);
      for (const result of [await start(data), await repair(data), await replay(data)]) {
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, new RegExp(`in use by process ${holder.pid}.*\\[LOG_LOCKED\\]`));
        assert.equal(await readFile(lock, 'utf8'), `${holder.pid}\n`);
      }
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
