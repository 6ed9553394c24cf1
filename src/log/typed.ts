import type { AppendAck, AppendRecord, EventLog, StoredRecord } from './event-log.js';
import { batchTs, type TopicDef } from './topics.js';

/** A record read back from a typed topic. */
export interface DecodedRecord<T> {
  partition: number;
  offset: number;
  key: string;
  ts: number;
  value: T;
}

/**
 * Creates every topic with its declared config (a no-op for those that exist alike).
 * @example await ensureTopics(log, Object.values(TOPICS));
 */
export async function ensureTopics(
  log: EventLog,
  defs: readonly Pick<TopicDef<unknown>, 'name' | 'config'>[],
): Promise<void> {
  for (const def of defs) await log.createTopic(def.name, def.config);
}

/** Keys, timestamps and encodes values as the topic declares. */
export function toAppendRecords<T>(def: TopicDef<T>, values: readonly T[]): AppendRecord[] {
  const records = new Array<AppendRecord>(values.length);
  const tsOf = batchTs(def);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as T;
    records[i] = { key: def.key(value), ts: tsOf(value), value: def.codec.encode(value) };
  }
  return records;
}

/**
 * Appends values to the topic; one ack per value, in order.
 * @example await appendEvents(log, TOPICS.trades, trades);
 */
export function appendEvents<T>(log: EventLog, def: TopicDef<T>, values: readonly T[]): Promise<AppendAck[]> {
  return log.append(def.name, toAppendRecords(def, values));
}

/** Decodes the values of records read from the topic, in order. */
export function decodeRecords<T>(def: TopicDef<T>, records: readonly StoredRecord[]): T[] {
  const values = new Array<T>(records.length);
  for (let i = 0; i < records.length; i++) values[i] = def.codec.decode((records[i] as StoredRecord).value);
  return values;
}

/** Decodes records with their position, for consumers that track offsets. */
export function decodeStoredRecords<T>(
  def: TopicDef<T>,
  records: readonly StoredRecord[],
): DecodedRecord<T>[] {
  return records.map((r) => ({
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    ts: r.ts,
    value: def.codec.decode(r.value),
  }));
}

/**
 * Calls `visit` with every value of one partition from `fromOffset` (or the first retained
 * offset) until the end, reading in batches of `batchRecords`.
 * @example await forEachEvent(log, TOPICS.candles, 0, 0, (candle) => view.upsert(candle));
 */
export async function forEachEvent<T>(
  log: EventLog,
  def: TopicDef<T>,
  partition: number,
  fromOffset: number,
  visit: (value: T) => void,
  batchRecords = 5000,
): Promise<void> {
  let offset = fromOffset;
  for (;;) {
    const records = await log.read(def.name, partition, offset, { maxRecords: batchRecords });
    if (records.length === 0) return;
    for (const record of records) visit(def.codec.decode(record.value));
    offset = (records[records.length - 1] as StoredRecord).offset + 1;
  }
}
