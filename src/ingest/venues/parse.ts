import type { Rejected, RejectReason, Trade } from '../../domain/index.js';

/** What a parser makes of one line or frame: exactly one of a trade, a rejection, or nothing to do. */
export type ParseResult =
  | { readonly kind: 'trade'; readonly trade: Trade }
  | { readonly kind: 'rejected'; readonly rejected: Rejected }
  | { readonly kind: 'ignored' };

export const IGNORED: ParseResult = Object.freeze({ kind: 'ignored' });

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
/** Longer than any venue decimal (Binance's carry 8 places) by far, short enough to stay exact-ish. */
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

/** `true`/`false` as dumps spell them (older ones capitalise), or undefined. */
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
