import { isCanonicalSymbol } from '../../../domain/index.js';

/**
 * Binance spells symbols without a separator (`XRPETH`, `xrpeth` in stream names); the quote
 * asset is found by its suffix.
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

/** COIN-M contracts: `BTCUSD_PERP` (perpetual), `BTCUSD_240628` (delivery). */
const COINM_SYMBOL = /^[A-Z0-9]+USD_(?:PERP|\d{6})$/i;
/** Delivery contracts of either futures market end with their date: `BTCUSDT_240628`. */
const DATED_SYMBOL = /_\d{6}$/;

/** Whether a Binance symbol is a COIN-M contract (`BTCUSD_PERP`, `ethusd_210924`). */
export function isCoinmSymbol(venueSymbol: string): boolean {
  return COINM_SYMBOL.test(venueSymbol);
}

/** Whether a Binance symbol is a dated delivery contract (`BTCUSDT_240628`, `ETHUSD_210924`). */
export function isDatedContract(venueSymbol: string): boolean {
  return DATED_SYMBOL.test(venueSymbol);
}

/**
 * Maps a Binance symbol (`XRPETH`, `xrpeth`; COIN-M perpetuals `BTCUSD_PERP`) to the canonical
 * form (`XRP-ETH`, `BTC-USD`), or returns undefined when no known quote asset ends it. Dated
 * delivery contracts (`BTCUSDT_240628`) map to nothing: under one canonical symbol their trade
 * ids would mix with the perpetual's.
 */
export function binanceToCanonical(venueSymbol: string): string | undefined {
  let upper = venueSymbol.toUpperCase();
  if (upper.endsWith('_PERP')) upper = upper.slice(0, -'_PERP'.length);
  for (const quote of BINANCE_QUOTES) {
    if (upper.length > quote.length && upper.endsWith(quote)) {
      const base = upper.slice(0, -quote.length);
      const symbol = `${base}-${quote}`;
      return isCanonicalSymbol(symbol) ? symbol : undefined;
    }
  }
  return undefined;
}

/** The Binance spelling of a canonical symbol (`XRP-ETH` → `XRPETH`). */
export function canonicalToBinance(symbol: string): string {
  return symbol.replace('-', '');
}

const MAX_CACHED_SYMBOLS = 65_536;
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
