import { isCanonicalSymbol, MAX_FUTURE_SKEW_MS, MIN_EVENT_TS, toUnixMs } from '../../../domain/index.js';
import type { TradeFields } from '../../../log/index.js';
import type { RowReader } from '../venue.js';
import type { BinanceCsvLayout } from './csv.js';

const COMMA = 44;
const DOT = 46;
const ZERO = 48;
const CR = 13;

/** 15 digits are always below 2^53: an id or a time this long is read exactly. */
const MAX_ID_DIGITS = 15;
/** µs times have 16 digits; below 2^53 they are read exactly (checked). */
const MAX_TIME_DIGITS = 16;
/** As `parseDecimal`: longer decimal strings are NaN there. */
const MAX_DECIMAL_CHARS = 40;
/** As `parseDecimal`: past 10^22 it leaves the division to `Number()`, and so do we (fall back). */
const MAX_DECIMAL_PLACES = 22;
/** `Trade.count` is stored in 32 bits (`TradeSchema`). */
const MAX_COUNT = 4_294_967_295;
const POWERS_OF_TEN: readonly number[] = Array.from({ length: MAX_DECIMAL_PLACES + 1 }, (_, i) => 10 ** i);

/**
 * Where the last scanner stopped (on the comma after its field, or the row's end), or -1 when
 * the bytes were off the grammar; the scanners return the value read. A module-level cursor
 * rather than a result object: nothing is allocated per field.
 */
let pos = 0;

/**
 * data.binance.vision dump rows read straight from their bytes, for bulk loads (`backfill`):
 * the row exactly as Binance writes it becomes `TradeFields` without a string being made.
 * Anything else answers `false`, and the caller decodes the line and hands it to
 * the layout's `csvRowParser` (`csv.ts`), which decide every other case (the
 * header, bad rows and their reason codes, odd but valid spellings). For every row the fast
 * path takes, it gives the trade those parsers give (`test/ingest/venues/binance/csv-fast.test.ts`
 * holds them together on mutated rows).
 *
 * ```text
 * aggTrades = int ',' dec ',' dec ',' int ',' int ',' time ',' bool [',' any] [CR]   (spot: the
 * trades    = int ',' dec ',' dec ',' any ',' time ',' bool [',' any] [CR]    last column; futures: none)
 * int       = [0-9]{1,15}                  (leading zeros as `parseUint` reads them)
 * time      = [0-9]{1,16}                  (below 2^53; ms, or µs from 2025, as `toUnixMs`)
 * dec       = [0-9.]{1,40}                 (one '.', neither first nor last; mantissa below
 *                                           2^53, at most 22 places: `parseDecimal`'s fast case)
 * bool      = 'true' | 'false'
 * any       = anything but ','             (`is_best_match`, `quote_qty`: the parsers ignore them)
 * ```
 *
 * and the trade passes `checkTrade` (price and quantity above 0, the time within
 * [`MIN_EVENT_TS`, now + 1 day], first ≤ last and a count that fits 32 bits), which is
 * checked here so that the caller needs no second look.
 */

/**
 * A fast row reader for `symbol` (canonical) at the receiving clock `nowMs`; undefined when the
 * symbol is not canonical (every row then goes to the generic parser, which rejects it).
 * `out.venue` and `out.symbol` are set once here; each row sets the other fields.
 */
export function csvFastRow(
  layout: BinanceCsvLayout,
  symbol: string,
  nowMs: number,
  out: TradeFields,
): RowReader | undefined {
  if (!isCanonicalSymbol(symbol)) return undefined;
  out.venue = layout.market;
  out.symbol = symbol;
  out.idText = '';
  const maxTs = nowMs + MAX_FUTURE_SKEW_MS;
  // Every layout holds the same columns up to the side; spot's have one more after it
  // (`is_best_match`), futures' none: the count must be the layout's, or a futures row would
  // pass as spot.
  const extra = layout.columns.length === (layout.kind === 'aggTrades' ? 8 : 7);
  return layout.kind === 'aggTrades'
    ? (buf, start, end) => aggTradeRow(buf, start, rowEnd(buf, start, end), maxTs, extra, out)
    : (buf, start, end) => tradeRow(buf, start, rowEnd(buf, start, end), maxTs, extra, out);
}

/** `splitRow` drops one trailing CR (dumps made on Windows). */
function rowEnd(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

function aggTradeRow(
  buf: Uint8Array,
  start: number,
  end: number,
  maxTs: number,
  extra: boolean,
  out: TradeFields,
): boolean {
  const id = scanInt(buf, start, end, MAX_ID_DIGITS);
  if (pos < 0) return false;
  const price = scanDecimal(buf, pos + 1, end);
  if (pos < 0) return false;
  const qty = scanDecimal(buf, pos + 1, end);
  if (pos < 0) return false;
  const first = scanInt(buf, pos + 1, end, MAX_ID_DIGITS);
  if (pos < 0) return false;
  const count = scanInt(buf, pos + 1, end, MAX_ID_DIGITS) - first + 1;
  if (pos < 0) return false;
  const ts = scanTime(buf, pos + 1, end, maxTs);
  if (pos < 0) return false;
  const maker = scanBool(buf, pos + 1, end);
  if (pos < 0 || !lastColumn(buf, pos, end, extra)) return false;
  if (!(price > 0 && qty > 0 && count >= 1 && count <= MAX_COUNT)) return false;
  out.idNum = id;
  out.ts = ts;
  out.recvTs = ts;
  out.price = price;
  out.qty = qty;
  out.buy = !maker;
  out.count = count;
  return true;
}

function tradeRow(
  buf: Uint8Array,
  start: number,
  end: number,
  maxTs: number,
  extra: boolean,
  out: TradeFields,
): boolean {
  const id = scanInt(buf, start, end, MAX_ID_DIGITS);
  if (pos < 0) return false;
  const price = scanDecimal(buf, pos + 1, end);
  if (pos < 0) return false;
  const qty = scanDecimal(buf, pos + 1, end);
  if (pos < 0) return false;
  skipColumn(buf, pos + 1, end);
  if (pos < 0) return false;
  const ts = scanTime(buf, pos + 1, end, maxTs);
  if (pos < 0) return false;
  const maker = scanBool(buf, pos + 1, end);
  if (pos < 0 || !lastColumn(buf, pos, end, extra)) return false;
  if (!(price > 0 && qty > 0)) return false;
  out.idNum = id;
  out.ts = ts;
  out.recvTs = ts;
  out.price = price;
  out.qty = qty;
  out.buy = !maker;
  out.count = 1;
  return true;
}

/** After the side: the row ends (`extra` false), or one more column without a comma does. */
function lastColumn(buf: Uint8Array, i: number, end: number, extra: boolean): boolean {
  if (i === end) return !extra;
  if (!extra || buf[i] !== COMMA) return false;
  for (let j = i + 1; j < end; j++) if (buf[j] === COMMA) return false;
  return true;
}

/** A column of anything but commas, which the row goes on after. */
function skipColumn(buf: Uint8Array, from: number, end: number): void {
  for (let j = from; j < end; j++) {
    if (buf[j] === COMMA) {
      pos = j;
      return;
    }
  }
  pos = -1;
}

/** `[0-9]{1,maxDigits}` up to a comma or the end. */
function scanInt(buf: Uint8Array, from: number, end: number, maxDigits: number): number {
  let value = 0;
  let i = from;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c === COMMA) break;
    const digit = c - ZERO;
    if (digit < 0 || digit > 9) return fail();
    value = value * 10 + digit;
  }
  if (i === from || i - from > maxDigits) return fail();
  pos = i;
  return value;
}

/** A time `toUnixMs` converts exactly and `checkTrade` keeps in range, as ms. */
function scanTime(buf: Uint8Array, from: number, end: number, maxTs: number): number {
  const raw = scanInt(buf, from, end, MAX_TIME_DIGITS);
  if (pos < 0 || raw > Number.MAX_SAFE_INTEGER) return fail();
  const ts = toUnixMs(raw);
  return ts >= MIN_EVENT_TS && ts <= maxTs ? ts : fail();
}

/** `parseDecimal` where it divides an exact mantissa by an exact power of ten. */
function scanDecimal(buf: Uint8Array, from: number, end: number): number {
  let mantissa = 0;
  let dot = -1;
  let i = from;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c === COMMA) break;
    if (c === DOT) {
      if (dot !== -1 || i === from) return fail();
      dot = i;
    } else {
      const digit = c - ZERO;
      if (digit < 0 || digit > 9) return fail();
      mantissa = mantissa * 10 + digit;
    }
  }
  const length = i - from;
  if (length === 0 || length > MAX_DECIMAL_CHARS || dot === i - 1) return fail();
  const places = dot === -1 ? 0 : i - 1 - dot;
  if (mantissa > Number.MAX_SAFE_INTEGER || places > MAX_DECIMAL_PLACES) return fail();
  pos = i;
  return mantissa / (POWERS_OF_TEN[places] as number);
}

/** `true` or `false` as Binance spells them (the generic parser takes the other spellings). */
function scanBool(buf: Uint8Array, i: number, end: number): boolean {
  if (i + 4 <= end && buf[i] === 116 && buf[i + 1] === 114 && buf[i + 2] === 117 && buf[i + 3] === 101) {
    pos = i + 4;
    return true;
  }
  if (
    i + 5 <= end &&
    buf[i] === 102 &&
    buf[i + 1] === 97 &&
    buf[i + 2] === 108 &&
    buf[i + 3] === 115 &&
    buf[i + 4] === 101
  ) {
    pos = i + 5;
    return false;
  }
  pos = -1;
  return false;
}

function fail(): number {
  pos = -1;
  return 0;
}
