import { basename } from 'node:path';
import { CryptoLambdaError, type UnixMs } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import {
  canonicalSymbolOf,
  detectFormats,
  FILE_FORMATS,
  formatById,
  venueOfFormat,
} from '../venues/index.js';
import type { FileFormat, VenueDef } from '../venues/venue.js';
import { REPLAY_FORMATS, type ReplayFormat } from './detect.js';
import { isGzipFile, readLineChunks } from './lines.js';

/** How a file is replayed. Every field is optional; see `REPLAY_DEFAULTS`. */
export interface ReplayOptions {
  /**
   * Symbol of a CSV dump (`XRPETH` or `XRP-ETH`), needed when the file name does not give one;
   * it wins over the file name. Frames carry their own symbols and ignore it.
   * @default the symbol the file name gives in its venue's naming (data.binance.vision's)
   */
  symbol?: string;
  /** One of `REPLAY_FORMATS` (the registered venues' formats). @default detected from the path and first lines */
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
  format: FileFormat;
  /** The venue the format belongs to. */
  venue: VenueDef;
  gzip: boolean;
  /** Canonical symbol of a `rows` file (a CSV dump); undefined for frames, which carry their own. */
  symbol: string | undefined;
  /** Exclusive end of the period the file's name says it covers (a daily dump: the next day). */
  periodEndTs: UnixMs | undefined;
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
  if (symbol !== undefined && canonicalSymbolOf(symbol) === undefined) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.badSymbol,
      `symbol ${JSON.stringify(symbol)} is neither canonical (XRP-ETH) nor a symbol a venue spells its way (XRPETH)`,
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
  for await (const { lines } of readLineChunks(path, gzip)) {
    head.push(...lines.slice(0, HEAD_LINES - head.length));
    if (head.length >= HEAD_LINES) break;
  }
  const format =
    options.format === undefined ? detect(path, head, options.symbol) : formatById(options.format);
  if (format === undefined) throw badOption(`unknown format ${options.format}`);
  const venue = venueOfFormat(format);
  const named = venue.fileName(path);
  const periodEndTs = named?.periodEndTs;
  if (format.layout === 'frames') return { path, format, venue, gzip, symbol: undefined, periodEndTs };
  const symbol = options.symbol === undefined ? named?.symbol : canonicalSymbolOf(options.symbol, venue);
  if (symbol === undefined) {
    throw new CryptoLambdaError(
      options.symbol === undefined ? INGEST_ERRORS.symbolRequired : INGEST_ERRORS.badSymbol,
      options.symbol === undefined
        ? `${name} does not name its symbol the way ${venue.id} names its dumps (BTCUSDT-trades-2025-01-01.csv); ` +
            'pass --symbol (e.g. --symbol BTCUSDT)'
        : `symbol ${JSON.stringify(options.symbol)} is not a ${venue.id} symbol; write it as ${venue.id} does (BTCUSDT) or as BASE-QUOTE`,
    );
  }
  return { path, format, venue, gzip, symbol, periodEndTs };
}

/** The one format that recognises the file, or a message that says what to pass. */
function detect(path: string, head: readonly string[], symbol: string | undefined): FileFormat {
  const found = detectFormats({ path, lines: head, symbol });
  if (found.length === 1 && found[0] !== undefined) return found[0];
  const what = head.some((line) => line.trim() !== '')
    ? 'cannot tell the format of'
    : 'nothing to tell the format from in the empty file';
  const choices = found.length > 1 ? found : FILE_FORMATS;
  throw new CryptoLambdaError(
    INGEST_ERRORS.unknownFormat,
    `${what} ${path}` +
      (found.length > 1 ? ` (it could be ${found.map((f) => f.id).join(' or ')})` : '') +
      `; pass --format ${choices.map((f) => f.id).join('|')} (\`--help\` describes them)`,
  );
}

function badOption(message: string): CryptoLambdaError {
  return new CryptoLambdaError(INGEST_ERRORS.badOption, message);
}
