import { checkTrade, type Trade, toUnixMs } from '../../../domain/index.js';
import { isTradeId, type ParseResult, parseBool, parseDecimal, parseUint, rejectResult } from '../parse.js';
import { BINANCE_COINM_VENUE, BINANCE_USDM_VENUE, BINANCE_VENUE } from './fields.js';

/** `Rejected.stage` of CSV rows that fail here. */
export const BINANCE_CSV_STAGE = 'ingest:binance-csv';

/**
 * The layout of one kind of data.binance.vision dump: the one place that says which column
 * holds what, read by the line parsers here and by any bulk loader (a `read_csv` with these
 * column names). Rows map to a `Trade` as: `tradeId` = `fields.tradeId`, `price`, `qty`,
 * `ts` = `fields.ts` (ms, or µs in spot dumps from 2025-01-01: `toUnixMs`), `side` = `sell` when
 * `fields.buyerMaker` is true (the taker sold), `count` = `lastId − firstId + 1` for aggTrades
 * and 1 for trades, `recvTs` = `ts`, `venue` = `market`.
 */
export interface BinanceCsvLayout {
  /** The file format's id (`--format`). */
  readonly format: string;
  /** `Trade.venue` of its rows. */
  readonly market: string;
  readonly kind: 'aggTrades' | 'trades';
  /** Column names in file order, as data.binance.vision's header rows spell them. */
  readonly columns: readonly string[];
  /** Which column holds each trade field. */
  readonly fields: {
    readonly tradeId: string;
    readonly price: string;
    readonly qty: string;
    readonly ts: string;
    readonly buyerMaker: string;
    /** aggTrades only: the raw trade ids the aggregate spans. */
    readonly firstId?: string;
    readonly lastId?: string;
  };
}

const AGG_FIELDS = {
  tradeId: 'agg_trade_id',
  price: 'price',
  qty: 'quantity',
  ts: 'transact_time',
  buyerMaker: 'is_buyer_maker',
  firstId: 'first_trade_id',
  lastId: 'last_trade_id',
} as const;
const TRADE_FIELDS = {
  tradeId: 'id',
  price: 'price',
  qty: 'qty',
  ts: 'time',
  buyerMaker: 'is_buyer_maker',
} as const;
/** Futures dumps lack spot's last column, `is_best_match`. */
const AGG_FUTURES = [
  'agg_trade_id',
  'price',
  'quantity',
  'first_trade_id',
  'last_trade_id',
  'transact_time',
  'is_buyer_maker',
];
const TRADES_USDM = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker'];

/**
 * Every Binance dump layout. Spot and futures dumps have the same names
 * (`BTCUSDT-aggTrades-2024-01-01.csv`); futures lack `is_best_match`, so the column count tells
 * the market. COIN-M trades carry `base_qty` where USD-M carry `quote_qty`; COIN-M quantities
 * are contracts, as Binance's COIN-M klines count volume.
 */
export const BINANCE_CSV_LAYOUTS: readonly BinanceCsvLayout[] = [
  {
    format: 'binance-aggtrades-csv',
    market: BINANCE_VENUE,
    kind: 'aggTrades',
    columns: [...AGG_FUTURES, 'is_best_match'],
    fields: AGG_FIELDS,
  },
  {
    format: 'binance-trades-csv',
    market: BINANCE_VENUE,
    kind: 'trades',
    columns: [...TRADES_USDM, 'is_best_match'],
    fields: TRADE_FIELDS,
  },
  {
    format: 'binance-usdm-aggtrades-csv',
    market: BINANCE_USDM_VENUE,
    kind: 'aggTrades',
    columns: AGG_FUTURES,
    fields: AGG_FIELDS,
  },
  {
    format: 'binance-usdm-trades-csv',
    market: BINANCE_USDM_VENUE,
    kind: 'trades',
    columns: TRADES_USDM,
    fields: TRADE_FIELDS,
  },
  {
    format: 'binance-coinm-aggtrades-csv',
    market: BINANCE_COINM_VENUE,
    kind: 'aggTrades',
    columns: AGG_FUTURES,
    fields: AGG_FIELDS,
  },
  {
    format: 'binance-coinm-trades-csv',
    market: BINANCE_COINM_VENUE,
    kind: 'trades',
    columns: ['id', 'price', 'qty', 'base_qty', 'time', 'is_buyer_maker'],
    fields: TRADE_FIELDS,
  },
];

/** A layout's field positions, worked out once per file. */
interface Positions {
  readonly columns: number;
  readonly id: number;
  readonly price: number;
  readonly qty: number;
  readonly ts: number;
  readonly maker: number;
  readonly first: number;
  readonly last: number;
}

function positionsOf(layout: BinanceCsvLayout): Positions {
  const at = (name: string | undefined): number => (name === undefined ? -1 : layout.columns.indexOf(name));
  const { fields } = layout;
  return {
    columns: layout.columns.length,
    id: at(fields.tradeId),
    price: at(fields.price),
    qty: at(fields.qty),
    ts: at(fields.ts),
    maker: at(fields.buyerMaker),
    first: at(fields.firstId),
    last: at(fields.lastId),
  };
}

/**
 * Whether a line is a header row rather than data. Data rows start with a digit (an id); the
 * first line of a file is a header when it starts with a letter and has the layout's column
 * count, a later one only when it is data.binance.vision's own header (dumps joined with `cat`).
 */
export function isCsvHeader(layout: BinanceCsvLayout, line: string, firstLine: boolean): boolean {
  const c = line.charCodeAt(0) | 0x20;
  if (!(c >= 97 && c <= 122)) return false;
  if (firstLine) return splitRow(line).length === layout.columns.length;
  return line.startsWith(`${layout.columns[0]},${layout.columns[1]},`);
}

/**
 * The row parser of one file of `layout`: each data row (see `CsvAggTradeRow`, `CsvTradeRow`)
 * into a trade of `symbol` (canonical) in the layout's market. Never throws.
 *
 * Spot aggTrades, e.g. `13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true`;
 * spot trades, e.g. `15373518,0.00141342,23.00000000,0.03250866,1570752011620,true,true`.
 */
export function csvRowParser(
  layout: BinanceCsvLayout,
  symbol: string,
): (line: string, origin: string, nowMs: number) => ParseResult {
  const at = positionsOf(layout);
  const agg = layout.kind === 'aggTrades';
  const market = layout.market;
  return (line, origin, nowMs) => {
    const cols = splitRow(line);
    if (cols.length !== at.columns) {
      const detail = `expected ${at.columns} columns (${layout.columns.join(',')}), got ${cols.length}`;
      return badCsv(detail, line, origin, nowMs);
    }
    const idText = cols[at.id] as string;
    const id = parseUint(idText);
    const first = agg ? parseUint(cols[at.first] as string) : id;
    const last = agg ? parseUint(cols[at.last] as string) : id;
    if (!isTradeId(id) || !isTradeId(first) || !isTradeId(last) || last < first) {
      const detail = agg
        ? `ids must be integers ≥ 0 with first ≤ last, got ${idText}, ${cols[at.first]}, ${cols[at.last]}`
        : `id must be an integer ≥ 0, got ${JSON.stringify(idText)}`;
      return rejectResult(BINANCE_CSV_STAGE, 'invalid_id', detail, line, origin, nowMs);
    }
    const makerText = cols[at.maker] as string;
    const buyerMaker = parseBool(makerText);
    if (buyerMaker === undefined) {
      const detail = `is_buyer_maker must be true or false, got ${JSON.stringify(makerText)}`;
      return badCsv(detail, line, origin, nowMs);
    }
    const ts = toUnixMs(parseUint(cols[at.ts] as string));
    const trade: Trade = {
      venue: market,
      symbol,
      tradeId: String(id),
      ts,
      price: parseDecimal(cols[at.price] as string),
      qty: parseDecimal(cols[at.qty] as string),
      side: buyerMaker ? 'sell' : 'buy',
      count: last - first + 1,
      recvTs: ts,
    };
    return checked(trade, line, origin, nowMs);
  };
}

/** The layout of a format id, or undefined. */
export function csvLayout(format: string): BinanceCsvLayout | undefined {
  return BINANCE_CSV_LAYOUTS.find((layout) => layout.format === format);
}

export function splitRow(line: string): string[] {
  // Dumps made on Windows end their lines with CRLF.
  const end = line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
  return (end === line.length ? line : line.slice(0, end)).split(',');
}

function checked(trade: Trade, line: string, origin: string, nowMs: number): ParseResult {
  const invalid = checkTrade(trade, nowMs);
  if (invalid !== undefined) {
    return rejectResult(BINANCE_CSV_STAGE, invalid.reason, invalid.detail, line, origin, nowMs);
  }
  return { kind: 'trade', trade };
}

function badCsv(detail: string, line: string, origin: string, nowMs: number): ParseResult {
  return rejectResult(BINANCE_CSV_STAGE, 'bad_csv', detail, line, origin, nowMs);
}
