import { REJECTED_KEPT, type Rejected } from '../domain/index.js';
import { consume, type EventLog, forEachValue, TOPICS } from '../log/index.js';
import type { RejectedReader } from '../serve/index.js';

/**
 * Follows the `rejected` topic from its start: counts by reason and keeps the newest records
 * for the API. It reads the log, so it also sees what other processes rejected. `counts()` and
 * `recent()` are the same records: the API lists up to `keep` of the `total` it reports.
 */
export interface RejectedTail extends RejectedReader {
  counts(): { total: number; byReason: Record<string, number> };
  run(signal: AbortSignal): Promise<void>;
}

export function createRejectedTail(log: EventLog, keep = REJECTED_KEPT): RejectedTail {
  const { rejected } = TOPICS;
  const recent: Rejected[] = [];
  const byReason: Record<string, number> = {};
  let total = 0;
  const take = (r: Rejected): void => {
    total++;
    byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    recent.push(r);
  };
  return {
    recent: (limit) => recent.slice(-limit).reverse(),
    counts: () => ({ total, byReason: { ...byReason } }),
    async run(signal) {
      const consumer = await consume(log, rejected, { name: 'rejected view', signal, idleMs: 500 });
      for await (const round of consumer) {
        for (const batch of round.batches) forEachValue(rejected, batch, take);
        if (recent.length > keep * 2) recent.splice(0, recent.length - keep);
      }
    },
  };
}
