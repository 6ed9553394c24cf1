import { join } from 'node:path';
import type { DurationMs, UnixMs } from '../../../domain/index.js';
import { CryptoLambdaError } from '../../../domain/index.js';
import type {
  AppendAck,
  AppendRecord,
  PartitionOffsets,
  ReadOptions,
  StoredRecord,
  TopicConfig,
} from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import type { ConsumerOffsets } from './consumer-offsets.js';
import { damagedError } from './damage.js';
import type { FileEventLog } from './file-log.js';
import { fsyncDir } from './fs-util.js';
import type { DirLock } from './lock.js';
import type { FileLogOptions } from './options.js';
import { Partition } from './partition.js';
import { partitionForKey } from './partitioner.js';
import type { PartitionOpening, RecoveryNote } from './recover.js';
import { pointKey } from './recovery-points.js';
import { type RecoverySyncer, startRecoverySyncer } from './syncer.js';
import { checkTopicConfig, checkTopicName, sameConfig, writeTopicConfig } from './topic-config.js';
import { checkOffset, checkRecords, checkTimeout } from './validate.js';

export interface TopicState {
  config: TopicConfig;
  partitions: Partition[];
}

/** Opens a topic's partitions (see `Partition.open`); on failure, closes those it opened. */
export async function openPartitions(
  topicsDir: string,
  topic: string,
  config: TopicConfig,
  options: FileLogOptions,
  opening: Omit<PartitionOpening, 'label' | 'point' | 'repair'> & {
    points: ReadonlyMap<string, PartitionOpening['point']>;
    repair: ((label: PartitionOpening['label']) => NonNullable<PartitionOpening['repair']>) | undefined;
  },
): Promise<Partition[]> {
  const partitions: Partition[] = [];
  try {
    for (let p = 0; p < config.partitions; p++) {
      const label = { topic, partition: p };
      const { notes, damage } = opening;
      const partitionOpening: PartitionOpening = {
        label,
        point: opening.points.get(pointKey(topic, p)),
        notes,
        damage,
      };
      if (opening.repair !== undefined) partitionOpening.repair = opening.repair(label);
      partitions.push(await Partition.open(join(topicsDir, topic, String(p)), p, options, partitionOpening));
    }
  } catch (error) {
    await Promise.all(partitions.map((p) => p.close()));
    throw error;
  }
  return partitions;
}

const DEFAULT_MAX_RECORDS = 1000;

/** The embedded log once open (see `openFileLog`). */
export class FileLog implements FileEventLog {
  readonly dir: string;
  readonly recovery: readonly RecoveryNote[];
  private readonly options: FileLogOptions;
  private readonly lock: DirLock;
  private readonly topics: Map<string, TopicState>;
  private readonly consumerOffsets: ConsumerOffsets;
  private readonly syncer: RecoverySyncer;
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
    this.syncer = startRecoverySyncer(dir, options.syncIntervalMs, () => this.allPartitions());
  }

  sync(): Promise<void> {
    this.checkOpen();
    return this.syncer.syncNow();
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

  /** Finishes queued appends, puts everything on disk (recovery points included), closes the files and the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.topicChanges;
      const partitions = [...this.topics.values()].flatMap((t) => t.partitions);
      try {
        await Promise.all(partitions.map((p) => p.drain()));
        await this.syncer.stop();
        await this.syncer.syncNow();
      } finally {
        await Promise.all(partitions.map((p) => p.close()));
        await this.lock.release();
      }
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
    const opening = { points: new Map(), notes: [], damage: [], repair: undefined };
    const partitions = await openPartitions(topicsDir, topic, wanted, this.options, opening);
    if (opening.damage.length > 0) {
      await Promise.all(partitions.map((p) => p.close()));
      throw damagedError(opening.damage);
    }
    // The config's directory fsync persists the partition directories; this one, the topic's.
    await writeTopicConfig(topicDir, topic, wanted);
    await fsyncDir(topicsDir);
    this.topics.set(topic, { config: wanted, partitions });
  }

  private *allPartitions(): Iterable<[string, Partition]> {
    for (const [topic, { partitions }] of this.topics) {
      for (const partition of partitions) yield [pointKey(topic, partition.partition), partition];
    }
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

  /** A partition, for the adapter's own repair (`repairFileLog`). */
  partition(topic: string, partition: number): Partition {
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

function acksOf(partition: number, baseOffset: number, count: number): AppendAck[] {
  const acks = new Array<AppendAck>(count);
  for (let i = 0; i < count; i++) acks[i] = { partition, offset: baseOffset + i };
  return acks;
}
