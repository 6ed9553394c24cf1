import type { Trade } from '../domain/index.js';
import type { AppendAck } from '../log/index.js';

/**
 * Trades handed over by a writer in this process, per partition, in offset order. Bounded:
 * when a partition's queue is full, new offers are dropped (the runner reads those from the log).
 */
export interface Inbox {
  offer(trades: readonly Trade[], acks: readonly AppendAck[]): void;
  /**
   * Applies the queued trades of partition `p` that continue at offset `next`, in order;
   * drops queued trades below it (already read from the log). Returns how many it applied.
   */
  take(p: number, next: number, apply: (trade: Trade) => void): number;
  /** The smallest queued offset of partition `p`, if any. */
  firstOffset(p: number): number | undefined;
  /** Resolves at the next offer or `wake`, or after `timeoutMs`. */
  whenOffered(timeoutMs: number): Promise<void>;
  /** Ends a `whenOffered` wait now. */
  wake(): void;
}

interface Queue {
  offsets: number[];
  trades: Trade[];
  head: number;
}

export function createInbox(partitions: number, limit: number): Inbox {
  const queues: Queue[] = Array.from({ length: partitions }, () => ({ offsets: [], trades: [], head: 0 }));
  let wake: (() => void) | undefined;
  const wakeNow = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const compact = (q: Queue): void => {
    if (q.head === q.offsets.length) {
      q.offsets.length = 0;
      q.trades.length = 0;
      q.head = 0;
    } else if (q.head > 4096 && q.head * 2 > q.offsets.length) {
      q.offsets.splice(0, q.head);
      q.trades.splice(0, q.head);
      q.head = 0;
    }
  };

  return {
    offer(trades, acks) {
      for (let i = 0; i < acks.length; i++) {
        const ack = acks[i]!;
        const q = queues[ack.partition];
        if (q === undefined) continue;
        const size = q.offsets.length - q.head;
        // Only a contiguous run is useful; a full queue or a hole means: read from the log.
        const last = size > 0 ? q.offsets[q.offsets.length - 1]! : undefined;
        if (size >= limit || (last !== undefined && ack.offset !== last + 1)) continue;
        q.offsets.push(ack.offset);
        q.trades.push(trades[i]!);
      }
      wakeNow();
    },
    wake: () => wakeNow(),
    take(p, next, apply) {
      const q = queues[p];
      if (q === undefined) return 0;
      while (q.head < q.offsets.length && q.offsets[q.head]! < next) q.head++;
      let applied = 0;
      while (q.head < q.offsets.length && q.offsets[q.head] === next + applied) {
        apply(q.trades[q.head]!);
        q.head++;
        applied++;
      }
      compact(q);
      return applied;
    },
    firstOffset(p) {
      const q = queues[p];
      return q === undefined || q.head >= q.offsets.length ? undefined : q.offsets[q.head];
    },
    whenOffered(timeoutMs) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
