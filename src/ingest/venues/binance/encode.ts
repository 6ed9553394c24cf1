import { formatDecimal, type Trade } from '../../../domain/index.js';
import { BINANCE_USDM_VENUE } from './fields.js';
import { canonicalToBinance } from './symbols.js';

/**
 * A trade as Binance sends it on a combined stream,
 * `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade",…}}`: the inverse of `parseBinanceFrame`,
 * for load generators, benchmarks and a local stand-in for the exchange. The aggregate covers
 * raw trade ids `[2·id, 2·id + count − 1]`. A `binance-usdm` trade's frame lacks `M`, as
 * futures frames do; any other venue's is a spot frame.
 */
export function toAggTradeFrame(trade: Trade): string {
  const s = canonicalToBinance(trade.symbol);
  const id = Number(trade.tradeId);
  return JSON.stringify({
    stream: `${s.toLowerCase()}@aggTrade`,
    data: {
      e: 'aggTrade',
      E: trade.recvTs,
      s,
      a: id,
      p: formatDecimal(trade.price),
      q: formatDecimal(trade.qty),
      f: id * 2,
      l: id * 2 + trade.count - 1,
      T: trade.ts,
      m: trade.side === 'sell',
      ...(trade.venue === BINANCE_USDM_VENUE ? {} : { M: true }),
    },
  });
}
