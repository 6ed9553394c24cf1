import { basename } from 'node:path';
import { binanceToCanonical, isCanonicalSymbol } from '../../domain/index.js';
import { parseBool } from '../binance/fields.js';

/**
 * Replayable file formats:
 * - `binance-aggtrades-csv`: a data.binance.vision aggTrades dump;
 * - `binance-trades-csv`: a data.binance.vision trades dump;
 * - `binance-ws`: recorded WebSocket frames, one per line (raw or combined-stream frames,
 *   `{"received_at","raw"}` records, cryptofeed `<seconds>: <frame>` captures).
 */
export type ReplayFormat = 'binance-aggtrades-csv' | 'binance-trades-csv' | 'binance-ws';

export const REPLAY_FORMATS: readonly ReplayFormat[] = [
  'binance-aggtrades-csv',
  'binance-trades-csv',
  'binance-ws',
];

/** data.binance.vision names its daily and monthly dumps `<SYMBOL>-<kind>-<YYYY-MM[-DD]>.csv`. */
const DUMP_NAME = /^([A-Za-z0-9]+)-(aggTrades|trades)-\d{4}-\d{2}(?:-\d{2})?\.csv(?:\.gz)?$/;
const CAPTURE_LINE = /^\d+(?:\.\d+)?: /;

/**
 * Recognises a file's format from its name and first lines; undefined when neither tells.
 * Frames are recognised by content; a CSV by the dump's file name, then its header, then the
 * shape of its first row (headerless dumps).
 */
export function detectFormat(fileName: string, headLines: readonly string[]): ReplayFormat | undefined {
  const first = headLines.find((line) => line.trim() !== '' && !isUrl(line));
  const hasUrlHeader = headLines.some(isUrl);
  if (first === undefined) return hasUrlHeader ? 'binance-ws' : undefined;
  const start = first.trimStart();
  if (start.startsWith('{') || start.startsWith('[') || CAPTURE_LINE.test(first)) return 'binance-ws';
  const dump = DUMP_NAME.exec(basename(fileName));
  if (dump !== null) return dump[2] === 'aggTrades' ? 'binance-aggtrades-csv' : 'binance-trades-csv';
  const cols = first.trimEnd().split(',');
  if (/^[A-Za-z]/.test(first)) {
    if (cols.includes('agg_trade_id') || cols.includes('first_trade_id')) return 'binance-aggtrades-csv';
    if (cols.includes('quote_qty') || cols[0] === 'id') return 'binance-trades-csv';
    return undefined;
  }
  if (cols.length === 8) return 'binance-aggtrades-csv';
  if (cols.length === 6) return 'binance-trades-csv';
  if (cols.length === 7) {
    // Spot trades end with two booleans; futures aggTrades (no is_best_match) with one.
    return parseBool(cols[5] ?? '') === undefined ? 'binance-aggtrades-csv' : 'binance-trades-csv';
  }
  return undefined;
}

/** The canonical symbol in a data.binance.vision dump's file name (`XRPETH-aggTrades-...` → `XRP-ETH`). */
export function symbolFromFileName(fileName: string): string | undefined {
  const dump = DUMP_NAME.exec(basename(fileName));
  return dump?.[1] === undefined ? undefined : binanceToCanonical(dump[1]);
}

/** A `symbol` option as canonical: `XRPETH`, `xrpeth` and `XRP-ETH` all give `XRP-ETH`. */
export function normaliseSymbol(symbol: string): string | undefined {
  const upper = symbol.trim().toUpperCase();
  if (upper.includes('-')) return isCanonicalSymbol(upper) ? upper : undefined;
  return binanceToCanonical(upper);
}

function isUrl(line: string): boolean {
  return /^(?:wss?|https?):\/\//.test(line);
}
