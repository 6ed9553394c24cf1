import { basename } from 'node:path';
import type { UnixMs } from '../../../domain/index.js';
import { parseBool } from '../parse.js';
import type { FileHead, FileNameInfo } from '../venue.js';
import { binanceToCanonical } from './symbols.js';

/** The three ways Binance data comes in a file. */
export type BinanceFileKind = 'aggTrades' | 'trades' | 'frames';

/** data.binance.vision names its daily and monthly dumps `<SYMBOL>-<kind>-<YYYY-MM[-DD]>.csv`. */
const DUMP_NAME = /^([A-Za-z0-9]+)-(aggTrades|trades)-(\d{4})-(\d{2})(?:-(\d{2}))?\.csv(?:\.gz)?$/;
const CAPTURE_LINE = /^\d+(?:\.\d+)?: /;

/** What a data.binance.vision file name says: symbol, kind and the period the dump covers. */
export function binanceFileName(path: string): FileNameInfo | undefined {
  const dump = DUMP_NAME.exec(basename(path));
  if (dump === null) return undefined;
  const [, venueSymbol = '', , year, month, day] = dump;
  const periodEndTs: UnixMs =
    day === undefined
      ? Date.UTC(Number(year), Number(month), 1)
      : Date.UTC(Number(year), Number(month) - 1, Number(day) + 1);
  return { symbol: binanceToCanonical(venueSymbol), periodEndTs };
}

/**
 * Which kind of Binance file this is, from its first lines and name, or undefined. Frames are
 * recognised by content; a CSV by the dump's file name, then its header, then the shape of its
 * first row (headerless dumps).
 */
export function binanceFileKind(head: FileHead): BinanceFileKind | undefined {
  const first = head.lines.find((line) => line.trim() !== '' && !isUrl(line));
  const hasUrlHeader = head.lines.some(isUrl);
  if (first === undefined) return hasUrlHeader ? 'frames' : undefined;
  const start = first.trimStart();
  if (start.startsWith('{') || start.startsWith('[') || CAPTURE_LINE.test(first)) return 'frames';
  const dump = DUMP_NAME.exec(basename(head.path));
  if (dump !== null) return dump[2] === 'aggTrades' ? 'aggTrades' : 'trades';
  const cols = first.trimEnd().split(',');
  if (/^[A-Za-z]/.test(first)) {
    if (cols.includes('agg_trade_id') || cols.includes('first_trade_id')) return 'aggTrades';
    if (cols.includes('quote_qty') || cols[0] === 'id') return 'trades';
    return undefined;
  }
  if (cols.length === 8) return 'aggTrades';
  if (cols.length === 6) return 'trades';
  if (cols.length === 7) {
    // Spot trades end with two booleans; futures aggTrades (no is_best_match) with one.
    return parseBool(cols[5] ?? '') === undefined ? 'aggTrades' : 'trades';
  }
  return undefined;
}

function isUrl(line: string): boolean {
  return /^(?:wss?|https?):\/\//.test(line);
}
