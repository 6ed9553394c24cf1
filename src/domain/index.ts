export {
  type DailyMarketMetric,
  DailyMarketMetricSchema,
  type JobRun,
  JobRunSchema,
  type JobRunStatus,
  JobRunStatusSchema,
  MOVER_PERIODS,
  type Mover,
  type MoverPeriod,
  MoverPeriodSchema,
  MoverSchema,
  type MoverType,
  MoverTypeSchema,
  type QualityCheck,
  QualityCheckSchema,
  type QualityStatus,
  QualityStatusSchema,
  RECONCILIATION_CAUSES,
  type ReconciliationCause,
  type ReconciliationDiff,
  ReconciliationDiffSchema,
  type TrendingScore,
  TrendingScoreSchema,
  UtcDateSchema,
} from './analytics.js';
export { type Candle, CandleSchema, type CandleState, IntervalSchema } from './candle.js';
export { DEFAULT_DECIMALS, formatDecimal, roundTo } from './decimal.js';
export { CryptoLambdaError, isCryptoLambdaError } from './errors.js';
export { bucketStart, INTERVAL_MS, INTERVALS, type Interval, isInterval } from './intervals.js';
export { type RawBatch, RawBatchSchema } from './raw.js';
export {
  type Answer,
  type BatchReader,
  type BatchStatus,
  BatchStatusSchema,
  type CandleQuery,
  type CandleReader,
  type LiveFeed,
  REJECTED_KEPT,
  type RejectedCounts,
  RejectedCountsSchema,
  type RejectedReader,
  type SeriesKey,
  type SeriesReader,
  type SymbolInfo,
  SymbolInfoSchema,
  symbolKey,
  type TimeRange,
  TimeRangeSchema,
  type UptimeReader,
} from './read-contracts.js';
export { type Rejected, RejectedSchema } from './rejected.js';
export { compareSeries, compareText, isCanonicalSymbol } from './symbols.js';
export { endWorker } from './threads.js';
export {
  resolveTimePolicy,
  settledBefore,
  TIME_POLICY_DEFAULTS,
  TIME_POLICY_INVALID,
  type TimePolicy,
  watermarkOf,
} from './time-policy.js';
export {
  checkTrade,
  type Invalid,
  REJECT_REASONS,
  type RejectReason,
  type Side,
  type Trade,
  TradeSchema,
} from './trade.js';
export {
  type DurationMs,
  MAX_FUTURE_SKEW_MS,
  MIN_EVENT_TS,
  toUnixMs,
  type UnixMs,
  utcDayStart,
} from './units.js';
