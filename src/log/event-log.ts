import type { DurationMs, UnixMs } from '../domain/index.js';

/**
 * The durable log: named topics, each split into partitions by key; records in a partition
 * have consecutive offsets from 0. It is the port every stage reads and writes through; the
 * embedded adapter (`adapters/file`) and any later one (NATS JetStream, Kafka) pass the same
 * contract suite (`test/log/contract.ts`).
 */
export interface EventLog {
  /**
   * Creates a topic, or checks that an existing one has the same partition count.
   * @throws CryptoLambdaError `LOG_TOPIC_CONFLICT` when it exists with another partition count.
   */
  createTopic(topic: string, config: TopicConfig): Promise<void>;
  /** The partition a key maps to. Stable across processes and adapters. */
  partitionFor(topic: string, key: string): number;
  /**
   * Appends records; each goes to `partitionFor(topic, record.key)`. Resolves once every record
   * is durable (readable after a SIGKILL of this process), with one ack per record, in order.
   * Appends to one partition keep their call order.
   */
  append(topic: string, records: readonly AppendRecord[]): Promise<AppendAck[]>;
  /**
   * Reads up to `maxRecords` records of one partition from `fromOffset` on (fewer when fewer
   * exist). Offsets below the first retained one start at the first retained one.
   */
  read(topic: string, partition: number, fromOffset: number, options?: ReadOptions): Promise<StoredRecord[]>;
  /** `start` is the first retained offset, `end` the offset the next append gets. */
  offsets(topic: string, partition: number): Promise<PartitionOffsets>;
  /**
   * Resolves true as soon as the partition's end offset is past `offset` (a record at `offset`
   * can be read), or false after `timeoutMs`.
   */
  waitFor(topic: string, partition: number, offset: number, timeoutMs: DurationMs): Promise<boolean>;
  /** Stores a consumer group's next offset to read, durably. */
  commitOffset(group: string, topic: string, partition: number, offset: number): Promise<void>;
  /** The offset a consumer group committed, or undefined when it never committed. */
  committedOffset(group: string, topic: string, partition: number): Promise<number | undefined>;
  /** Deletes data older than the topic's retention. Returns how many records went. */
  applyRetention(nowMs: UnixMs): Promise<number>;
  close(): Promise<void>;
}

export interface TopicConfig {
  /** @default 1 */
  partitions: number;
  /** Records older than this (by their `ts`) may be deleted. @default undefined (keep forever) */
  retentionMs?: DurationMs;
  /** A partition larger than this may lose its oldest data. @default undefined (no limit) */
  retentionBytes?: number;
}

export interface AppendRecord {
  key: string;
  value: Uint8Array;
  /** Event or append time of the record, used by time-based retention. */
  ts: UnixMs;
}

export interface AppendAck {
  partition: number;
  offset: number;
}

export interface StoredRecord {
  partition: number;
  offset: number;
  key: string;
  value: Uint8Array;
  ts: UnixMs;
}

export interface ReadOptions {
  /** @default 1000 */
  maxRecords?: number;
}

export interface PartitionOffsets {
  start: number;
  end: number;
}

/** Error codes of the log stage. */
export const LOG_ERRORS = {
  topicConflict: 'LOG_TOPIC_CONFLICT',
  unknownTopic: 'LOG_UNKNOWN_TOPIC',
  badPartition: 'LOG_BAD_PARTITION',
  corrupt: 'LOG_CORRUPT',
  /**
   * A segment is damaged where a crash cannot explain it (acknowledged, durable records are
   * unreadable or missing); `details` is a `LogDamage[]`. The log refuses to open: repair it.
   */
  damaged: 'LOG_DAMAGED',
  /** A consumer's stored offset lies past the end of its partition (the log lost what it had read). */
  offsetPastEnd: 'LOG_OFFSET_PAST_END',
  closed: 'LOG_CLOSED',
  io: 'LOG_IO',
  /** Another live process holds the log directory's lock file. */
  locked: 'LOG_LOCKED',
  /** A malformed argument: topic name, partition count, offset, record field. */
  invalidArgument: 'LOG_INVALID_ARGUMENT',
} as const;

/** One of the codes in `LOG_ERRORS`. */
export type LogErrorCode = (typeof LOG_ERRORS)[keyof typeof LOG_ERRORS];
