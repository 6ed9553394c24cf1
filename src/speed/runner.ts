import type { Candle, DurationMs, Trade } from '../domain/index.js';
import {
  type AppendAck,
  type AppendRecord,
  batchTs,
  checkConsumerOffsets,
  consume,
  createHandoff,
  type EventLog,
  forEachEvent,
  forEachValue,
  TOPICS,
} from '../log/index.js';
import { openCheckpointStore } from './checkpoint-store.js';
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
  /**
   * Checkpoint at most this often, and only when something changed: a checkpoint appends the
   * series that changed since the last one (`checkpoint-store.ts`). When a checkpoint takes
   * long (thousands of busy series), the next waits `CHECKPOINT_SPACING` times its cost, so
   * checkpoints take at most about a fiftieth of the time; a crash then replays a little more of
   * the log (at 10,000 symbols a checkpoint costs about 100 ms: one every 5 s).
   * @default 1000
   */
  checkpointIntervalMs: DurationMs;
  /** Records read from one partition at a time. @default 5000 */
  readBatch: number;
  /** Live mode closes quiet buckets on the wall clock (`onWallClock`); replays run on event time. @default false */
  live: boolean;
  /** How often live mode ticks the wall clock. @default 250 */
  wallClockTickMs: DurationMs;
  /** Offered trades held per partition at most; past it, offers are dropped and read from the log. @default 100_000 */
  inboxLimit: number;
  /**
   * Offered trades not yet processed (all partitions) above which `offer` asks the writer to
   * wait. A writer that runs ahead of the speed layer (thousands of symbols make the operator
   * the slowest stage) otherwise fills the inbox: 78,000 trades waited at 10,000 symbols, each
   * surviving young-generation collections into the old one, where they were collected again.
   * @default 20_000
   */
  inboxHighWater: number;
}

/**
 * A checkpoint that took `c` ms is followed by the next no sooner than `CHECKPOINT_SPACING × c`
 * later. The time measured is the write's own; what the checkpoint costs besides (collecting the
 * state it made) about doubles it. At 20 (a twentieth), checkpoints took a tenth of the main
 * thread at 10,000 symbols; at 50 the pipeline ran 6.5% more trades per CPU-second (four
 * alternating pairs).
 */
const CHECKPOINT_SPACING = 50;

/** A writer waits this long at most for a speed layer behind it (one that stopped never catches up). */
const INBOX_WAIT_MAX_MS = 1000;

export const SPEED_RUNNER_DEFAULTS: SpeedRunnerOptions = {
  checkpointIntervalMs: 1000,
  readBatch: 5000,
  live: false,
  wallClockTickMs: 250,
  inboxLimit: 100_000,
  inboxHighWater: 20_000,
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
  /**
   * Hands over trades this process appended, with their acks (see the interface's TSDoc). Returns
   * a promise while more than `inboxHighWater` offered trades wait: it resolves once the runner
   * has taken them down to half that (or after a second, should the runner have stopped). A
   * writer awaits it before taking more input.
   */
  offer(trades: readonly Trade[], acks: readonly AppendAck[]): Promise<void> | undefined;
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
  /**
   * Every candle the operator emits: closed and revised ones, and `open` updates (of the series
   * its `openInterest` wants).
   */
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
  await log.createTopic(candles.name, candles.config);

  const store = openCheckpointStore<SpeedCheckpoint<State>>(deps.checkpointPath);
  const checkpoint = await store.load((base, change) => ({
    ...change,
    operator: operator.merge(base.operator, change.operator),
  }));
  const handoff = createHandoff<Trade>(trades.config.partitions, opts.inboxLimit);
  const stop = new AbortController();
  const who = `the speed layer (checkpoint ${deps.checkpointPath})`;
  const consumer = await consume(log, trades, {
    name: who,
    ...(checkpoint === undefined ? {} : { from: checkpoint.tradeOffsets }),
    signal: stop.signal,
    maxRecords: opts.readBatch,
    idleMs: opts.live ? opts.wallClockTickMs : 200,
    handoff,
  });
  let processed = checkpoint?.tradesProcessed ?? 0;
  await checkConsumerOffsets(log, candles.name, checkpoint?.candleEnds ?? [], who);
  if (checkpoint !== undefined) operator.restore(checkpoint.operator);
  // Without a checkpoint, every candle already in the topic came from runs that started from
  // scratch, as this one does: all of them are repeats.
  const toSkip = await countCandlesAfter(
    log,
    checkpoint?.candleEnds ?? new Array<number>(candles.config.partitions).fill(0),
  );

  /**
   * Closed and revised candles to append, encoded as they come. A candle object kept until the
   * append (a round's worth: thousands, with thousands of series) outlived young-generation
   * collections; each was copied to the old generation only to die there.
   */
  let pending: AppendRecord[] = [];
  let tsOf = batchTs(candles);
  const emit = (candle: Candle): void => {
    deps.onCandle(candle);
    if (candle.state === 'open') return;
    const key = candles.key(candle);
    // Repeats are counted only after a crash: the common case looks nothing up.
    if (toSkip.size > 0) {
      const skip = toSkip.get(key);
      if (skip !== undefined) {
        if (skip > 1) toSkip.set(key, skip - 1);
        else toSkip.delete(key);
        return;
      }
    }
    // One clock reading per append, as `appendEvents` takes.
    if (pending.length === 0) tsOf = batchTs(candles);
    pending.push({ key, ts: tsOf(candle), value: candles.codec.encode(candle) });
  };
  const apply = (trade: Trade): void => {
    onTrade?.(trade);
    operator.process(trade, emit);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await log.append(candles.name, batch);
  };
  let saved = { tradeOffsets: checkpoint?.tradeOffsets ?? [], candleEnds: checkpoint?.candleEnds ?? [] };
  /** Writes what changed since the last checkpoint (nothing when nothing did); returns its cost in ms. */
  const saveCheckpoint = async (): Promise<number> => {
    await flush();
    const t0 = performance.now();
    const candleEnds: number[] = [];
    for (let p = 0; p < candles.config.partitions; p++)
      candleEnds.push((await log.offsets(candles.name, p)).end);
    const tradeOffsets = consumer.positions();
    const changes = operator.changes();
    const moved =
      !sameNumbers(tradeOffsets, saved.tradeOffsets) || !sameNumbers(candleEnds, saved.candleEnds);
    if (changes === undefined && !moved) return 0;
    const base = { version: 1, tradeOffsets, candleEnds, tradesProcessed: processed } as const;
    const full = (): SpeedCheckpoint<State> => ({ ...base, operator: operator.snapshot() });
    if (changes === undefined) await store.saveFull(full());
    else await store.save({ ...base, operator: changes }, full);
    saved = { tradeOffsets, candleEnds };
    return performance.now() - t0;
  };

  return {
    lag: () => consumer.lag(),
    offer: (offered, acks) => {
      handoff.offer(offered, acks);
      if (handoff.size() <= opts.inboxHighWater) return undefined;
      return handoff.whenBelow(opts.inboxHighWater >> 1, INBOX_WAIT_MAX_MS);
    },
    tradesProcessed: () => processed,
    caughtUp: () => consumer.caughtUp(),
    async run(signal) {
      const onAbort = (): void => stop.abort();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      let lastCheckpointMs = Date.now();
      let checkpointCostMs = 0;
      let lastTickMs = 0;
      for await (const round of consumer) {
        for (const batch of round.batches) forEachValue(trades, batch, apply);
        processed += round.count;
        operator.drainOpen?.(emit);
        const nowMs = Date.now();
        if (opts.live && nowMs - lastTickMs >= opts.wallClockTickMs) {
          operator.onWallClock(nowMs, emit);
          lastTickMs = nowMs;
        }
        await flush();
        // A checkpoint costs what changed since the last one; with thousands of busy series that
        // is most of the state, so they are spaced to keep their share of the time under a fiftieth.
        if (
          nowMs - lastCheckpointMs >=
          Math.max(opts.checkpointIntervalMs, CHECKPOINT_SPACING * checkpointCostMs)
        ) {
          checkpointCostMs = await saveCheckpoint();
          lastCheckpointMs = nowMs;
        }
      }
      signal.removeEventListener('abort', onAbort);
      await saveCheckpoint();
    },
  };
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

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
