import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ServeApp, ServeContext } from '../context.js';
import type { BatchStatus, SystemStatus } from '../deps.js';
import type { WsStats } from '../ws/hub.js';

/**
 * `GET /metrics`, Prometheus text format, from a registry owned by this server (never the global
 * one, so servers in one process do not share series). Installed on the root instance, not as an
 * encapsulated plugin, so its hook sees every route and every 404. HTTP counts and durations are recorded by
 * hooks on every route; pipeline gauges are read from `deps.status()` once per scrape, batch
 * gauges (with a batch layer) from `deps.batch.status()`.
 */
export function installMetrics(app: ServeApp, { deps, options }: ServeContext, wsStats: () => WsStats): void {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpLabels = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route pattern and status.',
    labelNames: httpLabels,
    registers,
  });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status.',
    labelNames: httpLabels,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const gauge: MakeGauge = (name, help, labelNames = []) =>
    new Gauge({ name: `crypto_lambda_${name}`, help, labelNames, registers });
  const g = {
    tradesProcessed: gauge('speed_trades_processed', 'Trades processed by the speed layer since start.'),
    lag: gauge('speed_lag_records', 'Records in the log not yet processed by the speed layer.'),
    lateDropped: gauge(
      'speed_late_dropped',
      'Trades later than the allowed lateness, left to the batch layer.',
    ),
    revised: gauge('speed_revised', 'Candles re-emitted as revised after a late trade.'),
    // Per venue, not per series: a label per symbol made 10,000 time series at 10,000 symbols
    // (Prometheus' advice: no unbounded label values). Each series' own watermark is in
    // `/api/v1/system/status`.
    watermark: gauge(
      'speed_watermark_ms',
      "Speed watermark of a venue's slowest series (every series is complete up to it), ms since the Unix epoch.",
      ['venue'],
    ),
    watermarkMax: gauge(
      'speed_watermark_max_ms',
      "Speed watermark of a venue's most advanced series, ms since the Unix epoch.",
      ['venue'],
    ),
    series: gauge('speed_series', 'Series (venue, symbol) the speed layer keeps, by venue.', ['venue']),
    rejectedTotal: gauge('rejected', "Rejected records in the log's rejected topic (every run, 7 days)."),
    rejectedByReason: gauge(
      'rejected_by_reason',
      "Rejected records in the log's rejected topic, by reason.",
      ['reason'],
    ),
    sourceTrades: gauge('source_trades', 'Trades received, by source.', ['source']),
    sourceRejected: gauge('source_rejected', 'Records rejected since this process started, by source.', [
      'source',
    ]),
    sourceState: gauge('source_state', '1 for the state each source is in.', ['source', 'state']),
    tradesPerSec: gauge('throughput_trades_per_second', 'Trades per second, recent average.'),
    startedAt: gauge('started_at_ms', 'When the pipeline started, ms since the Unix epoch.'),
    wsConnections: gauge('ws_connections', 'Open WebSocket connections.'),
    wsChannels: gauge('ws_channels', 'WebSocket channels with subscribers.'),
    wsSerialized: gauge('ws_frames_serialized', 'Update frames serialized (one per update per channel).'),
    wsSent: gauge('ws_frames_sent', 'Frames written to WebSocket clients.'),
    wsCoalesced: gauge('ws_frames_coalesced', 'Updates replaced by newer ones while a client was slow.'),
    wsSlowClosed: gauge('ws_slow_clients_closed', 'WebSocket clients closed as too slow.'),
  };

  const observeStatus = (status: SystemStatus): void => {
    g.tradesProcessed.set(status.speed.tradesProcessed);
    g.lag.set(status.speed.lag);
    g.lateDropped.set(status.speed.lateDropped);
    g.revised.set(status.speed.revised);
    // Labelled gauges are reset so that venues which disappeared stop being reported.
    for (const labelled of [g.watermark, g.watermarkMax, g.series]) labelled.reset();
    for (const [venue, v] of byVenue(status.speed.watermarks)) {
      g.watermark.set({ venue }, v.minTs);
      g.watermarkMax.set({ venue }, v.maxTs);
      g.series.set({ venue }, v.series);
    }
    const rejected = deps.rejected.counts();
    g.rejectedTotal.set(rejected.total);
    g.rejectedByReason.reset();
    for (const [reason, count] of Object.entries(rejected.byReason))
      g.rejectedByReason.set({ reason }, count);
    for (const labelled of [g.sourceTrades, g.sourceRejected, g.sourceState]) labelled.reset();
    for (const source of status.sources) {
      g.sourceTrades.set({ source: source.name }, source.trades);
      g.sourceRejected.set({ source: source.name }, source.rejected);
      g.sourceState.set({ source: source.name, state: source.state }, 1);
    }
    g.tradesPerSec.set(status.throughput.tradesPerSec);
    g.startedAt.set(status.startedAt);
  };

  const observeBatch = deps.batch === undefined ? undefined : batchMetrics(gauge);

  const observeWs = (stats: WsStats): void => {
    g.wsConnections.set(stats.connections);
    g.wsChannels.set(stats.channels);
    g.wsSerialized.set(stats.framesSerialized);
    g.wsSent.set(stats.framesSent);
    g.wsCoalesced.set(stats.coalesced);
    g.wsSlowClosed.set(stats.slowClosed);
  };

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      // The route pattern, never the raw URL: unmatched paths must not create new series.
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    durations.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true, summary: 'Prometheus metrics' } }, async (_request, reply) => {
    observeStatus(deps.status());
    if (deps.batch !== undefined) observeBatch?.(deps.batch.status());
    observeWs(wsStats());
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** The watermarks of each venue's series: the slowest, the most advanced, how many. */
function byVenue(
  watermarks: SystemStatus['speed']['watermarks'],
): Map<string, { minTs: number; maxTs: number; series: number }> {
  const out = new Map<string, { minTs: number; maxTs: number; series: number }>();
  for (const w of watermarks) {
    const v = out.get(w.venue);
    if (v === undefined) out.set(w.venue, { minTs: w.watermarkTs, maxTs: w.watermarkTs, series: 1 });
    else {
      v.minTs = Math.min(v.minTs, w.watermarkTs);
      v.maxTs = Math.max(v.maxTs, w.watermarkTs);
      v.series++;
    }
  }
  return out;
}

type MakeGauge = (name: string, help: string, labelNames?: readonly string[]) => Gauge;

/** The batch layer's gauges (with a batch layer only), and how a status sets them. */
function batchMetrics(gauge: MakeGauge): (status: BatchStatus) => void {
  const b = {
    watermark: gauge(
      'batch_watermark_ms',
      'Batch watermark: buckets ending before it are served from batch views, ms since the Unix epoch.',
    ),
    lastRun: gauge('batch_last_run_status', '1 for the status of the last run of each job.', [
      'job',
      'status',
    ]),
    lastRunDuration: gauge('batch_last_run_duration_seconds', 'Duration of the last run of each job.', [
      'job',
    ]),
    lastRunRows: gauge('batch_last_run_rows', 'Rows written by the last run of each job.', ['job']),
    lastRunFinished: gauge('batch_last_run_finished_ms', 'When the last run of each job finished.', ['job']),
    lakeFiles: gauge('lake_files', 'Committed lake files (silver and bronze).'),
    lakeBytes: gauge('lake_bytes', 'Bytes of the committed lake files.'),
  };
  return (status) => {
    if (status.watermarkTs === null) b.watermark.reset();
    else b.watermark.set(status.watermarkTs);
    for (const labelled of [b.lastRun, b.lastRunDuration, b.lastRunRows, b.lastRunFinished]) labelled.reset();
    for (const run of status.lastRuns) {
      b.lastRun.set({ job: run.job, status: run.status }, 1);
      b.lastRunRows.set({ job: run.job }, run.rows);
      if (run.durationMs !== null) b.lastRunDuration.set({ job: run.job }, run.durationMs / 1000);
      if (run.finishedAt !== null) b.lastRunFinished.set({ job: run.job }, run.finishedAt);
    }
    b.lakeFiles.set(status.lake.files);
    b.lakeBytes.set(status.lake.bytes);
  };
}
