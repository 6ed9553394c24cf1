import assert from 'node:assert/strict';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeFrame, encodeGapFrame } from '../../../../src/log/adapters/file/frame.js';
import { recordsFrom, surveySegment } from '../../../../src/log/adapters/file/scan.js';
import { makeRecords, Prng } from '../../contract-model.js';
import { tempDir } from './helpers.js';

/** Frames of `counts` records each, from offset `base`. */
function frames(base: number, counts: number[]): Buffer[] {
  const prng = new Prng(base + 1);
  let offset = base;
  return counts.map((count) => {
    const frame = encodeFrame(offset, [makeRecords(prng, count, 'k', 60)]).bytes;
    offset += count;
    return frame;
  });
}

async function survey(bytes: Buffer, base = 0, verifyCrc = true, chunkBytes = 64) {
  const dir = await tempDir();
  const path = join(dir, 'segment');
  await writeFile(path, bytes);
  const handle = await open(path, 'r');
  try {
    return await surveySegment(handle, base, verifyCrc, chunkBytes);
  } finally {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('surveySegment', () => {
  it('walks whole frames and gap frames as one run', async () => {
    const [a, b] = frames(10, [3, 4]);
    const gap = encodeGapFrame(17, 5, { why: 'test' });
    const [c] = frames(22, [2]);
    const bytes = Buffer.concat([a as Buffer, b as Buffer, gap, c as Buffer]);
    const result = await survey(bytes, 10);
    assert.deepEqual(result.bad, []);
    assert.deepEqual(result.runs, [
      { position: 0, endPosition: bytes.length, offset: 10, endOffset: 24, records: 9 },
    ]);
  });

  it('resynchronises on the next whole frame after garbage, skipping false magics and stale frames', async () => {
    const [a, b, , d] = frames(0, [3, 4, 5, 6]) as [Buffer, Buffer, Buffer, Buffer];
    // Garbage that starts like a frame, a magic with a length past the end, and a whole frame
    // from an earlier offset (a stale copy): none may be taken for the next frame.
    const garbage = Buffer.concat([
      Buffer.from('CLB1'),
      Buffer.alloc(20, 7),
      Buffer.from('CLxxCLB1\xff\xff\xff\x7f', 'latin1'),
      a,
    ]);
    const bytes = Buffer.concat([a, b, garbage, d]);
    const result = await survey(bytes);
    assert.equal(result.runs.length, 2);
    assert.deepEqual(result.bad, [
      {
        position: a.length + b.length,
        endPosition: a.length + b.length + garbage.length,
        offset: 7,
        nextOffset: 12,
        reason: 'a partial frame',
      },
    ]);
    assert.deepEqual(result.runs[1], {
      position: bytes.length - d.length,
      endPosition: bytes.length,
      offset: 12,
      endOffset: 18,
      records: 6,
    });
    assert.equal(recordsFrom(result, a.length + b.length), 6, 'records after the damage');
  });

  it('finds a flipped payload only when checksumming; a walk by headers alone goes past it', async () => {
    const all = frames(0, [3, 4, 5]);
    const bytes = Buffer.concat(all);
    const at = (all[0] as Buffer).length + 40;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    const checked = await survey(bytes);
    assert.deepEqual(
      checked.bad.map((b) => [b.position, b.offset, b.nextOffset, b.reason]),
      [[(all[0] as Buffer).length, 3, 7, 'a checksum mismatch']],
    );
    assert.deepEqual((await survey(bytes, 0, false)).bad, []);
  });

  it('reports a tear at the end with nothing after it, and a zero-filled file from byte 0', async () => {
    const all = frames(0, [3, 4]);
    const whole = Buffer.concat(all);
    const torn = await survey(whole.subarray(0, whole.length - 5));
    assert.deepEqual(torn.bad, [
      {
        position: (all[0] as Buffer).length,
        endPosition: whole.length - 5,
        offset: 3,
        nextOffset: undefined,
        reason: 'a partial frame',
      },
    ]);
    const zeros = await survey(Buffer.alloc(5000));
    assert.deepEqual(zeros.runs, []);
    assert.deepEqual(
      zeros.bad.map((b) => [b.position, b.endPosition, b.reason]),
      [[0, 5000, 'a bad frame magic']],
    );
  });
});
