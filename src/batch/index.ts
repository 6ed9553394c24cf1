/** The batch layer: exact views recomputed by embedded DuckDB. */
export { type BatchCandlesOptions, batchCandles } from './candles.js';
export { type BatchJobDef, type JobContext, type JobOutput, sqlFileList, sqlString } from './job.js';
