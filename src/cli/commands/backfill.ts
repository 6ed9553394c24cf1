import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CryptoLambdaError, utcDayStart } from '../../domain/index.js';
import { inspectReplay, type ReplayInfo, runInWorker } from '../../ingest/index.js';
import { type BulkSeal, DAY_MS, datesBetween, dayStart } from '../../lake/index.js';
import { CLI_ERRORS, parseCommandArgs, parsePositiveOption, requireOption } from '../args.js';
import type { BatchLayer } from '../batch-layer.js';
import { type DumpLoading, openDumpLoading } from '../dump-load.js';
import type { Output } from '../output.js';
import { openPipeline, type Pipeline } from '../pipeline.js';
import { startProgress } from '../progress.js';
import { REJECT_ERRORS } from '../rejects.js';
import { checkFormat, formatOptionHelp } from '../source-option.js';
import { describeRun } from './batch.js';

export const BACKFILL_HELP = `Usage: crypto-lambda backfill --from <day> --to <day> [--input <file or folder>]... [options]

Loads historical files into the lake and runs the batch DAG once per day, oldest first, when
the day's files are all in, showing progress. Dumps go straight into the lake (bronze keeps
each file as received; silver gets its trades, deduplicated; bad rows are listed by
/api/v1/rejected), not through the speed layer: history is the batch layer's. Interrupted at
any moment and run again with the same arguments, it resumes where it stopped; run again once
done, it changes nothing. Without --input it runs the DAG over the days already in the lake.

Files: Binance aggTrades/trades CSV dumps from data.binance.vision (header or not, gzip or
not, ms or µs times) or recorded WebSocket frames (loaded through the log, as replay does). A
folder is read one level deep. A file is taken when the day in its name
(BTCUSDT-aggTrades-2024-01-02.csv.gz) is between --from and --to; a file with no day in its
name (a monthly dump) is always taken, before the others.

Exits 1 when a batch run failed, or when every row of a file was rejected (a wrong file or
--format, most likely): the other files are loaded all the same.

Options:
  --from <day>          first UTC day, 2019-10-11
  --to <day>            last UTC day (inclusive)
  --input <path>        a file or a folder; repeat for several
  --symbol <s>          symbol of CSV dumps whose file names do not say it (BTCUSDT)
${formatOptionHelp(24)}
  --commit-every <n>    commit the lake at least every n trades of a dump: bounds the memory a
                        load takes, about 50 bytes a trade (default 5000000)
  --data-dir <dir>      where the log and the lake live (default: $DATA_DIR or ./data)
  -h, --help            this help

Example:
  crypto-lambda backfill --from 2024-01-01 --to 2024-01-07 --input ./dumps/`;

const DAY_IN_NAME = /(\d{4}-\d{2}-\d{2})/;
const TRADE_FILE = /\.(csv|csv\.gz|jsonl|jsonl\.gz|gz|json)$/i;

export async function backfillCommand(
  args: string[],
  env: { dataDir: string },
  out: Output,
): Promise<number> {
  const { values } = parseCommandArgs('backfill', args, {
    from: { type: 'string' },
    to: { type: 'string' },
    input: { type: 'string', multiple: true },
    symbol: { type: 'string' },
    format: { type: 'string' },
    'commit-every': { type: 'string' },
    'data-dir': { type: 'string' },
  });
  if (values.help === true) {
    out.stdout(`${BACKFILL_HELP}\n`);
    return 0;
  }
  const plan = await planBackfill(values);
  const dataDir = values['data-dir'] ?? env.dataDir;
  const commitEvery = parsePositiveOption('commit-every', values['commit-every']);
  out.stderr(
    `backfill ${plan.from}..${plan.to}: ${plan.days.length} day(s), ${plan.taken} file(s), data in ${dataDir}\n`,
  );
  const pipeline = await openPipeline({
    dataDir,
    live: false,
    // Two lanes once every file is in (`loadDays`): the last days' DAGs overlap, each job on one
    // DuckDB thread, instead of running alone on one core after the last commit.
    batch: { onRun: (run) => out.stderr(`  ${describeRun(run)}\n`), jobLanes: 2 },
  });
  const batch = pipeline.batch;
  if (batch === undefined) throw new Error('backfill needs the batch layer');
  let failed = 0;
  /** Files of which every row was rejected (a wrong file or --format, most likely). */
  const whollyRejected: string[] = [];
  try {
    const dumps = await openDumpLoading(pipeline.log, batch.lake, join(dataDir, 'lake'), out, {
      ...(commitEvery === undefined ? {} : { flushRows: Math.ceil(commitEvery) }),
    });
    try {
      failed = await loadDays(plan, pipeline, batch, dumps, out, whollyRejected);
      whollyRejected.push(...dumps.whollyRejected());
    } finally {
      await dumps.close();
    }
  } finally {
    await pipeline.close();
  }
  const watermark = batch.scheduler.watermarkTs();
  out.stderr(
    `backfill done: batch watermark ${watermark === undefined ? 'none' : new Date(watermark).toISOString()}` +
      `${failed > 0 ? `; ${failed} run(s) failed or blocked (see \`crypto-lambda batch status\`)` : ''}\n`,
  );
  // The other files are loaded; a file that gave nothing but rejected rows fails the run, as
  // `replay` and `candles` fail on such an input.
  if (whollyRejected.length > 0) {
    throw new CryptoLambdaError(
      REJECT_ERRORS.allRejected,
      `every row of ${whollyRejected.join(', ')} was rejected and no trade came out of it; check that it is ` +
        `the file, --format and --symbol you meant (\`crypto-lambda start --data-dir ${dataDir}\` lists the ` +
        `rejected rows with their reasons at /api/v1/rejected)`,
    );
  }
  return failed > 0 ? 1 : 0;
}

/** The days and the files of a backfill, every file inspected (format, symbol). */
interface BackfillPlan {
  from: string;
  to: string;
  days: string[];
  /** Files naming no day (monthly dumps, frames), loaded first. */
  undated: ReplayInfo[];
  byDay: Map<string, ReplayInfo[]>;
  taken: number;
}

async function planBackfill(values: {
  from?: string;
  to?: string;
  input?: string[];
  symbol?: string;
  format?: string;
}) {
  const format = values.format === undefined ? undefined : checkFormat(values.format);
  const from = parseDay('from', requireOption('backfill', 'from', values.from));
  const to = parseDay('to', requireOption('backfill', 'to', values.to));
  if (from > to) throw new CryptoLambdaError(CLI_ERRORS.badOption, `--from ${from} is after --to ${to}`);
  const days = datesBetween(from, to);
  const files = await inputFiles(values.input ?? []);
  // Every file's format and symbol first: a file that cannot be loaded fails before anything is.
  const infos: ReplayInfo[] = [];
  for (const path of files) {
    infos.push(
      await inspectReplay(path, {
        ...(values.symbol === undefined ? {} : { symbol: values.symbol }),
        ...(format === undefined ? {} : { format }),
      }),
    );
  }
  const dayOf = (info: ReplayInfo): string | undefined => DAY_IN_NAME.exec(basename(info.path))?.[1];
  const undated = infos.filter((f) => dayOf(f) === undefined);
  const byDay = new Map(days.map((d) => [d, infos.filter((f) => dayOf(f) === d)]));
  const taken = undated.length + [...byDay.values()].reduce((n, list) => n + list.length, 0);
  if ((values.input ?? []).length > 0 && taken === 0) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `no input file for ${from}..${to}: file names must hold the day (…-2019-10-11.csv.gz), or pass the files themselves`,
    );
  }
  return { from, to, days, undated, byDay, taken } satisfies BackfillPlan;
}

/**
 * Loads the files day by day, oldest first, and runs each day's DAG once its input is in; the
 * DAGs run while the next days load (one job at a time, two once the last day is committed; each
 * job's days in order), and each unit's last commit while the next unit is read. Returns how
 * many runs failed or were blocked.
 */
async function loadDays(
  plan: BackfillPlan,
  pipeline: Pipeline,
  batch: BatchLayer,
  dumps: DumpLoading,
  out: Output,
  whollyRejected: string[],
): Promise<number> {
  let failed = 0;
  // Until the last commit, one job runs at a time: two DuckDB queries beside a commit's two
  // Parquet copies would hold all four of libuv's threads, and gunzip and the commit's file
  // writes would wait for them.
  batch.scheduler.useLanes(1);
  let previous: Promise<void> = Promise.resolve();
  if (plan.undated.length > 0)
    previous = (await loadUnit(pipeline, dumps, out, '[undated]', plan.undated, 'newest', whollyRejected))
      .committed;
  const dags: Promise<void>[] = [];
  for (const [i, day] of plan.days.entries()) {
    const label = `[day ${i + 1}/${plan.days.length} ${day}]`;
    const files = plan.byDay.get(day) ?? [];
    const seal = { untilTs: dayStart(day) + DAY_MS };
    const loaded = await loadUnit(pipeline, dumps, out, label, files, seal, whollyRejected);
    // The day's input is complete: its DAG runs once. Dumps sealed it already; frames (and a
    // day given no file, whose lake may hold open hours) are sealed by the lake writer first.
    const runs = Promise.all([previous, loaded.committed]).then(() =>
      loaded.frames > 0 || loaded.dumps === 0
        ? batch.finishInput('backfill', [day])
        : batch.scheduler.runDue('backfill', [day]),
    );
    previous = loaded.committed;
    const dag = runs.then((list) => {
      failed += list.filter((r) => r.status !== 'succeeded').length;
      if (list.length === 0) out.stderr(`${label} batch views up to date\n`);
    });
    dag.catch(() => undefined);
    dags.push(dag);
  }
  await previous;
  batch.scheduler.useLanes(2);
  await Promise.all(dags);
  return failed;
}

/**
 * Loads one unit of files (a day's, or those naming no day): dumps in bulk into the lake, then
 * sealed as `seal` says; recorded WebSocket frames through the pipeline, as `replay` does (they
 * are small, and their bronze is the frames as received).
 */
async function loadUnit(
  pipeline: Pipeline,
  dumps: DumpLoading,
  out: Output,
  label: string,
  infos: readonly ReplayInfo[],
  seal: BulkSeal,
  whollyRejected: string[],
): Promise<{ frames: number; dumps: number; committed: Promise<void> }> {
  const frames = infos.filter((f) => f.format.layout === 'frames');
  const csv = infos.filter((f) => f.format.layout !== 'frames');
  for (const [i, info] of frames.entries()) {
    const source = runInWorker({ kind: 'replay', path: info.path, options: { format: info.format.id } });
    // A file resumed after a crash delivers only its rest: its counts say nothing of the whole.
    const fromStart = pipeline.writer.positionOf(source.name) === undefined;
    const progress = startProgress(out, () => {
      const s = pipeline.status().sources.find((x) => x.name === source.name);
      return `${label} file ${i + 1}/${frames.length} ${basename(info.path)}: ${s?.state ?? 'starting'}, ${s?.trades ?? 0} trades, ${s?.rejected ?? 0} rejected`;
    });
    try {
      await pipeline.runSource(source);
    } finally {
      progress.stop();
    }
    const c = pipeline.writer.counters().get(source.name);
    if (fromStart && c !== undefined && c.trades + c.duplicates === 0 && c.rejected > 0)
      whollyRejected.push(info.path);
    out.stderr(
      `${label} ${basename(info.path)}: ${c?.trades ?? 0} new trades, ${c?.duplicates ?? 0} already loaded, ${c?.rejected ?? 0} rejected\n`,
    );
  }
  if (frames.length > 0) await pipeline.runner.caughtUp();
  if (csv.length === 0) return { frames: frames.length, dumps: 0, committed: Promise.resolve() };
  const { committed } = await dumps.load(label, csv, seal);
  return {
    frames: frames.length,
    dumps: csv.length,
    committed: committed.then((t) => {
      out.stderr(
        `${label} silver: ${t.added} new trades, ${t.staged - t.added} there already; ${t.sealedHours} hour(s) sealed\n`,
      );
    }),
  };
}

function parseDay(name: string, value: string): string {
  if (utcDayStart(value) === undefined) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--${name} ${JSON.stringify(value)} is not a day: use YYYY-MM-DD`,
    );
  }
  return value;
}

async function inputFiles(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => {
      throw new CryptoLambdaError(CLI_ERRORS.badOption, `--input ${input}: no such file or folder`);
    });
    if (!info.isDirectory()) {
      out.push(input);
      continue;
    }
    for (const entry of (await readdir(input, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (entry.isFile() && TRADE_FILE.test(entry.name)) out.push(join(input, entry.name));
    }
  }
  return out;
}
