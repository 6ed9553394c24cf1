import { type Static, Type } from 'typebox';
import { INTERVALS } from './intervals.js';

export const IntervalSchema = Type.Enum(INTERVALS);

/**
 * An OHLCV candle (ARCHITECTURE.md §4). `openTime` is the bucket start; `closeTime` is
 * `openTime + interval - 1`, as Binance reports it. A bucket without trades is still a candle,
 * with open = high = low = close = the previous close and zero volume.
 */
export const CandleSchema = Type.Object(
  {
    venue: Type.String(),
    symbol: Type.String(),
    interval: IntervalSchema,
    openTime: Type.Integer(),
    closeTime: Type.Integer(),
    open: Type.Number(),
    high: Type.Number(),
    low: Type.Number(),
    close: Type.Number(),
    /** Σ qty, base asset. */
    volume: Type.Number(),
    /** Σ price·qty, quote asset. */
    quoteVolume: Type.Number(),
    /** Σ count: raw trades. */
    trades: Type.Integer(),
    takerBuyVolume: Type.Number(),
    takerBuyQuoteVolume: Type.Number(),
    /** `open` while the bucket takes trades, `closed` once the watermark passed it, `revised` after a late trade. */
    state: Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('revised')]),
    source: Type.Union([Type.Literal('speed'), Type.Literal('batch')]),
  },
  { additionalProperties: false },
);
export type Candle = Static<typeof CandleSchema>;
export type CandleState = Candle['state'];
