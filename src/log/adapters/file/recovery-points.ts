import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogDamage } from './damage.js';
import { ioError, isErrno, replaceFile } from './fs-util.js';

/*
 * The recovery points: per partition, how far its segments are known to be on disk (fsynced),
 * like Kafka's recovery-point checkpoint. Appends are acknowledged once in the page cache (the
 * default `fsync: 'never'`); in the background, about once a second, each partition that grew is
 * fsynced and its point recorded here. At open, a frame that does not check out below the point
 * cannot be a write that a crash cut short: it is damage, and the log refuses to open. Beyond it,
 * a bad region that no whole frame follows is a torn tail, and is cut off.
 */

export const RECOVERY_POINTS_FILE = 'recovery-points.json';
const FORMAT = 'crypto-lambda.recovery-points';

/** A partition's durable prefix: its segments before `segment`, and `bytes` of that one, hold `offset` records. */
export interface RecoveryPoint {
  /** Base offset of the segment the point lies in. */
  segment: number;
  /** Bytes of that segment on disk. */
  bytes: number;
  /** The offset after the last durable record. */
  offset: number;
}

/** Recovery points by `topic/partition`. */
export type RecoveryPoints = Map<string, RecoveryPoint>;

export const pointKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** The recorded points, none when the file does not exist; a file that is not one is damage. */
export async function readRecoveryPoints(dir: string): Promise<RecoveryPoints | LogDamage> {
  const path = join(dir, RECOVERY_POINTS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return new Map();
    throw ioError(`could not read ${path}`, error);
  }
  const points: RecoveryPoints = new Map();
  try {
    const file = JSON.parse(text) as { format?: unknown; partitions?: Record<string, RecoveryPoint> };
    if (file.format !== FORMAT || typeof file.partitions !== 'object' || file.partitions === null) {
      throw new Error('not a recovery-points file');
    }
    for (const [key, p] of Object.entries(file.partitions)) {
      if (![p.segment, p.bytes, p.offset].every((n) => Number.isSafeInteger(n) && n >= 0)) {
        throw new Error(`bad point for ${key}`);
      }
      points.set(key, { segment: p.segment, bytes: p.bytes, offset: p.offset });
    }
  } catch (error) {
    return { path, position: 0, reason: `not a recovery-points file (${String(error)})` };
  }
  return points;
}

/** Replaces the file, atomically and durably. */
export function writeRecoveryPoints(dir: string, points: RecoveryPoints): Promise<void> {
  const partitions: Record<string, RecoveryPoint> = {};
  for (const [key, point] of [...points].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    partitions[key] = point;
  }
  return replaceFile(join(dir, RECOVERY_POINTS_FILE), `${JSON.stringify({ format: FORMAT, partitions })}\n`);
}
