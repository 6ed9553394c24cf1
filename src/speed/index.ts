/** The speed layer: streaming operators over the log, their live views and checkpoints. */

export {
  type FinalCandleStream,
  type FinalCandlesOptions,
  finalCandles,
} from './candles/final.js';
export {
  CANDLE_OPERATOR,
  type CandleOperatorInstance,
  createCandleOperator,
  type SeriesClockReading,
  type SeriesWatermark,
} from './candles/operator.js';
export {
  CANDLE_OPERATOR_DEFAULTS,
  type CandleOperatorOptions,
  type OpenInterest,
} from './candles/options.js';
export {
  type BucketTuple,
  type CandleCounters,
  type CandleOperatorState,
  CandleOperatorStateSchema,
  checkOperatorState,
  type LaneState,
  type SeriesState,
} from './candles/snapshot.js';
export { compareTradeIds } from './candles/trade-order.js';
export { readCheckpoint, writeCheckpoint } from './checkpoint.js';
export { type CheckpointStore, openCheckpointStore } from './checkpoint-store.js';
export { SPEED_ERRORS, type SpeedErrorCode } from './errors.js';
export type { OperatorDef, OperatorInstance } from './operator.js';
export {
  createSpeedRunner,
  SPEED_RUNNER_DEFAULTS,
  type SpeedCheckpoint,
  type SpeedRunner,
  type SpeedRunnerDeps,
  type SpeedRunnerOptions,
} from './runner.js';
export {
  createSpeedView,
  NO_SERIES_CLOCK,
  type SeriesClock,
  SPEED_VIEW_DEFAULTS,
  type SpeedView,
  type SpeedViewOptions,
} from './view.js';
