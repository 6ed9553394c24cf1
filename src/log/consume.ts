import { CryptoLambdaError, type DurationMs } from '../domain/index.js';
import { checkConsumerOffsets } from './consumer-check.js';
import { type EventLog, LOG_ERRORS, type StoredRecord } from './event-log.js';
import type { Handoff } from './handoff.js';
import type { TopicDef } from './topics.js';

/** How a stage consumes one topic: where it starts, how much it reads, what it is handed. */
export interface ConsumeOptions<T> {
  /** Who consumes, for messages: `speed layer`, `lake writer`. */
  name: string;
  /**
   * The next offset to read per partition, as the stage stored it with its state (checkpoint,
   * manifest). Missing partitions start at 0; offsets below the first retained one start there.
   * @default every partition from 0
   */
  from?: readonly number[];
  /** Iteration ends when this aborts (a wait in progress ends at once). */
  signal?: AbortSignal;
  /** Records read from one partition per round. @default 5000 */
  maxRecords?: number;
  /** An idle iteration waits this long for input before yielding an empty round. @default 200 */
  idleMs?: DurationMs;
  /** Values a writer in this process appended, taken instead of reading them back (see `Handoff`). */
  handoff?: Handoff<T>;
  /** The consumer group `commit()` stores positions under; stages that keep offsets with their state leave it out. */
  group?: string;
}

/** The next records of one partition: read from the log, or handed over (never both). */
export interface ConsumedBatch<T> {
  partition: number;
  /** The offset of the first record. */
  fromOffset: number;
  /** The offset after the last record: the partition's position once the batch is applied. */
  nextOffset: number;
  /** Records read from the log; values are views into shared buffers, valid until the next round. */
  records: readonly StoredRecord[];
  /** Values handed over by a writer in this process. */
  offered: readonly T[];
}

/** One pass over every partition. */
export interface ConsumedRound<T> {
  /** Partitions that had records, in partition order. */
  batches: ConsumedBatch<T>[];
  /** Records in all batches. */
  count: number;
  /**
   * Per partition: whether records may be waiting after this round (a read filled
   * `maxRecords`, or stopped short of a handed-over run). A consumer that needs every
   * partition's event time before it moves a watermark holds it while any is behind.
   */
  behind: boolean[];
}

/**
 * A topic's consumer: every partition from stored positions, in order, each record once. It is
 * an async iterable of rounds that waits when idle and yields an empty round after `idleMs`
 * (so the stage can do its periodic work); `poll` and `wait` give the same steps to a stage
 * that drives several consumers itself. Positions are the stage's to store: `positions()` after
 * it applied a round, with its state; or `commit()` to the consumer group.
 */
export interface Consumer<T> extends AsyncIterable<ConsumedRound<T>> {
  readonly topic: string;
  /** Reads one round without waiting; an empty round when nothing is there. */
  poll(): Promise<ConsumedRound<T>>;
  /** Resolves when input may be there (an append, a hand-off), after `timeoutMs`, or on abort. */
  wait(timeoutMs: DurationMs): Promise<void>;
  /** The next offset per partition, after the last round returned. */
  positions(): number[];
  /** Records in the topic not returned yet. */
  lag(): Promise<number>;
  /** Stores `positions()` under the consumer group. @throws `LOG_INVALID_ARGUMENT` without a group. */
  commit(): Promise<void>;
  /**
   * Resolves once the iterating stage has applied every record appended so far: when it asks
   * for the next round while nothing is left.
   */
  caughtUp(): Promise<void>;
}

const DEFAULT_MAX_RECORDS = 5000;
const DEFAULT_IDLE_MS = 200;

/**
 * Opens a consumer of `def` for `options.name`. Checks the stored positions against the log:
 * a position past a partition's end means the log lost records the stage had consumed (damage,
 * or a data directory put together from different runs), and is refused, never skipped.
 * @throws CryptoLambdaError `LOG_OFFSET_PAST_END` naming the consumer, partitions and offsets (`checkConsumerOffsets`).
 * @example
 * const trades = await consume(log, TOPICS.trades, { name: 'speed layer', from: saved, signal });
 * for await (const round of trades) { apply(round); save(trades.positions()); }
 */
export async function consume<T>(
  log: EventLog,
  def: TopicDef<T>,
  options: ConsumeOptions<T>,
): Promise<Consumer<T>> {
  await log.createTopic(def.name, def.config);
  const partitions = def.config.partitions;
  const positions = Array.from({ length: partitions }, (_, p) => options.from?.[p] ?? 0);
  await checkConsumerOffsets(log, def.name, positions, options.name);
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const { handoff, signal } = options;
  const waiters: (() => void)[] = [];

  const lag = async (): Promise<number> => {
    let total = 0;
    for (let p = 0; p < partitions; p++) total += (await log.offsets(def.name, p)).end - (positions[p] ?? 0);
    return total;
  };

  const step = async (p: number, round: ConsumedRound<T>): Promise<void> => {
    const next = positions[p] as number;
    const offered = handoff?.take(p, next, maxRecords) ?? [];
    if (offered.length > 0) {
      positions[p] = next + offered.length;
      round.batches.push({
        partition: p,
        fromOffset: next,
        nextOffset: next + offered.length,
        records: [],
        offered,
      });
      round.count += offered.length;
      round.behind[p] = handoff?.firstOffset(p) !== undefined;
      return;
    }
    // Read up to the first handed-over offset (the gap), or a whole batch when nothing is.
    const gapEnd = handoff?.firstOffset(p);
    const max = gapEnd === undefined || gapEnd <= next ? maxRecords : Math.min(maxRecords, gapEnd - next);
    const records = await log.read(def.name, p, next, { maxRecords: max });
    round.behind[p] = records.length >= max;
    const last = records[records.length - 1];
    if (last === undefined) return;
    positions[p] = last.offset + 1;
    round.batches.push({ partition: p, fromOffset: next, nextOffset: last.offset + 1, records, offered: [] });
    round.count += records.length;
  };

  const poll = async (): Promise<ConsumedRound<T>> => {
    const round: ConsumedRound<T> = {
      batches: [],
      count: 0,
      behind: new Array<boolean>(partitions).fill(false),
    };
    for (let p = 0; p < partitions; p++) await step(p, round);
    return round;
  };

  const wait = async (timeoutMs: DurationMs): Promise<void> => {
    if (signal?.aborted === true) return;
    const stop = new AbortController();
    const aborted = new Promise<void>((resolve) => {
      if (signal === undefined) return;
      const onAbort = (): void => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      stop.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), {
        once: true,
      });
    });
    const appended = positions.map((offset, p) => log.waitFor(def.name, p, offset, timeoutMs));
    await Promise.race([
      aborted,
      ...appended,
      ...(handoff === undefined ? [] : [handoff.whenOffered(timeoutMs)]),
    ]);
    stop.abort();
    // An append wakes us at once; let this process's writer hand over what it appended (its
    // ack callbacks run in this turn) before the next round falls back to reading it back.
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  async function* rounds(): AsyncGenerator<ConsumedRound<T>> {
    const stopped = (): boolean => signal?.aborted === true;
    let idle = false;
    while (!stopped()) {
      if (idle) {
        if (waiters.length > 0 && (await lag()) === 0) for (const resolve of waiters.splice(0)) resolve();
        await wait(idleMs);
        if (stopped()) return;
      }
      const round = await poll();
      idle = round.count === 0;
      yield round;
    }
  }

  return {
    topic: def.name,
    poll,
    wait,
    positions: () => positions.slice(),
    lag,
    async commit() {
      if (options.group === undefined) {
        throw new CryptoLambdaError(
          LOG_ERRORS.invalidArgument,
          `${options.name} has no consumer group to commit to`,
        );
      }
      for (let p = 0; p < partitions; p++)
        await log.commitOffset(options.group, def.name, p, positions[p] as number);
    },
    caughtUp: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        handoff?.wake();
      }),
    [Symbol.asyncIterator]: rounds,
  };
}

/**
 * Calls `visit` with the batch's values in offset order: handed-over values as they are, records
 * read from the log decoded with the topic's codec.
 */
export function forEachValue<T>(def: TopicDef<T>, batch: ConsumedBatch<T>, visit: (value: T) => void): void {
  const { offered, records } = batch;
  for (let i = 0; i < offered.length; i++) visit(offered[i] as T);
  for (let i = 0; i < records.length; i++) visit(def.codec.decode((records[i] as StoredRecord).value));
}
