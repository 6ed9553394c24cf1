/** The batch layer: exact views recomputed by embedded DuckDB. */

export {
  GENERAL_ORDER_KEY,
  orderKeySql,
  ROW_ORDER_KEY,
  silverCandleSources,
  type TradeKeyStats,
} from './candle-sources.js';
export { type BatchCandlesOptions, batchCandles } from './candles.js';
export { type CandleSource, type CandlesSqlOptions, candlesSql } from './candles-sql.js';
export { topologicalOrder } from './dag.js';
export { BATCH_ERRORS, type BatchErrorCode } from './errors.js';
export { GOLD_JOBS } from './gold-jobs.js';
export { openRunHistory, type RunHistory, type RunRecord } from './history.js';
export type { BatchJobDef, JobContext, JobOutput } from './job.js';
export { candlesJob } from './jobs/candles.js';
export { dailyMarketMetricsJob } from './jobs/daily-metrics.js';
export { MOVER_PERIOD_MS, MOVERS_LIMIT, topMoversJob } from './jobs/movers.js';
export { QUALITY_THRESHOLDS, type QualityThresholds, qualityJob } from './jobs/quality.js';
export { createReconciliationJob, reconcile, type SpeedCandleSource } from './jobs/reconciliation.js';
export {
  TRENDING_SCALES,
  TRENDING_WEIGHTS,
  type TrendingWeights,
  trendingJob,
  WHALE_QUANTILE,
} from './jobs/trending.js';
export { type BatchScheduler, openScheduler, type RunTrigger, type SchedulerOptions } from './scheduler.js';
export { type BatchViews, createBatchViews, toJobRun } from './views.js';
