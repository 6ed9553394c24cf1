/** The batch layer: exact views recomputed by embedded DuckDB. */
export { type BatchCandlesOptions, batchCandles } from './candles.js';
