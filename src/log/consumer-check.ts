import { CryptoLambdaError } from '../domain/index.js';
import { type EventLog, LOG_ERRORS } from './event-log.js';

/** A stored consumer offset past its partition's end (`LOG_OFFSET_PAST_END`'s details). */
export interface OffsetPastEnd {
  consumer: string;
  topic: string;
  partition: number;
  /** The next offset the consumer would read. */
  offset: number;
  /** The partition's end: the offset the next append gets. */
  end: number;
}

/**
 * Checks a consumer's stored offsets (`offsets[p]`: the next offset to read in partition `p`)
 * against the log before it consumes. An offset past the end means the log lost records the
 * consumer had read (damage, or a log restored from an older copy): consuming on would skip
 * whatever is appended next until the end caught up, silently. So it is an error.
 * @param consumer who stores the offsets and where, for the message: `the speed layer (checkpoint data/speed/checkpoint.json)`.
 * @throws CryptoLambdaError `LOG_OFFSET_PAST_END` with an `OffsetPastEnd[]` as details.
 */
export async function checkConsumerOffsets(
  log: EventLog,
  topic: string,
  offsets: readonly number[],
  consumer: string,
): Promise<void> {
  const past: OffsetPastEnd[] = [];
  for (let partition = 0; partition < offsets.length; partition++) {
    const offset = offsets[partition] ?? 0;
    const { end } = await log.offsets(topic, partition);
    if (offset > end) past.push({ consumer, topic, partition, offset, end });
  }
  if (past.length === 0) return;
  const list = past.map((p) => `partition ${p.partition} up to offset ${p.offset}, which ends at ${p.end}`);
  throw new CryptoLambdaError(
    LOG_ERRORS.offsetPastEnd,
    `${consumer} has read topic ${topic} ${list.join('; ')}: the log lost records it had read, ` +
      `and reading on would skip what is appended next`,
    { details: past },
  );
}
