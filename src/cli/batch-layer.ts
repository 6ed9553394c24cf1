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
import type { TimePolicy } from '../domain/index.js';
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
  const scheduler = await openScheduler({
    lake: reader,
    jobs: [...GOLD_JOBS, createReconciliationJob(speedCandles(options.view))],
    ...(options.jobLanes === undefined ? {} : { lanes: options.jobLanes }),
    ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
  });
  // Live, sealed hours run their day at once and cron re-runs re-opened ones; a replay or a
  // backfill runs the DAG itself at the end of its input (`finishInput`), once per day.
  if (options.live) lake.onChange((changes) => scheduler.notify(changes));
  const views = await createBatchViews(scheduler, reader);
  const controller = new AbortController();
  if (options.live) scheduler.start(controller.signal);
  const running = lake.run(controller.signal);
  return {
    lake,
    reader,
    scheduler,
    views,
    async finishInput(trigger = 'sealed', dates) {
      await lake.catchUp({ sealAll: true });
      await scheduler.idle();
      return scheduler.runDue(trigger, dates);
    },
    async close() {
      controller.abort();
      await running.catch(() => undefined);
      await scheduler.close();
      await lake.close();
      views.close();
    },
  };
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
