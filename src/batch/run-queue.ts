/**
 * The order the scheduler's job runs start in. A run of job J for day D starts once
 * - the runs of J's dependencies for D queued before it have finished (the DAG),
 * - J's run queued before it (for an earlier day, as the days are queued) has finished: a job may
 *   read its own gold of earlier days (`candles` the day before), and through its dependencies
 *   theirs (`trending` reads the 7 days of `candles` before), and
 * - one of `lanes` is free.
 *
 * With one lane every run also waits for the run queued before it, whatever its job: runs go
 * one at a time in the order they were queued. With more, runs of different days overlap, each
 * on its own connection and DuckDB thread, so outputs stay byte-identical; only the order they
 * finish in (the history's order) varies.
 */
export interface RunQueue {
  /**
   * Queues `run` as job `job`'s run for `date`; resolves with what it returns. A run that
   * throws rejects its own promise only: the runs after it still start (and find its record, or
   * none, in the history).
   */
  add<T>(job: string, date: string, dependsOn: readonly string[], run: () => Promise<T>): Promise<T>;
  /** Resolves once every run queued so far has finished. */
  settled(): Promise<void>;
  /**
   * How many of the queue's lanes runs may use from now on (1 to its lanes; runs already
   * running finish). A queue of one lane keeps running in queue order whatever this says.
   */
  useLanes(count: number): void;
}

export function createRunQueue(lanes: number): RunQueue {
  const max = Math.max(1, Math.floor(lanes));
  let limit = max;
  let busy = 0;
  const waiting: (() => void)[] = [];
  /** Settles with the last queued run of each job, of each job and day, and of any job. */
  const lastOfJob = new Map<string, Promise<unknown>>();
  const lastOfJobDay = new Map<string, Promise<unknown>>();
  let last: Promise<unknown> = Promise.resolve();
  const pending = new Set<Promise<unknown>>();

  const acquire = async (): Promise<void> => {
    if (busy < limit) {
      busy++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = busy <= limit ? waiting.shift() : undefined;
    if (next === undefined) busy--;
    else next();
  };

  return {
    add(job, date, dependsOn, run) {
      const before = [
        lastOfJob.get(job),
        ...dependsOn.map((dep) => lastOfJobDay.get(`${dep} ${date}`)),
        ...(max === 1 ? [last] : []),
      ];
      const result = Promise.all(before).then(async () => {
        await acquire();
        try {
          return await run();
        } finally {
          release();
        }
      });
      const done = result.then(
        () => undefined,
        () => undefined,
      );
      lastOfJob.set(job, done);
      lastOfJobDay.set(`${job} ${date}`, done);
      last = done;
      pending.add(done);
      void done.then(() => {
        pending.delete(done);
        if (lastOfJob.get(job) === done) lastOfJob.delete(job);
        if (lastOfJobDay.get(`${job} ${date}`) === done) lastOfJobDay.delete(`${job} ${date}`);
      });
      return result;
    },
    async settled() {
      await Promise.all([...pending]);
    },
    useLanes(count) {
      limit = Math.min(max, Math.max(1, Math.floor(count)));
      while (busy < limit && waiting.length > 0) {
        busy++;
        waiting.shift()?.();
      }
    },
  };
}
