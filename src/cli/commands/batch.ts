import { join } from 'node:path';
import {
  type BatchJobDef,
  createReconciliationJob,
  GOLD_JOBS,
  openScheduler,
  type RunRecord,
  type SpeedCandleSource,
} from '../../batch/index.js';
import { CryptoLambdaError, isCryptoLambdaError } from '../../domain/index.js';
import { openLakeReader } from '../../lake/index.js';
import { openFileLog } from '../../log/index.js';
import { createSpeedView } from '../../speed/index.js';
import { CLI_ERRORS, parseCommandArgs } from '../args.js';
import { speedCandles } from '../batch-layer.js';
import type { Output } from '../output.js';
import { rebuildView } from '../pipeline.js';

export const BATCH_HELP = `Usage: crypto-lambda batch <run|status> [options]

The batch layer: DuckDB jobs over the sealed hours of the lake under --data-dir. \`start\` runs
them by itself when hours seal and on each job's cron; these commands run them by hand.

  crypto-lambda batch run <job|all> [--date YYYY-MM-DD] [--force]
      runs a job (or the whole DAG in order) for a day, or for every day with data;
      without --force only what is due (new or changed input) runs
  crypto-lambda batch status
      the jobs, their last runs, the batch watermark and the size of the lake

Jobs: quality → candles → daily_market_metrics, top_movers, trending, reconciliation

Options:
  --date <d>        a UTC day, 2019-10-11 (default: every day with data)
  --force           run even when the output is up to date
  --data-dir <dir>  where the log and the lake live (default: $DATA_DIR or ./data)
  -h, --help        this help`;

export async function batchCommand(args: string[], env: { dataDir: string }, out: Output): Promise<number> {
  const [sub, ...rest] = args;
  const job = sub === 'run' && rest[0] !== undefined && !rest[0].startsWith('-') ? rest.shift() : undefined;
  const { values } = parseCommandArgs('batch', rest, {
    date: { type: 'string' },
    force: { type: 'boolean' },
    'data-dir': { type: 'string' },
  });
  if (values.help === true || sub === undefined || sub === '--help' || sub === '-h') {
    out.stdout(`${BATCH_HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  const dataDir = values['data-dir'] ?? env.dataDir;
  if (sub !== 'run' && sub !== 'status') {
    throw new CryptoLambdaError(
      CLI_ERRORS.usage,
      `unknown batch command "${sub}": use run or status (see --help)`,
    );
  }
  const lake = await openLakeReader(join(dataDir, 'lake'));
  const jobs: BatchJobDef[] = [...GOLD_JOBS];
  const speed = await speedCandlesFromLog(dataDir, out, sub === 'run');
  if (speed !== undefined) jobs.push(createReconciliationJob(speed));
  const scheduler = await openScheduler({ lake, jobs, onRun: (run) => out.stderr(`${describeRun(run)}\n`) });
  try {
    if (sub === 'status') {
      out.stdout(
        statusText(
          scheduler.jobs,
          scheduler.history.latestPerJob(),
          scheduler.watermarkTs(),
          lake.size(),
          scheduler.dueDates(),
        ),
      );
      return 0;
    }
    if (job === undefined) {
      throw new CryptoLambdaError(
        CLI_ERRORS.usage,
        'batch run needs a job name or "all" (see `crypto-lambda batch --help`)',
      );
    }
    const only = job === 'all' ? undefined : [job];
    const dates = values.date === undefined ? lake.dates() : [values.date];
    if (dates.length === 0)
      out.stderr(
        `the lake under ${dataDir} has no data yet: run \`crypto-lambda backfill\` or \`start\` first\n`,
      );
    let failed = 0;
    for (const date of dates) {
      const runs = await scheduler.runDate(date, 'manual', {
        ...(only === undefined ? {} : { only }),
        force: values.force === true,
      });
      failed += runs.filter((r) => r.status !== 'succeeded').length;
      if (runs.length === 0) out.stderr(`${date}: up to date (use --force to run again)\n`);
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await scheduler.close();
  }
}

export function describeRun(run: RunRecord): string {
  const mark = run.status === 'succeeded' ? '✓' : run.status === 'blocked' ? '⊘' : '✗';
  const tail = run.error === null ? '' : ` — ${run.error}`;
  return `${mark} ${run.job} ${run.date}: ${run.status} in ${run.durationMs ?? 0} ms, ${run.rows} rows${run.attempts > 1 ? `, ${run.attempts} attempts` : ''}${tail}`;
}

function statusText(
  jobs: readonly BatchJobDef[],
  lastRuns: readonly RunRecord[],
  watermarkTs: number | undefined,
  size: { files: number; bytes: number },
  due: readonly string[],
): string {
  const byJob = new Map(lastRuns.map((r) => [r.job, r]));
  const lines = [
    `batch watermark: ${watermarkTs === undefined ? 'none yet' : new Date(watermarkTs).toISOString()}`,
    `lake: ${size.files} files, ${(size.bytes / 1024 / 1024).toFixed(1)} MiB`,
    `days due: ${due.length === 0 ? 'none' : due.join(', ')}`,
    '',
    'job                    after                 cron          last run',
  ];
  for (const job of jobs) {
    const run = byJob.get(job.name);
    lines.push(
      `${job.name.padEnd(22)} ${(job.dependsOn.join(',') || '-').padEnd(21)} ${job.cron.padEnd(13)} ${run === undefined ? 'never' : describeRun(run)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The speed layer's final candles from the log's candles topic, for reconciliation; undefined
 * (reconciliation skipped, with a note) while another process holds the log.
 */
async function speedCandlesFromLog(
  dataDir: string,
  out: Output,
  needed: boolean,
): Promise<SpeedCandleSource | undefined> {
  if (!needed) return { series: () => [], candles: () => [] };
  let log: Awaited<ReturnType<typeof openFileLog>>;
  try {
    log = await openFileLog({ dir: join(dataDir, 'log') });
  } catch (error) {
    if (isCryptoLambdaError(error, 'LOG_LOCKED')) {
      out.stderr(
        'note: a running `crypto-lambda start` holds the log, so reconciliation runs there (on its cron), not here\n',
      );
      return undefined;
    }
    throw error;
  }
  // The same view `start` rebuilds at open, so reconciliation sees what it would there.
  const view = createSpeedView();
  try {
    await rebuildView(log, view);
  } finally {
    await log.close();
  }
  return speedCandles(view);
}
