import { join } from 'node:path';
import { CryptoLambdaError } from '../domain/index.js';
import {
  checkConsumerOffsets,
  decodeRawBatchHeader,
  type EventLog,
  readJsonFile,
  TOPICS,
  writeFileAtomic,
} from '../log/index.js';
import type { DedupeWindow } from './dedupe.js';
import { INGEST_ERRORS } from './errors.js';
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

/** The writer state's file in the writer's state directory. */
export const POSITIONS_FILE = 'positions.json';

/**
 * Reads `<stateDir>/positions.json` (an empty state when there is none).
 * @throws CryptoLambdaError `INGEST_POSITIONS_CORRUPT` when the file is not a writer state.
 */
export async function readWriterState(stateDir: string): Promise<WriterState> {
  const path = join(stateDir, POSITIONS_FILE);
  let value: unknown;
  try {
    value = await readJsonFile(path);
  } catch (cause) {
    throw new CryptoLambdaError(INGEST_ERRORS.positionsCorrupt, `${path} is not valid JSON`, { cause });
  }
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new CryptoLambdaError(INGEST_ERRORS.positionsCorrupt, `${path} is not a positions file`);
  }
  return parseWriterState(value);
}

/** Replaces `<stateDir>/positions.json`, atomically and durably. */
export function writeWriterState(stateDir: string, state: WriterState): Promise<void> {
  return writeFileAtomic(join(stateDir, POSITIONS_FILE), JSON.stringify(state));
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
  const highest = new Array<number>(raw.config.partitions).fill(0);
  for (const [source, offset] of Object.entries(state.rawScanFrom)) {
    const partition = log.partitionFor(raw.name, source);
    fromByPartition.set(partition, Math.min(offset, fromByPartition.get(partition) ?? offset));
    highest[partition] = Math.max(highest[partition] ?? 0, offset);
  }
  await checkConsumerOffsets(log, raw.name, highest, `the log writer (rawScanFrom in its positions file)`);
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

/** What `rebuildWriterState` found per source. */
export interface RebuiltPosition {
  source: string;
  /** Raw records of the source in the topic. */
  records: number;
  /** The position it resumes after (undefined: from its start), and how many of its last batches it delivers again. */
  position: string | undefined;
  repeated: number;
}

/**
 * The log writer's state, rebuilt from the `raw` topic when its file is lost: each source resumes
 * after the batch `batchesBack` before its last raw record (a batch's raw record can be in the
 * log while its trades are not, for the batches that were in flight), and `rawScanFrom` makes the
 * raw records after it known to the dedupe window, so the batches delivered again add nothing
 * that is already in the log. Sources without raw records (the simulator) cannot be placed.
 */
export async function rebuildWriterState(
  log: EventLog,
  batchesBack: number,
): Promise<{ state: WriterState; sources: RebuiltPosition[] }> {
  const { raw } = TOPICS;
  // Per source: its first raw record's offset, how many it has, and the last `batchesBack + 1`.
  const seen = new Map<
    string,
    { first: number; count: number; last: { offset: number; position: string }[] }
  >();
  for (let partition = 0; partition < raw.config.partitions; partition++) {
    for (let offset = 0; ; ) {
      const records = await log.read(raw.name, partition, offset, { maxRecords: SCAN_BATCH_RECORDS });
      if (records.length === 0) break;
      for (const record of records) {
        const { source, position } = decodeRawBatchHeader(record.value);
        const entry = seen.get(source) ?? { first: record.offset, count: 0, last: [] };
        entry.count++;
        entry.last.push({ offset: record.offset, position });
        if (entry.last.length > batchesBack + 1) entry.last.shift();
        seen.set(source, entry);
      }
      offset = records[records.length - 1]!.offset + 1;
    }
  }
  const state: WriterState = { positions: {}, rawScanFrom: {} };
  const sources: RebuiltPosition[] = [];
  for (const [source, { first, count, last }] of seen) {
    if (count <= batchesBack) {
      // Too few to tell which were whole: the source starts again, and its raw records are known.
      state.rawScanFrom[source] = first;
      sources.push({ source, records: count, position: undefined, repeated: count });
      continue;
    }
    const resume = last[0]!;
    state.positions[source] = resume.position;
    state.rawScanFrom[source] = resume.offset + 1;
    sources.push({ source, records: count, position: resume.position, repeated: batchesBack });
  }
  return { state, sources };
}
