import { checkTrade, type Trade, toUnixMs } from '../../../domain/index.js';
import { IGNORED, isTradeId, type ParseResult, parseDecimal, rejectResult } from '../parse.js';
import { tryFastBinanceFrame } from './fast-frame.js';
import { BINANCE_COINM_VENUE, BINANCE_USDM_VENUE, BINANCE_VENUE, frameTimeToMs } from './fields.js';
import { canonicalSymbol, isCoinmSymbol, isDatedContract } from './symbols.js';

/** `Rejected.stage` of frames that fail here. */
export const BINANCE_WS_STAGE = 'ingest:binance-ws';

/**
 * Binance events that are valid frames but not trades (spot and futures market and user
 * streams): they count as ignored. Any other `e` is an unsupported event and is rejected, so a
 * damaged trade frame is never silently dropped.
 */
const NON_TRADE_EVENTS: ReadonlySet<string> = new Set([
  'kline',
  'continuous_kline',
  'indexPriceKline',
  'markPriceKline',
  'depthUpdate',
  'bookTicker',
  '24hrTicker',
  '24hrMiniTicker',
  '1hTicker',
  '4hTicker',
  '1dTicker',
  'avgPrice',
  'markPriceUpdate',
  'forceOrder',
  'compositeIndex',
  'contractInfo',
  'assetIndexUpdate',
  'outboundAccountPosition',
  'balanceUpdate',
  'executionReport',
  'listStatus',
  'listenKeyExpired',
  'eventStreamTerminated',
  'externalLockUpdate',
  'ACCOUNT_UPDATE',
  'ORDER_TRADE_UPDATE',
  'ACCOUNT_CONFIG_UPDATE',
  'MARGIN_CALL',
  'TRADE_LITE',
]);

const OPEN_BRACE = 123;
const ZERO = 48;
const NINE = 57;
/** Wrappers a frame may sit in: a `{received_at, raw}` record around a combined-stream frame. */
const MAX_UNWRAP = 2;

/**
 * Parses one Binance WebSocket frame, or one recorded line of frames, into a trade.
 *
 * Accepts a raw frame (`{"e":"aggTrade",...}`, `{"e":"trade",...}`; see `WsAggTrade`,
 * `WsTrade`), a combined-stream frame (`{"stream":"btcusdt@aggTrade","data":<frame>}`), a
 * recorded `{"received_at":<s>,"raw":<frame>}` line and a cryptofeed capture line
 * `<recv_unix_seconds>: <frame>`. Frames that are valid but not trades (klines, depth,
 * book tickers, subscription replies), blank lines and capture header lines (`wss://...`) are
 * `ignored`; anything else is `rejected` with a stable reason and the line as payload.
 * Never throws.
 *
 * @param recvTs When the frame was received (ms); a time recorded in the line wins, and when
 *   neither is given the frame's event time `E` stands in.
 * @param origin Where the line came from, kept on a rejection (`file:line`, a connection).
 * @param nowMs The receiving clock, bounding event times from above and stamping rejections.
 */
export function parseBinanceFrame(
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number = Date.now(),
): ParseResult {
  // Valid aggTrade/trade frames in Binance's own byte layout skip JSON.parse (`fast-frame.ts`);
  // everything else, and every frame that would be rejected, goes the generic way.
  const trade = tryFastBinanceFrame(line, recvTs, nowMs);
  if (trade !== undefined) return { kind: 'trade', trade };
  return parseBinanceFrameGeneric(line, recvTs, origin, nowMs);
}

/**
 * `parseBinanceFrame` without the fast path: JSON.parse, then walk and validate. Exported for
 * the equivalence tests, which hold the two to the same result for every line.
 */
export function parseBinanceFrameGeneric(
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number,
): ParseResult {
  let json = line;
  let recordedTs = recvTs;
  const first = line.charCodeAt(0);
  if (first !== OPEN_BRACE) {
    if (first >= ZERO && first <= NINE) {
      const sep = line.indexOf(': ');
      if (sep > 0) {
        const seconds = parseDecimal(line.slice(0, sep));
        if (seconds > 0) {
          recordedTs = toUnixMs(seconds);
          json = line.slice(sep + 2);
        }
      }
    } else if (line.trim() === '') {
      return IGNORED;
    } else if (isCaptureHeader(line)) {
      return IGNORED;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'not JSON';
    return rejectResult(BINANCE_WS_STAGE, 'bad_json', detail, line, origin, nowMs);
  }
  return parseValue(value, line, recordedTs, origin, nowMs, 0);
}

function isCaptureHeader(line: string): boolean {
  return (
    line.startsWith('wss://') ||
    line.startsWith('ws://') ||
    line.startsWith('https://') ||
    line.startsWith('http://')
  );
}

function parseValue(
  value: unknown,
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number,
  depth: number,
): ParseResult {
  if (typeof value !== 'object' || value === null) {
    return mismatch(
      `expected a JSON object, got ${value === null ? 'null' : typeof value}`,
      line,
      origin,
      nowMs,
    );
  }
  if (Array.isArray(value)) return parseArray(value, line, origin, nowMs);
  const frame = value as Record<string, unknown>;
  const event = frame['e'];
  if (event === 'aggTrade') return parseAggTrade(frame, line, recvTs, origin, nowMs);
  if (event === 'trade') return parseTrade(frame, line, recvTs, origin, nowMs);
  if (typeof event === 'string') {
    if (NON_TRADE_EVENTS.has(event)) return IGNORED;
    const detail = `unsupported event type ${JSON.stringify(event).slice(0, 64)}`;
    return rejectResult(BINANCE_WS_STAGE, 'unsupported_event', detail, line, origin, nowMs);
  }
  if (event !== undefined)
    return mismatch(`field e must be a string, got ${typeof event}`, line, origin, nowMs);
  return parseEnvelope(frame, line, recvTs, origin, nowMs, depth);
}

/** Frames without an event type: envelopes around a frame, and the few bare non-trade frames. */
function parseEnvelope(
  frame: Record<string, unknown>,
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number,
  depth: number,
): ParseResult {
  if (typeof frame['stream'] === 'string' && 'data' in frame) {
    if (depth >= MAX_UNWRAP) return mismatch('frames nested too deep', line, origin, nowMs);
    return parseValue(frame['data'], line, recvTs, origin, nowMs, depth + 1);
  }
  if ('raw' in frame && 'received_at' in frame) {
    const receivedAt = frame['received_at'];
    if (typeof receivedAt !== 'number' || !(receivedAt > 0)) {
      return mismatch('field received_at must be a positive number of seconds', line, origin, nowMs);
    }
    if (depth >= MAX_UNWRAP) return mismatch('frames nested too deep', line, origin, nowMs);
    let raw = frame['raw'];
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch (error) {
        const detail = error instanceof Error ? `raw: ${error.message}` : 'raw: not JSON';
        return rejectResult(BINANCE_WS_STAGE, 'bad_json', detail, line, origin, nowMs);
      }
    }
    return parseValue(raw, line, toUnixMs(receivedAt), origin, nowMs, depth + 1);
  }
  if ('id' in frame && ('result' in frame || 'error' in frame)) return IGNORED;
  // Spot bookTicker frames carry no event type.
  if (typeof frame['u'] === 'number' && typeof frame['b'] === 'string' && typeof frame['a'] === 'string') {
    return IGNORED;
  }
  // Partial book depth (`<symbol>@depth5`) carries no event type either.
  if (typeof frame['lastUpdateId'] === 'number' && Array.isArray(frame['bids'])) return IGNORED;
  return mismatch('not a Binance frame: no event type e', line, origin, nowMs);
}

/** `!ticker@arr`-style streams send arrays of non-trade events. */
function parseArray(items: unknown[], line: string, origin: string, nowMs: number): ParseResult {
  const head: unknown = items[0];
  if (typeof head === 'object' && head !== null && !Array.isArray(head)) {
    const event = (head as Record<string, unknown>)['e'];
    if (typeof event === 'string' && NON_TRADE_EVENTS.has(event)) return IGNORED;
  }
  return mismatch('expected a frame object, got an array', line, origin, nowMs);
}

/**
 * `<symbol>@aggTrade` (`WsAggTrade`), as Binance documents it:
 * `{"e":"aggTrade","E":123456789,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true,"M":true}`.
 * `count` is `l - f + 1`; `m` true means the buyer made, so the taker sold.
 */
function parseAggTrade(
  frame: Record<string, unknown>,
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number,
): ParseResult {
  const s = frame['s'];
  const a = frame['a'];
  const p = frame['p'];
  const q = frame['q'];
  const f = frame['f'];
  const l = frame['l'];
  const t = frame['T'];
  const m = frame['m'];
  const e = frame['E'];
  if (
    typeof s !== 'string' ||
    typeof a !== 'number' ||
    typeof p !== 'string' ||
    typeof q !== 'string' ||
    typeof f !== 'number' ||
    typeof l !== 'number' ||
    typeof t !== 'number' ||
    typeof m !== 'boolean' ||
    typeof e !== 'number'
  ) {
    return mismatch(describeMismatch(frame, AGG_TRADE_FIELDS), line, origin, nowMs);
  }
  const symbol = canonicalSymbol(s);
  if (symbol === undefined) return unknownSymbol(s, line, origin, nowMs);
  if (!isTradeId(a) || !isTradeId(f) || !isTradeId(l) || l < f) {
    const detail = `ids must be integers ≥ 0 with f ≤ l, got a=${a} f=${f} l=${l}`;
    return rejectResult(BINANCE_WS_STAGE, 'invalid_id', detail, line, origin, nowMs);
  }
  const trade: Trade = {
    venue: frameMarket(frame, s),
    symbol,
    tradeId: String(a),
    ts: frameTimeToMs(t),
    price: parseDecimal(p),
    qty: parseDecimal(q),
    side: m ? 'sell' : 'buy',
    count: l - f + 1,
    recvTs: recvTs ?? frameTimeToMs(e),
  };
  return checked(trade, line, origin, nowMs);
}

/**
 * `<symbol>@trade` (`WsTrade`), as Binance documents it:
 * `{"e":"trade","E":123456789,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":123456785,"m":true,"M":true}`.
 * One raw trade, `count` 1.
 */
function parseTrade(
  frame: Record<string, unknown>,
  line: string,
  recvTs: number | undefined,
  origin: string,
  nowMs: number,
): ParseResult {
  const s = frame['s'];
  const id = frame['t'];
  const p = frame['p'];
  const q = frame['q'];
  const t = frame['T'];
  const m = frame['m'];
  const e = frame['E'];
  if (
    typeof s !== 'string' ||
    typeof id !== 'number' ||
    typeof p !== 'string' ||
    typeof q !== 'string' ||
    typeof t !== 'number' ||
    typeof m !== 'boolean' ||
    typeof e !== 'number'
  ) {
    return mismatch(describeMismatch(frame, TRADE_FIELDS), line, origin, nowMs);
  }
  const symbol = canonicalSymbol(s);
  if (symbol === undefined) return unknownSymbol(s, line, origin, nowMs);
  if (!isTradeId(id)) {
    return rejectResult(
      BINANCE_WS_STAGE,
      'invalid_id',
      `t must be an integer ≥ 0, got ${id}`,
      line,
      origin,
      nowMs,
    );
  }
  const trade: Trade = {
    venue: frameMarket(frame, s),
    symbol,
    tradeId: String(id),
    ts: frameTimeToMs(t),
    price: parseDecimal(p),
    qty: parseDecimal(q),
    side: m ? 'sell' : 'buy',
    count: 1,
    recvTs: recvTs ?? frameTimeToMs(e),
  };
  return checked(trade, line, origin, nowMs);
}

/**
 * The market a trade frame comes from, so futures trades never meet spot trades of the same id.
 * Spot frames always carry `M` (documented "ignore", always true); futures frames never do, as
 * Binance documents them and as fstream.binance.com sends them:
 * `{"e":"aggTrade","E":1626992741575,"a":16599292,"s":"CTKUSDT","p":"1.01100","q":"10","f":23961322,"l":23961322,"T":1626992741421,"m":false}`.
 * COIN-M symbols name a contract (`BCHUSD_PERP`); stream names tell nothing more (`btcusdt@aggTrade`
 * on either market).
 */
function frameMarket(frame: Record<string, unknown>, venueSymbol: string): string {
  if (isCoinmSymbol(venueSymbol)) return BINANCE_COINM_VENUE;
  return 'M' in frame ? BINANCE_VENUE : BINANCE_USDM_VENUE;
}

function checked(trade: Trade, line: string, origin: string, nowMs: number): ParseResult {
  if (!Number.isSafeInteger(trade.recvTs) || trade.recvTs < 0) {
    const detail = `receive time must be integer ms ≥ 0, got ${trade.recvTs}`;
    return rejectResult(BINANCE_WS_STAGE, 'invalid_time', detail, line, origin, nowMs);
  }
  const invalid = checkTrade(trade, nowMs);
  if (invalid !== undefined) {
    return rejectResult(BINANCE_WS_STAGE, invalid.reason, invalid.detail, line, origin, nowMs);
  }
  return { kind: 'trade', trade };
}

type FieldType = 'string' | 'number' | 'boolean';
const AGG_TRADE_FIELDS: ReadonlyArray<readonly [string, FieldType]> = [
  ['E', 'number'],
  ['s', 'string'],
  ['a', 'number'],
  ['p', 'string'],
  ['q', 'string'],
  ['f', 'number'],
  ['l', 'number'],
  ['T', 'number'],
  ['m', 'boolean'],
];
const TRADE_FIELDS: ReadonlyArray<readonly [string, FieldType]> = [
  ['E', 'number'],
  ['s', 'string'],
  ['t', 'number'],
  ['p', 'string'],
  ['q', 'string'],
  ['T', 'number'],
  ['m', 'boolean'],
];

function describeMismatch(
  frame: Record<string, unknown>,
  fields: ReadonlyArray<readonly [string, FieldType]>,
): string {
  const problems: string[] = [];
  for (const [name, type] of fields) {
    const value = frame[name];
    if (value === undefined) problems.push(`${name} missing`);
    else if (typeof value !== type)
      problems.push(`${name} must be a ${type}, got ${value === null ? 'null' : typeof value}`);
  }
  return `${frame['e']} frame: ${problems.join(', ')}`;
}

function mismatch(detail: string, line: string, origin: string, nowMs: number): ParseResult {
  return rejectResult(BINANCE_WS_STAGE, 'schema_mismatch', detail, line, origin, nowMs);
}

function unknownSymbol(symbol: string, line: string, origin: string, nowMs: number): ParseResult {
  const detail = isDatedContract(symbol)
    ? `symbol ${JSON.stringify(symbol)} is a dated delivery contract, which is not supported (only spot and perpetuals)`
    : `symbol ${JSON.stringify(symbol).slice(0, 64)} has no known quote asset`;
  return rejectResult(BINANCE_WS_STAGE, 'unknown_symbol', detail, line, origin, nowMs);
}
