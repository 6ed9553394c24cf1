import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { type BatchJobDef, openScheduler } from '../../src/batch/index.js';
import { isCryptoLambdaError } from '../../src/domain/index.js';
import { createLakeReader, openLakeWriter, readParquetSql, sqlText } from '../../src/lake/index.js';
import { DAY0, HOUR, tempLake, trade } from '../lake/helpers.js';

/** A job counting silver rows of the day; `fail` makes it throw that many times first. */
function countJob(
  name: string,
  dependsOn: string[] = [],
  behaviour: { throws?: number; check?: string } = {},
): BatchJobDef & { calls: number } {
  let throwsLeft = behaviour.throws ?? 0;
  const job = {
    name,
    description: 'counts silver rows',
    dependsOn,
    cron: '0 * * * *',
    calls: 0,
    async run(ctx: Parameters<BatchJobDef['run']>[0]) {
      job.calls++;
      if (throwsLeft > 0) {
        throwsLeft--;
        throw new Error('disk hiccup');
      }
      const files = ctx.silverFiles(ctx.date, ctx.date);
      const from = files.length === 0 ? '(SELECT 1 WHERE false)' : readParquetSql(files);
      const result = await ctx.connection.runAndReadAll(
        `COPY (SELECT count(*) AS n, ${ctx.untilTs}::BIGINT AS until_ts FROM ${from}) TO ${sqlText(ctx.outputPath)} (FORMAT parquet)`,
      );
      void result;
      return behaviour.check === undefined
        ? { rows: 1, status: 'ok' as const }
        : { rows: 1, status: 'failed' as const, message: behaviour.check };
    },
  };
  return job;
}

describe('batch scheduler', () => {
  it('runs the DAG for sealed days once, re-runs a day whose input changed, and keeps the history across restarts', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const a = countJob('a');
      const b = countJob('b', ['a']);
      let scheduler = await openScheduler({ lake: reader, jobs: [b, a], sealedDebounceMs: 10 });
      writer.onChange((changes) => scheduler.notify(changes));
      await lake.append([trade({ ts: DAY0 + 1000 }), trade({ ts: DAY0 + 2 * HOUR })]);
      await writer.catchUp();
      await scheduler.idle();
      const runs = scheduler.history.all();
      assert.deepEqual(
        runs.map((r) => [r.job, r.date, r.trigger, r.status, r.inputUntilTs]),
        [
          ['a', '2019-10-11', 'sealed', 'succeeded', DAY0 + HOUR],
          ['b', '2019-10-11', 'sealed', 'succeeded', DAY0 + HOUR],
        ],
      );
      assert.equal(scheduler.watermarkTs(), DAY0 + HOUR);
      assert.ok(existsSync(reader.goldPath('a', '2019-10-11')));
      assert.deepEqual(await scheduler.runDue('cron'), [], 'nothing is due');
      // A late trade re-opens hour 00: not run at once, but due at the next cron tick.
      await lake.append([trade({ ts: DAY0 + 5000 })]);
      await writer.catchUp();
      await scheduler.idle();
      assert.equal(scheduler.history.all().length, 2);
      assert.deepEqual(scheduler.dueDates(), ['2019-10-11']);
      await scheduler.close();
      scheduler = await openScheduler({ lake: reader, jobs: [a, b] });
      assert.equal(scheduler.history.all().length, 2, 'history persisted');
      const rerun = await scheduler.runDue('cron');
      assert.deepEqual(
        rerun.map((r) => [r.job, r.trigger, r.status]),
        [
          ['a', 'cron', 'succeeded'],
          ['b', 'cron', 'succeeded'],
        ],
      );
      await scheduler.close();
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it("a change of a day re-runs the next days' jobs that look back on it, and only those", async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const a = countJob('a');
      const c = { ...countJob('c', ['a']), lookbackDays: 1 };
      const scheduler = await openScheduler({ lake: reader, jobs: [a, c] });
      await lake.append([trade({ ts: DAY0 + 1000 }), trade({ ts: DAY0 + 24 * HOUR + 1000 })]);
      await writer.catchUp({ sealAll: true });
      await scheduler.runDue('cron');
      assert.deepEqual(scheduler.dueDates(), []);
      // A late trade re-opens day 0: its jobs are due, and on day 1 only `c`, which reads day 0.
      await lake.append([trade({ ts: DAY0 + 2000 })]);
      await writer.catchUp({ sealAll: true });
      assert.deepEqual(scheduler.dueDates(), ['2019-10-11', '2019-10-12']);
      const rerun = await scheduler.runDue('cron');
      assert.deepEqual(
        rerun.map((r) => [r.job, r.date]),
        [
          ['a', '2019-10-11'],
          ['c', '2019-10-11'],
          ['c', '2019-10-12'],
        ],
      );
      assert.deepEqual(scheduler.dueDates(), []);
      await scheduler.close();
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('retries a failing job with backoff, then records the failure and blocks the jobs downstream with the reason', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      await lake.append([trade({ ts: DAY0 + 1000 })]);
      await writer.catchUp({ sealAll: true });
      const flaky = countJob('flaky', [], { throws: 2 });
      const broken = countJob('broken', [], { throws: 99 });
      const checked = countJob('quality', [], { check: 'duplicates: 3' });
      const after = countJob('after', ['broken', 'quality']);
      const scheduler = await openScheduler({
        lake: reader,
        jobs: [flaky, broken, checked, after],
        retries: 2,
        backoffMs: 5,
      });
      const runs = await scheduler.runDate('2019-10-11', 'manual');
      const byJob = new Map(runs.map((r) => [r.job, r]));
      assert.equal(byJob.get('flaky')?.status, 'succeeded');
      assert.equal(byJob.get('flaky')?.attempts, 3);
      assert.equal(byJob.get('broken')?.status, 'failed');
      assert.equal(byJob.get('broken')?.error, 'error: disk hiccup');
      assert.equal(broken.calls, 3);
      assert.equal(byJob.get('quality')?.status, 'failed');
      assert.ok(existsSync(reader.goldPath('quality', '2019-10-11')), 'a failed check keeps its report');
      assert.equal(byJob.get('after')?.status, 'blocked');
      assert.match(
        byJob.get('after')?.error ?? '',
        /blocked by broken failed \(error: disk hiccup\); quality failed \(check: duplicates: 3\)/,
      );
      assert.equal(after.calls, 0);
      assert.deepEqual(
        ['broken', 'quality'].map((job) => byJob.get(job)?.failure),
        ['crash', 'check'],
      );
      // The next chance re-runs the crash (and what it blocked), not the failed check on the same input.
      assert.deepEqual(
        (await scheduler.runDue('cron')).map((r) => [r.job, r.status]),
        [
          ['broken', 'failed'],
          ['after', 'blocked'],
        ],
      );
      assert.equal(existsSync(reader.goldPath('broken', '2019-10-11')), false, 'no partial output');
      assert.equal(scheduler.watermarkTs(), undefined);
      await assert.rejects(scheduler.runDate('2019-10-11', 'manual', { only: ['nope'] }), (e: unknown) =>
        isCryptoLambdaError(e, 'BATCH_UNKNOWN_JOB'),
      );
      await scheduler.close();
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });

  it('a temporary gold file left by a killed run is swept at open and never replaces the output', async () => {
    const lake = await tempLake();
    try {
      const writer = await openLakeWriter(lake.log, { lakeDir: lake.lakeDir, live: false });
      const reader = createLakeReader(lake.lakeDir, writer.manifest);
      const tmp = join(dirname(reader.goldPath('a', '2019-10-11')), '.tmp-a.parquet');
      await import('node:fs/promises').then((fs) => fs.mkdir(dirname(tmp), { recursive: true }));
      await writeFile(tmp, 'half');
      const scheduler = await openScheduler({ lake: reader, jobs: [countJob('a')] });
      assert.equal(existsSync(tmp), false);
      await scheduler.close();
      await writer.close();
    } finally {
      await lake.cleanup();
    }
  });
});
