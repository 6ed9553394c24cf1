/** Venue id of Binance spot trades. */
export const BINANCE_VENUE = 'binance';
/** Venue id of Binance USD-M futures trades (fstream.binance.com, data.binance.vision `futures/um`). */
export const BINANCE_USDM_VENUE = 'binance-usdm';
/**
 * Venue id of Binance COIN-M futures trades (dstream.binance.com, data.binance.vision
 * `futures/cm`). Their quantities are contracts, as Binance's COIN-M klines count volume.
 */
export const BINANCE_COINM_VENUE = 'binance-coinm';

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
