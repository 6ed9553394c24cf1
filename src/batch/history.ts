import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JobRun } from '../domain/index.js';

/** A run as kept on disk: the API's `JobRun` plus the version of the input it read. */
export interface RunRecord extends JobRun {
  /** `LakeReader.inputVersion(date)` when the run started: a different one makes the day due again. */
  inputVersion: string;
  /**
   * Why a failed run failed: `crash`, the job threw (run again at the next chance), or `check`,
   * it reported a failed check (run again only when its input changes). Absent on older lines,
   * whose `error` starts with `error:` or `check:` instead.
   */
  failure?: 'crash' | 'check';
}

/**
 * The run history: one JSON line per finished run, appended to `<lake>/_batch/runs.jsonl`.
 * A line torn by a crash is skipped on load (that run simply runs again).
 */
export interface RunHistory {
  append(run: RunRecord): Promise<void>;
  /** Every run, oldest first (the newest `maxInMemory`). */
  all(): readonly RunRecord[];
  /** The newest run of a job for a day. */
  last(job: string, date: string): RunRecord | undefined;
  /** The newest run of each job. */
  latestPerJob(): RunRecord[];
}

export async function openRunHistory(path: string, maxInMemory = 10_000): Promise<RunHistory> {
  await mkdir(dirname(path), { recursive: true });
  const runs: RunRecord[] = [];
  const lastByKey = new Map<string, RunRecord>();
  const lastByJob = new Map<string, RunRecord>();
  const remember = (run: RunRecord): void => {
    runs.push(run);
    if (runs.length > maxInMemory) runs.splice(0, runs.length - maxInMemory);
    lastByKey.set(`${run.job}|${run.date}`, run);
    lastByJob.set(run.job, run);
  };
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      remember(JSON.parse(line) as RunRecord);
    } catch {
      // A line torn by a crash mid-append.
    }
  }
  return {
    async append(run) {
      // A torn last line from a crash would glue onto this one: start on a fresh line.
      await appendFile(
        path,
        `${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}${JSON.stringify(run)}\n`,
      );
      text = '\n';
      remember(run);
    },
    all: () => runs,
    last: (job, date) => lastByKey.get(`${job}|${date}`),
    latestPerJob: () => [...lastByJob.values()],
  };
}
