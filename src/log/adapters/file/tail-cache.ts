import type { StoredRecord } from '../../event-log.js';
import { decodeFrame, readHeader } from './frame.js';

interface CachedBatch {
  baseOffset: number;
  count: number;
  /** The frame as written; records are decoded from it when read. */
  frame: Buffer;
}

/**
 * The most recent batches of one partition, as the frames written, up to about `maxBytes`. A
 * consumer that keeps up with the writer reads from here and never touches the disk. Records
 * are decoded on read, not on append: a writer whose records nobody reads back pays nothing.
 */
export class TailCache {
  private readonly maxBytes: number;
  private batches: (CachedBatch | undefined)[] = [];
  private head = 0;
  private bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The first cached offset, or `Infinity` when the cache is empty. */
  firstOffset(): number {
    return this.batches[this.head]?.baseOffset ?? Number.POSITIVE_INFINITY;
  }

  /** Adds the batch that follows the last cached one. */
  push(baseOffset: number, count: number, frame: Buffer): void {
    this.batches.push({ baseOffset, count, frame });
    this.bytes += frame.length;
    while (this.bytes > this.maxBytes && this.head < this.batches.length) this.evictHead();
    this.compact();
  }

  /** Appends to `out` the cached records in `[fromOffset, toOffset)`; `fromOffset` must be cached. */
  read(partition: number, fromOffset: number, toOffset: number, out: StoredRecord[]): void {
    for (let i = this.find(fromOffset); i < this.batches.length; i++) {
      const batch = this.batches[i];
      if (batch === undefined || batch.baseOffset >= toOffset) return;
      const header = readHeader(batch.frame, 0);
      // The frame was checked when it was built; a missing header would be a bug here.
      if (header === undefined) throw new Error(`tail cache: no frame header at offset ${batch.baseOffset}`);
      decodeFrame(batch.frame, 0, header, partition, fromOffset, toOffset, out);
    }
  }

  /** Forgets batches that end at or below `offset` (after retention) or everything. */
  dropBelow(offset: number): void {
    while (this.head < this.batches.length) {
      const batch = this.batches[this.head];
      if (batch === undefined || batch.baseOffset + batch.count > offset) break;
      this.evictHead();
    }
    this.compact();
  }

  clear(): void {
    this.batches = [];
    this.head = 0;
    this.bytes = 0;
  }

  private evictHead(): void {
    const batch = this.batches[this.head];
    if (batch === undefined) return;
    this.bytes -= batch.frame.length;
    this.batches[this.head] = undefined;
    this.head++;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  private find(offset: number): number {
    let lo = this.head;
    let hi = this.batches.length - 1;
    let found = this.head;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.batches[mid]?.baseOffset ?? 0) <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
