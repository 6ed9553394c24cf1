import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  assertRefused,
  copyDir,
  FIXTURE,
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

interface Frame {
  position: number;
  offset: number;
  count: number;
}

/** The frames (record batches) of a segment file, from their headers. */
async function framesOf(path: string): Promise<Frame[]> {
  const bytes = await readFile(path);
  const out: Frame[] = [];
  for (let pos = 0; pos + 32 <= bytes.length; pos += 32 + bytes.readUInt32LE(pos + 4)) {
    out.push({ position: pos, offset: bytes.readUInt32LE(pos + 12), count: bytes.readUInt32LE(pos + 20) });
  }
  return out;
}

/** Frames of the trades partition, in order, over all its segment files. */
async function tradeFrames(dataDir: string): Promise<(Frame & { segment: string })[]> {
  const dirOf = join(dataDir, 'log', 'topics', 'trades', String(TRADES_PARTITION));
  const out: (Frame & { segment: string })[] = [];
  for (const name of (await readdir(dirOf)).filter((n) => n.endsWith('.log')).sort()) {
    for (const frame of await framesOf(join(dirOf, name))) out.push({ ...frame, segment: join(dirOf, name) });
  }
  return out;
}

async function patch(path: string, position: number, bytes: Uint8Array): Promise<void> {
  const file = await readFile(path);
  file.set(bytes, position);
  await writeFile(path, file);
}

/** A replay pace at which each batch is appended before the next one comes. */
const PACED = '10000';

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
    // Paced, so that each batch of 2 000 lines is a frame of its own (appends in flight together
    // share one frame): the cases below need frames after the damaged one.
    assert.equal((await replay(ref, {}, FIXTURE, PACED)).code, 0);
    reference = await outcome(ref);
    // Segments of 64 KiB: each frame of the trades partition is a segment file of its own.
    refSmall = join(dir, 'reference-small');
    assert.equal((await replay(refSmall, { LOG_SEGMENT_BYTES: '65536' }, FIXTURE, PACED)).code, 0);
    for (const data of [ref, refSmall]) {
      const frames = await tradeFrames(data);
      assert.ok(frames.length >= 3, `the trades partition has ${frames.length} frames; the cases need 3`);
    }
    assert.ok(reference.trades.length === 5929 && reference.silver.length === 5929);
    assert.ok(reference.goldCandles.length > 0 && reference.candles.flat().length > 0);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses 8 flipped bytes mid-segment; repair keeps the records after them and says which went', async () => {
    const data = await copy();
    const segment = segmentOf(data);
    const { position: second, offset: from, count } = (await tradeFrames(data))[1] as Frame;
    const to = from + count;
    await patch(segment, second + 5000, new Uint8Array(8).fill(0xa5));
    const damaged = await readFile(segment);
    const before = await logFiles(data);
    assertRefused(await start(data), data, [
      '[LOG_DAMAGED]',
      `${segment} (topic trades, partition 3) at byte ${second}, where offset ${from} should be: a checksum mismatch`,
      `${5929 - to} acknowledged records lie after it`,
    ]);
    assert.deepEqual(await logFiles(data), before, 'a refused start changes nothing');

    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, from, to, count]]);
    assert.ok(
      repaired.stdout.includes(`a checksum mismatch at byte ${second} of ${segment}`),
      repaired.stdout,
    );
    assert.ok(
      repaired.stdout.includes(`the speed layer had read trades partition 3 offsets ${from} to ${to - 1}`),
    );
    const aside = /→ (\S+)$/m.exec(repaired.stdout)?.[1] as string;
    assert.ok((await readFile(aside)).equals(damaged), 'the damaged file is kept, as it was');
    assert.match((await repair(data)).stdout, /nothing is damaged in .*; nothing was changed/);

    assert.equal((await replay(data)).code, 0);
    const after = await outcome(data);
    // The speed layer and the lake had read the lost records: what they derived stays whole.
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.goldCandles, reference.goldCandles);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, from, to)));
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
    const { position: third, offset: end } = (await tradeFrames(midFrame))[2] as Frame;
    await truncate(segmentOf(midFrame), third + 100);
    assertRefused(await start(midFrame), midFrame, [`at byte ${third}`, 'a partial frame']);

    const data = await copy();
    await truncate(segmentOf(data), third);
    assertRefused(await start(data), data, ['records up to offset 5929 were on disk']);
    // As if the power went before the log's background sync recorded its last point.
    await unlink(join(data, 'log', 'recovery-points.json'));
    assertRefused(await start(data), data, [
      '[LOG_OFFSET_PAST_END]',
      `the speed layer (checkpoint ${join(data, 'speed', 'checkpoint.json')}) has read topic trades partition 3 up to offset 5929, which ends at ${end}`,
    ]);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    for (const who of ['the speed layer', 'the lake writer']) {
      assert.ok(repaired.stdout.includes(`${who}: trades partition 3 set back from offset 5929 to ${end}`));
    }
    assert.equal((await replay(data)).code, 0);
    const after = await outcome(data);
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, end, 5929)));
  });

  it('refuses a missing middle segment; repair fills its offsets with a gap', async () => {
    const data = await copy(refSmall);
    const {
      segment: middle,
      offset: from,
      count,
    } = (await tradeFrames(data))[1] as Frame & { segment: string };
    const to = from + count;
    assert.equal(middle, segmentOf(data, from), 'the frame is a segment of its own');
    await unlink(middle);
    assertRefused(await start(data), data, [
      `${middle} (topic trades, partition 3)`,
      `offsets ${from} to ${to - 1} are in no segment file`,
      `${5929 - to} acknowledged records lie after it`,
    ]);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, from, to, count]]);
    assert.equal((await replay(data, { LOG_SEGMENT_BYTES: '65536' })).code, 0);
    const after = await outcome(data);
    assert.deepEqual(after.candles, reference.candles);
    assert.deepEqual(after.silver, reference.silver);
    assert.deepEqual(after.trades, without(reference.trades, await tradeIdsAt(ref, from, to)));
  });

  it('repairs damage the consumers had not read yet: their outputs are those of the trades that remain', async () => {
    // A data directory whose consumers are behind its log, as after a crash: the speed layer's
    // checkpoint and the lake as they were after the first 2 000 lines, the log holding all 5 929.
    const lines = gunzipSync(await readFile(FIXTURE))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const name = 'XRPETH-aggTrades-2019-10-11.csv';
    const input = async (folder: string, kept: readonly string[]) => {
      await mkdir(join(dir, folder), { recursive: true });
      await writeFile(join(dir, folder, name), `${kept.join('\n')}\n`);
      return join(dir, folder, name);
    };
    const full = await input('full', lines);
    const data = join(dir, 'behind');
    assert.equal((await replay(data, {}, await input('prefix', lines.slice(0, 2000)), PACED)).code, 0);
    const consumers = join(dir, 'behind-consumers');
    for (const part of ['speed', 'lake']) await copyDir(join(data, part), join(consumers, part));
    assert.equal((await replay(data, {}, full, PACED)).code, 0);
    for (const part of ['speed', 'lake']) {
      await rm(join(data, part), { recursive: true });
      await copyDir(join(consumers, part), join(data, part));
    }
    const segment = segmentOf(data);
    // The first frame the consumers have not read (they read the first 2 000 trades).
    const frames = await tradeFrames(data);
    const { position: second, offset: from, count } = frames.find((f) => f.offset >= 2000) as Frame;
    assert.ok(frames[frames.length - 1]?.offset !== from, 'a frame follows the damaged one');
    const to = from + count;
    const lostIds = await tradeIdsAt(data, from, to);
    await patch(segment, second + 777, new Uint8Array(8).fill(0x5a));
    assertRefused(await start(data), data, [
      `at byte ${second}`,
      `${5929 - to} acknowledged records lie after it`,
    ]);

    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(reportedLost(repaired.stdout), [['trades', 3, from, to, count]]);
    for (const who of ['the speed layer', 'the lake writer']) {
      assert.ok(
        repaired.stdout.includes(
          `${who} had not read trades partition 3 offsets ${from} to ${to - 1} (${count} records)`,
        ),
        repaired.stdout,
      );
    }
    assert.match(repaired.stdout, /the speed layer: candles partition \d cut back from offset/);
    assert.equal((await replay(data, {}, full)).code, 0);

    // The reference: a run over the same day without the trades repair said were lost.
    const drop = new Set(lostIds);
    const kept = lines.filter((line) => !drop.has(line.split(',')[0] as string));
    assert.equal(kept.length, lines.length - count);
    const expected = join(dir, 'without-lost');
    assert.equal((await replay(expected, {}, await input('without', kept))).code, 0);
    const [after, wanted] = [await outcome(data), await outcome(expected)];
    assert.deepEqual(after.candles, wanted.candles);
    assert.deepEqual(after.silver, wanted.silver);
    assert.deepEqual(after.goldCandles, wanted.goldCandles);
    assert.deepEqual(after.trades, wanted.trades);
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

  it('refuses damaged checkpoint changes (a bad change with a whole one after it); repair sets them aside and rebuilds', async () => {
    // Slow enough for checkpoints during the run: the first writes the snapshot, later ones append.
    const data = join(dir, `case-${n++}`);
    assert.equal((await replay(data, {}, FIXTURE, '2000')).code, 0);
    const speed = join(data, 'speed');
    const deltas = (await readdir(speed)).filter((n) => /^checkpoint\.\d+\.delta$/.test(n));
    assert.equal(deltas.length, 1, `changes appended after the snapshot: ${deltas.join(', ')}`);
    const path = join(speed, deltas[0] as string);
    const whole = await readFile(path);
    const damaged = Buffer.concat([whole, whole]);
    damaged[20] = (damaged[20] ?? 0) ^ 0xff;
    await writeFile(path, damaged);
    assertRefused(await start(data), data, [path, '[SPEED_CHECKPOINT_CORRUPT]']);
    const repaired = await repair(data);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /the changes appended to it were damaged/);
    assert.deepEqual(reportedLost(repaired.stdout), []);
    assert.deepEqual(
      (await readdir(speed)).filter((n) => n.startsWith('checkpoint')),
      [],
      'snapshot and changes set aside',
    );
    const replayed = await replay(data);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.deepEqual(await outcome(data), reference);
  });

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
