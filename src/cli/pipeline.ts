import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveTimePolicy, type TimePolicy, type UnixMs } from '../domain/index.js';
import { createIngestWriter, type IngestWriter, type Source } from '../ingest/index.js';
import {
  type EventLog,
  type FileEventLog,
  forEachEvent,
  type OpenFileLogOptions,
  openFileLog,
  TOPICS,
} from '../log/index.js';
import type { ServeDeps, SystemStatus } from '../serve/index.js';
import {
  type CandleOperatorInstance,
  type CandleOperatorOptions,
  createCandleOperator,
  createSpeedRunner,
  createSpeedView,
  type SpeedRunner,
  type SpeedView,
} from '../speed/index.js';
import { type BatchLayer, type BatchLayerOptions, openBatchLayer } from './batch-layer.js';
import { type CandleFeed, createCandleFeed } from './live-feed.js';
import { createRejectedTail, type RejectedTail } from './rejected-tail.js';
import { openUptime, type UptimeOptions, type UptimeRecord } from './uptime.js';

/**
 * One process's pipeline: the embedded log under `<dataDir>/log`, the log writer for sources,
 * the speed layer (candle operator + checkpointed runner), its view and live feed, and the
 * status the API reports. `start` and `replay` both run this; they differ in sources and mode.
 */
export interface PipelineOptions {
  dataDir: string;
  /** Live mode closes quiet buckets on the wall clock; replays run on event time alone. */
  live: boolean;
  /** The event-time policy of the speed layer and the lake, resolved once. @default TIME_POLICY_DEFAULTS */
  time?: Partial<TimePolicy>;
  candles?: Partial<Omit<CandleOperatorOptions, keyof TimePolicy>>;
  /** @default 1000 */
  checkpointIntervalMs?: number;
  /** How often old log segments are checked against their topic's retention. @default 60_000 */
  retentionCheckMs?: number;
  /** The lake and the batch jobs; `false` runs without them. @default {} (on, with defaults) */
  batch?: false | Pick<BatchLayerOptions, 'lake' | 'onRun' | 'jobLanes'>;
  /** Live mode records its runs in `<dataDir>/uptime.json` (downtime gaps). @default UPTIME_DEFAULTS */
  uptime?: Partial<UptimeOptions>;
  /** Tuning of the embedded log (`LOG_SEGMENT_BYTES`). @default FILE_LOG_DEFAULTS */
  log?: Pick<OpenFileLogOptions, 'segmentBytes'>;
}

export interface Pipeline {
  readonly log: FileEventLog;
  readonly view: SpeedView;
  readonly operator: CandleOperatorInstance;
  readonly runner: SpeedRunner;
  readonly writer: IngestWriter;
  /** Undefined when opened with `batch: false`. */
  readonly batch: BatchLayer | undefined;
  /** When the live pipeline ran; undefined for a replay (its series cannot have downtime gaps). */
  readonly uptime: UptimeRecord | undefined;
  readonly deps: ServeDeps;
  /** Runs a source to its end through the log writer; its state shows in `status()`. */
  runSource(source: Source): Promise<void>;
  status(): SystemStatus;
  /** Stops sources and the speed layer, writes a last checkpoint, closes the log. */
  close(): Promise<void>;
}

/**
 * Opens the log, restores the speed layer and the lake, and starts consuming. When any of it
 * fails (a damaged log, a corrupt checkpoint or manifest, an offset past the log's end), what was
 * opened is closed again, the log's lock included, before the error comes out.
 */
export async function openPipeline(options: PipelineOptions): Promise<Pipeline> {
  await mkdir(join(options.dataDir, 'speed'), { recursive: true });
  await mkdir(join(options.dataDir, 'ingest'), { recursive: true });
  const log = await openFileLog({ dir: join(options.dataDir, 'log'), ...options.log });
  let batch: BatchLayer | undefined;
  try {
    return await startPipeline(options, log, (opened) => {
      batch = opened;
    });
  } catch (error) {
    await batch?.close().catch(() => undefined);
    await log.close().catch(() => undefined);
    throw error;
  }
}

async function startPipeline(
  options: PipelineOptions,
  log: FileEventLog,
  onBatch: (batch: BatchLayer) => void,
): Promise<Pipeline> {
  // After the log's lock: one process at a time writes the record.
  const uptime = options.live ? await openUptime(options.dataDir, options.uptime) : undefined;
  const controller = new AbortController();
  const startedAt = Date.now();
  const time = resolveTimePolicy(options.time);
  const feed: CandleFeed = createCandleFeed();
  // `open` updates are made only for the series a WebSocket client watches (`openInterest`).
  const operator = createCandleOperator({
    openUpdates: 'on-drain',
    openInterest: feed,
    ...options.candles,
    ...time,
  });
  // The operator's state (restored from the checkpoint below) gives each series' newest trade
  // time and watermark to the view.
  const view = createSpeedView({}, operator);

  const runner = await createSpeedRunner(
    {
      log,
      operator,
      checkpointPath: join(options.dataDir, 'speed', 'checkpoint.json'),
      // The view keeps closed and revised candles and reads the open buckets from the operator;
      // `open` updates are made only for the series a WebSocket client watches.
      onCandle(candle) {
        if (candle.state !== 'open') view.upsert(candle);
        feed.publish(candle);
      },
    },
    { live: options.live, checkpointIntervalMs: options.checkpointIntervalMs ?? 1000 },
  );
  const batch =
    options.batch === false
      ? undefined
      : await openBatchLayer({
          dataDir: options.dataDir,
          log,
          live: options.live,
          view,
          time,
          ...options.batch,
          paused: true,
        });
  if (batch !== undefined) onBatch(batch);
  // The view is rebuilt from the candles topic without the days the batch layer holds for good
  // (at 10,000 symbols the topic's week is about 130M candles); no job runs until it is whole.
  await rebuildView(log, view, await batch?.heldBefore());
  batch?.start();
  // Trades the writer appends go straight to the speed layer and the lake (write-ahead, then
  // apply); while the speed layer is behind, the writer waits for it (`SpeedRunner.offer`).
  const writer = await createIngestWriter(log, join(options.dataDir, 'ingest'), {}, (trades, acks) => {
    batch?.lake.offer(trades, acks);
    return runner.offer(trades, acks);
  });
  const rejectedTail: RejectedTail = createRejectedTail(log);
  const sources: Source[] = [];
  /** Sources whose writer run has not returned: their last batches may still be in flight. */
  const writing = new Set<Source>();
  const throughput = createRate(() => runner.tradesProcessed());
  let lag = 0;
  const refresh = setInterval(() => {
    throughput.tick();
    runner.lag().then(
      (value) => {
        lag = value;
      },
      () => undefined,
    );
  }, 500);
  refresh.unref();
  // Old segments go once their records are older than the topic's retention (by append time).
  const retention = setInterval(() => {
    log.applyRetention(Date.now()).catch(() => undefined);
  }, options.retentionCheckMs ?? 60_000);
  retention.unref();

  const running = [runner.run(controller.signal), rejectedTail.run(controller.signal)];
  uptime?.start(() => sources.some((s) => s.state() === 'running'));

  const status = (): SystemStatus => {
    const counters = writer.counters();
    const operatorCounters = operator.counters();
    return {
      sources: sources.map((s) => {
        const c = counters.get(s.name);
        // A source that has delivered its last batch is still writing until the writer has
        // appended it: `finished` means every trade it gave is in the log and counted.
        const state = s.state() === 'finished' && writing.has(s) ? 'running' : s.state();
        return { name: s.name, state, trades: c?.trades ?? 0, rejected: c?.rejected ?? 0 };
      }),
      speed: {
        lag,
        tradesProcessed: runner.tradesProcessed(),
        lateDropped: operatorCounters.lateDropped,
        revised: operatorCounters.revised,
        watermarks: operator.watermarks(),
      },
      rejected: rejectedTail.counts(),
      throughput: { tradesPerSec: throughput.perSec() },
      startedAt,
    };
  };

  return {
    log,
    view,
    operator,
    runner,
    writer,
    status,
    batch,
    uptime,
    deps: {
      candles: view,
      live: feed,
      rejected: rejectedTail,
      status,
      ...(batch === undefined ? {} : { batch: batch.views }),
      ...(uptime === undefined ? {} : { uptime }),
    },
    async runSource(source) {
      sources.push(source);
      writing.add(source);
      try {
        await writer.run(source, controller.signal);
      } finally {
        writing.delete(source);
      }
    },
    async close() {
      clearInterval(refresh);
      clearInterval(retention);
      controller.abort();
      await Promise.allSettled(running);
      await batch?.close();
      await uptime?.close();
      await log.close();
    },
  };
}

/**
 * Loads the closed and revised candles the speed layer wrote before into the view, but for
 * those that open before `heldBefore` of their series (the batch layer has them for good).
 */
export async function rebuildView(
  log: EventLog,
  view: SpeedView,
  heldBefore?: (venue: string, symbol: string) => UnixMs | undefined,
): Promise<void> {
  const { candles } = TOPICS;
  await log.createTopic(candles.name, candles.config);
  for (let p = 0; p < candles.config.partitions; p++) {
    await forEachEvent(log, candles, p, 0, (candle) => {
      const held = heldBefore?.(candle.venue, candle.symbol);
      if (held === undefined || candle.openTime >= held) view.upsert(candle);
    });
  }
}

/** A per-second rate of a growing counter, smoothed over the last few ticks. */
function createRate(read: () => number): { tick(): void; perSec(): number } {
  let lastCount = read();
  let lastMs = Date.now();
  let rate = 0;
  return {
    tick() {
      const nowMs = Date.now();
      const count = read();
      const instant = ((count - lastCount) * 1000) / Math.max(1, nowMs - lastMs);
      rate = rate === 0 ? instant : rate * 0.5 + instant * 0.5;
      lastCount = count;
      lastMs = nowMs;
    },
    perSec: () => Math.round(rate),
  };
}
