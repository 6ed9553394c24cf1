import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type {
  Candle,
  DailyMarketMetric,
  Interval,
  JobRun,
  Mover,
  MoverPeriod,
  MoverType,
  QualityCheck,
  TrendingScore,
  UnixMs,
} from '../domain/index.js';
import { compareSeries, INTERVAL_MS, INTERVALS } from '../domain/index.js';
import { type LakeReader, readParquetSql, sqlText } from '../lake/index.js';
import { camelRow, candleFromRow, type GoldRow } from './gold-row.js';
import type { RunRecord } from './history.js';
import { daysBetween } from './jobs/sql.js';
import type { BatchScheduler } from './scheduler.js';

/**
 * The gold views as the serving layer reads them (its `BatchReader` port): committed gold
 * Parquet read with DuckDB. Candles of a day's file are cached per series until that day's
 * `candles` run changes.
 */
export interface BatchViews {
  watermarkTs(): UnixMs | undefined;
  candles(query: {
    venue: string;
    symbol: string;
    interval: Interval;
    from: UnixMs;
    to: UnixMs;
  }): Promise<Candle[]>;
  daily(date?: string): Promise<DailyMarketMetric[]>;
  movers(period: MoverPeriod, type: MoverType, limit: number): Promise<Mover[]>;
  trending(limit: number): Promise<TrendingScore[]>;
  quality(date?: string): Promise<QualityCheck[]>;
  runs(limit: number): Promise<JobRun[]>;
  /** Every series the gold candles hold, by venue then symbol. */
  symbols(): Promise<BatchSeries[]>;
  status(): { watermarkTs: UnixMs | null; lastRuns: JobRun[]; lake: { files: number; bytes: number } };
  close(): void;
}

/** A series the batch layer has candles of. */
export interface BatchSeries {
  venue: string;
  symbol: string;
  /** Intervals with candles, in `INTERVALS` order. */
  intervals: Interval[];
  /** The close of its newest 1m candle. */
  lastPrice: number | null;
  /** The open time of its newest 1m candle. */
  lastOpenTime: UnixMs | null;
}

export async function createBatchViews(scheduler: BatchScheduler, lake: LakeReader): Promise<BatchViews> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const query = async (sql: string): Promise<GoldRow[]> => {
    const connection = await instance.connect();
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS() as GoldRow[];
    } finally {
      connection.closeSync();
    }
  };
  /** The newest day whose last run of `job` succeeded (or ran at all, with `anyStatus`), and its file. */
  const latest = (job: string, anyStatus = false): { date: string; path: string } | undefined => {
    const runs = scheduler.history.all();
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i] as RunRecord;
      if (run.job !== job || (!anyStatus && run.status !== 'succeeded')) continue;
      const path = lake.goldPath(job, run.date);
      if (existsSync(path)) return { date: run.date, path };
    }
    return undefined;
  };
  const fileOf = (job: string, date: string): string | undefined => {
    const path = lake.goldPath(job, date);
    return existsSync(path) ? path : undefined;
  };
  const cache = new Map<string, Candle[]>();
  /** The series of each day's candles file, by file and run: read once per run of that day. */
  const seriesOfDay = new Map<string, BatchSeries[]>();
  /** The last answer of `symbols()`, and the run history it was made from. */
  let known: { version: string; series: BatchSeries[] } | undefined;

  return {
    watermarkTs: () => scheduler.watermarkTs(),
    async candles(q) {
      const watermark = scheduler.watermarkTs();
      if (watermark === undefined) return [];
      const to = Math.min(q.to, watermark - INTERVAL_MS[q.interval]);
      const out: Candle[] = [];
      for (const date of daysBetween(q.from, to)) {
        const path = fileOf('candles', date);
        if (path === undefined) continue;
        const run = scheduler.history.last('candles', date);
        const key = `${path}|${run?.id}|${q.venue}|${q.symbol}|${q.interval}`;
        let candles = cache.get(key);
        if (candles === undefined) {
          const rows = await query(
            `SELECT * FROM ${readParquetSql(path)} WHERE venue = ${sqlText(q.venue)}
             AND symbol = ${sqlText(q.symbol)} AND interval = ${sqlText(q.interval)} ORDER BY open_time`,
          );
          candles = rows.map(candleFromRow);
          if (cache.size > 512) cache.delete(cache.keys().next().value as string);
          cache.set(key, candles);
        }
        for (const c of candles)
          if (c.openTime >= q.from && c.openTime <= to && c.closeTime < watermark) out.push(c);
      }
      return out;
    },
    async daily(date) {
      const found =
        date === undefined ? latest('daily_market_metrics') : pathFor('daily_market_metrics', date);
      if (found === undefined) return [];
      const rows = await query(`SELECT * FROM ${readParquetSql(found.path)} ORDER BY venue, symbol`);
      return rows.map((r) => camelRow(r) as unknown as DailyMarketMetric);
    },
    async movers(period, type, limit) {
      const found = latest('top_movers');
      if (found === undefined) return [];
      const rows = await query(
        `SELECT * FROM ${readParquetSql(found.path)} WHERE period = ${sqlText(period)}
         AND type = ${sqlText(type)} ORDER BY rank LIMIT ${Math.max(0, Math.floor(limit))}`,
      );
      return rows.map((r) => camelRow(r) as unknown as Mover);
    },
    async trending(limit) {
      const found = latest('trending');
      if (found === undefined) return [];
      const rows = await query(
        `SELECT * FROM ${readParquetSql(found.path)}
         WHERE hour_ts = (SELECT max(hour_ts) FROM ${readParquetSql(found.path)})
         ORDER BY rank LIMIT ${Math.max(0, Math.floor(limit))}`,
      );
      return rows.map((r) => camelRow(r) as unknown as TrendingScore);
    },
    async quality(date) {
      const found = date === undefined ? latest('quality', true) : pathFor('quality', date);
      if (found === undefined) return [];
      const rows = await query(`SELECT * FROM ${readParquetSql(found.path)} ORDER BY ALL`);
      return rows.map((r) => camelRow(r) as unknown as QualityCheck);
    },
    async symbols() {
      // Asked by every candles request: answered from the last result until a run is recorded.
      const runs = scheduler.history.all();
      const version = `${runs.length}|${runs.at(-1)?.id}`;
      if (known?.version === version) return known.series;
      const days = [...new Set(runs.flatMap((r) => (r.job === 'candles' ? [r.date] : [])))];
      const keys = new Set<string>();
      const bySeries = new Map<string, BatchSeries>();
      for (const date of days.sort()) {
        const path = fileOf('candles', date);
        if (path === undefined) continue;
        const key = `${path}|${scheduler.history.last('candles', date)?.id}`;
        keys.add(key);
        let series = seriesOfDay.get(key);
        if (series === undefined) {
          const rows = await query(
            `SELECT venue, symbol, list(DISTINCT interval) AS intervals,
               arg_max(close, open_time) FILTER (WHERE interval = '1m') AS last_price,
               max(open_time) FILTER (WHERE interval = '1m') AS last_open_time
             FROM ${readParquetSql(path)} GROUP BY venue, symbol`,
          );
          series = rows.map((r) => ({
            venue: String(r['venue']),
            symbol: String(r['symbol']),
            intervals: INTERVALS.filter((i) => (r['intervals'] as unknown[]).includes(i)),
            lastPrice: r['last_price'] === null ? null : Number(r['last_price']),
            lastOpenTime: r['last_open_time'] === null ? null : Number(r['last_open_time']),
          }));
          seriesOfDay.set(key, series);
        }
        // Days in order: a later day's newest candle replaces an earlier one's.
        for (const s of series) {
          const id = `${s.venue}|${s.symbol}`;
          const known = bySeries.get(id);
          if (known === undefined) bySeries.set(id, { ...s });
          else {
            known.intervals = INTERVALS.filter((i) => known.intervals.includes(i) || s.intervals.includes(i));
            if (
              s.lastOpenTime !== null &&
              (known.lastOpenTime === null || s.lastOpenTime >= known.lastOpenTime)
            ) {
              known.lastOpenTime = s.lastOpenTime;
              known.lastPrice = s.lastPrice;
            }
          }
        }
      }
      for (const key of seriesOfDay.keys()) if (!keys.has(key)) seriesOfDay.delete(key);
      const series = [...bySeries.values()].sort(compareSeries);
      known = { version, series };
      return series;
    },
    async runs(limit) {
      const all = scheduler.history.all();
      return all
        .slice(Math.max(0, all.length - limit))
        .reverse()
        .map(toJobRun);
    },
    status: () => ({
      watermarkTs: scheduler.watermarkTs() ?? null,
      lastRuns: scheduler.history.latestPerJob().map(toJobRun),
      lake: lake.size(),
    }),
    close: () => instance.closeSync(),
  };

  function pathFor(job: string, date: string): { date: string; path: string } | undefined {
    const path = fileOf(job, date);
    return path === undefined ? undefined : { date, path };
  }
}

/** A run as the API shows it. */
export function toJobRun(run: RunRecord): JobRun {
  const { inputVersion: _, failure: __, ...rest } = run;
  return rest;
}
