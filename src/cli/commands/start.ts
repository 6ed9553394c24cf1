import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { CryptoLambdaError } from '../../domain/index.js';
import { inspectReplay, openSource, runInWorker, type Source, type SourceSpec } from '../../ingest/index.js';
import { buildServer } from '../../serve/index.js';
import { CLI_ERRORS, parseCommandArgs, parseHost, parsePort, parsePositiveOption } from '../args.js';
import type { Output } from '../output.js';
import { openPipeline } from '../pipeline.js';
import { checkFormat, formatOptionHelp, parseSourceOption, type SourceDefaults } from '../source-option.js';

/** The real sample shipped in the package, replayed by default beside the simulator. */
export const SAMPLE_FILE = fileURLToPath(
  new URL('../../../../samples/XRPETH-aggTrades-2019-10-11.csv.gz', import.meta.url),
);
/** Trades per second of the default sample replay: the 2019 day plays in about five minutes. */
export const SAMPLE_REPLAY_RATE = 20;

export const START_HELP = `Usage: crypto-lambda start [options]

Runs everything in one process: sources → durable log → speed layer → HTTP/WebSocket API and
dashboard. With no --source it runs the market simulator plus a replay of a real Binance
sample shipped in the package (XRP/ETH, 2019-10-11) at ${SAMPLE_REPLAY_RATE} trades/s.

Options:
  --source <s>        replay:<file> (Binance CSV dump or recorded WebSocket frames) or
                      simulator; repeat for several sources. A replay takes its own symbol
                      and format after a #: replay:<file>#symbol=XRPETH,format=<f>
  --symbol <s>        symbol of replayed CSV dumps whose file names do not say it (XRPETH)
${formatOptionHelp(22)}
                      (--symbol and --format apply to every replay without its own)
  --replay-rate <n>   trades per second for replays (default: as fast as possible)
  --sim-rate <n>      trades per second of the simulator (default: 50)
  --data-dir <dir>    where the log and checkpoints live (default: $DATA_DIR or ./data)
  --port <n>          HTTP port (default: $PORT or 3000)
  --host <h>          address to listen on (default: $HOST or 127.0.0.1; 0.0.0.0 for all)
  --no-worker         run the sources in the main thread instead of one worker thread each
  -h, --help          this help

Examples:
  crypto-lambda start
  crypto-lambda start --source replay:BTCUSDT-aggTrades-2025-01-01.csv.gz --replay-rate 2000
  crypto-lambda start --source 'replay:day-12.csv.gz#symbol=XRPETH' --source simulator
  crypto-lambda start --source simulator --port 8080`;

export interface StartEnv {
  dataDir: string;
  port: number;
  host: string;
  logLevel: string;
  /** The log's segment size (`LOG_SEGMENT_BYTES`); undefined: the log's default. */
  logSegmentBytes: number | undefined;
}

export async function startCommand(args: string[], env: StartEnv, out: Output): Promise<number> {
  const { values } = parseCommandArgs('start', args, {
    source: { type: 'string', multiple: true },
    'replay-rate': { type: 'string' },
    'sim-rate': { type: 'string' },
    symbol: { type: 'string' },
    format: { type: 'string' },
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'no-worker': { type: 'boolean' },
  });
  if (values.help) {
    out.stdout(`${START_HELP}\n`);
    return 0;
  }
  const defaults: SourceDefaults = {
    replayRate: parsePositiveOption('replay-rate', values['replay-rate']),
    simRate: parsePositiveOption('sim-rate', values['sim-rate']),
    symbol: values.symbol,
    format: values.format === undefined ? undefined : checkFormat(values.format),
  };
  const port = values.port === undefined ? env.port : parsePort('--port', values.port);
  const host = values.host === undefined ? env.host : parseHost('--host', values.host);
  const specs = await sourceSpecs(values.source ?? [], defaults, out);
  const logger = pino({ level: env.logLevel });
  const dataDir = values['data-dir'] ?? env.dataDir;
  const pipeline = await openPipeline({ dataDir, live: true, log: { segmentBytes: env.logSegmentBytes } });
  for (const note of pipeline.log.recovery) logger.warn({ recovery: note }, 'log recovered after a crash');
  const app = buildServer(pipeline.deps, { logger });
  const address = await app.listen({ port, host }).catch(async (error: unknown) => {
    // Nothing to serve: let go of the data directory (its lock) before saying why.
    await app.close();
    await pipeline.close();
    throw listenError(error, port, host);
  });
  // Each source parses in a worker thread of its own unless told otherwise (`--no-worker`);
  // started once the pipeline is open, so a process that cannot serve starts none.
  const sources: Source[] = specs.map((spec) =>
    values['no-worker'] === true ? openSource(spec) : runInWorker(spec),
  );
  out.stderr(`crypto-lambda is running: dashboard and API at ${address.replace('127.0.0.1', 'localhost')}\n`);
  out.stderr(`sources: ${sources.map((s) => s.name).join(', ')}; data in ${dataDir}\n`);

  const runs = sources.map((source) =>
    pipeline.runSource(source).catch((error: unknown) => {
      logger.error({ err: error, source: source.name }, 'source failed');
    }),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.stderr('stopping: closing the server, checkpointing the speed layer…\n');
  await app.close();
  await pipeline.close();
  await Promise.allSettled(runs);
  return 0;
}

async function sourceSpecs(specs: string[], defaults: SourceDefaults, out: Output): Promise<SourceSpec[]> {
  if (specs.length === 0) {
    out.stderr(
      `no --source given: running the market simulator and a replay of the shipped Binance sample ` +
        `(XRP/ETH, 2019-10-11) at ${SAMPLE_REPLAY_RATE} trades/s\n`,
    );
    return [
      parseSourceOption('simulator', defaults),
      {
        kind: 'replay',
        path: SAMPLE_FILE,
        options: { replayRate: defaults.replayRate ?? SAMPLE_REPLAY_RATE },
      },
    ];
  }
  const sources: SourceSpec[] = [];
  for (const text of specs) {
    const spec = parseSourceOption(text, defaults);
    // Fails here, before anything starts, on a file that is missing or says too little.
    if (spec.kind === 'replay') await inspectReplay(spec.path, spec.options);
    sources.push(spec);
  }
  return sources;
}

/** Why the server could not listen, as the user can act on it; other errors as they are. */
function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return new CryptoLambdaError(
      CLI_ERRORS.portInUse,
      `port ${port} on ${host} is in use by another process (another crypto-lambda?); ` +
        'pass --port <n> (or set PORT) for another one, or --port 0 for any free one',
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new CryptoLambdaError(
      CLI_ERRORS.portDenied,
      `port ${port} needs privileges this process does not have; pass --port 1024 or above (default 3000)`,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CryptoLambdaError(
      CLI_ERRORS.badHost,
      `cannot listen on ${host}: not an address of this machine; pass --host 127.0.0.1 (this machine) or 0.0.0.0 (all)`,
      { cause: error },
    );
  }
  return error;
}
