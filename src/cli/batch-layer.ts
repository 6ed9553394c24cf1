import { join } from 'node:path';
import {
  type BatchScheduler,
  type BatchViews,
  createBatchViews,
  createReconciliationJob,
  GOLD_JOBS,
  openScheduler,
  type RunRecord,
  type RunTrigger,
  type SpeedCandleSource,
} from '../batch/index.js';
import { INTERVAL_MS, type TimePolicy, type UnixMs } from '../domain/index.js';
import { createLakeReader, type LakeReader, type LakeWriter, openLakeWriter } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import type { SpeedView } from '../speed/index.js';

/**
 * The batch side of one process: the lake writer consuming the log into `<dataDir>/lake`, the
 * scheduler running the job DAG when hours seal (and on cron for re-opened days), and the gold
 * views the API reads.
 */
export interface BatchLayer {
  readonly lake: LakeWriter;
  readonly reader: LakeReader;
  readonly scheduler: BatchScheduler;
  readonly views: BatchViews;
  /** Starts the lake writer and (live) the scheduler; a no-op once started. See `BatchLayerOptions.paused`. */
  start(): void;
  /**
   * Per series, the open time before which the batch layer holds its candles for good (the
   * start of its batch watermark's day), for the speed view to forget or never load them.
   */
  heldBefore(): Promise<(venue: string, symbol: string) => UnixMs | undefined>;
  /** End of input (a finished replay or backfill): commit everything, seal every hour, run the due jobs. */
  finishInput(trigger?: RunTrigger, dates?: readonly string[]): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export interface BatchLayerOptions {
  dataDir: string;
  log: EventLog;
  live: boolean;
  view: SpeedView;
  /** The process's event-time policy, the one the speed layer closes candles by. */
  time: TimePolicy;
  lake?: { flushIntervalMs?: number; idleSealMs?: number };
  onRun?: (run: RunRecord) => void;
  /** Job runs that may run at once (`SchedulerOptions.lanes`). @default 1 */
  jobLanes?: number;
  /**
   * Open without starting: nothing consumes the log or runs a job until `start()`. A process
   * opens it first to learn what the batch layer holds (`heldBefore`) while it rebuilds its
   * speed view, which no job may read half-built. @default false
   */
  paused?: boolean;
}

export async function openBatchLayer(options: BatchLayerOptions): Promise<BatchLayer> {
  const lakeDir = join(options.dataDir, 'lake');
  const lake = await openLakeWriter(options.log, {
    lakeDir,
    live: options.live,
    time: options.time,
    ...options.lake,
  });
  const reader = createLakeReader(lakeDir, lake.manifest);
  let forgetting: HeldDaysSweep | undefined;
  const scheduler = await openScheduler({
    lake: reader,
    jobs: [...GOLD_JOBS, createReconciliationJob(speedCandles(options.view))],
    ...(options.jobLanes === undefined ? {} : { lanes: options.jobLanes }),
    onRun(run) {
      // Reconciliation is the last job of a day's DAG: after it, a series' watermark may pass a day.
      if (run.job === 'reconciliation' && run.status === 'succeeded') forgetting?.request();
      options.onRun?.(run);
    },
  });
  // Live, sealed hours run their day at once and cron re-runs re-opened ones; a replay or a
  // backfill runs the DAG itself at the end of its input (`finishInput`), once per day.
  if (options.live) lake.onChange((changes) => scheduler.notify(changes));
  const views = await createBatchViews(scheduler, reader);
  forgetting = heldDaysSweep(options.view, views);
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const start = (): void => {
    if (running !== undefined) return;
    // A view filled before the start may hold days the batch layer has: forget them.
    forgetting?.request();
    if (options.live) scheduler.start(controller.signal);
    running = lake.run(controller.signal);
  };
  if (options.paused !== true) start();
  return {
    lake,
    reader,
    scheduler,
    views,
    start,
    heldBefore: () => heldBeforeOf(views),
    async finishInput(trigger = 'sealed', dates) {
      await lake.catchUp({ sealAll: true });
      await scheduler.idle();
      const runs = await scheduler.runDue(trigger, dates);
      forgetting?.request();
      await forgetting?.idle();
      return runs;
    },
    async close() {
      controller.abort();
      await running?.catch(() => undefined);
      await forgetting?.idle();
      await scheduler.close();
      await lake.close();
      views.close();
    },
  };
}

const DAY_MS = INTERVAL_MS['1d'];

/** Runs `forgetHeldDays` when asked, one sweep at a time (a request during a sweep runs one more after it). */
interface HeldDaysSweep {
  request(): void;
  /** Resolves when no sweep runs or waits. */
  idle(): Promise<void>;
}

function heldDaysSweep(view: SpeedView, views: BatchViews): HeldDaysSweep {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      await forgetHeldDays(view, views);
    } while (again);
    running = undefined;
  };
  return {
    request() {
      if (running !== undefined) again = true;
      else running = run().catch(() => undefined);
    },
    idle: async () => {
      while (running !== undefined) await running;
    },
  };
}

/**
 * The speed view forgets, per series, the days before the day of its batch watermark: every
 * batch job, reconciliation included, has processed them, and the API answers them from the
 * batch view (ARCHITECTURE.md §5). Without this the view kept `retention` candles per series
 * and interval (10,000: a week of 1m candles), which at 10,000 symbols is gigabytes; now it holds
 * about the last day or two of each series. The watermark's own day stays: reconciliation
 * compares it again at every run until the day is complete.
 */
export async function forgetHeldDays(view: SpeedView, views: BatchViews): Promise<number> {
  const heldBefore = await heldBeforeOf(views);
  let forgotten = 0;
  for (const { venue, symbol } of view.symbols()) {
    const held = heldBefore(venue, symbol);
    if (held !== undefined) forgotten += view.forgetBefore(venue, symbol, held);
  }
  return forgotten;
}

/** `BatchLayer.heldBefore`: every series the batch views know, read once into a map. */
async function heldBeforeOf(
  views: BatchViews,
): Promise<(venue: string, symbol: string) => UnixMs | undefined> {
  const held = new Map<string, UnixMs>();
  for (const { venue, symbol } of await views.symbols()) {
    const watermarkTs = await views.watermarkTs(venue, symbol);
    // The start of the watermark's day: every day before it is processed by every job.
    if (watermarkTs !== undefined)
      held.set(`${venue}\u0000${symbol}`, Math.floor(watermarkTs / DAY_MS) * DAY_MS);
  }
  return (venue, symbol) => held.get(`${venue}\u0000${symbol}`);
}

/** The speed view's final candles, for reconciliation. */
export function speedCandles(view: SpeedView): SpeedCandleSource {
  return {
    series: () => view.symbols(),
    candles: (venue, symbol, interval, fromTs, untilTs) =>
      view.candles({
        venue,
        symbol,
        interval,
        from: fromTs,
        to: untilTs - 1,
        limit: Number.MAX_SAFE_INTEGER,
      }),
  };
}
