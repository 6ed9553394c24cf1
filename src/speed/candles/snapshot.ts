import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { CryptoLambdaError, IntervalSchema } from '../../domain/index.js';
import { SPEED_ERRORS } from '../errors.js';
import { bucketToState } from './bucket.js';

/**
 * One bucket of one series and interval, as kept in operator state and in snapshots. Sums are
 * Neumaier-compensated: the value is `sum + sumC`. An empty bucket has `trades = 0` and
 * o = h = l = c = the previous bucket's close.
 */
export const BucketStateV1Schema = Type.Object(
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
export type BucketStateV1 = Static<typeof BucketStateV1Schema>;

/**
 * A bucket as snapshots since version 2 keep it: the fields of `BucketStateV1` in that order,
 * with `closed` and `emitted` as bits of the last element (1, 2). A tuple, not an object: at
 * 10,000 symbols, objects made the state 27 MB of JSON (keys repeated per bucket) and three
 * times slower to write.
 */
export const BucketTupleSchema = Type.Tuple([
  Type.Integer(), // openTime
  Type.Number(), // open
  Type.Number(), // high
  Type.Number(), // low
  Type.Number(), // close
  Type.Integer(), // openTs
  Type.String(), // openId
  Type.Integer(), // closeTs
  Type.String(), // closeId
  Type.Number(), // volume
  Type.Number(), // volumeC
  Type.Number(), // quoteVolume
  Type.Number(), // quoteVolumeC
  Type.Number(), // takerBuyVolume
  Type.Number(), // takerBuyVolumeC
  Type.Number(), // takerBuyQuoteVolume
  Type.Number(), // takerBuyQuoteVolumeC
  Type.Integer({ minimum: 0 }), // trades
  Type.Integer({ minimum: 0, maximum: 3 }), // flags: 1 closed, 2 emitted
]);
export type BucketTuple = Static<typeof BucketTupleSchema>;

/** The buckets of one interval still in state: contiguous, ascending by `openTime`. */
const laneSchema = <B extends TSchema>(bucket: B) =>
  Type.Object({ interval: IntervalSchema, buckets: Type.Array(bucket) }, { additionalProperties: false });
export const LaneStateSchema = laneSchema(BucketTupleSchema);
export type LaneState = Static<typeof LaneStateSchema>;

const seriesSchema = <L extends TSchema>(lane: L) =>
  Type.Object(
    {
      venue: Type.String(),
      symbol: Type.String(),
      /** The largest event time seen; the watermark is `maxTs - maxOutOfOrdernessMs`. */
      maxTs: Type.Integer(),
      /** The closing clock set by `onWallClock` / `flush`; null until either reached this series. */
      floorTs: Type.Union([Type.Integer(), Type.Null()]),
      lanes: Type.Array(lane),
    },
    { additionalProperties: false },
  );
export const SeriesStateSchema = seriesSchema(LaneStateSchema);
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
    version: Type.Literal(2),
    counters: CandleCountersSchema,
    /** In creation order, which fixes the order of `onWallClock` outputs. */
    series: Type.Array(SeriesStateSchema),
  },
  { additionalProperties: false },
);
export type CandleOperatorState = Static<typeof CandleOperatorStateSchema>;

/** The state as version 1 wrote it (buckets as objects): still restored. */
const CandleOperatorStateV1Schema = Type.Object(
  {
    version: Type.Literal(1),
    counters: CandleCountersSchema,
    series: Type.Array(seriesSchema(laneSchema(BucketStateV1Schema))),
  },
  { additionalProperties: false },
);
type CandleOperatorStateV1 = Static<typeof CandleOperatorStateV1Schema>;

const stateValidator = Compile(CandleOperatorStateSchema);
const v1Validator = Compile(CandleOperatorStateV1Schema);

/**
 * Checks a snapshot's shape and gives it as the current version (a version 1 snapshot's buckets
 * become tuples); throws `SPEED_BAD_SNAPSHOT` with the first problem.
 */
export function checkOperatorState(value: unknown): CandleOperatorState {
  if (stateValidator.Check(value)) return value;
  if (v1Validator.Check(value)) return upgradeV1(value);
  const first = stateValidator.Errors(value)[0];
  const where = first === undefined ? '' : `: ${first.instancePath || '/'} ${first.message}`;
  throw new CryptoLambdaError(SPEED_ERRORS.badSnapshot, `not a candle operator snapshot${where}`);
}

/** A state of this version, or of version 1 (a checkpoint written before the upgrade), as this version. */
export function asCurrentState(state: CandleOperatorState | CandleOperatorStateV1): CandleOperatorState {
  return state.version === 2 ? state : upgradeV1(state);
}

function upgradeV1(state: CandleOperatorStateV1): CandleOperatorState {
  return {
    version: 2,
    counters: state.counters,
    series: state.series.map((s) => ({
      ...s,
      lanes: s.lanes.map((lane) => ({
        interval: lane.interval,
        buckets: lane.buckets.map(bucketToState),
      })),
    })),
  };
}
