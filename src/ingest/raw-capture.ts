import { decodeRawBatchHeader, type EventLog, TOPICS } from '../log/index.js';
import type { DedupeWindow } from './dedupe.js';
import type { SourceBatch } from './source.js';

/*
 * Raw capture in the log writer: each source batch's raw record goes to the `raw` topic once.
 *
 * Like trades, a batch appended after its source's last saved position is delivered again after
 * a crash; its raw record is dropped when its `(source, position)` is in the dedupe window. The
 * window learns the raw records that may come again by reading the `raw` topic from a per-source
 * offset saved with the positions (`rawScanFrom`): every raw record of the source that its saved
 * position does not cover lies at or after it. Reading the topic's tail instead would read
 * megabytes per record, and could not tell how far back one source's records go when several
 * share a partition.
 */

/** What the log writer keeps between runs, in `<stateDir>/positions.json`. */
export interface WriterState {
  /** Resume position per source name. */
  positions: Record<string, string>;
  /**
   * Per source that may have raw records its position does not cover (a run that did not end
   * cleanly): the `raw` topic offset, in the source's partition, from which they lie.
   */
  rawScanFrom: Record<string, number>;
}

/** Reads the state file's JSON; the first format (a plain map of positions) too. */
export function parseWriterState(value: unknown): WriterState {
  const state: WriterState = { positions: {}, rawScanFrom: {} };
  if (typeof value !== 'object' || value === null) return state;
  const v = value as { positions?: unknown; rawScanFrom?: unknown };
  const isCurrent = typeof v.positions === 'object' && v.positions !== null;
  const positions = (isCurrent ? v.positions : value) as Record<string, unknown>;
  for (const [name, position] of Object.entries(positions)) {
    if (typeof position === 'string') state.positions[name] = position;
  }
  if (isCurrent && typeof v.rawScanFrom === 'object' && v.rawScanFrom !== null) {
    for (const [name, offset] of Object.entries(v.rawScanFrom as Record<string, unknown>)) {
      if (Number.isSafeInteger(offset)) state.rawScanFrom[name] = offset as number;
    }
  }
  return state;
}

/** The dedupe window's key of a source's raw records; their ids are the batches' positions. */
export function rawDedupeKey(source: string): string {
  return `raw:${source}`;
}

/** Raw records read per request when rebuilding the window: each can be a few hundred KB. */
const SCAN_BATCH_RECORDS = 32;

/**
 * Remembers, in `dedupe`, the raw records at or after each source's `rawScanFrom` offset (and
 * those of other sources after them in the same partition, which costs nothing to remember).
 */
export async function rememberRawRecords(
  log: EventLog,
  state: WriterState,
  dedupe: DedupeWindow,
): Promise<void> {
  const { raw } = TOPICS;
  const fromByPartition = new Map<number, number>();
  for (const [source, offset] of Object.entries(state.rawScanFrom)) {
    const partition = log.partitionFor(raw.name, source);
    fromByPartition.set(partition, Math.min(offset, fromByPartition.get(partition) ?? offset));
  }
  for (const [partition, from] of fromByPartition) {
    let offset = from;
    for (;;) {
      const records = await log.read(raw.name, partition, offset, { maxRecords: SCAN_BATCH_RECORDS });
      if (records.length === 0) break;
      for (const record of records) {
        const { source, position } = decodeRawBatchHeader(record.value);
        dedupe.seen(rawDedupeKey(source), position);
      }
      offset = records[records.length - 1]!.offset + 1;
    }
  }
}

/** One source run's raw capture. */
export interface RawRun {
  /**
   * Appends the batch's raw record unless it is in the log already; resolves to the offset after
   * it (in the source's partition), or undefined when nothing was appended. Called in batch order.
   */
  append(batch: SourceBatch): Promise<number | undefined>;
}

/**
 * @param persist saves the state (as the positions are saved); the first raw record of a source
 *   without a `rawScanFrom` entry waits until the entry is saved, so it is never appended unseen.
 */
export function createRawRun(
  log: EventLog,
  source: string,
  state: WriterState,
  dedupe: DedupeWindow,
  persist: () => Promise<void>,
): RawRun {
  const { raw } = TOPICS;
  const key = rawDedupeKey(source);
  const partition = log.partitionFor(raw.name, source);
  // Raw appends chain on this, so they keep their call order behind the first one's wait.
  let ready: Promise<void> | undefined =
    state.rawScanFrom[source] === undefined ? undefined : Promise.resolve();
  return {
    append(batch) {
      const { encodedRaw, raw: part } = batch;
      if (encodedRaw === undefined && part === undefined) return Promise.resolve(undefined);
      if (dedupe.seen(key, batch.position)) return Promise.resolve(undefined);
      ready ??= log.offsets(raw.name, partition).then(({ end }) => {
        state.rawScanFrom[source] ??= end;
        return persist();
      });
      const value =
        encodedRaw ??
        raw.codec.encode({
          source,
          position: batch.position,
          recvTs: part!.recvTs,
          payloads: part!.payloads,
        });
      return ready.then(async () => {
        // The topic's records carry their append time (`TOPICS.raw.ts`), known without decoding.
        const [ack] = await log.append(raw.name, [{ key: source, ts: Date.now(), value }]);
        return ack === undefined ? undefined : ack.offset + 1;
      });
    },
  };
}
