import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Cron } from 'croner';
import { CryptoLambdaError, type UnixMs } from '../domain/index.js';
import { type LakeChange, type LakeReader, sweepFiles } from '../lake/index.js';
import { topologicalOrder } from './dag.js';
import { BATCH_ERRORS } from './errors.js';
import { openRunHistory, type RunHistory, type RunRecord } from './history.js';
import type { BatchJobDef } from './job.js';
import { addDays, dayStartOf } from './jobs/sql.js';
import { createJobRunner, lakeWatermark, processedUntil, type RunTrigger, sleep } from './run-job.js';
import { createRunQueue } from './run-queue.js';

export type { RunTrigger } from './run-job.js';

/**
 * The batch scheduler: runs the job DAG for a UTC day when the lake seals hours of that day,
 * re-runs days whose sealed input changed (late trades) on each job's cron, retries failed runs
 * with exponential backoff, and keeps the run history. A job is due for a day when it has no run
 * for the day's current input, or a job it depends on ran since; a job whose dependency failed
 * or was blocked is recorded as blocked, with the reason.
 */
export interface SchedulerOptions {
  lake: LakeReader;
  jobs: readonly BatchJobDef[];
  /** Attempts after the first when a job throws. @default 2 */
  retries?: number;
  /** Wait before the first retry; ×4 for each next one. @default 1000 */
  backoffMs?: number;
  /**
   * DuckDB threads for the jobs. One keeps outputs byte-identical from run to run: parallel
   * floating-point sums add in a different order each time and differ in the last bits.
   * @default 1
   */
  threads?: number;
  /**
   * Job runs that may run at once (`run-queue.ts`): with more than one, runs of different days
   * (and independent jobs) overlap, each still on one thread, and `runDue`/`runDate` calls no
   * longer wait for the runs queued before theirs, only for those they depend on. Outputs are
   * the same; the history lists runs in the order they finish. For a backfill, whose days are
   * all queued at once. @default 1
   */
  lanes?: number;
  /** Wait after the last sealed hour before running, so a burst of seals runs the DAG once. @default 500 */
  sealedDebounceMs?: number;
  clock?: () => UnixMs;
  /** Called with every finished run (progress, logs). */
  onRun?: (run: RunRecord) => void;
}

export interface BatchScheduler {
  /** Runs the due jobs for a day in DAG order (`only`: just these; `force`: even when not due). */
  runDate(
    date: string,
    trigger: RunTrigger,
    options?: { only?: readonly string[]; force?: boolean },
  ): Promise<RunRecord[]>;
  /** Runs every due job of the given days (default: every day with data), oldest day first. */
  runDue(trigger: RunTrigger, dates?: readonly string[]): Promise<RunRecord[]>;
  /** Days with at least one due job. */
  dueDates(): string[];
  /** Feeds the lake writer's changes: sealed hours run their day soon; re-opened ones wait for cron. */
  notify(changes: readonly LakeChange[]): void;
  /** Starts the cron schedules until `signal` aborts. */
  start(signal: AbortSignal): void;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  /**
   * How many of `lanes` job runs may run at once from now on: a backfill uses one while it
   * loads (DuckDB's queries, gunzip and file writes share libuv's 4 threads), all once loaded.
   */
  useLanes(count: number): void;
  /**
   * How far the batch jobs have processed the lake, for the status: walking the days with data
   * oldest first, the end of what every job has processed, up to the first day not complete.
   * The serving layer merges each series at its own watermark (`processedUntilTs` per day).
   */
  watermarkTs(): UnixMs | undefined;
  /**
   * The end of what every job has processed of a day: the least `inputUntilTs` among each job's
   * last run of it, the day's start when a job has no successful last run (or no run at all).
   */
  processedUntilTs(date: string): UnixMs;
  readonly history: RunHistory;
  readonly jobs: readonly BatchJobDef[];
  close(): Promise<void>;
}

export async function openScheduler(options: SchedulerOptions): Promise<BatchScheduler> {
  const { lake } = options;
  const jobs = topologicalOrder(options.jobs);
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 1000;
  const clock = options.clock ?? Date.now;
  const history = await openRunHistory(join(lake.lakeDir, '_batch', 'runs.jsonl'));
  // A gold file half-written when a run was killed is never visible (it has a temporary name); drop it.
  await sweepFiles(lake.lakeDir, ['gold'], (rel) => basename(rel).startsWith('.tmp-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 1) });
  const runOne = createJobRunner({
    instance,
    lake,
    history,
    clock,
    retries,
    backoffMs,
    ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
  });
  const queue = createRunQueue(options.lanes ?? 1);
  let watermark: UnixMs | undefined;
  const pendingSealed = new Set<string>();
  let sealedTimer: NodeJS.Timeout | undefined;
  const crons: Cron[] = [];

  /** The input version a job's day is run at: its day's, and those of the days it looks back on. */
  const versionOf = (job: BatchJobDef, date: string): string => {
    const days = Math.max(0, Math.floor(job.lookbackDays ?? 0));
    if (days === 0) return lake.inputVersion(date);
    const versions: string[] = [];
    for (let d = days; d >= 0; d--) versions.push(lake.inputVersion(addDays(date, -d)));
    return versions.join('/');
  };

  const isDue = (job: BatchJobDef, date: string, version: string): boolean => {
    const last = history.last(job.name, date);
    if (last === undefined || last.inputVersion !== version) return true;
    if (
      last.status === 'failed' &&
      (last.failure ?? (last.error?.startsWith('error:') ? 'crash' : 'check')) === 'crash'
    )
      return true;
    return job.dependsOn.some((dep) => (history.last(dep, date)?.finishedAt ?? 0) > last.startedAt);
  };

  /** Queues the day's jobs in DAG order; each checks whether it is due when its turn comes. */
  const queueDate = async (
    date: string,
    trigger: RunTrigger,
    opts: { only?: readonly string[]; force?: boolean } = {},
  ): Promise<RunRecord[]> => {
    dayStartOf(date); // throws BATCH_BAD_DATE unless a real YYYY-MM-DD day
    for (const name of opts.only ?? []) {
      if (!jobs.some((j) => j.name === name)) {
        throw new CryptoLambdaError(
          BATCH_ERRORS.unknownJob,
          `no batch job "${name}"; the jobs are ${jobs.map((j) => j.name).join(', ')}`,
        );
      }
    }
    const queued = jobs
      .filter((job) => opts.only === undefined || opts.only.includes(job.name))
      .map((job) =>
        queue.add(job.name, date, job.dependsOn, async () => {
          const version = versionOf(job, date);
          if (opts.force !== true && !isDue(job, date, version)) return undefined;
          return runOne(job, date, trigger, version);
        }),
      );
    const runs = await Promise.all(queued);
    watermark = computeWatermark();
    return runs.filter((r): r is RunRecord => r !== undefined);
  };

  const processedUntilTs = (date: string): UnixMs => processedUntil(history, jobs, date);
  const computeWatermark = (): UnixMs | undefined => lakeWatermark(lake, processedUntilTs);
  watermark = computeWatermark();

  const dueDates = (): string[] =>
    lake.dates().filter((date) => jobs.some((job) => isDue(job, date, versionOf(job, date))));

  const runDue = async (trigger: RunTrigger, dates?: readonly string[]): Promise<RunRecord[]> => {
    // Which days are due is known once the runs queued before have run.
    if (dates === undefined) await queue.settled();
    const days = [...(dates ?? dueDates())].sort();
    return (await Promise.all(days.map((date) => queueDate(date, trigger)))).flat();
  };

  return {
    jobs,
    history,
    runDate: (date, trigger, opts) => queueDate(date, trigger, opts),
    runDue,
    dueDates,
    notify(changes) {
      let sealed = false;
      for (const change of changes) {
        if (change.kind === 'sealed') {
          pendingSealed.add(change.date);
          sealed = true;
        }
      }
      if (!sealed) return;
      clearTimeout(sealedTimer);
      sealedTimer = setTimeout(() => {
        const dates = [...pendingSealed];
        pendingSealed.clear();
        runDue('sealed', dates).catch(() => undefined);
      }, options.sealedDebounceMs ?? 500);
    },
    start(signal) {
      for (const job of jobs) {
        crons.push(
          new Cron(
            job.cron,
            { timezone: 'UTC', protect: true },
            () => void runDue('cron').catch(() => undefined),
          ),
        );
      }
      signal.addEventListener(
        'abort',
        () => {
          for (const c of crons) c.stop();
          clearTimeout(sealedTimer);
        },
        { once: true },
      );
    },
    async idle() {
      while (sealedTimer !== undefined && pendingSealed.size > 0) await sleep(50);
      await queue.settled();
    },
    useLanes: (count) => queue.useLanes(count),
    watermarkTs: () => watermark,
    processedUntilTs,
    async close() {
      for (const c of crons) c.stop();
      clearTimeout(sealedTimer);
      await queue.settled();
      instance.closeSync();
    },
  };
}
