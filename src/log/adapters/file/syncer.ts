import type { Partition } from './partition.js';
import { type RecoveryPoints, writeRecoveryPoints } from './recovery-points.js';

/** The background fsync of a log's partitions, recording their recovery points. */
export interface RecoverySyncer {
  /** Syncs every partition that grew and records the points; waits for a sync already running first. */
  syncNow(): Promise<void>;
  /** Stops the timer and waits for a sync in flight. */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs` (unreferenced: it never keeps a process alive), fsyncs the partitions that
 * grew since the last time and rewrites the recovery-points file; when nothing was appended it
 * writes nothing. Appends never wait for it, so `fsync: 'never'` keeps its throughput; what a
 * crash of the machine can take is bounded by this interval plus the sync's own time.
 */
export function startRecoverySyncer(
  dir: string,
  intervalMs: number,
  partitions: () => Iterable<[string, Partition]>,
): RecoverySyncer {
  let running: Promise<void> | undefined;
  const once = async (): Promise<void> => {
    let changed = false;
    const points: RecoveryPoints = new Map();
    for (const [key, partition] of partitions()) {
      if ((await partition.sync()) !== undefined) changed = true;
      const point = partition.recoveryPoint();
      if (point !== undefined) points.set(key, point);
    }
    if (changed) await writeRecoveryPoints(dir, points);
  };
  const syncNow = async (): Promise<void> => {
    while (running !== undefined) await running.catch(() => undefined);
    running = once().finally(() => {
      running = undefined;
    });
    return running;
  };
  // A failed sync fails the partition's later appends (see `Partition.sync`); nothing to do here.
  const timer = setInterval(() => syncNow().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    syncNow,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
