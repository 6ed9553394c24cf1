/**
 * Canonical symbols are `BASE-QUOTE`, upper case (`BTC-USDT`). Venues spell them their own way;
 * this module maps venue symbols to canonical ones.
 */

/** Quote assets Binance lists, longest first so `BUSD` wins over `USD` and `USDT` over `USD`. */
const BINANCE_QUOTES = [
  'FDUSD',
  'USDT',
  'BUSD',
  'USDC',
  'TUSD',
  'USDP',
  'BIDR',
  'BVND',
  'IDRT',
  'UAH',
  'DAI',
  'PAX',
  'BTC',
  'ETH',
  'BNB',
  'XRP',
  'TRX',
  'DOGE',
  'DOT',
  'TRY',
  'EUR',
  'GBP',
  'AUD',
  'BRL',
  'RUB',
  'NGN',
  'ZAR',
  'PLN',
  'RON',
  'ARS',
  'JPY',
  'MXN',
  'COP',
  'CZK',
  'USD',
  'VAI',
  'UST',
  'USDS',
  'AEUR',
  'EURI',
].sort((a, b) => b.length - a.length);

const CANONICAL = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/;

/** The last symbol found canonical: a stream of trades repeats a few symbols, each checked once a run. */
let lastCanonical = 'BTC-USDT';

export function isCanonicalSymbol(symbol: string): boolean {
  if (symbol === lastCanonical) return true;
  if (!CANONICAL.test(symbol)) return false;
  lastCanonical = symbol;
  return true;
}

/**
 * Maps a Binance symbol (`XRPETH`, `xrpeth`) to the canonical form (`XRP-ETH`), or returns
 * undefined when no known quote asset ends it.
 */
export function binanceToCanonical(venueSymbol: string): string | undefined {
  const upper = venueSymbol.toUpperCase();
  for (const quote of BINANCE_QUOTES) {
    if (upper.length > quote.length && upper.endsWith(quote)) {
      const base = upper.slice(0, -quote.length);
      const symbol = `${base}-${quote}`;
      return CANONICAL.test(symbol) ? symbol : undefined;
    }
  }
  return undefined;
}

/** The Binance spelling of a canonical symbol (`XRP-ETH` → `XRPETH`). */
export function canonicalToBinance(symbol: string): string {
  return symbol.replace('-', '');
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
