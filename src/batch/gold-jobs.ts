import type { BatchJobDef } from './job.js';
import { candlesJob } from './jobs/candles.js';
import { dailyMarketMetricsJob } from './jobs/daily-metrics.js';
import { topMoversJob } from './jobs/movers.js';
import { qualityJob } from './jobs/quality.js';
import { trendingJob } from './jobs/trending.js';

/**
 * The batch DAG over the lake, in dependency order (`reconciliation`, which also reads the
 * speed layer's candles, is made with `createReconciliationJob`):
 *
 *   quality ─► candles ─► top_movers, trending, reconciliation
 *          └─► daily_market_metrics
 */
export const GOLD_JOBS: readonly BatchJobDef[] = [
  qualityJob,
  candlesJob,
  dailyMarketMetricsJob,
  topMoversJob,
  trendingJob,
];
