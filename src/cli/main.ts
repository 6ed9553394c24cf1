import { isCryptoLambdaError } from '../domain/index.js';
import { INGEST_ERRORS } from '../ingest/index.js';
import { LAKE_ERRORS } from '../lake/index.js';
import { LOG_ERRORS } from '../log/index.js';
import { SPEED_ERRORS } from '../speed/index.js';
import { CLI_ERRORS } from './args.js';
import { backfillCommand } from './commands/backfill.js';
import { batchCommand } from './commands/batch.js';
import { candlesCommand } from './commands/candles.js';
import { repairCommand } from './commands/repair.js';
import { replayCommand } from './commands/replay.js';
import { startCommand } from './commands/start.js';
import { type Output, processOutput } from './output.js';

const HELP = `Usage: crypto-lambda <command> [options]

Real-time and historical crypto market analytics.

Commands:
  start     run everything in one process: sources, log, speed layer, API and dashboard
  candles   a file of trades in, Binance kline CSV out
  replay    replay a file through the log, speed layer and lake, run the batch jobs, then exit
  batch     run the batch jobs by hand (batch run <job|all>), or see their state (batch status)
  backfill  load historical files into the lake and run the batch jobs day by day (resumable)
  repair    set damaged files of a data directory aside, keep what is readable, say what was lost

Run \`crypto-lambda <command> --help\` for a command's options.`;

/** Errors about a damaged data directory, which `repair` deals with. */
const REPAIRABLE: ReadonlySet<string> = new Set([
  LOG_ERRORS.damaged,
  LOG_ERRORS.corrupt,
  LOG_ERRORS.offsetPastEnd,
  SPEED_ERRORS.checkpointCorrupt,
  LAKE_ERRORS.manifestCorrupt,
  INGEST_ERRORS.positionsCorrupt,
]);

/**
 * The one place that reads the environment: `PORT`, `HOST`, `DATA_DIR`, `LOG_LEVEL`,
 * `LOG_SEGMENT_BYTES`. Everything else gets its settings as arguments.
 */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const segmentBytes = process.env['LOG_SEGMENT_BYTES'];
  const env = {
    dataDir: process.env['DATA_DIR'] ?? 'data',
    port: process.env['PORT'] === undefined ? 3000 : Number(process.env['PORT']),
    host: process.env['HOST'] ?? '127.0.0.1',
    logLevel: process.env['LOG_LEVEL'] ?? 'info',
    logSegmentBytes: segmentBytes === undefined ? undefined : Number(segmentBytes),
  };
  const [command, ...args] = argv;
  if (
    env.logSegmentBytes !== undefined &&
    !(Number.isSafeInteger(env.logSegmentBytes) && env.logSegmentBytes > 0)
  ) {
    out.stderr(
      `crypto-lambda: LOG_SEGMENT_BYTES must be a positive integer (bytes), got ${JSON.stringify(segmentBytes)}\n`,
    );
    return 2;
  }
  try {
    switch (command) {
      case 'start':
        return await startCommand(args, env, out);
      case 'candles':
        return await candlesCommand(args, out);
      case 'replay':
        return await replayCommand(args, env, out);
      case 'batch':
        return await batchCommand(args, env, out);
      case 'backfill':
        return await backfillCommand(args, env, out);
      case 'repair':
        return await repairCommand(args, env, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.stdout(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      default:
        out.stderr(`crypto-lambda: unknown command ${JSON.stringify(command)}\n\n${HELP}\n`);
        return 2;
    }
  } catch (error) {
    if (isCryptoLambdaError(error)) {
      out.stderr(`crypto-lambda ${command}: ${error.message} [${error.code}]\n`);
      if (REPAIRABLE.has(error.code) && command !== 'repair') {
        const dataDir = dataDirOf(args, env.dataDir);
        out.stderr(
          `Nothing was changed. Run \`crypto-lambda repair --data-dir ${dataDir}\`: it sets the damaged files ` +
            `aside under ${dataDir}/damaged/, keeps every record that can still be read, rebuilds what can be ` +
            `derived again, and says exactly what was lost.\n`,
        );
      }
      return error.code === CLI_ERRORS.usage ? 2 : 1;
    }
    throw error;
  }
}

/** The data directory a command was given, for advice (its own parser has already failed). */
function dataDirOf(args: readonly string[], fallback: string): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--data-dir' && args[i + 1] !== undefined) return args[i + 1] as string;
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return fallback;
}

/** Resolves once what was written to `stream` is handed over. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

// The process ends here, whatever still runs: a command that returned has closed what it opened
// (the log's lock included), and a worker thread or timer left behind by a failed start must not
// keep a process that cannot serve alive.
let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    `crypto-lambda: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  code = 1;
}
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
