import { truncate } from 'node:fs/promises';
import { CryptoLambdaError } from '../../../domain/index.js';
import type { AppendRecord, StoredRecord, TopicConfig } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import { encodeFrame } from './frame.js';
import { fsyncDir, ioError } from './fs-util.js';
import type { FileLogOptions } from './options.js';
import { openSegments, type PartitionOpening } from './recover.js';
import type { RecoveryPoint } from './recovery-points.js';
import { Segment } from './segment.js';
import { TailCache } from './tail-cache.js';
import { Waiters } from './waiters.js';

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
  /** What is known to be on disk (see `sync`). */
  private durable: RecoveryPoint | undefined;
  /** Segments rolled over since the last sync, still to be fsynced whole. */
  private unsynced: Segment[] = [];
  /** Whether files were created or deleted since the last sync. */
  private dirChanged = false;

  private constructor(
    dir: string,
    partition: number,
    segments: Segment[],
    options: FileLogOptions,
    point: RecoveryPoint | undefined,
  ) {
    this.dir = dir;
    this.partition = partition;
    this.segments = segments;
    this.options = options;
    this.cache = new TailCache(options.tailCacheBytes);
    this.endOffset = segments[segments.length - 1]?.nextOffset ?? 0;
    this.durable = point;
  }

  /** The partition's durable point as of the last `sync` (or open), if any. */
  recoveryPoint(): RecoveryPoint | undefined {
    return this.durable;
  }

  /**
   * Puts what was appended since the last call on disk (fdatasync of the segments written, and
   * of the directory after a roll) and returns the new recovery point, or undefined when nothing
   * changed. Runs beside appends: only frames committed when it starts are covered.
   */
  async sync(): Promise<RecoveryPoint | undefined> {
    const active = this.active();
    const point: RecoveryPoint = {
      segment: active.baseOffset,
      bytes: active.size,
      offset: active.nextOffset,
    };
    const last = this.durable;
    if (last !== undefined && last.segment === point.segment && last.bytes === point.bytes) return undefined;
    const rolled = this.unsynced;
    this.unsynced = [];
    const dirChanged = this.dirChanged;
    this.dirChanged = false;
    try {
      for (const segment of rolled) await segment.sync();
      await active.sync();
      if (dirChanged) await fsyncDir(this.dir);
    } catch (error) {
      // An fsync that failed may have dropped the dirty pages: nothing written since can be trusted.
      this.failure ??= ioError(`could not fsync ${active.path}; reopen the log`, error);
      throw this.failure;
    }
    this.durable = point;
    return point;
  }

  /**
   * Opens (or creates) the partition in `dir`. A torn write after the recovery point is cut off;
   * damage is reported in `opening.damage` (or, in repair mode, repaired), never cut.
   */
  static async open(
    dir: string,
    partition: number,
    options: FileLogOptions,
    opening: PartitionOpening,
  ): Promise<Partition> {
    const { segments, point } = await openSegments(dir, options, opening);
    return new Partition(dir, partition, segments, options, point);
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

  /** Up to `maxRecords` records from `fromOffset` on; offsets of a gap (lost to damage) are skipped. */
  async read(fromOffset: number, maxRecords: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    let from = Math.max(fromOffset, this.startOffset());
    const end = this.endOffset;
    while (from < end && out.length < maxRecords) {
      if (from >= this.cache.firstOffset()) {
        this.cache.read(this.partition, from, Math.min(end, from + maxRecords - out.length), out);
        break;
      }
      const segment = this.segmentFor(from);
      if (segment === undefined) break;
      const next = await segment.read(
        this.partition,
        from,
        maxRecords - out.length,
        this.options.readChunkBytes,
        out,
      );
      if (next <= from) break;
      from = next;
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
        this.dirChanged = true;
        if (this.options.fsync === 'always') await fsyncDir(this.dir);
      }
      return deleted;
    });
  }

  /**
   * Repair only: drops the records from `offset` on, which starts a frame at byte `position` of
   * its segment; later segments go. `setAside` sees each file before it is cut or deleted.
   */
  cutBack(offset: number, position: number, setAside: (path: string) => Promise<void>): Promise<void> {
    return this.serial(async () => {
      while (this.segments.length > 1 && this.active().baseOffset > offset) {
        const segment = this.segments.pop() as Segment;
        await setAside(segment.path);
        await segment.retire();
      }
      const cut = this.active();
      await setAside(cut.path);
      await cut.close();
      await truncate(cut.path, position);
      const reopened = await Segment.open(cut.path, cut.baseOffset, this.options.indexIntervalBytes);
      await reopened.survey(false, this.options.readChunkBytes);
      this.segments[this.segments.length - 1] = reopened;
      this.endOffset = reopened.nextOffset;
      this.cache.clear();
      this.durable = undefined;
      this.dirChanged = true;
    });
  }

  /** Resolves once the appends queued so far are written. */
  async drain(): Promise<void> {
    await this.serial(async () => {});
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
    this.unsynced.push(this.active());
    this.dirChanged = true;
    this.segments.push(segment);
    if (this.options.fsync === 'always') await fsyncDir(this.dir);
    return segment;
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  /** The segment holding `offset`: the last one whose base is at or below it. */
  segmentFor(offset: number): Segment | undefined {
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
