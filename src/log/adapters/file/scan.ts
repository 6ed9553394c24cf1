import type { FileHandle } from 'node:fs/promises';
import { CryptoLambdaError } from '../../../domain/index.js';
import { LOG_ERRORS } from '../../event-log.js';
import type { FrameHeader } from './frame.js';
import { frameCrcMatches, HEADER_BYTES, readHeader } from './frame.js';

/** Consecutive whole frames of a segment file: bytes `[position, endPosition)`, offsets `[offset, endOffset)`. */
export interface FrameRun {
  position: number;
  endPosition: number;
  offset: number;
  endOffset: number;
  /** Records in the run (gap frames stand for offsets, not records). */
  records: number;
}

/** Bytes of a segment file where a frame was expected and none checks out. */
export interface BadRegion {
  /** Where the frame that does not check out starts. */
  position: number;
  /** Where the next whole frame starts (the point the scan resynchronised on), or the file size. */
  endPosition: number;
  /** The offset the frame at `position` should have started with. */
  offset: number;
  /** Base offset of the next whole frame, when one follows in this file. */
  nextOffset: number | undefined;
  /** What was wrong, e.g. `a checksum mismatch`. */
  reason: string;
}

/** A segment file, walked frame by frame: its whole frames and the bad regions between them. */
export interface SegmentSurvey {
  fileBytes: number;
  runs: FrameRun[];
  bad: BadRegion[];
}

/**
 * Walks a segment's frames from byte 0, expecting consecutive offsets from `baseOffset`. A frame
 * is whole when its magic, length, offset and (with `verifyCrc`) checksum check out. At the first
 * one that does not, the walk resynchronises: it looks for the next position holding a whole
 * frame (magic, length within the file, checksum, an offset not below the expected one) and goes
 * on from there; so whatever follows a damaged frame is still found and counted.
 *
 * `onPrefixFrame` sees each frame before the first bad region, in order (to index them).
 */
export async function surveySegment(
  handle: FileHandle,
  baseOffset: number,
  verifyCrc: boolean,
  chunkBytes: number,
  onPrefixFrame?: (position: number, header: FrameHeader) => void,
): Promise<SegmentSurvey> {
  const fileBytes = (await handle.stat()).size;
  const reader = new ChunkReader(handle, fileBytes, chunkBytes);
  const runs: FrameRun[] = [];
  const bad: BadRegion[] = [];
  let run: FrameRun | undefined;
  let pos = 0;
  let expected = baseOffset;
  while (pos < fileBytes) {
    const check = await checkFrame(reader, pos, expected, verifyCrc);
    if (typeof check !== 'string') {
      if (bad.length === 0) onPrefixFrame?.(pos, check);
      if (run === undefined) {
        run = { position: pos, endPosition: pos, offset: expected, endOffset: expected, records: 0 };
        runs.push(run);
      }
      pos += HEADER_BYTES + check.payloadBytes;
      expected = check.baseOffset + check.count;
      run.endPosition = pos;
      run.endOffset = expected;
      if (!check.gap) run.records += check.count;
      continue;
    }
    run = undefined;
    const next = await findFrame(reader, pos + 1, expected);
    bad.push({
      position: pos,
      endPosition: next?.position ?? fileBytes,
      offset: expected,
      nextOffset: next?.header.baseOffset,
      reason: check,
    });
    if (next === undefined) break;
    pos = next.position;
    expected = next.header.baseOffset;
  }
  return { fileBytes, runs, bad };
}

/** Records in whole frames at or after byte `position`. */
export function recordsFrom(survey: SegmentSurvey, position: number): number {
  let records = 0;
  for (const run of survey.runs) if (run.position >= position) records += run.records;
  return records;
}

/** The frame header at `pos` when the frame is whole there, else what is wrong with it. */
async function checkFrame(
  reader: ChunkReader,
  pos: number,
  expected: number,
  verifyCrc: boolean,
): Promise<FrameHeader | string> {
  if (reader.fileBytes - pos < HEADER_BYTES) return 'a partial frame header';
  const at = await reader.at(pos, HEADER_BYTES);
  const header = readHeader(reader.buf, at);
  if (header === undefined) return 'a bad frame magic';
  const frameBytes = HEADER_BYTES + header.payloadBytes;
  if (pos + frameBytes > reader.fileBytes) return 'a partial frame';
  if (header.count === 0) return 'an empty frame';
  if (header.baseOffset !== expected) {
    return `a frame at offset ${header.baseOffset} where ${expected} was expected`;
  }
  if (verifyCrc) {
    const frameAt = await reader.at(pos, frameBytes);
    if (!frameCrcMatches(reader.buf, frameAt, header)) return 'a checksum mismatch';
  }
  return header;
}

const MAGIC_PREFIX = Buffer.from('CL', 'latin1');

/**
 * The first position at or after `from` that holds a whole frame (checksum included) whose
 * offset is at least `minOffset`, or undefined.
 */
export async function findFrame(
  reader: ChunkReader,
  from: number,
  minOffset: number,
): Promise<{ position: number; header: FrameHeader } | undefined> {
  let pos = from;
  while (reader.fileBytes - pos >= HEADER_BYTES) {
    const length = Math.min(reader.chunkBytes, reader.fileBytes - pos);
    const at = await reader.at(pos, length);
    const hit = reader.buf.subarray(at, at + length).indexOf(MAGIC_PREFIX);
    if (hit < 0) {
      // The last byte may be the first of a magic split across chunks.
      pos += Math.max(1, length - 1);
      continue;
    }
    const candidate = pos + hit;
    if (reader.fileBytes - candidate < HEADER_BYTES) return undefined;
    const headerAt = await reader.at(candidate, HEADER_BYTES);
    const header = readHeader(reader.buf, headerAt);
    const frameBytes = HEADER_BYTES + (header?.payloadBytes ?? 0);
    if (
      header !== undefined &&
      header.count > 0 &&
      header.baseOffset >= minOffset &&
      candidate + frameBytes <= reader.fileBytes
    ) {
      const frameAt = await reader.at(candidate, frameBytes);
      if (frameCrcMatches(reader.buf, frameAt, header)) return { position: candidate, header };
    }
    pos = candidate + 1;
  }
  return undefined;
}

/** Positional reads of one file through a buffer of at least `chunkBytes`. */
export class ChunkReader {
  buf: Buffer = Buffer.alloc(0);
  readonly fileBytes: number;
  readonly chunkBytes: number;
  private start = 0;
  private readonly handle: FileHandle;

  constructor(handle: FileHandle, fileBytes: number, chunkBytes: number) {
    this.handle = handle;
    this.fileBytes = fileBytes;
    this.chunkBytes = chunkBytes;
  }

  /** Makes bytes `[pos, pos + length)` readable in `buf`; returns where `pos` is in it. */
  async at(pos: number, length: number): Promise<number> {
    if (pos >= this.start && pos + length <= this.start + this.buf.length) return pos - this.start;
    const size = Math.max(length, Math.min(this.chunkBytes, this.fileBytes - pos));
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await this.handle.read(buf, done, size - done, pos + done);
      if (bytesRead === 0) {
        throw new CryptoLambdaError(
          LOG_ERRORS.io,
          `a segment file shrank while it was read (at byte ${pos + done})`,
        );
      }
      done += bytesRead;
    }
    this.buf = buf;
    this.start = pos;
    return 0;
  }
}
