import { readFileSync } from 'node:fs';
import { isCryptoLambdaError } from '../domain/index.js';
import { CLI_ERRORS, parseDataDir, parseHost, parseLogLevel, parsePort } from './args.js';
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

Run \`crypto-lambda <command> --help\` for a command's options, \`crypto-lambda --version\` for the version.

Environment (checked before a command that reads it runs; --port, --host, --data-dir win):
  PORT, HOST      where \`start\` serves (default 3000, 127.0.0.1)
  DATA_DIR        the data directory of start, replay, batch and backfill (default ./data)
  LOG_LEVEL       fatal, error, warn, info (default), debug, trace or silent`;

/** The environment variables each command reads; the others are neither read nor checked. */
const ENV_READ: Readonly<Record<string, readonly string[]>> = {
  start: ['PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL'],
  replay: ['DATA_DIR'],
  batch: ['DATA_DIR'],
  backfill: ['DATA_DIR'],
};

/** The settings from the environment that `command` reads, checked; defaults for the rest. */
function readEnv(command: string | undefined): {
  dataDir: string;
  port: number;
  host: string;
  logLevel: string;
} {
  const read = ENV_READ[command ?? ''] ?? [];
  const value = (name: string): string | undefined => (read.includes(name) ? process.env[name] : undefined);
  const [dataDir, port, host, logLevel] = [
    value('DATA_DIR'),
    value('PORT'),
    value('HOST'),
    value('LOG_LEVEL'),
  ];
  return {
    dataDir: dataDir === undefined ? 'data' : parseDataDir('DATA_DIR', dataDir),
    port: port === undefined ? 3000 : parsePort('PORT', port),
    host: host === undefined ? '127.0.0.1' : parseHost('HOST', host),
    logLevel: logLevel === undefined ? 'info' : parseLogLevel('LOG_LEVEL', logLevel),
  };
}

/** The package's version, from its package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(pkg.version);
}

/**
 * An error of the operating system (a file that cannot be made, an address that cannot be
 * bound) as one line with a stable code; anything else is a bug, and keeps its stack trace.
 */
function systemError(error: unknown): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown; message?: unknown } | null;
  if (typeof e?.code !== 'string' || typeof e.syscall !== 'string') return undefined;
  return `${String(e.message)}: check the path or address and its permissions [${CLI_ERRORS.system}]`;
}

/**
 * The one place that reads the environment: `PORT`, `HOST`, `DATA_DIR`, `LOG_LEVEL`, each
 * checked (with the message of the option it stands for) before a command that reads it runs.
 * Everything else gets its settings as arguments.
 */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const [command, ...args] = argv;
  try {
    const env = readEnv(command);
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
      case '--version':
      case '-v':
      case 'version':
        out.stdout(`${version()}\n`);
        return 0;
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
    const system = systemError(error);
    if (system === undefined) throw error;
    out.stderr(`crypto-lambda ${command}: ${system}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
