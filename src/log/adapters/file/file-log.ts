import { join } from 'node:path';
import type { DurationMs, UnixMs } from '../../../domain/index.js';
import { CryptoLambdaError, isCryptoLambdaError } from '../../../domain/index.js';
import type {
  AppendAck,
  AppendRecord,
  EventLog,
  PartitionOffsets,
  ReadOptions,
  StoredRecord,
  TopicConfig,
} from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import { ConsumerOffsets } from './consumer-offsets.js';
import { ensureDir, fsyncDir, ioError } from './fs-util.js';
import type { DirLock } from './lock.js';
import { acquireDirLock } from './lock.js';
import type { FileLogOptions } from './options.js';
import { FILE_LOG_DEFAULTS } from './options.js';
import type { RecoveryNote } from './partition.js';
import { Partition } from './partition.js';
import { partitionForKey } from './partitioner.js';
import {
  checkTopicConfig,
  checkTopicName,
  readTopicConfigs,
  sameConfig,
  writeTopicConfig,
} from './topic-config.js';
import { checkOffset, checkOptions, checkRecords, checkTimeout } from './validate.js';

/** Where and how to open the embedded log; unset tuning fields take `FILE_LOG_DEFAULTS`. */
export interface OpenFileLogOptions extends Partial<FileLogOptions> {
  /**
   * The log's directory (created when missing): `LOCK`, `topics/<topic>/topic.json`,
   * `topics/<topic>/<partition>/<base offset>.log`, `consumer-offsets/<group>.json`.
   */
  dir: string;
}

/**
 * The embedded, file-based `EventLog`. The values of records returned by `read` are views into
 * shared buffers (the tail cache, a read chunk): treat them as read-only.
 */
export interface FileEventLog extends EventLog {
  readonly dir: string;
  /** What opening the log repaired (torn batches cut off after a crash), for the start-up log. */
  readonly recovery: readonly RecoveryNote[];
}

interface TopicState {
  config: TopicConfig;
  partitions: Partition[];
}

const DEFAULT_MAX_RECORDS = 1000;

/**
 * Opens the log in `options.dir`, taking its lock file and recovering every partition: a batch
 * that a crash left half-written is cut off, so the log ends at the last whole batch.
 * @throws CryptoLambdaError `LOG_LOCKED` when another live process has the directory open.
 * @example const log = await openFileLog({ dir: 'data/log' });
 */
export async function openFileLog(options: OpenFileLogOptions): Promise<FileEventLog> {
  const settings = checkOptions(withDefaults(options));
  try {
    await ensureDir(options.dir);
  } catch (error) {
    throw ioError(`could not create ${options.dir}`, error);
  }
  const lock = await acquireDirLock(options.dir);
  const notes: RecoveryNote[] = [];
  const topics = new Map<string, TopicState>();
  try {
    const topicsDir = join(options.dir, 'topics');
    await ensureDir(topicsDir);
    for (const [topic, config] of await readTopicConfigs(topicsDir)) {
      topics.set(topic, {
        config,
        partitions: await openPartitions(topicsDir, topic, config, settings, notes),
      });
    }
    const offsets = await ConsumerOffsets.open(join(options.dir, 'consumer-offsets'));
    return new FileLog(options.dir, settings, lock, topics, offsets, notes);
  } catch (error) {
    await Promise.all([...topics.values()].flatMap((t) => t.partitions.map((p) => p.close())));
    await lock.release();
    throw isCryptoLambdaError(error) ? error : ioError(`could not open the log in ${options.dir}`, error);
  }
}

class FileLog implements FileEventLog {
  readonly dir: string;
  readonly recovery: readonly RecoveryNote[];
  private readonly options: FileLogOptions;
  private readonly lock: DirLock;
  private readonly topics: Map<string, TopicState>;
  private readonly consumerOffsets: ConsumerOffsets;
  private topicChanges: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    dir: string,
    options: FileLogOptions,
    lock: DirLock,
    topics: Map<string, TopicState>,
    offsets: ConsumerOffsets,
    recovery: readonly RecoveryNote[],
  ) {
    this.dir = dir;
    this.options = options;
    this.lock = lock;
    this.topics = topics;
    this.consumerOffsets = offsets;
    this.recovery = recovery;
  }

  async createTopic(topic: string, config: TopicConfig): Promise<void> {
    this.checkOpen();
    checkTopicName(topic);
    const wanted = checkTopicConfig(topic, config);
    const change = this.topicChanges.then(() => this.createOrCheckTopic(topic, wanted));
    this.topicChanges = change.catch(() => undefined);
    return change;
  }

  partitionFor(topic: string, key: string): number {
    return partitionForKey(key, this.topic(topic).partitions.length);
  }

  async append(topic: string, records: readonly AppendRecord[]): Promise<AppendAck[]> {
    const { partitions } = this.topic(topic);
    checkRecords(records);
    if (records.length === 0) return [];
    if (partitions.length === 1)
      return acksOf(0, await (partitions[0] as Partition).append(records), records.length);
    const byPartition = new Uint32Array(records.length);
    const groups: AppendRecord[][] = partitions.map(() => []);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as AppendRecord;
      const p = partitionForKey(record.key, partitions.length);
      byPartition[i] = p;
      (groups[p] as AppendRecord[]).push(record);
    }
    const next = await Promise.all(
      groups.map((group, p) => (group.length === 0 ? 0 : (partitions[p] as Partition).append(group))),
    );
    const acks = new Array<AppendAck>(records.length);
    for (let i = 0; i < records.length; i++) {
      const partition = byPartition[i] as number;
      acks[i] = { partition, offset: (next[partition] as number)++ };
    }
    return acks;
  }

  async read(
    topic: string,
    partition: number,
    fromOffset: number,
    options?: ReadOptions,
  ): Promise<StoredRecord[]> {
    const state = this.partition(topic, partition);
    checkOffset('fromOffset', fromOffset);
    const maxRecords = options?.maxRecords ?? DEFAULT_MAX_RECORDS;
    checkOffset('maxRecords', maxRecords);
    return state.read(fromOffset, maxRecords);
  }

  async offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    const state = this.partition(topic, partition);
    return { start: state.startOffset(), end: state.endOffset };
  }

  async waitFor(topic: string, partition: number, offset: number, timeoutMs: DurationMs): Promise<boolean> {
    const state = this.partition(topic, partition);
    checkOffset('offset', offset);
    checkTimeout(timeoutMs);
    return state.waitFor(offset, timeoutMs);
  }

  async commitOffset(group: string, topic: string, partition: number, offset: number): Promise<void> {
    this.partition(topic, partition);
    checkOffset('offset', offset);
    return this.consumerOffsets.commit(group, topic, partition, offset);
  }

  async committedOffset(group: string, topic: string, partition: number): Promise<number | undefined> {
    this.partition(topic, partition);
    return this.consumerOffsets.get(group, topic, partition);
  }

  async applyRetention(nowMs: UnixMs): Promise<number> {
    this.checkOpen();
    const runs: Promise<number>[] = [];
    for (const { config, partitions } of this.topics.values()) {
      if (config.retentionMs === undefined && config.retentionBytes === undefined) continue;
      for (const partition of partitions) runs.push(partition.applyRetention(nowMs, config));
    }
    const deleted = await Promise.all(runs);
    return deleted.reduce((sum, n) => sum + n, 0);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.topicChanges;
      const partitions = [...this.topics.values()].flatMap((t) => t.partitions);
      await Promise.all(partitions.map((p) => p.close()));
      await this.lock.release();
    })();
    return this.closing;
  }

  private async createOrCheckTopic(topic: string, wanted: TopicConfig): Promise<void> {
    this.checkOpen();
    const topicDir = join(this.dir, 'topics', topic);
    const existing = this.topics.get(topic);
    if (existing !== undefined) {
      if (existing.config.partitions !== wanted.partitions) {
        throw new CryptoLambdaError(
          LOG_ERRORS.topicConflict,
          `topic ${topic} exists with ${existing.config.partitions} partitions, not ${wanted.partitions}`,
        );
      }
      if (!sameConfig(existing.config, wanted)) {
        await writeTopicConfig(topicDir, topic, wanted);
        existing.config = wanted;
      }
      return;
    }
    const topicsDir = join(this.dir, 'topics');
    const partitions = await openPartitions(topicsDir, topic, wanted, this.options, []);
    // The config's directory fsync persists the partition directories; this one, the topic's.
    await writeTopicConfig(topicDir, topic, wanted);
    await fsyncDir(topicsDir);
    this.topics.set(topic, { config: wanted, partitions });
  }

  private checkOpen(): void {
    if (this.closing !== undefined) {
      throw new CryptoLambdaError(LOG_ERRORS.closed, `the log in ${this.dir} is closed`);
    }
  }

  private topic(topic: string): TopicState {
    this.checkOpen();
    const state = this.topics.get(topic);
    if (state === undefined) {
      throw new CryptoLambdaError(
        LOG_ERRORS.unknownTopic,
        `unknown topic ${JSON.stringify(topic)}; create it first`,
      );
    }
    return state;
  }

  private partition(topic: string, partition: number): Partition {
    const { partitions } = this.topic(topic);
    const state = Number.isInteger(partition) ? partitions[partition] : undefined;
    if (state === undefined) {
      throw new CryptoLambdaError(
        LOG_ERRORS.badPartition,
        `topic ${topic} has partitions 0..${partitions.length - 1}, not ${partition}`,
      );
    }
    return state;
  }
}

async function openPartitions(
  topicsDir: string,
  topic: string,
  config: TopicConfig,
  options: FileLogOptions,
  notes: RecoveryNote[],
): Promise<Partition[]> {
  const partitions: Partition[] = [];
  for (let p = 0; p < config.partitions; p++) {
    partitions.push(await Partition.open(join(topicsDir, topic, String(p)), p, options, notes));
  }
  return partitions;
}

function withDefaults(options: OpenFileLogOptions): FileLogOptions {
  const settings: FileLogOptions = { ...FILE_LOG_DEFAULTS };
  for (const key of Object.keys(FILE_LOG_DEFAULTS) as (keyof FileLogOptions)[]) {
    const value = options[key];
    if (value !== undefined) Object.assign(settings, { [key]: value });
  }
  return settings;
}

function acksOf(partition: number, baseOffset: number, count: number): AppendAck[] {
  const acks = new Array<AppendAck>(count);
  for (let i = 0; i < count; i++) acks[i] = { partition, offset: baseOffset + i };
  return acks;
}
