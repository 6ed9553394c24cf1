import { checkTrade, type Trade, toUnixMs } from '../../../domain/index.js';
import { isTradeId, type ParseResult, parseBool, parseDecimal, parseUint, rejectResult } from '../parse.js';
import { BINANCE_VENUE } from './fields.js';

/** `Rejected.stage` of CSV rows that fail here. */
export const BINANCE_CSV_STAGE = 'ingest:binance-csv';

/**
 * Whether a line is a header row rather than data. Data rows start with a digit (an id); the
 * first line of a file is a header when it starts with a letter, a later one only when it is
 * one of data.binance.vision's headers (dumps concatenated with `cat`).
 */
export function isCsvHeader(line: string, firstLine: boolean): boolean {
  const c = line.charCodeAt(0) | 0x20;
  if (!(c >= 97 && c <= 122)) return false;
  return firstLine || line.startsWith('agg_trade_id,') || line.startsWith('id,price,');
}

/**
 * Parses one data row of a data.binance.vision aggTrades dump (see `CsvAggTradeRow`) into a
 * trade of `symbol` (canonical). The receive time of a dump is its trade time. Never throws.
 *
 * `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match`
 * e.g. `13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true`
 */
export function parseAggTradeCsvLine(
  line: string,
  symbol: string,
  origin: string,
  nowMs: number,
): ParseResult {
  const cols = splitRow(line);
  if (cols.length !== 7 && cols.length !== 8) {
    return badCsv(`expected 7 or 8 aggTrades columns, got ${cols.length}`, line, origin, nowMs);
  }
  const [idText, priceText, qtyText, firstText, lastText, timeText, makerText] = cols as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const id = parseUint(idText);
  const first = parseUint(firstText);
  const last = parseUint(lastText);
  if (!isTradeId(id) || !isTradeId(first) || !isTradeId(last) || last < first) {
    const detail = `ids must be integers ≥ 0 with first ≤ last, got ${idText}, ${firstText}, ${lastText}`;
    return rejectResult(BINANCE_CSV_STAGE, 'invalid_id', detail, line, origin, nowMs);
  }
  const buyerMaker = parseBool(makerText);
  if (buyerMaker === undefined) {
    return badCsv(
      `is_buyer_maker must be true or false, got ${JSON.stringify(makerText)}`,
      line,
      origin,
      nowMs,
    );
  }
  const ts = toUnixMs(parseUint(timeText));
  const trade: Trade = {
    venue: BINANCE_VENUE,
    symbol,
    tradeId: String(id),
    ts,
    price: parseDecimal(priceText),
    qty: parseDecimal(qtyText),
    side: buyerMaker ? 'sell' : 'buy',
    count: last - first + 1,
    recvTs: ts,
  };
  return checked(trade, line, origin, nowMs);
}

/**
 * Parses one data row of a data.binance.vision trades dump (see `CsvTradeRow`) into a trade of
 * `symbol` (canonical), `count` 1. Never throws.
 *
 * `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`
 * e.g. `15373518,0.00141342,23.00000000,0.03250866,1570752011620,true,true`
 */
export function parseTradeCsvLine(line: string, symbol: string, origin: string, nowMs: number): ParseResult {
  const cols = splitRow(line);
  if (cols.length !== 6 && cols.length !== 7) {
    return badCsv(`expected 6 or 7 trades columns, got ${cols.length}`, line, origin, nowMs);
  }
  const [idText, priceText, qtyText, , timeText, makerText] = cols as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const id = parseUint(idText);
  if (!isTradeId(id)) {
    const detail = `id must be an integer ≥ 0, got ${JSON.stringify(idText)}`;
    return rejectResult(BINANCE_CSV_STAGE, 'invalid_id', detail, line, origin, nowMs);
  }
  const buyerMaker = parseBool(makerText);
  if (buyerMaker === undefined) {
    return badCsv(
      `is_buyer_maker must be true or false, got ${JSON.stringify(makerText)}`,
      line,
      origin,
      nowMs,
    );
  }
  const ts = toUnixMs(parseUint(timeText));
  const trade: Trade = {
    venue: BINANCE_VENUE,
    symbol,
    tradeId: String(id),
    ts,
    price: parseDecimal(priceText),
    qty: parseDecimal(qtyText),
    side: buyerMaker ? 'sell' : 'buy',
    count: 1,
    recvTs: ts,
  };
  return checked(trade, line, origin, nowMs);
}

function splitRow(line: string): string[] {
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
