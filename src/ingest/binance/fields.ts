import { binanceToCanonical, type Rejected, type RejectReason, type Trade } from '../../domain/index.js';

/** What a parser makes of one line or frame: exactly one of a trade, a rejection, or nothing to do. */
export type ParseResult =
  | { readonly kind: 'trade'; readonly trade: Trade }
  | { readonly kind: 'rejected'; readonly rejected: Rejected }
  | { readonly kind: 'ignored' };

export const IGNORED: ParseResult = Object.freeze({ kind: 'ignored' });

/** Venue id of every Binance trade. */
export const BINANCE_VENUE = 'binance';

/** From here on a time is µs: as ms it would be past the year 5000. */
const MICROS_FROM = 1e14;

/**
 * Frame times are integer ms, or µs on streams opened with `timeUnit=MICROSECOND`. Unlike a
 * dump's, a frame time in seconds or with a fraction is damage, so it is left for `checkTrade`
 * to reject rather than converted.
 */
export function frameTimeToMs(value: number): number {
  return value >= MICROS_FROM ? Math.floor(value / 1000) : value;
}

export function rejectResult(
  stage: string,
  reason: RejectReason,
  detail: string,
  payload: string,
  origin: string,
  nowMs: number,
): ParseResult {
  return { kind: 'rejected', rejected: { stage, reason, detail, payload, origin, ts: nowMs } };
}

const DOT = 46;
const ZERO = 48;
const NINE = 57;
/** Longer than any Binance decimal (they carry 8 places) by far, short enough to stay exact-ish. */
const MAX_DECIMAL_CHARS = 40;

/**
 * A plain unsigned decimal string (`"0.00141342"`) as a number, or NaN for anything else:
 * `Number()` alone would also take `" 1"`, `"0x10"`, `"1e3"` and `"Infinity"`.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > MAX_DECIMAL_CHARS) return Number.NaN;
  let mantissa = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (dot !== -1 || i === 0 || i === n - 1) return Number.NaN;
      dot = i;
    } else if (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
    } else {
      return Number.NaN;
    }
  }
  const places = dot === -1 ? 0 : n - 1 - dot;
  // Clinger's fast path: an exact integer divided by an exact power of ten is one correctly
  // rounded operation, so it equals Number(text); past 2^53 or 10^22 let Number() do it.
  if (mantissa <= Number.MAX_SAFE_INTEGER && places <= 22) return mantissa / POWERS_OF_TEN[places]!;
  return Number(text);
}

const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** An unsigned integer string (`"13519807"`) as a number, or NaN. */
export function parseUint(text: string): number {
  const n = text.length;
  if (n === 0 || n > 20) return Number.NaN;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return Number.NaN;
  }
  return Number(text);
}

/** `true`/`false` as Binance dumps spell them (older ones capitalise), or undefined. */
export function parseBool(text: string): boolean | undefined {
  switch (text) {
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    default:
      return undefined;
  }
}

export function isTradeId(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

const MAX_CACHED_SYMBOLS = 4096;
const symbolCache = new Map<string, string | null>();
let lastVenueSymbol = '';
let lastCanonical: string | undefined;

/**
 * `binanceToCanonical`, memoised: it scans every quote asset, and a stream repeats a handful of
 * symbols millions of times. Bounded so a flood of garbage symbols cannot grow it.
 */
export function canonicalSymbol(venueSymbol: string): string | undefined {
  // A stream's frames mostly repeat the previous symbol: a compare beats hashing the string.
  if (venueSymbol === lastVenueSymbol) return lastCanonical;
  const cached = symbolCache.get(venueSymbol);
  if (cached !== undefined) {
    lastVenueSymbol = venueSymbol;
    lastCanonical = cached ?? undefined;
    return lastCanonical;
  }
  const symbol = binanceToCanonical(venueSymbol);
  if (symbolCache.size >= MAX_CACHED_SYMBOLS) symbolCache.clear();
  symbolCache.set(venueSymbol, symbol ?? null);
  return symbol;
}
