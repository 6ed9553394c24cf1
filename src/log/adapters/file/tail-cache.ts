import type { StoredRecord } from '../../event-log.js';

/** Rough heap cost of one decoded record beyond its bytes (object, view, key string). */
const RECORD_HEAP_BYTES = 120;

interface CachedBatch {
  baseOffset: number;
  records: readonly StoredRecord[];
  bytes: number;
}

/**
 * The most recent batches of one partition, decoded, up to about `maxBytes`. A consumer that
 * keeps up with the writer reads from here and never touches the disk.
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
  push(baseOffset: number, records: readonly StoredRecord[], frameBytes: number): void {
    const bytes = frameBytes + records.length * RECORD_HEAP_BYTES;
    this.batches.push({ baseOffset, records, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.head < this.batches.length) this.evictHead();
    this.compact();
  }

  /** Appends to `out` the cached records in `[fromOffset, toOffset)`; `fromOffset` must be cached. */
  read(fromOffset: number, toOffset: number, out: StoredRecord[]): void {
    for (let i = this.find(fromOffset); i < this.batches.length; i++) {
      const batch = this.batches[i];
      if (batch === undefined || batch.baseOffset >= toOffset) return;
      const from = Math.max(0, fromOffset - batch.baseOffset);
      const to = Math.min(batch.records.length, toOffset - batch.baseOffset);
      for (let j = from; j < to; j++) out.push(batch.records[j] as StoredRecord);
    }
  }

  /** Forgets batches that end at or below `offset` (after retention) or everything. */
  dropBelow(offset: number): void {
    while (this.head < this.batches.length) {
      const batch = this.batches[this.head];
      if (batch === undefined || batch.baseOffset + batch.records.length > offset) break;
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
    this.bytes -= batch.bytes;
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
