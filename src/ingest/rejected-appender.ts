import type { Rejected } from '../domain/index.js';
import { appendEvents, type EventLog, forEachEvent, TOPICS } from '../log/index.js';

/**
 * Appends rejections made outside a source run (a bulk load reads its files itself) to the
 * `rejected` topic, each once: as the log writer does, a rejection whose origin (a file and
 * line) the topic already holds is dropped, so a load resumed after a crash, which reads some
 * lines again, adds nothing twice.
 */
export interface RejectedAppender {
  /** Holds a rejection until `flush`. */
  add(rejected: Rejected): void;
  pending(): number;
  /** Appends what is held and not in the topic yet; resolves with how many were appended. */
  flush(): Promise<number>;
}

/**
 * @param tailRecords origins remembered from the end of the topic (as the log writer's
 *   `dedupeTailRecords`). @default 200_000
 */
export async function openRejectedAppender(log: EventLog, tailRecords = 200_000): Promise<RejectedAppender> {
  const { rejected: topic } = TOPICS;
  await log.createTopic(topic.name, topic.config);
  const seen = new Set<string>();
  const keyOf = (r: Rejected): string => `${r.stage}\n${r.origin}`;
  for (let p = 0; p < topic.config.partitions; p++) {
    const { start, end } = await log.offsets(topic.name, p);
    await forEachEvent(log, topic, p, Math.max(start, end - tailRecords), (r) => seen.add(keyOf(r)));
  }
  let held: Rejected[] = [];
  return {
    add: (r) => held.push(r),
    pending: () => held.length,
    async flush() {
      const fresh = held.filter((r) => {
        const key = keyOf(r);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      held = [];
      if (fresh.length > 0) await appendEvents(log, topic, fresh);
      return fresh.length;
    },
  };
}
