import type { FileHandle } from 'node:fs/promises';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoLambdaError } from '../../../domain/index.js';
import type { StoredRecord } from '../../event-log.js';
import { damagedError, type LogDamage } from './damage.js';
import type { FrameHeader } from './frame.js';
import { decodeFrame, frameCrcMatches, HEADER_BYTES, readHeader } from './frame.js';
import { type SegmentSurvey, surveySegment } from './scan.js';

const OFFSET_DIGITS = 20;
const SEGMENT_SUFFIX = '.log';

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(OFFSET_DIGITS, '0')}${SEGMENT_SUFFIX}`;
}

/** The base offset a segment file name stands for, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.log$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * One segment file: frames of consecutive offsets from `baseOffset`. Only bytes below `size`
 * (whole frames of acknowledged appends) are ever read. Reads hold a reference so that
 * retention can delete the file while a read is in flight.
 */
export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  /** Bytes of whole frames. */
  size = 0;
  /** The offset after the last record. */
  nextOffset: number;
  maxTs = Number.NEGATIVE_INFINITY;
  private readonly handle: FileHandle;
  private readonly indexIntervalBytes: number;
  private readonly indexOffsets: number[] = [];
  private readonly indexPositions: number[] = [];
  private lastIndexedPosition = Number.NEGATIVE_INFINITY;
  private refs = 0;
  private closing: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  private constructor(path: string, baseOffset: number, handle: FileHandle, indexIntervalBytes: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.handle = handle;
    this.indexIntervalBytes = indexIntervalBytes;
  }

  /** Creates an empty segment file (replacing a leftover one of the same name). */
  static async create(dir: string, baseOffset: number, indexIntervalBytes: number): Promise<Segment> {
    const path = join(dir, segmentFileName(baseOffset));
    return new Segment(path, baseOffset, await open(path, 'w+'), indexIntervalBytes);
  }

  /** Opens an existing segment; `survey` then walks its frames and indexes them. */
  static async open(path: string, baseOffset: number, indexIntervalBytes: number): Promise<Segment> {
    return new Segment(path, baseOffset, await open(path, 'r+'), indexIntervalBytes);
  }

  /**
   * Walks the file's frames (see `surveySegment`) and makes those before the first bad region
   * the segment's content. With `verifyCrc` every frame is read whole and checked.
   */
  survey(verifyCrc: boolean, chunkBytes: number): Promise<SegmentSurvey> {
    return surveySegment(this.handle, this.baseOffset, verifyCrc, chunkBytes, (position, header) => {
      if (position === this.size) {
        this.commit(HEADER_BYTES + header.payloadBytes, header.baseOffset, header.count, header.maxTs);
      }
    });
  }

  /** Writes a whole frame after the last one. `commit` makes it visible. */
  async write(frame: Buffer): Promise<void> {
    let done = 0;
    while (done < frame.length) {
      const { bytesWritten } = await this.handle.write(frame, done, frame.length - done, this.size + done);
      done += bytesWritten;
    }
  }

  /** Makes a frame written at `size` part of the segment. */
  commit(frameBytes: number, baseOffset: number, count: number, maxTs: number): void {
    this.addToIndex(baseOffset, this.size);
    this.size += frameBytes;
    this.nextOffset = baseOffset + count;
    if (maxTs > this.maxTs) this.maxTs = maxTs;
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  /** `datasync` beside appends and reads; nothing to do once the segment is closing (retired). */
  async sync(): Promise<void> {
    if (this.closing !== undefined) return;
    this.refs++;
    try {
      await this.handle.datasync();
    } finally {
      this.release();
    }
  }

  /** Cuts the file back to `size`, dropping whatever a failed write (or a torn one) left past it. */
  truncateToSize(): Promise<void> {
    return this.handle.truncate(this.size);
  }

  /**
   * Appends to `out` up to `maxRecords` records of this segment from `fromOffset` on, reading
   * from the nearest indexed batch at or below it; gap frames are skipped. Returns the offset
   * to read next (this segment's `nextOffset` once it is read to its end).
   */
  async read(
    partition: number,
    fromOffset: number,
    maxRecords: number,
    chunkBytes: number,
    out: StoredRecord[],
  ): Promise<number> {
    this.refs++;
    try {
      const limit = this.size;
      const wanted = out.length + maxRecords;
      let next = fromOffset;
      let pos = this.positionOf(fromOffset);
      while (pos < limit) {
        const buf = await this.readAt(pos, Math.min(chunkBytes, limit - pos));
        let p = 0;
        while (p + HEADER_BYTES <= buf.length) {
          const header = this.headerAt(buf, p, pos + p, next);
          let frame = buf;
          let framePos = p;
          const frameBytes = HEADER_BYTES + header.payloadBytes;
          if (p + frameBytes > buf.length) {
            if (p > 0) break;
            frame = await this.readAt(pos, frameBytes);
            framePos = 0;
          }
          const frameEnd = header.baseOffset + header.count;
          if (frameEnd > next) {
            if (!frameCrcMatches(frame, framePos, header)) {
              throw this.damaged(pos + p, next, 'a checksum mismatch');
            }
            const stop = header.gap
              ? frameEnd
              : Math.min(frameEnd, Math.max(next, header.baseOffset) + wanted - out.length);
            decodeFrame(frame, framePos, header, partition, next, stop, out);
            next = stop;
            if (out.length >= wanted) return next;
          }
          p += frameBytes;
        }
        pos += p;
      }
      return Math.max(next, this.nextOffset);
    } finally {
      this.release();
    }
  }

  /** Deletes the file; the handle closes once in-flight reads are done. */
  async retire(): Promise<void> {
    await rm(this.path, { force: true });
    await this.close();
  }

  /** Closes the handle once in-flight reads are done. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (this.refs === 0) resolve();
    }).then(() => this.handle.close());
    return this.closing;
  }

  private release(): void {
    this.refs--;
    if (this.refs === 0) this.onIdle?.();
  }

  private addToIndex(baseOffset: number, position: number): void {
    if (position - this.lastIndexedPosition < this.indexIntervalBytes) return;
    this.indexOffsets.push(baseOffset);
    this.indexPositions.push(position);
    this.lastIndexedPosition = position;
  }

  private positionOf(offset: number): number {
    let lo = 0;
    let hi = this.indexOffsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.indexOffsets[mid] ?? 0) <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return this.indexPositions[found] ?? 0;
  }

  private async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) throw this.damaged(position + done, undefined, 'an unexpected end of file');
      done += bytesRead;
    }
    return buf;
  }

  private headerAt(buf: Buffer, p: number, position: number, offset: number): FrameHeader {
    const header = readHeader(buf, p);
    if (header === undefined) throw this.damaged(position, offset, 'a bad frame magic');
    return header;
  }

  /** A frame that checked out when the segment was opened (or written) no longer does. */
  private damaged(position: number, offset: number | undefined, reason: string): CryptoLambdaError {
    const damage: LogDamage = { path: this.path, position, reason };
    if (offset !== undefined) damage.offset = offset;
    return damagedError([damage]);
  }
}
