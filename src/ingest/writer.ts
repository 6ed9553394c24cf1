import { join } from 'node:path';
import type { Rejected, Trade } from '../domain/index.js';
import {
  type AppendAck,
  type AppendRecord,
  appendEvents,
  batchTs,
  type EventLog,
  forEachEvent,
  TOPICS,
  type TopicDef,
  writeFileAtomic,
} from '../log/index.js';
import { createDedupeWindow, type DedupeWindow } from './dedupe.js';
import {
  createRawRun,
  POSITIONS_FILE,
  type RawRun,
  readWriterState,
  rememberRawRecords,
  type WriterState,
} from './raw-capture.js';
import type { Source, SourceBatch } from './source.js';

/**
 * The log writer: takes a source's batches, drops trades already in the log (by
 * `(venue, symbol, tradeId)`), rejected records already there (by their origin, a file and
 * line) and raw records already there (by source and batch position), appends the rest, and
 * only then stores the source's resume position. A crash between the append and the position
 * save makes the source deliver some batches again on restart; the dedupe window, rebuilt from
 * the log, drops them.
 */
export interface IngestWriterOptions {
  /**
   * Save the source position at most this often (an fsync each time).
   * @default 250
   */
  positionSaveIntervalMs: number;
  /**
   * …and at least every this many trades; the dedupe window rebuilt at start covers
   * `dedupeTailRecords` per partition, which must exceed it.
   * @default 50_000
   */
  positionSaveEveryTrades: number;
  /**
   * Records read back from the end of each trades partition at start to rebuild the dedupe window.
   * @default 200_000
   */
  dedupeTailRecords: number;
  /**
   * Batches appended but not yet acknowledged at most; the next batch waits for the oldest.
   * @default 4
   */
  maxBatchesInFlight: number;
  /**
   * Append each batch's payloads as received (`SourceBatch.raw` / `encodedRaw`) to the `raw`
   * topic, one record per batch, for the lake's bronze layer. Exactly once when a restarted
   * source delivers the same batches again (same options); a batch cut differently (another
   * `batchSize`) is appended again, so a reader that needs each payload once dedupes by position.
   * @default true
   */
  captureRaw: boolean;
}

export const INGEST_WRITER_DEFAULTS: IngestWriterOptions = {
  positionSaveIntervalMs: 250,
  positionSaveEveryTrades: 50_000,
  dedupeTailRecords: 200_000,
  maxBatchesInFlight: 4,
  captureRaw: true,
};

export interface IngestCounters {
  trades: number;
  rejected: number;
  duplicates: number;
  ignored: number;
  /** Raw records appended to the `raw` topic (one per batch with payloads). */
  raw: number;
}

export interface IngestWriter {
  /** Runs the source to its end (or until `signal` aborts), resuming where it left off. */
  run(source: Source, signal: AbortSignal): Promise<IngestCounters>;
  /** Counters per source name. */
  counters(): ReadonlyMap<string, IngestCounters>;
  /** The position a source of this name resumes after (saved by an earlier run), if any. */
  positionOf(name: string): string | undefined;
}

/**
 * Called once a batch's trades are in the log, with the offset each got. A promise it returns
 * holds the writer back: the batch counts as done (its position saved, the next batch taken
 * once `maxBatchesInFlight` are pending) when it resolves. A consumer behind uses it to keep
 * the writer from running ahead.
 */
export type AppendedListener = (
  trades: readonly Trade[],
  acks: readonly AppendAck[],
) => Promise<void> | undefined | void;

/**
 * @param onAppended lets a consumer in this process (the speed layer) take the trades as they
 *   land in the log instead of reading them back: write-ahead, then apply.
 */
export async function createIngestWriter(
  log: EventLog,
  stateDir: string,
  options: Partial<IngestWriterOptions> = {},
  onAppended?: AppendedListener,
): Promise<IngestWriter> {
  const opts: IngestWriterOptions = { ...INGEST_WRITER_DEFAULTS, ...options };
  const positionsPath = join(stateDir, POSITIONS_FILE);
  const state: WriterState = await readWriterState(stateDir);
  const { positions, rawScanFrom } = state;
  for (const topic of [TOPICS.trades, TOPICS.rejected, TOPICS.raw]) {
    await log.createTopic(topic.name, topic.config);
  }
  const dedupe = await rebuildDedupe(log, state, opts.dedupeTailRecords);
  const countersBySource = new Map<string, IngestCounters>();
  // Saves run one after another in the background (each is an fsync): the pipeline does not
  // wait for them, and a failed one fails the run at its next batch.
  let saving: Promise<void> = Promise.resolve();
  let saveError: unknown;

  const persist = (): Promise<void> => {
    const snapshot = JSON.stringify(state);
    saving = saving.then(() =>
      writeFileAtomic(positionsPath, snapshot).catch((error: unknown) => {
        saveError ??= error;
      }),
    );
    return saving;
  };
  const savePosition = (name: string, position: string, rawNext: number | undefined): Promise<void> => {
    positions[name] = position;
    // Raw records this run appended up to here are covered now; any later ones lie after them.
    if (rawNext !== undefined) rawScanFrom[name] = rawNext;
    return persist();
  };

  return {
    counters: () => countersBySource,
    positionOf: (name) => positions[name],
    async run(source, signal) {
      const counters: IngestCounters = { trades: 0, rejected: 0, duplicates: 0, ignored: 0, raw: 0 };
      countersBySource.set(source.name, counters);
      let lastSaveMs = Date.now();
      let tradesSinceSave = 0;
      let pending: string | undefined;
      // The offset after the last raw record this run appended, as of the last batch acknowledged.
      let rawNext: number | undefined;
      const rawRun = opts.captureRaw ? createRawRun(log, source.name, state, dedupe, persist) : undefined;
      const fromPosition = positions[source.name];
      const runOptions = fromPosition === undefined ? { signal } : { signal, fromPosition };
      // Up to `maxBatchesInFlight` appends are in flight while the source parses the next batch:
      // the log's I/O and the parsing overlap. Positions are saved in order, each after its
      // batch and every batch before it are in the log.
      let previous: Promise<void> = Promise.resolve();
      const inFlight: Promise<void>[] = [];
      for await (const batch of source.batches(runOptions)) {
        const appended = appendBatch(log, batch, dedupe, counters, onAppended, rawRun);
        const step = Promise.all([previous, appended]).then(([, { fresh, rawEnd }]) => {
          if (saveError !== undefined) throw saveError;
          if (rawEnd !== undefined) rawNext = rawEnd;
          tradesSinceSave += fresh;
          pending = batch.position;
          const nowMs = Date.now();
          if (
            nowMs - lastSaveMs >= opts.positionSaveIntervalMs ||
            tradesSinceSave >= opts.positionSaveEveryTrades
          ) {
            void savePosition(source.name, pending, rawNext);
            pending = undefined;
            lastSaveMs = nowMs;
            tradesSinceSave = 0;
          }
        });
        // Handled here so a failed append is not an unhandled rejection until awaited below.
        step.catch(() => undefined);
        previous = step;
        inFlight.push(step);
        if (inFlight.length >= opts.maxBatchesInFlight) await inFlight.shift();
      }
      await previous;
      if (pending !== undefined) await savePosition(source.name, pending, rawNext);
      // Every batch delivered is covered; a run that appended raw records has gone past any an
      // earlier run left, so none can come again. (A run that only met duplicates keeps the entry.)
      if (rawNext !== undefined) {
        delete rawScanFrom[source.name];
        await persist();
      }
      await saving;
      if (saveError !== undefined) throw saveError;
      return counters;
    },
  };
}

async function appendBatch(
  log: EventLog,
  batch: SourceBatch,
  dedupe: DedupeWindow,
  counters: IngestCounters,
  onAppended: AppendedListener | undefined,
  rawRun: RawRun | undefined,
): Promise<{ fresh: number; rawEnd: number | undefined }> {
  const { trades } = TOPICS;
  const tsOf = batchTs(trades);
  const fresh: Trade[] = [];
  const records: AppendRecord[] = [];
  // Bytes a source encoded already (in a worker thread) are the log's values as they are.
  const encoded = batch.encodedTrades;
  for (let i = 0; i < batch.trades.length; i++) {
    const trade = batch.trades[i]!;
    // The topic's key is made once per series (`TOPICS.trades.key`), not once per trade; a
    // worker's batch brings it.
    const key = batch.keys?.[i] ?? trades.key(trade);
    if (dedupe.seen(key, trade.tradeId)) {
      counters.duplicates++;
      continue;
    }
    fresh.push(trade);
    records.push({ key, ts: tsOf(trade), value: encoded?.[i] ?? trades.codec.encode(trade) });
  }
  const rejectedFresh = batch.rejected.filter((r) => !dedupe.seen(rejectedKey(r), r.origin));
  // Called before the other appends so raw records keep batch order; awaited with them.
  const rawAppended = rawRun?.append(batch);
  const writes: Promise<unknown>[] = [];
  if (fresh.length > 0) {
    writes.push(log.append(trades.name, records).then((acks) => onAppended?.(fresh, acks)));
  }
  if (rejectedFresh.length > 0) {
    writes.push(appendEvents(log, TOPICS.rejected, rejectedFresh));
  }
  const [rawEnd] = await Promise.all([rawAppended, ...writes]);
  counters.trades += fresh.length;
  counters.rejected += rejectedFresh.length;
  counters.ignored += batch.ignored;
  if (rawEnd !== undefined) counters.raw++;
  return { fresh: fresh.length, rawEnd: rawEnd as number | undefined };
}

/** Rejected records are deduplicated by where they came from (a file and line, a connection). */
function rejectedKey(r: Rejected): string {
  return `rejected:${r.stage}`;
}

async function rebuildDedupe(log: EventLog, state: WriterState, tailRecords: number): Promise<DedupeWindow> {
  const dedupe = createDedupeWindow();
  await readTail(log, TOPICS.trades, tailRecords, (t) => dedupe.seen(TOPICS.trades.key(t), t.tradeId));
  await readTail(log, TOPICS.rejected, tailRecords, (r) => dedupe.seen(rejectedKey(r), r.origin));
  await rememberRawRecords(log, state, dedupe);
  return dedupe;
}

/** Calls `visit` with the last `tailRecords` values of each partition of a topic. */
async function readTail<T>(
  log: EventLog,
  topic: TopicDef<T>,
  tailRecords: number,
  visit: (value: T) => void,
) {
  for (let partition = 0; partition < topic.config.partitions; partition++) {
    const { start, end } = await log.offsets(topic.name, partition);
    await forEachEvent(log, topic, partition, Math.max(start, end - tailRecords), visit);
  }
}
