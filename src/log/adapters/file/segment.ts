import type { FileHandle } from 'node:fs/promises';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError } from '../../../domain/index.js';
import type { StoredRecord } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import type { FrameHeader } from './frame.js';
import { decodeFrame, frameCrcMatches, HEADER_BYTES, readHeader } from './frame.js';

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

/** What a scan of a segment file found. */
export interface SegmentScan {
  /** Bytes from the start that hold whole, consistent frames. */
  validBytes: number;
  /** Why the scan stopped before the end of the file, when it did. */
  problem: string | undefined;
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

  /**
   * Opens an existing segment and walks its frame headers to rebuild the index. With
   * `verifyCrc` every frame is read whole and checked; the scan stops at the first frame that
   * does not check out, and the caller decides what to do with the rest.
   */
  static async open(
    path: string,
    baseOffset: number,
    indexIntervalBytes: number,
    verifyCrc: boolean,
    chunkBytes: number,
  ): Promise<{ segment: Segment; scan: SegmentScan }> {
    const segment = new Segment(path, baseOffset, await open(path, 'r+'), indexIntervalBytes);
    try {
      const scan = await segment.scan(verifyCrc, chunkBytes);
      return { segment, scan };
    } catch (error) {
      await segment.handle.close();
      throw error;
    }
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

  /** Cuts the file back to `size`, dropping whatever a failed write left past it. */
  truncateToSize(): Promise<void> {
    return this.handle.truncate(this.size);
  }

  /**
   * Appends to `out` the records in `[fromOffset, toOffset)` (within this segment), reading
   * from the nearest indexed batch at or below `fromOffset`.
   */
  async read(
    partition: number,
    fromOffset: number,
    toOffset: number,
    chunkBytes: number,
    out: StoredRecord[],
  ): Promise<void> {
    this.refs++;
    try {
      const limit = this.size;
      let pos = this.positionOf(fromOffset);
      while (pos < limit) {
        const buf = await this.readAt(pos, Math.min(chunkBytes, limit - pos));
        let p = 0;
        while (p + HEADER_BYTES <= buf.length) {
          const header = this.headerAt(buf, p, pos + p);
          let frame = buf;
          let framePos = p;
          const frameBytes = HEADER_BYTES + header.payloadBytes;
          if (p + frameBytes > buf.length) {
            if (p > 0) break;
            frame = await this.readAt(pos, frameBytes);
            framePos = 0;
          }
          if (header.baseOffset + header.count > fromOffset) {
            if (!frameCrcMatches(frame, framePos, header)) throw this.corrupt(pos + p, 'checksum mismatch');
            decodeFrame(frame, framePos, header, partition, fromOffset, toOffset, out);
          }
          p += frameBytes;
          if (header.baseOffset + header.count >= toOffset) return;
        }
        pos += p;
      }
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
      if (bytesRead === 0) throw this.corrupt(position + done, 'unexpected end of file');
      done += bytesRead;
    }
    return buf;
  }

  private headerAt(buf: Buffer, p: number, position: number): FrameHeader {
    const header = readHeader(buf, p);
    if (header === undefined) throw this.corrupt(position, 'bad frame magic');
    return header;
  }

  private corrupt(position: number, why: string): CryptoLambdaError {
    return new CryptoLambdaError(LOG_ERRORS.corrupt, `${this.path} at byte ${position}: ${why}`);
  }

  private async scan(verifyCrc: boolean, chunkBytes: number): Promise<SegmentScan> {
    const fileBytes = (await this.handle.stat()).size;
    let buf: Buffer = Buffer.alloc(0);
    let bufStart = 0;
    let pos = 0;
    let problem: string | undefined;
    while (pos < fileBytes) {
      if (fileBytes - pos < HEADER_BYTES) {
        problem = 'a partial frame header';
        break;
      }
      if (pos + HEADER_BYTES > bufStart + buf.length) {
        buf = await this.readAt(pos, Math.min(chunkBytes, fileBytes - pos));
        bufStart = pos;
      }
      const header = readHeader(buf, pos - bufStart);
      const frameEnd = pos + HEADER_BYTES + (header?.payloadBytes ?? 0);
      problem = this.frameProblem(header, frameEnd, fileBytes);
      if (problem !== undefined || header === undefined) break;
      if (verifyCrc) {
        if (frameEnd > bufStart + buf.length) {
          buf = await this.readAt(pos, Math.max(Math.min(chunkBytes, fileBytes - pos), frameEnd - pos));
          bufStart = pos;
        }
        if (!frameCrcMatches(buf, pos - bufStart, header)) {
          problem = 'a checksum mismatch';
          break;
        }
      }
      this.commit(frameEnd - pos, header.baseOffset, header.count, header.maxTs);
      pos = frameEnd;
    }
    return { validBytes: pos, problem: problem === undefined ? undefined : `${problem} at byte ${pos}` };
  }

  private frameProblem(
    header: FrameHeader | undefined,
    frameEnd: number,
    fileBytes: number,
  ): string | undefined {
    if (header === undefined) return 'a bad frame magic';
    if (frameEnd > fileBytes) return 'a partial frame';
    if (header.count === 0) return 'an empty frame';
    if (header.baseOffset !== this.nextOffset) {
      return `a frame at offset ${header.baseOffset} where ${this.nextOffset} was expected`;
    }
    return undefined;
  }
}
