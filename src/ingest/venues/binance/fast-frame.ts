import { checkTrade, type Trade } from '../../../domain/index.js';
import { BINANCE_USDM_VENUE, BINANCE_VENUE, frameTimeToMs } from './fields.js';
import { canonicalSymbol } from './symbols.js';

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const DOT = 46;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
const UPPER_A = 65;
const UPPER_Z = 90;
const LOWER_A = 97;
const LOWER_Z = 122;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_R = 114;
const LOWER_T = 116;
const LOWER_U = 117;
const CLOSE_BRACE = 125;

/** 2^53 − 1 has 16 digits: a longer digit run is never a safe integer. */
const MAX_INT_DIGITS = 16;
/** As `parseDecimal`: longer decimal strings are NaN there. */
const MAX_DECIMAL_CHARS = 40;
/** As `parseDecimal`: past 10^22 it leaves the division to `Number()`, and so do we (fall back). */
const MAX_DECIMAL_PLACES = 22;
/** Binance symbols are far shorter; the cap only bounds the work on garbage. */
const MAX_SYMBOL_CHARS = 32;
const POWERS_OF_TEN: readonly number[] = Array.from({ length: MAX_DECIMAL_PLACES + 1 }, (_, i) => 10 ** i);

const STREAM_HEAD = '{"stream":"';
const AGG_STREAM_TAIL = '@aggTrade","data":{"e":"aggTrade","E":';
const TRADE_STREAM_TAIL = '@trade","data":{"e":"trade","E":';
const AGG_HEAD = '{"e":"aggTrade","E":';
const TRADE_HEAD = '{"e":"trade","E":';
/** The one-letter keys, as char codes: each is read as `,"<key>":` (`KEY_LENGTH` chars). */
const KEY_S = 115;
const KEY_A = 97;
const KEY_T = 116;
const KEY_P = 112;
const KEY_Q = 113;
const KEY_F = 102;
const KEY_L = 108;
const KEY_TIME = 84;
const KEY_M = 109;
const KEY_BEST_MATCH = 77;
const KEY_LENGTH = 5;

/**
 * The scanners below return the index where they stopped (past a number or `true`/`false`, on
 * the closing quote of a string), or -1 when it is not the grammar, and leave the value read here: a module-level register, so neither a result object nor a boxed
 * number is allocated.
 */
const register = new Float64Array(1);

/**
 * The Binance trade frame fast path: recognises, in one left-to-right scan of the line
 * (`charCodeAt`/`startsWith`, no `JSON.parse`, no regex, no intermediate objects), exactly the
 * bytes Binance sends for a trade, and builds the `Trade` straight from them:
 *
 * ```text
 * line     = combined | agg | trade
 * combined = '{"stream":"' [a-z0-9]+ '@aggTrade","data":' agg '}'
 *          | '{"stream":"' [a-z0-9]+ '@trade","data":' trade '}'
 * agg      = '{"e":"aggTrade","E":' int ',"s":"' sym '","a":' int ',"p":"' dec '","q":"' dec
 *            '","f":' int ',"l":' int ',"T":' int ',"m":' bool [',"M":' bool] '}'
 * trade    = '{"e":"trade","E":' int ',"s":"' sym '","t":' int ',"p":"' dec '","q":"' dec
 *            '","T":' int ',"m":' bool [',"M":' bool] '}'
 * int      = '0' | [1-9][0-9]*          (at most 2^53 − 1)
 * dec      = [0-9.]{1,40}               (one '.', neither first nor last; as `parseDecimal`
 *                                        reads it, with the mantissa ≤ 2^53 − 1, ≤ 22 places)
 * sym      = [A-Z0-9]{1,32}             (and a known quote asset)
 * bool     = 'true' | 'false'
 * ```
 *
 * with nothing before or after: no whitespace, no escapes, no other or repeated keys, no
 * envelope (`received_at`, a cryptofeed `<seconds>: ` prefix). `M` is optional, as in
 * `WsAggTrade`/`WsTrade`: futures frames lack it, and a frame without it is a `binance-usdm`
 * trade (COIN-M symbols, `BTCUSD_PERP`, are not in `sym`). See `toAggTradeFrame` and the recorded
 * frames under `test/fixtures/binance/ws-cryptofeed/`.
 *
 * Why: `parseBinanceFrame` is the hot path of ingestion, and JSON.parse then walking and
 * validating the object costs 1.3–2× a bare `JSON.parse` of the same frame; this scan costs
 * about 0.6× (a benchmark of 200k frames), and the live stream is almost all frames of this shape.
 *
 * Why it is safe: within this grammar `JSON.parse` yields exactly the values read here (strings
 * without escapes are their bytes, digit runs within 2^53 are exact integers, decimals go
 * through `parseDecimal`'s own arithmetic), and the trade gets the same mapping and the same
 * `checkTrade`. On any deviation, and for any trade the generic path would reject, it returns
 * undefined and the caller takes the generic path, unchanged. `test/ingest/binance/
 * fast-path.test.ts` holds both paths to deep-equal results on generated and mutated frames.
 *
 * @returns The valid trade, or undefined: not this grammar, or not a valid trade.
 */
export function tryFastBinanceFrame(
  line: string,
  recvTs: number | undefined,
  nowMs: number,
): Trade | undefined {
  let agg: boolean;
  let combined = false;
  let i: number;
  if (line.startsWith(STREAM_HEAD)) {
    combined = true;
    i = STREAM_HEAD.length;
    const start = i;
    for (let c = line.charCodeAt(i); (c >= LOWER_A && c <= LOWER_Z) || (c >= ZERO && c <= NINE); ) {
      c = line.charCodeAt(++i);
    }
    if (i === start) return undefined;
    if (line.startsWith(AGG_STREAM_TAIL, i)) {
      agg = true;
      i += AGG_STREAM_TAIL.length;
    } else if (line.startsWith(TRADE_STREAM_TAIL, i)) {
      agg = false;
      i += TRADE_STREAM_TAIL.length;
    } else {
      return undefined;
    }
  } else if (line.startsWith(AGG_HEAD)) {
    agg = true;
    i = AGG_HEAD.length;
  } else if (line.startsWith(TRADE_HEAD)) {
    agg = false;
    i = TRADE_HEAD.length;
  } else {
    return undefined;
  }

  // Each step reads a value and checks the `,"k":` (and an opening quote) that follows it.
  i = scanInt(line, i);
  if (i < 0 || !isKey(line, i, KEY_S) || line.charCodeAt(i + KEY_LENGTH) !== QUOTE) return undefined;
  const eventTime = register[0] as number;
  i = scanSymbol(line, i + KEY_LENGTH + 1);
  if (i < 0 || !isKey(line, i + 1, agg ? KEY_A : KEY_T)) return undefined;
  const symbol = lastCanonical;
  const idStart = i + 1 + KEY_LENGTH;
  i = scanInt(line, idStart);
  if (i < 0 || !isKey(line, i, KEY_P) || line.charCodeAt(i + KEY_LENGTH) !== QUOTE) return undefined;
  const idEnd = i;
  i = scanDecimal(line, i + KEY_LENGTH + 1);
  if (i < 0 || !isKey(line, i + 1, KEY_Q) || line.charCodeAt(i + 1 + KEY_LENGTH) !== QUOTE) return undefined;
  const price = register[0] as number;
  i = scanDecimal(line, i + 2 + KEY_LENGTH);
  if (i < 0) return undefined;
  const qty = register[0] as number;
  i++;
  let count = 1;
  if (agg) {
    if (!isKey(line, i, KEY_F)) return undefined;
    i = scanInt(line, i + KEY_LENGTH);
    if (i < 0 || !isKey(line, i, KEY_L)) return undefined;
    const first = register[0] as number;
    i = scanInt(line, i + KEY_LENGTH);
    if (i < 0) return undefined;
    const last = register[0] as number;
    if (last < first) return undefined;
    count = last - first + 1;
  }
  if (!isKey(line, i, KEY_TIME)) return undefined;
  i = scanInt(line, i + KEY_LENGTH);
  if (i < 0 || !isKey(line, i, KEY_M)) return undefined;
  const tradeTime = register[0] as number;
  i = scanBool(line, i + KEY_LENGTH);
  if (i < 0) return undefined;
  const buyerMaker = register[0] === 1;
  // Spot frames carry `M`; futures frames never do (see `frameMarket` in ws.ts).
  const spot = isKey(line, i, KEY_BEST_MATCH);
  if (spot) {
    i = scanBool(line, i + KEY_LENGTH);
    if (i < 0) return undefined;
  }
  if (line.charCodeAt(i) !== CLOSE_BRACE) return undefined;
  if (combined && line.charCodeAt(++i) !== CLOSE_BRACE) return undefined;
  if (i + 1 !== line.length) return undefined;

  const received = recvTs ?? frameTimeToMs(eventTime);
  if (!Number.isSafeInteger(received) || received < 0) return undefined;
  const trade: Trade = {
    venue: spot ? BINANCE_VENUE : BINANCE_USDM_VENUE,
    symbol,
    // A digit run without leading zeros is what `String()` gives of its value.
    tradeId: line.slice(idStart, idEnd),
    ts: frameTimeToMs(tradeTime),
    price,
    qty,
    side: buyerMaker ? 'sell' : 'buy',
    count,
    recvTs: received,
  };
  return checkTrade(trade, nowMs) === undefined ? trade : undefined;
}

/** `,"<name>":` at `i`, for a one-letter key. */
function isKey(line: string, i: number, name: number): boolean {
  return (
    line.charCodeAt(i) === COMMA &&
    line.charCodeAt(i + 1) === QUOTE &&
    line.charCodeAt(i + 2) === name &&
    line.charCodeAt(i + 3) === QUOTE &&
    line.charCodeAt(i + 4) === COLON
  );
}

/** `int`: a digit run without a leading zero, at most 2^53 − 1. */
function scanInt(line: string, i: number): number {
  let c = line.charCodeAt(i);
  if (c === ZERO) {
    register[0] = 0;
    return i + 1;
  }
  if (!(c >= ONE && c <= NINE)) return -1;
  const start = i;
  let value = c - ZERO;
  for (c = line.charCodeAt(++i); c >= ZERO && c <= NINE; c = line.charCodeAt(++i))
    value = value * 10 + (c - ZERO);
  // Up to 16 digits every step is exact while below 2^53, and rounding keeps a larger value
  // above it: this compare is exact.
  if (i - start > MAX_INT_DIGITS || value > Number.MAX_SAFE_INTEGER) return -1;
  register[0] = value;
  return i;
}

/** `dec` and its closing quote, valued with `parseDecimal`'s arithmetic (so bit for bit its result). */
function scanDecimal(line: string, i: number): number {
  const start = i;
  let mantissa = 0;
  let dot = -1;
  let c = line.charCodeAt(i);
  for (; ; c = line.charCodeAt(++i)) {
    if (c >= ZERO && c <= NINE) mantissa = mantissa * 10 + (c - ZERO);
    else if (c === DOT && dot === -1) dot = i;
    else break;
  }
  const n = i - start;
  if (c !== QUOTE || n === 0 || n > MAX_DECIMAL_CHARS || dot === start || dot === i - 1) return -1;
  const places = dot === -1 ? 0 : i - 1 - dot;
  if (mantissa > Number.MAX_SAFE_INTEGER || places > MAX_DECIMAL_PLACES) return -1;
  register[0] = mantissa / (POWERS_OF_TEN[places] as number);
  return i;
}

/** `true`/`false`, as 1/0. */
function scanBool(line: string, i: number): number {
  const c = line.charCodeAt(i);
  if (c === LOWER_T) {
    if (
      line.charCodeAt(i + 1) !== LOWER_R ||
      line.charCodeAt(i + 2) !== LOWER_U ||
      line.charCodeAt(i + 3) !== LOWER_E
    ) {
      return -1;
    }
    register[0] = 1;
    return i + 4;
  }
  if (c === LOWER_F && line.startsWith('alse', i + 1)) {
    register[0] = 0;
    return i + 5;
  }
  return -1;
}

/**
 * Recently seen venue symbols and their canonical form, by a hash of the bytes: a hit costs a
 * `startsWith`, not a `slice` and a map lookup. Only known symbols are kept. Sized for tens of
 * thousands of symbols, probing `SYMBOL_PROBES` neighbouring slots: with 64 slots and no probing,
 * a stream over 10,000 symbols missed on nearly every frame, and each miss sliced the symbol
 * and mapped it again (a third of the parse worker's time at 10,000 symbols).
 */
const SYMBOL_SLOTS = 32_768;
const SYMBOL_PROBES = 4;
const slotVenue: string[] = new Array<string>(SYMBOL_SLOTS).fill('');
const slotCanonical: string[] = new Array<string>(SYMBOL_SLOTS).fill('');
let lastCanonical = '';

/** `sym` and its closing quote; leaves the canonical symbol in `lastCanonical`. */
function scanSymbol(line: string, i: number): number {
  const start = i;
  let hash = 0x811c9dc5;
  for (let c = line.charCodeAt(i); (c >= UPPER_A && c <= UPPER_Z) || (c >= ZERO && c <= NINE); ) {
    hash = Math.imul(hash ^ c, 0x01000193);
    c = line.charCodeAt(++i);
  }
  const n = i - start;
  if (n === 0 || n > MAX_SYMBOL_CHARS || line.charCodeAt(i) !== QUOTE) return -1;
  hash ^= hash >>> 15;
  let free = -1;
  for (let probe = 0; probe < SYMBOL_PROBES; probe++) {
    const slot = (hash + probe) & (SYMBOL_SLOTS - 1);
    const venue = slotVenue[slot] as string;
    if (venue.length === n && line.startsWith(venue, start)) {
      lastCanonical = slotCanonical[slot] as string;
      return i;
    }
    if (venue.length === 0 && free < 0) free = slot;
  }
  const text = line.slice(start, i);
  const symbol = canonicalSymbol(text);
  if (symbol === undefined) return -1;
  // Every probed slot taken: one of them, picked by the hash, gives way.
  const slot = free >= 0 ? free : (hash + ((hash >>> 20) % SYMBOL_PROBES)) & (SYMBOL_SLOTS - 1);
  slotVenue[slot] = text;
  slotCanonical[slot] = symbol;
  lastCanonical = symbol;
  return i;
}
