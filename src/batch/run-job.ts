import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { UnixMs } from '../domain/index.js';
import { DAY_MS, dayStart, type LakeReader } from '../lake/index.js';
import type { RunHistory, RunRecord } from './history.js';
import type { BatchJobDef, JobContext } from './job.js';

export type RunTrigger = 'sealed' | 'cron' | 'manual' | 'backfill';

export interface JobRunnerDeps {
  instance: DuckDBInstance;
  lake: LakeReader;
  history: RunHistory;
  clock: () => UnixMs;
  /** Attempts after the first when a job throws. */
  retries: number;
  /** Wait before the first retry; ×4 for each next one. */
  backoffMs: number;
  onRun?: (run: RunRecord) => void;
}

/**
 * Runs one job for one day and records the run: blocked when a dependency's last run of the day
 * did not succeed; else the job on a connection of its own, its output renamed over the day's
 * gold file on success, retried with backoff when it throws (a crash), kept with its message when
 * its check fails.
 */
export function createJobRunner(
  deps: JobRunnerDeps,
): (job: BatchJobDef, date: string, trigger: RunTrigger, version: string) => Promise<RunRecord> {
  const { instance, lake, history, clock } = deps;
  const finish = async (run: Omit<RunRecord, 'finishedAt' | 'durationMs'>): Promise<RunRecord> => {
    const finishedAt = clock();
    const record: RunRecord = { ...run, finishedAt, durationMs: finishedAt - run.startedAt };
    await history.append(record);
    deps.onRun?.(record);
    return record;
  };
  return async (job, date, trigger, version) => {
    const startedAt = clock();
    const start = dayStart(date);
    const untilTs = lake.untilTs(date) ?? start;
    const base: Omit<RunRecord, 'status' | 'finishedAt' | 'durationMs' | 'rows' | 'error' | 'attempts'> = {
      id: `${job.name}:${date}:${startedAt}`,
      job: job.name,
      date,
      trigger,
      startedAt,
      inputUntilTs: untilTs,
      inputVersion: version,
    };
    const blockers = job.dependsOn
      .map((dep) => history.last(dep, date))
      .filter((r): r is RunRecord => r !== undefined && r.status !== 'succeeded');
    if (blockers.length > 0) {
      const why = blockers
        .map((b) => `${b.job} ${b.status}${b.error === null ? '' : ` (${b.error})`}`)
        .join('; ');
      return finish({ ...base, status: 'blocked', attempts: 1, rows: 0, error: `blocked by ${why}` });
    }
    const goldPath = lake.goldPath(job.name, date);
    const outputPath = join(dirname(goldPath), `.tmp-${basename(goldPath)}`);
    await mkdir(dirname(goldPath), { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const connection = await instance.connect();
      const ctx: JobContext = {
        connection,
        date,
        dayStartTs: start,
        untilTs,
        silverFiles: (from, to) => lake.silverFiles(from, to),
        goldFile: (name, d) => {
          const path = lake.goldPath(name, d);
          return existsSync(path) ? path : undefined;
        },
        outputPath,
        nowMs: clock(),
      };
      try {
        const output = await job.run(ctx);
        await rename(outputPath, goldPath);
        return finish({
          ...base,
          status: output.status === 'ok' ? 'succeeded' : 'failed',
          attempts: attempt,
          rows: output.rows,
          error: output.status === 'ok' ? null : `check: ${output.message ?? 'failed'}`,
          ...(output.status === 'ok' ? {} : { failure: 'check' as const }),
        });
      } catch (error) {
        await unlink(outputPath).catch(() => undefined);
        if (attempt > deps.retries) {
          const message = error instanceof Error ? error.message : String(error);
          return finish({
            ...base,
            status: 'failed',
            attempts: attempt,
            rows: 0,
            error: `error: ${message}`,
            failure: 'crash',
          });
        }
        await sleep(deps.backoffMs * 4 ** (attempt - 1));
      } finally {
        connection.closeSync();
      }
    }
  };
}

/**
 * The end of what every job has processed of a day: the least `inputUntilTs` among each job's
 * last run of it, the day's start when a job has no successful last run (or no run at all).
 */
export function processedUntil(history: RunHistory, jobs: readonly BatchJobDef[], date: string): UnixMs {
  const start = dayStart(date);
  let processed = start + DAY_MS;
  for (const job of jobs) {
    const last = history.last(job.name, date);
    processed = Math.min(processed, last?.status === 'succeeded' ? last.inputUntilTs : start);
  }
  return processed;
}

/** Walking the days with data oldest first, the end of what every job has processed, up to the first day not complete. */
export function lakeWatermark(
  lake: LakeReader,
  processedUntilTs: (date: string) => UnixMs,
): UnixMs | undefined {
  let out: UnixMs | undefined;
  for (const date of lake.dates()) {
    const start = dayStart(date);
    const processed = processedUntilTs(date);
    if (processed <= start) return out;
    out = processed;
    if (processed < start + DAY_MS) return out;
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
