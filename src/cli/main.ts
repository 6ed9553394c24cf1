import { readFileSync } from 'node:fs';
import { isCryptoLambdaError } from '../domain/index.js';
import { INGEST_ERRORS } from '../ingest/index.js';
import { LAKE_ERRORS } from '../lake/index.js';
import { LOG_ERRORS } from '../log/index.js';
import { SPEED_ERRORS } from '../speed/index.js';
import {
  CLI_ERRORS,
  parseDataDir,
  parseHost,
  parseLogLevel,
  parsePort,
  parsePositiveInteger,
} from './args.js';
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

Run \`crypto-lambda <command> --help\` for a command's options, \`crypto-lambda --version\` for the version.

Environment (checked before a command that reads it runs; --port, --host, --data-dir win):
  PORT, HOST      where \`start\` serves (default 3000, 127.0.0.1)
  DATA_DIR        the data directory of start, replay, batch and backfill (default ./data)
  LOG_LEVEL       fatal, error, warn, info (default), debug, trace or silent
  LOG_SEGMENT_BYTES  size of a log segment file, for tests of several segments (default 64 MiB)`;

/** The environment variables each command reads; the others are neither read nor checked. */
const ENV_READ: Readonly<Record<string, readonly string[]>> = {
  start: ['PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL', 'LOG_SEGMENT_BYTES'],
  replay: ['DATA_DIR', 'LOG_SEGMENT_BYTES'],
  batch: ['DATA_DIR'],
  backfill: ['DATA_DIR'],
  repair: ['DATA_DIR'],
};

/** The settings from the environment that `command` reads, checked; defaults for the rest. */
function readEnv(command: string | undefined): {
  dataDir: string;
  port: number;
  host: string;
  logLevel: string;
  logSegmentBytes: number | undefined;
} {
  const read = ENV_READ[command ?? ''] ?? [];
  const value = (name: string): string | undefined => (read.includes(name) ? process.env[name] : undefined);
  const [dataDir, port, host, logLevel, segmentBytes] = [
    value('DATA_DIR'),
    value('PORT'),
    value('HOST'),
    value('LOG_LEVEL'),
    value('LOG_SEGMENT_BYTES'),
  ];
  return {
    dataDir: dataDir === undefined ? 'data' : parseDataDir('DATA_DIR', dataDir),
    port: port === undefined ? 3000 : parsePort('PORT', port),
    host: host === undefined ? '127.0.0.1' : parseHost('HOST', host),
    logLevel: logLevel === undefined ? 'info' : parseLogLevel('LOG_LEVEL', logLevel),
    logSegmentBytes:
      segmentBytes === undefined
        ? undefined
        : parsePositiveInteger('LOG_SEGMENT_BYTES', segmentBytes, 'bytes'),
  };
}

/** Errors about a damaged data directory, which `repair` deals with. */
const REPAIRABLE: ReadonlySet<string> = new Set([
  LOG_ERRORS.damaged,
  LOG_ERRORS.corrupt,
  LOG_ERRORS.offsetPastEnd,
  SPEED_ERRORS.checkpointCorrupt,
  LAKE_ERRORS.manifestCorrupt,
  INGEST_ERRORS.positionsCorrupt,
]);

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
    // Each command's modules load when it runs: `backfill` never loads the HTTP server's
    // (0.15-0.2 CPU-s a process).
    switch (command) {
      case 'start':
        return await (await import('./commands/start.js')).startCommand(args, env, out);
      case 'candles':
        return await (await import('./commands/candles.js')).candlesCommand(args, out);
      case 'replay':
        return await (await import('./commands/replay.js')).replayCommand(args, env, out);
      case 'batch':
        return await (await import('./commands/batch.js')).batchCommand(args, env, out);
      case 'backfill':
        return await (await import('./commands/backfill.js')).backfillCommand(args, env, out);
      case 'repair':
        return await (await import('./commands/repair.js')).repairCommand(args, env, out);
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
      if (REPAIRABLE.has(error.code) && command !== 'repair') out.stderr(repairAdvice(args));
      return error.code === CLI_ERRORS.usage ? 2 : 1;
    }
    const system = systemError(error);
    if (system === undefined) throw error;
    out.stderr(`crypto-lambda ${command}: ${system}\n`);
    return 1;
  }
}

/** What to run about a damaged data directory. */
function repairAdvice(args: readonly string[]): string {
  const dataDir = dataDirOf(args, process.env['DATA_DIR'] ?? 'data');
  return (
    `Nothing was changed. Run \`crypto-lambda repair --data-dir ${dataDir}\`: it sets the damaged files ` +
    `aside under ${dataDir}/damaged/, keeps every record that can still be read, rebuilds what can be ` +
    `derived again, and says exactly what was lost.\n`
  );
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
