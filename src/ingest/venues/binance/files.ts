import { basename } from 'node:path';
import { type UnixMs, utcDayStart } from '../../../domain/index.js';
import { parseBool } from '../parse.js';
import type { FileHead, FileNameInfo } from '../venue.js';
import { BINANCE_CSV_LAYOUTS, type BinanceCsvLayout, splitRow } from './csv.js';
import { BINANCE_VENUE } from './fields.js';
import { binanceToCanonical, isCoinmSymbol } from './symbols.js';

/**
 * data.binance.vision names its daily and monthly dumps `<SYMBOL>-<kind>-<YYYY-MM[-DD]>.csv`,
 * the same for spot and futures (COIN-M symbols are contracts: `BTCUSD_PERP`). Found anywhere in
 * the name, so renamed copies still tell: a prefix (`spot_XRPETH-…`), a time after the day
 * (`XRPETH-aggTrades-2019-10-12T0000Z_….csv.gz`), other suffixes (`….csv.gz.1`, `… (1).csv`).
 */
const DUMP_NAME =
  /(?:^|[^A-Za-z0-9])([A-Za-z0-9]+(?:_(?:PERP|\d{6}))?)-(aggTrades|trades)-(\d{4})-(\d{2})(?:-(\d{2})(?!\d)|(?!-?\d))/i;
/** data.binance.vision's folders: `…/aggTrades/<SYMBOL>/<file>`, for a file renamed past recognition. */
const DUMP_FOLDER = /(?:^|[\\/])(aggTrades|trades)[\\/]([A-Za-z0-9]+(?:_(?:PERP|\d{6}))?)[\\/][^\\/]+$/i;
const CAPTURE_LINE = /^\d+(?:\.\d+)?: /;
/** Something only Binance frames (or a capture of Binance streams) have in their first lines. */
const BINANCE_FRAME_MARK = /"(?:e|stream)"\s*:|binance\.com/;

interface DumpName {
  venueSymbol: string;
  kind: 'aggTrades' | 'trades';
  periodEndTs: UnixMs | undefined;
}

function dumpName(path: string): DumpName | undefined {
  const dump = DUMP_NAME.exec(basename(path));
  if (dump === null) {
    const folder = DUMP_FOLDER.exec(path);
    if (folder === null) return undefined;
    return { venueSymbol: folder[2] ?? '', kind: kindWord(folder[1]), periodEndTs: undefined };
  }
  const [, venueSymbol = '', kind, year, month, day] = dump;
  const start = utcDayStart(`${year}-${month}-${day ?? '01'}`);
  const periodEndTs: UnixMs | undefined =
    start === undefined
      ? undefined
      : day === undefined
        ? Date.UTC(Number(year), Number(month), 1)
        : start + 86_400_000;
  return { venueSymbol, kind: kindWord(kind), periodEndTs };
}

function kindWord(word: string | undefined): 'aggTrades' | 'trades' {
  return word?.toLowerCase() === 'aggtrades' ? 'aggTrades' : 'trades';
}

/** What a data.binance.vision file name (or folder) says: the symbol and the period the dump covers. */
export function binanceFileName(path: string): FileNameInfo | undefined {
  const dump = dumpName(path);
  if (dump === undefined) return undefined;
  return { symbol: binanceToCanonical(dump.venueSymbol), periodEndTs: dump.periodEndTs };
}

/** What the first lines and the name say about a CSV dump: its kind, its column count, COIN-M hints. */
interface CsvShape {
  kind: 'aggTrades' | 'trades';
  columns: number;
  header: readonly string[] | undefined;
  coinm: boolean;
  /** Whether the file's name (or folder) is a dump's. */
  named: boolean;
}

/**
 * Whether a file holds recorded Binance frames: JSON lines or cryptofeed `<seconds>: <frame>`
 * captures whose first lines look like Binance's (an `e` or `stream` key, a binance.com URL).
 */
export function isBinanceFrames(head: FileHead): boolean {
  const first = head.lines.find((line) => line.trim() !== '' && !isUrl(line));
  if (first === undefined) return head.lines.some((line) => isUrl(line) && BINANCE_FRAME_MARK.test(line));
  const start = first.trimStart();
  if (!(start.startsWith('{') || start.startsWith('[') || CAPTURE_LINE.test(first))) return false;
  return head.lines.some((line) => BINANCE_FRAME_MARK.test(line));
}

/**
 * Whether a file is a dump of `layout`. The kind comes from the header, else the file name,
 * else the first row's shape (spot trades end with two booleans, futures aggTrades with one);
 * the column count tells spot from futures; COIN-M from USD-M the `base_qty` column, a COIN-M
 * symbol (`BTCUSD_PERP`, in the name, the folders or the `symbol` option) or a `futures/cm` folder.
 */
export function isBinanceDump(head: FileHead, layout: BinanceCsvLayout): boolean {
  const shape = csvShape(head);
  if (shape === undefined || shape.kind !== layout.kind) return false;
  if (shape.columns !== layout.columns.length) {
    // A file named as a dump whose rows fit no layout of its kind is read as the spot dump it
    // says it is, so that each bad row is rejected with its reason rather than the file refused.
    const fits = BINANCE_CSV_LAYOUTS.some((l) => l.kind === shape.kind && l.columns.length === shape.columns);
    return !fits && shape.named && layout.market === BINANCE_VENUE;
  }
  if (
    shape.header !== undefined &&
    shape.header.includes('base_qty') !== layout.columns.includes('base_qty')
  ) {
    return false;
  }
  const futures = !layout.columns.includes('is_best_match');
  return !futures || shape.coinm === layout.format.startsWith('binance-coinm');
}

function csvShape(head: FileHead): CsvShape | undefined {
  const lines = head.lines.filter((line) => line.trim() !== '');
  const first = lines[0];
  if (first === undefined || !/^[A-Za-z0-9]/.test(first) || CAPTURE_LINE.test(first)) return undefined;
  const named = dumpName(head.path);
  const hasHeader = /^[A-Za-z]/.test(first);
  const header = hasHeader ? splitRow(first).map((name) => name.trim()) : undefined;
  const row = hasHeader ? lines[1] : first;
  const cols = row === undefined ? undefined : splitRow(row);
  const columns = cols?.length ?? header?.length ?? 0;
  const kind = kindOf(header, named, cols);
  if (kind === undefined) return undefined;
  const coinm =
    header?.includes('base_qty') === true ||
    /(?:^|[\\/])futures[\\/]cm[\\/]/.test(head.path) ||
    isCoinmSymbol(named?.venueSymbol ?? '') ||
    head.path.split(/[\\/]/).some(isCoinmSymbol) ||
    isCoinmSymbol(head.symbol ?? '');
  return { kind, columns, header, coinm, named: named !== undefined };
}

function kindOf(
  header: readonly string[] | undefined,
  named: DumpName | undefined,
  cols: readonly string[] | undefined,
): 'aggTrades' | 'trades' | undefined {
  if (header !== undefined) {
    if (header.includes('agg_trade_id') || header.includes('first_trade_id')) return 'aggTrades';
    if (header.includes('quote_qty') || header.includes('base_qty') || header[0] === 'id') return 'trades';
    if (named === undefined) return undefined;
  }
  if (named !== undefined) return named.kind;
  if (cols === undefined) return undefined;
  if (cols.length === 8) return 'aggTrades';
  if (cols.length === 6) return 'trades';
  if (cols.length === 7) return parseBool(cols[5] ?? '') === undefined ? 'aggTrades' : 'trades';
  return undefined;
}

function isUrl(line: string): boolean {
  return /^(?:wss?|https?):\/\//.test(line);
}
