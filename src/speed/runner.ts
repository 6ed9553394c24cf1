import type { Candle, DurationMs, Trade } from '../domain/index.js';
import {
  type AppendAck,
  appendEvents,
  checkConsumerOffsets,
  type EventLog,
  forEachEvent,
  TOPICS,
} from '../log/index.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { createInbox } from './inbox.js';
import type { OperatorInstance } from './operator.js';

/**
 * Runs the candle operator over the `trades` topic: consumes every partition from the offsets
 * of the last checkpoint, feeds the operator, appends closed and revised candles to the
 * `candles` topic, and checkpoints the operator's state with the offsets it consumed in one
 * atomic write.
 *
 * Input: trades appended by a writer in this process can be handed over with `offer` as soon as
 * the log acknowledges them (write-ahead, then apply), which saves reading and decoding them
 * back. The offsets decide: an offered trade is applied only when it is the next offset of its
 * partition; anything else (a backlog after a restart, a gap, another process's appends) is
 * read from the log. Either way the operator sees each partition's records once, in order.
 *
 * Exactly-once output after a crash: the checkpoint also records the `candles` topic's end
 * offsets. Candles appended after it by the crashed run are counted per (venue, symbol) on
 * restart; the restored operator emits the same candles again in the same order (its output
 * per symbol depends only on that symbol's trades, which one partition holds in order), so
 * the runner skips exactly that many before it appends again.
 */
export interface SpeedRunnerOptions {
  /** @default 1000 */
  checkpointIntervalMs: DurationMs;
  /** Records read from one partition at a time. @default 5000 */
  readBatch: number;
  /** Live mode closes quiet buckets on the wall clock (`onWallClock`); replays run on event time. @default false */
  live: boolean;
  /** How often live mode ticks the wall clock. @default 250 */
  wallClockTickMs: DurationMs;
  /** Offered trades held per partition at most; past it, offers are dropped and read from the log. @default 100_000 */
  inboxLimit: number;
}

export const SPEED_RUNNER_DEFAULTS: SpeedRunnerOptions = {
  checkpointIntervalMs: 1000,
  readBatch: 5000,
  live: false,
  wallClockTickMs: 250,
  inboxLimit: 100_000,
};

export interface SpeedCheckpoint<State> {
  version: 1;
  tradeOffsets: number[];
  candleEnds: number[];
  operator: State;
  tradesProcessed: number;
}

export interface SpeedRunner {
  /** Consumes until `signal` aborts; resolves after a final checkpoint. */
  run(signal: AbortSignal): Promise<void>;
  /** Hands over trades this process appended, with their acks (see the interface's TSDoc). */
  offer(trades: readonly Trade[], acks: readonly AppendAck[]): void;
  /** Records in the trades topic not yet processed. */
  lag(): Promise<number>;
  tradesProcessed(): number;
  /** Resolves once every record appended to the trades topic so far has been processed. */
  caughtUp(): Promise<void>;
}

export interface SpeedRunnerDeps<State> {
  log: EventLog;
  operator: OperatorInstance<Trade, Candle, State>;
  checkpointPath: string;
  /** Every candle the operator emits, `open` updates included (the live view). */
  onCandle(candle: Candle): void;
  /** Every trade, before the operator sees it. */
  onTrade?(trade: Trade): void;
}

export async function createSpeedRunner<State>(
  deps: SpeedRunnerDeps<State>,
  options: Partial<SpeedRunnerOptions> = {},
): Promise<SpeedRunner> {
  const opts: SpeedRunnerOptions = { ...SPEED_RUNNER_DEFAULTS, ...options };
  const { log, operator, onTrade } = deps;
  const { trades, candles } = TOPICS;
  await log.createTopic(trades.name, trades.config);
  await log.createTopic(candles.name, candles.config);

  const checkpoint = (await readCheckpoint(deps.checkpointPath)) as SpeedCheckpoint<State> | undefined;
  const offsets: number[] = checkpoint?.tradeOffsets.slice() ?? new Array(trades.config.partitions).fill(0);
  let processed = checkpoint?.tradesProcessed ?? 0;
  const consumer = `the speed layer (checkpoint ${deps.checkpointPath})`;
  await checkConsumerOffsets(log, trades.name, offsets, consumer);
  await checkConsumerOffsets(log, candles.name, checkpoint?.candleEnds ?? [], consumer);
  if (checkpoint !== undefined) operator.restore(checkpoint.operator);
  // Without a checkpoint, every candle already in the topic came from runs that started from
  // scratch, as this one does: all of them are repeats.
  const toSkip = await countCandlesAfter(
    log,
    checkpoint?.candleEnds ?? new Array<number>(candles.config.partitions).fill(0),
  );
  const inbox = createInbox(trades.config.partitions, opts.inboxLimit);

  let pending: Candle[] = [];
  const emit = (candle: Candle): void => {
    deps.onCandle(candle);
    if (candle.state === 'open') return;
    const key = candles.key(candle);
    const skip = toSkip.get(key);
    if (skip !== undefined && skip > 0) toSkip.set(key, skip - 1);
    else pending.push(candle);
  };
  const apply = (trade: Trade): void => {
    onTrade?.(trade);
    operator.process(trade, emit);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await appendEvents(log, candles, batch);
  };
  const saveCheckpoint = async (): Promise<void> => {
    await flush();
    const candleEnds: number[] = [];
    for (let p = 0; p < candles.config.partitions; p++)
      candleEnds.push((await log.offsets(candles.name, p)).end);
    const data: SpeedCheckpoint<State> = {
      version: 1,
      tradeOffsets: offsets.slice(),
      candleEnds,
      operator: operator.snapshot(),
      tradesProcessed: processed,
    };
    await writeCheckpoint(deps.checkpointPath, data);
  };

  /** Applies one partition's next records: offered ones while contiguous, else from the log. */
  const step = async (p: number): Promise<number> => {
    const next = offsets[p] ?? 0;
    const fromInbox = inbox.take(p, next, apply);
    if (fromInbox > 0) {
      offsets[p] = next + fromInbox;
      return fromInbox;
    }
    // Read up to the first offered offset (the gap), or a batch when nothing is offered.
    const gapEnd = inbox.firstOffset(p);
    const maxRecords = gapEnd === undefined ? opts.readBatch : Math.min(opts.readBatch, gapEnd - next);
    const records = await log.read(trades.name, p, next, { maxRecords });
    for (const record of records) apply(trades.codec.decode(record.value));
    if (records.length > 0) offsets[p] = records[records.length - 1]!.offset + 1;
    return records.length;
  };

  const lag = async (): Promise<number> => {
    let total = 0;
    for (let p = 0; p < offsets.length; p++)
      total += (await log.offsets(trades.name, p)).end - (offsets[p] ?? 0);
    return total;
  };
  const waiters: (() => void)[] = [];

  return {
    lag,
    offer: (offered, acks) => inbox.offer(offered, acks),
    tradesProcessed: () => processed,
    caughtUp: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        inbox.wake();
      }),
    async run(signal) {
      let lastCheckpointMs = Date.now();
      let lastTickMs = 0;
      while (!signal.aborted) {
        let applied = 0;
        for (let p = 0; p < offsets.length; p++) applied += await step(p);
        processed += applied;
        operator.drainOpen?.(emit);
        const nowMs = Date.now();
        if (opts.live && nowMs - lastTickMs >= opts.wallClockTickMs) {
          operator.onWallClock(nowMs, emit);
          lastTickMs = nowMs;
        }
        await flush();
        if (nowMs - lastCheckpointMs >= opts.checkpointIntervalMs) {
          await saveCheckpoint();
          lastCheckpointMs = nowMs;
        }
        if (applied === 0) {
          if (waiters.length > 0 && (await lag()) === 0) for (const resolve of waiters.splice(0)) resolve();
          const timeoutMs = opts.live ? opts.wallClockTickMs : 200;
          await Promise.race([inbox.whenOffered(timeoutMs), waitForAny(log, offsets, timeoutMs)]);
          // The log wakes us as soon as an append lands; let this process's writer offer what it
          // appended (its ack callbacks run in this turn) before falling back to reading it back.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      await saveCheckpoint();
    },
  };
}

async function waitForAny(log: EventLog, offsets: readonly number[], timeoutMs: DurationMs): Promise<void> {
  await Promise.race(offsets.map((offset, p) => log.waitFor(TOPICS.trades.name, p, offset, timeoutMs)));
}

async function countCandlesAfter(log: EventLog, ends: readonly number[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const { candles } = TOPICS;
  for (let p = 0; p < ends.length; p++) {
    await forEachEvent(log, candles, p, ends[p] ?? 0, (candle) => {
      const key = candles.key(candle);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
  }
  return counts;
}
