import { isCryptoLambdaError } from '../domain/index.js';
import { CLI_ERRORS } from './args.js';
import { backfillCommand } from './commands/backfill.js';
import { batchCommand } from './commands/batch.js';
import { candlesCommand } from './commands/candles.js';
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

Run \`crypto-lambda <command> --help\` for a command's options.`;

/**
 * The one place that reads the environment: `PORT`, `HOST`, `DATA_DIR`, `LOG_LEVEL`.
 * Everything else gets its settings as arguments.
 */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const env = {
    dataDir: process.env['DATA_DIR'] ?? 'data',
    port: process.env['PORT'] === undefined ? 3000 : Number(process.env['PORT']),
    host: process.env['HOST'] ?? '127.0.0.1',
    logLevel: process.env['LOG_LEVEL'] ?? 'info',
  };
  const [command, ...args] = argv;
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
      return error.code === CLI_ERRORS.usage ? 2 : 1;
    }
    throw error;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
