/** The batch layer: exact views recomputed by embedded DuckDB. */
export { type BatchCandlesOptions, batchCandles } from './candles.js';
export { downstreamOf, topologicalOrder } from './dag.js';
export { BATCH_ERRORS, type BatchErrorCode } from './errors.js';
export { openRunHistory, type RunHistory, type RunRecord } from './history.js';
export { type BatchJobDef, type JobContext, type JobOutput, sqlFileList, sqlString } from './job.js';
export { createReconciliationJob, reconcile, type SpeedCandleSource } from './jobs/reconciliation.js';
export { type BatchScheduler, openScheduler, type RunTrigger, type SchedulerOptions } from './scheduler.js';
export { type BatchViews, createBatchViews, toJobRun } from './views.js';
