import { REJECTED_KEPT, type Rejected } from '../domain/index.js';
import { type EventLog, TOPICS } from '../log/index.js';
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
  return {
    recent: (limit) => recent.slice(-limit).reverse(),
    counts: () => ({ total, byReason: { ...byReason } }),
    async run(signal) {
      await log.createTopic(rejected.name, rejected.config);
      const offsets = new Array<number>(rejected.config.partitions).fill(0);
      while (!signal.aborted) {
        let read = 0;
        for (let p = 0; p < offsets.length; p++) {
          const records = await log.read(rejected.name, p, offsets[p] ?? 0, { maxRecords: 5000 });
          for (const record of records) {
            const r = rejected.codec.decode(record.value);
            total++;
            byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
            recent.push(r);
          }
          if (recent.length > keep * 2) recent.splice(0, recent.length - keep);
          if (records.length > 0) offsets[p] = records[records.length - 1]!.offset + 1;
          read += records.length;
        }
        if (read === 0) {
          await Promise.race(offsets.map((offset, p) => log.waitFor(rejected.name, p, offset, 500)));
        }
      }
    },
  };
}
