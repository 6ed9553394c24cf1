import { join } from 'node:path';
import { isCryptoLambdaError } from '../../../domain/index.js';
import type { EventLog } from '../../event-log.js';
import { ConsumerOffsets } from './consumer-offsets.js';
import { damagedError, type LogDamage } from './damage.js';
import { ensureDir, ioError } from './fs-util.js';
import { acquireDirLock } from './lock.js';
import { FileLog, openPartitions, type TopicState } from './log.js';
import type { FileLogOptions } from './options.js';
import { FILE_LOG_DEFAULTS } from './options.js';
import type { PartitionOpening, RecoveryNote } from './recover.js';
import { readRecoveryPoints } from './recovery-points.js';
import { readTopicConfigs } from './topic-config.js';
import { checkOptions } from './validate.js';

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
  /** Puts every acknowledged append on disk now and records the recovery points (as `close` does). */
  sync(): Promise<void>;
}

/** How `repairFileLog` opens a log: what to do where a normal open would refuse. */
export interface RepairHooks {
  /**
   * Sets aside a metadata file that is not what it should be (a recovery-points or consumer-offsets
   * file); the log opens without it (without points, every frame is checked).
   */
  setAside(damage: LogDamage): Promise<void>;
  /** Rewrites a damaged partition's files (see `PartitionOpening.repair`). */
  partition(label: { topic: string; partition: number }): NonNullable<PartitionOpening['repair']>;
  /** Called with the log open and repaired, before it is returned. */
  opened(log: FileLog, consumerOffsets: ConsumerOffsets): Promise<void>;
}

/**
 * Opens the log in `options.dir`, taking its lock file and recovering every partition: a batch
 * that a crash left half-written after the partition's recovery point is cut off, so the log
 * ends at the last whole batch. Anything else that does not check out is damage: the log is left
 * as it is and not opened (`repairFileLog` deals with it).
 * @throws CryptoLambdaError `LOG_LOCKED` when another live process has the directory open;
 * `LOG_DAMAGED` (details: `LogDamage[]`) when a segment is damaged.
 * @example const log = await openFileLog({ dir: 'data/log' });
 */
export function openFileLog(options: OpenFileLogOptions): Promise<FileEventLog> {
  return openFileLogWith(options, undefined);
}

/** `openFileLog`, or with `repair` the repairing open of `repairFileLog`. */
export async function openFileLogWith(
  options: OpenFileLogOptions,
  repair: RepairHooks | undefined,
): Promise<FileEventLog> {
  const settings = checkOptions(withDefaults(options));
  try {
    await ensureDir(options.dir);
  } catch (error) {
    throw ioError(`could not create ${options.dir}`, error);
  }
  const lock = await acquireDirLock(options.dir);
  const notes: RecoveryNote[] = [];
  const damage: LogDamage[] = [];
  const topics = new Map<string, TopicState>();
  try {
    let points = await readRecoveryPoints(options.dir);
    if (!(points instanceof Map)) {
      if (repair === undefined) throw damagedError([points]);
      await repair.setAside(points);
      points = new Map();
    }
    const topicsDir = join(options.dir, 'topics');
    await ensureDir(topicsDir);
    const opening = { points, notes, damage, repair: repair?.partition };
    for (const [topic, config] of await readTopicConfigs(topicsDir)) {
      topics.set(topic, {
        config,
        partitions: await openPartitions(topicsDir, topic, config, settings, opening),
      });
    }
    if (damage.length > 0) throw damagedError(damage);
    const offsets = await ConsumerOffsets.open(join(options.dir, 'consumer-offsets'), repair?.setAside);
    const log = new FileLog(options.dir, settings, lock, topics, offsets, notes);
    await repair?.opened(log, offsets);
    return log;
  } catch (error) {
    await Promise.all([...topics.values()].flatMap((t) => t.partitions.map((p) => p.close())));
    await lock.release();
    throw isCryptoLambdaError(error) ? error : ioError(`could not open the log in ${options.dir}`, error);
  }
}

function withDefaults(options: OpenFileLogOptions): FileLogOptions {
  const settings: FileLogOptions = { ...FILE_LOG_DEFAULTS };
  for (const key of Object.keys(FILE_LOG_DEFAULTS) as (keyof FileLogOptions)[]) {
    const value = options[key];
    if (value !== undefined) Object.assign(settings, { [key]: value });
  }
  return settings;
}
