import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CryptoLambdaError, utcDayStart } from '../../domain/index.js';
import { runInWorker, type SourceSpec } from '../../ingest/index.js';
import { datesBetween } from '../../lake/index.js';
import { CLI_ERRORS, parseCommandArgs, requireOption } from '../args.js';
import type { Output } from '../output.js';
import { openPipeline } from '../pipeline.js';
import { startProgress } from '../progress.js';
import { checkFormat, formatOptionHelp } from '../source-option.js';
import { describeRun } from './batch.js';

export const BACKFILL_HELP = `Usage: crypto-lambda backfill --from <day> --to <day> [--input <file or folder>]... [options]

Loads historical files into the lake (bronze and silver, through the durable log) and runs
the batch DAG day by day, oldest first, showing progress. Interrupted at any moment and run
again with the same arguments, it resumes where it stopped; run again once done, it changes
nothing. Without --input it runs the DAG over the days already in the lake.

Files: Binance aggTrades/trades CSV dumps from data.binance.vision (gzip or not) or recorded
WebSocket frames. A folder is read one level deep. A file is taken when the day in its name
(BTCUSDT-aggTrades-2024-01-02.csv.gz) is between --from and --to; a file with no day in its
name is always taken, before the others.

Options:
  --from <day>      first UTC day, 2019-10-11
  --to <day>        last UTC day (inclusive)
  --input <path>    a file or a folder; repeat for several
  --symbol <s>      symbol of CSV dumps whose file names do not say it (BTCUSDT)
${formatOptionHelp(20)}
  --data-dir <dir>  where the log and the lake live (default: $DATA_DIR or ./data)
  -h, --help        this help

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
    'data-dir': { type: 'string' },
  });
  if (values.help === true) {
    out.stdout(`${BACKFILL_HELP}\n`);
    return 0;
  }
  const format = values.format === undefined ? undefined : checkFormat(values.format);
  const from = parseDay('from', requireOption('backfill', 'from', values.from));
  const to = parseDay('to', requireOption('backfill', 'to', values.to));
  if (from > to) throw new CryptoLambdaError(CLI_ERRORS.badOption, `--from ${from} is after --to ${to}`);
  const days = datesBetween(from, to);
  const files = await inputFiles(values.input ?? []);
  const undated = files.filter((f) => DAY_IN_NAME.exec(basename(f)) === null);
  const byDay = new Map(days.map((d) => [d, files.filter((f) => DAY_IN_NAME.exec(basename(f))?.[1] === d)]));
  const taken = undated.length + [...byDay.values()].reduce((n, list) => n + list.length, 0);
  if ((values.input ?? []).length > 0 && taken === 0) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `no input file for ${from}..${to}: file names must hold the day (…-2019-10-11.csv.gz), or pass the files themselves`,
    );
  }
  const dataDir = values['data-dir'] ?? env.dataDir;
  out.stderr(`backfill ${from}..${to}: ${days.length} day(s), ${taken} file(s), data in ${dataDir}\n`);
  const pipeline = await openPipeline({
    dataDir,
    live: false,
    batch: { onRun: (run) => out.stderr(`  ${describeRun(run)}\n`) },
  });
  const batch = pipeline.batch;
  if (batch === undefined) throw new Error('backfill needs the batch layer');
  let failed = 0;
  try {
    const load = async (label: string, list: readonly string[]): Promise<void> => {
      for (const [i, path] of list.entries()) {
        const spec: SourceSpec = {
          kind: 'replay',
          path,
          options: {
            ...(values.symbol === undefined ? {} : { symbol: values.symbol }),
            ...(format === undefined ? {} : { format }),
          },
        };
        const source = runInWorker(spec);
        const progress = startProgress(out, () => {
          const s = pipeline.status().sources.find((x) => x.name === source.name);
          return `${label} file ${i + 1}/${list.length} ${basename(path)}: ${s?.state ?? 'starting'}, ${s?.trades ?? 0} trades, ${s?.rejected ?? 0} rejected`;
        });
        try {
          await pipeline.runSource(source);
        } finally {
          progress.stop();
        }
        const c = pipeline.writer.counters().get(source.name);
        out.stderr(
          `${label} ${basename(path)}: ${c?.trades ?? 0} new trades, ${c?.duplicates ?? 0} already loaded, ${c?.rejected ?? 0} rejected\n`,
        );
      }
      await pipeline.runner.caughtUp();
    };
    if (undated.length > 0) await load('[undated]', undated);
    for (const [i, day] of days.entries()) {
      const label = `[day ${i + 1}/${days.length} ${day}]`;
      await load(label, byDay.get(day) ?? []);
      const runs = await batch.finishInput('backfill', [day]);
      failed += runs.filter((r) => r.status !== 'succeeded').length;
      if (runs.length === 0) out.stderr(`${label} batch views up to date\n`);
    }
  } finally {
    await pipeline.close();
  }
  const watermark = batch.scheduler.watermarkTs();
  out.stderr(
    `backfill done: batch watermark ${watermark === undefined ? 'none' : new Date(watermark).toISOString()}` +
      `${failed > 0 ? `; ${failed} run(s) failed or blocked (see \`crypto-lambda batch status\`)` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
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
