import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError } from '../../../domain/index.js';
import type { AppendRecord, StoredRecord, TopicConfig } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import { encodeFrame } from './frame.js';
import { ensureDir, fsyncDir, ioError, isTmpFile } from './fs-util.js';
import type { FileLogOptions } from './options.js';
import { parseSegmentFileName, Segment, segmentFileName } from './segment.js';
import { TailCache } from './tail-cache.js';
import { Waiters } from './waiters.js';

/** Something the log repaired when it opened, e.g. a torn batch cut off after a crash. */
export interface RecoveryNote {
  path: string;
  message: string;
}

interface PendingAppend {
  records: readonly AppendRecord[];
  resolve(baseOffset: number): void;
  reject(error: unknown): void;
}

/**
 * One partition: its segment files, the writer (one frame per write, group commit), the tail
 * cache and the `waitFor` waiters. Every mutation (append, roll, retention, close) runs on one
 * serial queue; reads run beside it and only see whole, acknowledged frames.
 */
export class Partition {
  readonly partition: number;
  /** The offset the next record gets. */
  endOffset: number;
  private readonly dir: string;
  private readonly options: FileLogOptions;
  private readonly segments: Segment[];
  private readonly cache: TailCache;
  private readonly waiters = new Waiters();
  private pending: PendingAppend[] = [];
  private flushQueued = false;
  private queue: Promise<void> = Promise.resolve();
  private failure: CryptoLambdaError | undefined;

  private constructor(dir: string, partition: number, segments: Segment[], options: FileLogOptions) {
    this.dir = dir;
    this.partition = partition;
    this.segments = segments;
    this.options = options;
    this.cache = new TailCache(options.tailCacheBytes);
    this.endOffset = segments[segments.length - 1]?.nextOffset ?? 0;
  }

  /** Opens (or creates) the partition in `dir`, cutting off whatever a crash left half-written. */
  static async open(
    dir: string,
    partition: number,
    options: FileLogOptions,
    notes: RecoveryNote[],
  ): Promise<Partition> {
    await ensureDir(dir);
    const names = await readdir(dir);
    const bases: number[] = [];
    for (const name of names) {
      const base = parseSegmentFileName(name);
      if (base !== undefined) bases.push(base);
      else if (isTmpFile(name)) await rm(join(dir, name), { force: true });
    }
    bases.sort((a, b) => a - b);
    const segments = await openSegments(dir, bases, options, notes);
    if (segments.length === 0) {
      segments.push(await Segment.create(dir, 0, options.indexIntervalBytes));
      if (options.fsync === 'always') await fsyncDir(dir);
    }
    return new Partition(dir, partition, segments, options);
  }

  startOffset(): number {
    return this.segments[0]?.baseOffset ?? this.endOffset;
  }

  /** Appends records after those of earlier calls; resolves with the offset of the first one. */
  append(records: readonly AppendRecord[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.serial(() => this.flush());
      }
    });
  }

  async read(fromOffset: number, maxRecords: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    let from = Math.max(fromOffset, this.startOffset());
    const to = Math.min(this.endOffset, from + maxRecords);
    while (from < to) {
      if (from >= this.cache.firstOffset()) {
        this.cache.read(this.partition, from, to, out);
        break;
      }
      const segment = this.segmentFor(from);
      if (segment === undefined) break;
      const before = out.length;
      await segment.read(
        this.partition,
        from,
        Math.min(to, segment.nextOffset),
        this.options.readChunkBytes,
        out,
      );
      const last = out[out.length - 1];
      if (out.length === before || last === undefined) break;
      from = last.offset + 1;
    }
    return out;
  }

  waitFor(offset: number, timeoutMs: number): Promise<boolean> {
    if (offset < this.endOffset) return Promise.resolve(true);
    return this.waiters.wait(offset, timeoutMs);
  }

  /**
   * Deletes the oldest segments while they are wholly older than `retentionMs` before
   * `nowMs`, or while the partition would still hold `retentionBytes` without them. A wholly
   * expired active segment goes too, replaced by an empty one at the end offset.
   */
  applyRetention(nowMs: number, config: TopicConfig): Promise<number> {
    return this.serial(async () => {
      let deleted = 0;
      let totalBytes = this.segments.reduce((sum, segment) => sum + segment.size, 0);
      for (;;) {
        const oldest = this.segments[0];
        if (oldest === undefined || oldest.nextOffset === oldest.baseOffset) break;
        const expired = config.retentionMs !== undefined && oldest.maxTs < nowMs - config.retentionMs;
        const tooBig =
          config.retentionBytes !== undefined && totalBytes - oldest.size >= config.retentionBytes;
        if (!expired && !tooBig) break;
        if (this.segments.length === 1) await this.roll();
        this.segments.shift();
        totalBytes -= oldest.size;
        deleted += oldest.nextOffset - oldest.baseOffset;
        await oldest.retire();
      }
      if (deleted > 0) {
        this.cache.dropBelow(this.startOffset());
        if (this.options.fsync === 'always') await fsyncDir(this.dir);
      }
      return deleted;
    });
  }

  /** Finishes queued appends, wakes waiters with false and closes the files. */
  async close(): Promise<void> {
    await this.serial(async () => {});
    this.waiters.cancelAll();
    this.cache.clear();
    await Promise.all(this.segments.map((segment) => segment.close()));
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    try {
      if (this.failure !== undefined) throw this.failure;
      const baseOffset = this.endOffset;
      const frame = encodeFrame(
        baseOffset,
        batch.map((p) => p.records),
      );
      const segment = await this.writeFrame(frame.bytes);
      segment.commit(frame.bytes.length, baseOffset, frame.count, frame.maxTs);
      this.endOffset = baseOffset + frame.count;
      if (this.cache.enabled) this.cache.push(baseOffset, frame.count, frame.bytes);
      this.waiters.notify(this.endOffset);
      let offset = baseOffset;
      for (const p of batch) {
        p.resolve(offset);
        offset += p.records.length;
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  private async writeFrame(bytes: Buffer): Promise<Segment> {
    let segment = this.active();
    try {
      if (segment.size > 0 && segment.size + bytes.length > this.options.segmentBytes)
        segment = await this.roll();
      await segment.write(bytes);
      if (this.options.fsync === 'always') await segment.datasync();
      return segment;
    } catch (error) {
      try {
        await segment.truncateToSize();
      } catch (truncateError) {
        this.failure = new CryptoLambdaError(
          LOG_ERRORS.io,
          `${segment.path} could not be repaired after a failed write; reopen the log`,
          { cause: truncateError },
        );
      }
      throw ioError(`could not append to ${segment.path}`, error);
    }
  }

  private async roll(): Promise<Segment> {
    const segment = await Segment.create(this.dir, this.endOffset, this.options.indexIntervalBytes);
    this.segments.push(segment);
    if (this.options.fsync === 'always') await fsyncDir(this.dir);
    return segment;
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  private segmentFor(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const segment = this.segments[mid] as Segment;
      if (segment.baseOffset <= offset) {
        found = segment;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/**
 * Opens the segments in order. Only the last is checksummed whole (earlier ones were complete
 * when the next one was started); at the first inconsistency the segment is cut back to its
 * last whole frame and any later segment, which would leave a gap in the offsets, is deleted.
 */
async function openSegments(
  dir: string,
  bases: readonly number[],
  options: FileLogOptions,
  notes: RecoveryNote[],
): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i] as number;
    const path = join(dir, segmentFileName(base));
    const previous = segments[segments.length - 1];
    if (previous !== undefined && previous.nextOffset !== base) {
      await dropSegments(
        dir,
        bases.slice(i),
        notes,
        `starts at ${base} but the log ends at ${previous.nextOffset}`,
      );
      break;
    }
    const last = i === bases.length - 1;
    const { segment, scan } = await Segment.open(
      path,
      base,
      options.indexIntervalBytes,
      last,
      options.readChunkBytes,
    );
    segments.push(segment);
    if (scan.problem !== undefined) {
      await segment.truncateToSize();
      if (options.fsync === 'always') await segment.datasync();
      notes.push({ path, message: `found ${scan.problem}; cut back to ${scan.validBytes} bytes` });
      await dropSegments(dir, bases.slice(i + 1), notes, 'follows a segment that was cut back');
      break;
    }
  }
  return segments;
}

async function dropSegments(dir: string, bases: readonly number[], notes: RecoveryNote[], why: string) {
  // Newest first, so that a crash in between still leaves contiguous offsets.
  for (const base of [...bases].reverse()) {
    const path = join(dir, segmentFileName(base));
    await rm(path, { force: true });
    notes.push({ path, message: `deleted: ${why}` });
  }
}
