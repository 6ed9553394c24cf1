import { type Candle, formatDecimal } from '../domain/index.js';

/** Binance's kline columns, in Binance's order. */
export const KLINE_CSV_HEADER =
  'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_base,taker_buy_quote';

/** One candle as a Binance kline CSV row; numbers as plain decimals, never exponent notation. */
export function klineCsvRow(c: Candle): string {
  return [
    c.openTime,
    formatDecimal(c.open),
    formatDecimal(c.high),
    formatDecimal(c.low),
    formatDecimal(c.close),
    formatDecimal(c.volume),
    c.closeTime,
    formatDecimal(c.quoteVolume),
    c.trades,
    formatDecimal(c.takerBuyVolume),
    formatDecimal(c.takerBuyQuoteVolume),
  ].join(',');
}
