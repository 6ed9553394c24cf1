import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { CryptoLambdaError, IntervalSchema } from '../../domain/index.js';
import { SPEED_ERRORS } from '../errors.js';

/**
 * One bucket of one series and interval, as kept in operator state and in snapshots. Sums are
 * Neumaier-compensated: the value is `sum + sumC`. An empty bucket has `trades = 0` and
 * o = h = l = c = the previous bucket's close.
 */
export const BucketStateSchema = Type.Object(
  {
    openTime: Type.Integer(),
    open: Type.Number(),
    high: Type.Number(),
    low: Type.Number(),
    close: Type.Number(),
    /** `(ts, tradeId)` of the trade that set `open`; id `''` while the bucket is empty. */
    openTs: Type.Integer(),
    openId: Type.String(),
    /** `(ts, tradeId)` of the trade that set `close`. */
    closeTs: Type.Integer(),
    closeId: Type.String(),
    volume: Type.Number(),
    volumeC: Type.Number(),
    quoteVolume: Type.Number(),
    quoteVolumeC: Type.Number(),
    takerBuyVolume: Type.Number(),
    takerBuyVolumeC: Type.Number(),
    takerBuyQuoteVolume: Type.Number(),
    takerBuyQuoteVolumeC: Type.Number(),
    trades: Type.Integer({ minimum: 0 }),
    /** The watermark reached the bucket's end and `closed` was emitted. */
    closed: Type.Boolean(),
    /** The bucket was emitted at least once. */
    emitted: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type BucketState = Static<typeof BucketStateSchema>;

/** The buckets of one interval still in state: contiguous, ascending by `openTime`. */
export const LaneStateSchema = Type.Object(
  { interval: IntervalSchema, buckets: Type.Array(BucketStateSchema) },
  { additionalProperties: false },
);
export type LaneState = Static<typeof LaneStateSchema>;

export const SeriesStateSchema = Type.Object(
  {
    venue: Type.String(),
    symbol: Type.String(),
    /** The largest event time seen; the watermark is `maxTs - maxOutOfOrdernessMs`. */
    maxTs: Type.Integer(),
    /** The closing clock set by `onWallClock` / `flush`; null until either reached this series. */
    floorTs: Type.Union([Type.Integer(), Type.Null()]),
    lanes: Type.Array(LaneStateSchema),
  },
  { additionalProperties: false },
);
export type SeriesState = Static<typeof SeriesStateSchema>;

export const CandleCountersSchema = Type.Object(
  {
    /** Trades given to `process`. */
    tradesProcessed: Type.Integer({ minimum: 0 }),
    /** Trades too late for at least one interval's bucket (left to the batch layer). */
    lateDropped: Type.Integer({ minimum: 0 }),
    /** Candles emitted with state `revised` (late trades and the empty buckets they cascade to). */
    revised: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type CandleCounters = Static<typeof CandleCountersSchema>;

/** The candle operator's whole state, JSON data (the checkpoint stores it as is). */
export const CandleOperatorStateSchema = Type.Object(
  {
    version: Type.Literal(1),
    counters: CandleCountersSchema,
    /** In creation order, which fixes the order of `onWallClock` outputs. */
    series: Type.Array(SeriesStateSchema),
  },
  { additionalProperties: false },
);
export type CandleOperatorState = Static<typeof CandleOperatorStateSchema>;

const stateValidator = Compile(CandleOperatorStateSchema);

/** Checks a snapshot's shape; throws `SPEED_BAD_SNAPSHOT` with the first problem. */
export function checkOperatorState(value: unknown): CandleOperatorState {
  if (stateValidator.Check(value)) return value;
  const first = stateValidator.Errors(value)[0];
  const where = first === undefined ? '' : `: ${first.instancePath || '/'} ${first.message}`;
  throw new CryptoLambdaError(SPEED_ERRORS.badSnapshot, `not a candle operator snapshot${where}`);
}
