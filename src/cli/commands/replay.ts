import { openSource, runInWorker, type SourceSpec } from '../../ingest/index.js';
import { parseCommandArgs, parsePositiveOption, requireOption } from '../args.js';
import type { Output } from '../output.js';
import { openPipeline } from '../pipeline.js';
import { startProgress } from '../progress.js';
import { judgeRejects, tallyRejects, tapSource } from '../rejects.js';
import { checkFormat, formatOptionHelp } from '../source-option.js';
import { describeRun } from './batch.js';

export const REPLAY_HELP = `Usage: crypto-lambda replay --input <file> [options]

Replays a file of trades through the durable log, the speed layer and the lake, then, at the
end of the input, seals the lake's hours and runs the batch jobs over them. Closed candles
land in the log's candles topic, silver trades and gold views in the lake under --data-dir. Killed at any moment (even with SIGKILL) and started again with
the same arguments, it resumes where it stopped and ends with exactly the same candles.

Options:
  --input <file>        Binance aggTrades/trades CSV dump or recorded WebSocket frames
  --symbol <s>          symbol of a CSV dump whose file name does not say (BTCUSDT)
${formatOptionHelp(24)}
  --replay-rate <n>     trades per second (default: as fast as possible)
  --data-dir <dir>      where the log and checkpoints live (default: $DATA_DIR or ./data)
  --no-worker           read and parse the file in the main thread instead of a worker thread
  -h, --help            this help

Rejected records (lines that are not valid trades) go to the log's rejected topic, counted by
reason; their count and the first few, with line numbers, are printed at the end, and
\`crypto-lambda start\` on the same --data-dir lists them at /api/v1/rejected. Exit status: 0
when trades came out of the file, even if some records were rejected; 1 when every record
was rejected (CLI_ALL_REJECTED) or on any other error; 2 for a usage error.`;

export interface ReplayEnv {
  dataDir: string;
  /** The log's segment size (`LOG_SEGMENT_BYTES`); undefined: the log's default. */
  logSegmentBytes: number | undefined;
}

export async function replayCommand(args: string[], env: ReplayEnv, out: Output): Promise<number> {
  const { values } = parseCommandArgs('replay', args, {
    input: { type: 'string' },
    symbol: { type: 'string' },
    format: { type: 'string' },
    'replay-rate': { type: 'string' },
    'data-dir': { type: 'string' },
    'no-worker': { type: 'boolean' },
  });
  if (values.help) {
    out.stdout(`${REPLAY_HELP}\n`);
    return 0;
  }
  const input = requireOption('replay', 'input', values.input);
  const replayRate = parsePositiveOption('replay-rate', values['replay-rate']);
  const spec: SourceSpec = {
    kind: 'replay',
    path: input,
    options: {
      ...(values.symbol === undefined ? {} : { symbol: values.symbol }),
      ...(values.format === undefined ? {} : { format: checkFormat(values.format) }),
      ...(replayRate === undefined ? {} : { replayRate }),
    },
  };
  const dataDir = values['data-dir'] ?? env.dataDir;
  const pipeline = await openPipeline({ dataDir, live: false, log: { segmentBytes: env.logSegmentBytes } });
  // The worker thread parses while this one writes the log and runs the speed layer; started
  // once the pipeline is open, so a replay that cannot run starts no thread.
  const tally = tallyRejects();
  const source = tapSource(values['no-worker'] === true ? openSource(spec) : runInWorker(spec), tally);
  const progress = startProgress(out, () => {
    const s = pipeline.status();
    const src = s.sources[0];
    return `replay ${src?.state ?? 'starting'}: ${src?.trades ?? 0} trades in the log, ${s.speed.tradesProcessed} through the speed layer (lag ${s.speed.lag}), ${src?.rejected ?? 0} rejected`;
  });
  try {
    await pipeline.runSource(source);
    await pipeline.runner.caughtUp();
    progress.stop();
    // End of input: every hour of the lake is sealed and the batch DAG runs over it.
    const runs = (await pipeline.batch?.finishInput()) ?? [];
    for (const run of runs) out.stderr(`${describeRun(run)}\n`);
  } finally {
    progress.stop();
    await pipeline.close();
  }
  const counters = pipeline.writer.counters().get(source.name);
  out.stderr(
    `replay finished: ${counters?.trades ?? 0} new trades, ${counters?.duplicates ?? 0} duplicates dropped, ` +
      `${counters?.rejected ?? 0} rejected, ${counters?.ignored ?? 0} non-trade frames ignored; ` +
      `${pipeline.runner.tradesProcessed()} trades in the speed layer\n`,
  );
  const where = `\`crypto-lambda start --data-dir ${dataDir}\` lists them all at /api/v1/rejected`;
  const judged = judgeRejects(input, tally, where);
  for (const line of judged.lines) out.stderr(`${line}\n`);
  if (judged.error !== undefined) throw judged.error;
  return 0;
}
