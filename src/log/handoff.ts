import type { AppendAck } from './event-log.js';

/**
 * Values a writer in this process just appended, handed to a consumer of the same topic with
 * their acks (write-ahead, then apply), so the consumer need not read back and decode them.
 * Per partition, in offset order, bounded: a queue that is full, or an offer that would leave
 * a hole, is dropped, and the consumer reads those records from the log instead. The offsets
 * decide, never the order of offers: a consumer takes a value only when it is the next offset
 * of its partition.
 */
export interface Handoff<T> {
  /** Queues `values[i]` at `acks[i]`; wakes a consumer waiting in `whenOffered`. */
  offer(values: readonly T[], acks: readonly AppendAck[]): void;
  /**
   * Removes and returns the queued values of partition `p` that continue exactly at `next`, in
   * order, at most `max`; drops queued values below `next` (already read from the log).
   */
  take(p: number, next: number, max: number): T[];
  /** The smallest queued offset of partition `p`, if any. */
  firstOffset(p: number): number | undefined;
  /** Values queued over all partitions. */
  size(): number;
  /** Resolves at the next offer or `wake`, or after `timeoutMs`. */
  whenOffered(timeoutMs: number): Promise<void>;
  /** Ends a `whenOffered` wait now. */
  wake(): void;
  /**
   * Undefined when at most `count` values are queued; otherwise a promise that resolves once a
   * `take` brings them to `count` or fewer, or after `timeoutMs` (a consumer that stopped
   * taking must not hold a producer forever). A producer that awaits it before offering more
   * keeps the queue near `count` (back-pressure) instead of filling it to the limit.
   */
  whenBelow(count: number, timeoutMs: number): Promise<void> | undefined;
}

interface Queue<T> {
  offsets: number[];
  values: T[];
  head: number;
}

/**
 * A hand-off for a topic of `partitions` partitions holding at most `limitPerPartition`
 * values per partition.
 * @example const handoff = createHandoff<Trade>(4, 100_000); writer.onAppended(handoff.offer);
 */
export function createHandoff<T>(partitions: number, limitPerPartition: number): Handoff<T> {
  const queues: Queue<T>[] = Array.from({ length: partitions }, () => ({ offsets: [], values: [], head: 0 }));
  let queued = 0;
  let wake: (() => void) | undefined;
  // Producers waiting in `whenBelow`, each with the count it waits for.
  let below: { count: number; resolve: () => void }[] = [];
  const releaseBelow = (): void => {
    if (below.length === 0) return;
    const waiting = below;
    below = [];
    for (const w of waiting) {
      if (queued <= w.count) w.resolve();
      else below.push(w);
    }
  };
  const wakeNow = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const compact = (q: Queue<T>): void => {
    if (q.head === q.offsets.length) {
      q.offsets.length = 0;
      q.values.length = 0;
      q.head = 0;
    } else if (q.head > 4096 && q.head * 2 > q.offsets.length) {
      q.offsets.splice(0, q.head);
      q.values.splice(0, q.head);
      q.head = 0;
    }
  };

  return {
    offer(values, acks) {
      for (let i = 0; i < acks.length; i++) {
        const ack = acks[i] as AppendAck;
        const q = queues[ack.partition];
        if (q === undefined) continue;
        const size = q.offsets.length - q.head;
        // Only a contiguous run is useful; a full queue or a hole means: read from the log.
        const last = size > 0 ? (q.offsets[q.offsets.length - 1] as number) : undefined;
        if (size >= limitPerPartition || (last !== undefined && ack.offset !== last + 1)) continue;
        q.offsets.push(ack.offset);
        q.values.push(values[i] as T);
        queued++;
      }
      wakeNow();
    },
    take(p, next, max) {
      const q = queues[p];
      if (q === undefined) return [];
      const before = q.head;
      while (q.head < q.offsets.length && (q.offsets[q.head] as number) < next) q.head++;
      const start = q.head;
      let end = start;
      const limit = Math.min(q.offsets.length, start + max);
      while (end < limit && q.offsets[end] === next + (end - start)) end++;
      const taken = q.values.slice(start, end);
      q.head = end;
      queued -= q.head - before;
      compact(q);
      releaseBelow();
      return taken;
    },
    firstOffset(p) {
      const q = queues[p];
      return q === undefined || q.head >= q.offsets.length ? undefined : q.offsets[q.head];
    },
    size: () => queued,
    whenOffered(timeoutMs) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    wake: () => wakeNow(),
    whenBelow(count, timeoutMs) {
      if (queued <= count) return undefined;
      return new Promise<void>((resolve) => {
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          below = below.filter((w) => w !== waiter);
          resolve();
        }, timeoutMs);
        below.push(waiter);
      });
    },
  };
}
