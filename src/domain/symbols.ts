/**
 * Canonical symbols are `BASE-QUOTE`, upper case (`BTC-USDT`). Venues spell them their own way;
 * each venue's definition maps its spelling to this one (`ingest/venues/<venue>/`).
 */

const CANONICAL = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/;

/** The last symbol found canonical: a stream of trades repeats a few symbols, each checked once a run. */
let lastCanonical = 'BTC-USDT';

export function isCanonicalSymbol(symbol: string): boolean {
  if (symbol === lastCanonical) return true;
  if (!CANONICAL.test(symbol)) return false;
  lastCanonical = symbol;
  return true;
}

/** Code-unit order of two names (venues, symbols: Latin-1, where it is also their UTF-8 byte order). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Series by venue, then symbol: the order series are listed in. */
export function compareSeries(
  a: { venue: string; symbol: string },
  b: { venue: string; symbol: string },
): number {
  return compareText(a.venue, b.venue) || compareText(a.symbol, b.symbol);
}
