import { basename } from 'node:path';
import { CryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import {
  detectFormat,
  normaliseSymbol,
  REPLAY_FORMATS,
  type ReplayFormat,
  symbolFromFileName,
} from './detect.js';
import { isGzipFile, readLineChunks } from './lines.js';

/** How a file is replayed. Every field is optional; see `REPLAY_DEFAULTS`. */
export interface ReplayOptions {
  /**
   * Symbol of a CSV dump (`XRPETH` or `XRP-ETH`), needed when the file name does not give one;
   * it wins over the file name. Frames carry their own symbols and ignore it.
   * @default the symbol in a data.binance.vision file name
   */
  symbol?: string;
  /** @default detected from the file name and first lines */
  format?: ReplayFormat;
  /**
   * Trades per second, paced smoothly in small batches (1/s … 1e6/s).
   * @default undefined: as fast as possible
   */
  replayRate?: number;
  /** Lines per batch when running as fast as possible (and the most in any batch). @default 2000 */
  batchSize?: number;
  /** The clock: stamps rejections, bounds event times from above, paces. @default Date.now */
  now?: () => number;
}

/** `ReplayOptions` with every field present; undefined where "not set" has a meaning. */
export interface ResolvedReplayOptions {
  symbol: string | undefined;
  format: ReplayFormat | undefined;
  replayRate: number | undefined;
  batchSize: number;
  now: () => number;
}

export const REPLAY_DEFAULTS: ResolvedReplayOptions = {
  symbol: undefined,
  format: undefined,
  replayRate: undefined,
  batchSize: 2000,
  now: Date.now,
};

/** What `inspectReplay` found out about a file. */
export interface ReplayInfo {
  path: string;
  format: ReplayFormat;
  gzip: boolean;
  /** Canonical symbol of a CSV dump; undefined for frames, which carry their own. */
  symbol: string | undefined;
}

const MAX_REPLAY_RATE = 1e7;
const HEAD_LINES = 16;

/** Checks options that need no file, so a bad option fails when the source is made. */
export function validateReplayOptions(options: ReplayOptions): void {
  const { replayRate, batchSize, symbol, format } = options;
  if (replayRate !== undefined && !(replayRate > 0 && replayRate <= MAX_REPLAY_RATE)) {
    throw badOption(`replayRate must be in (0, ${MAX_REPLAY_RATE}] trades/s, got ${replayRate}`);
  }
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 1_000_000)) {
    throw badOption(`batchSize must be an integer in [1, 1000000], got ${batchSize}`);
  }
  if (format !== undefined && !REPLAY_FORMATS.includes(format)) {
    throw badOption(`format must be one of ${REPLAY_FORMATS.join(', ')}, got ${format}`);
  }
  if (symbol !== undefined && normaliseSymbol(symbol) === undefined) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.badSymbol,
      `symbol ${JSON.stringify(symbol)} is not a Binance symbol (XRPETH) or canonical one (XRP-ETH)`,
    );
  }
}

/**
 * Opens a replay file far enough to know its format and symbol. The CLI calls it to fail early
 * with a clear message; the replay source calls it when it starts.
 * @throws CryptoLambdaError `INGEST_FILE_NOT_FOUND`, `INGEST_FILE_UNREADABLE`,
 *   `INGEST_FILE_CORRUPT`, `INGEST_UNKNOWN_FORMAT`, `INGEST_SYMBOL_REQUIRED`, `INGEST_BAD_SYMBOL`
 */
export async function inspectReplay(path: string, options: ReplayOptions = {}): Promise<ReplayInfo> {
  validateReplayOptions(options);
  const name = basename(path);
  if (/\.zip$/i.test(name)) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.unknownFormat,
      `replay file ${path} is a zip archive; unzip it and replay the .csv inside (or gzip it)`,
    );
  }
  const gzip = await isGzipFile(path);
  const head: string[] = [];
  for await (const lines of readLineChunks(path, gzip)) {
    head.push(...lines.slice(0, HEAD_LINES - head.length));
    if (head.length >= HEAD_LINES) break;
  }
  const format = options.format ?? detectFormat(path, head);
  if (format === undefined) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.unknownFormat,
      `cannot tell the format of ${path}: expected a Binance aggTrades or trades CSV dump or recorded ` +
        `WebSocket frames; pass --format (${REPLAY_FORMATS.join(', ')})`,
    );
  }
  if (format === 'binance-ws') return { path, format, gzip, symbol: undefined };
  const symbol = options.symbol === undefined ? symbolFromFileName(path) : normaliseSymbol(options.symbol);
  if (symbol === undefined) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.symbolRequired,
      `${name} does not name its symbol the way data.binance.vision does (BTCUSDT-trades-2025-01-01.csv); ` +
        'pass --symbol (e.g. --symbol BTCUSDT)',
    );
  }
  return { path, format, gzip, symbol };
}

function badOption(message: string): CryptoLambdaError {
  return new CryptoLambdaError(INGEST_ERRORS.badOption, message);
}
