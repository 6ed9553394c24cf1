/**
 * Within a bucket, trades are ordered by `(ts, tradeId)` (ARCHITECTURE.md §4). Venue ids are
 * mostly decimal counters, which must compare as numbers ("9" < "10") without losing precision
 * past 2^53; other ids compare as strings.
 */

function isDigits(id: string): boolean {
  if (id.length === 0) return false;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * Compares two trade ids: numerically when both are decimal digit strings (by length, then
 * lexicographically; ids are assumed to carry no leading zeros), otherwise lexicographically
 * by UTF-16 code units. Returns a negative number, 0 or a positive number.
 */
export function compareTradeIds(a: string, b: string): number {
  if (a === b) return 0;
  if (isDigits(a) && isDigits(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : 1;
}

/** Compares the `(ts, tradeId)` keys of two trades. */
export function compareTradeKeys(aTs: number, aId: string, bTs: number, bId: string): number {
  if (aTs !== bTs) return aTs - bTs;
  return compareTradeIds(aId, bId);
}
