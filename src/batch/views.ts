import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type BatchReader,
  type Candle,
  type CandleQuery,
  type DailyMarketMetric,
  INTERVAL_MS,
  type JobRun,
  type Mover,
  type QualityCheck,
  type TrendingScore,
} from '../domain/index.js';
import { type LakeReader, readParquetSql, sqlText, utcDate } from '../lake/index.js';
import { camelRow, candleFromRow, type GoldRow } from './gold-row.js';
import type { RunRecord } from './history.js';
import type { BatchScheduler } from './scheduler.js';
import { createSeriesIndexer, type GoldSeries, seriesId } from './series-index.js';

/**
 * The gold views as the serving layer reads them: the `BatchReader` of the read contracts
 * (`domain/read-contracts.ts`), committed gold Parquet read with DuckDB. Series are found in an
 * index of the gold candles rebuilt when a run is recorded; candles of a day's file are cached
 * per series until that day's `candles` run changes.
 */
export interface BatchViews extends BatchReader {
  close(): void;
}

/** Candles of one series and interval cached (per day file and run); the oldest go first. */
const CANDLE_CACHE_ENTRIES = 512;

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
  /**
   * The newest day whose last run of `job` succeeded, and its file: by day, not by run, so that a
   * replayed old day whose jobs ran last does not hide today's movers or trending.
   */
  const newestDay = (job: string): { date: string; path: string } | undefined => {
    const dates = lake.dates();
    for (let i = dates.length - 1; i >= 0; i--) {
      const date = dates[i] as string;
      if (scheduler.history.last(job, date)?.status !== 'succeeded') continue;
      const path = lake.goldPath(job, date);
      if (existsSync(path)) return { date, path };
    }
    return undefined;
  };
  const fileOf = (job: string, date: string): string | undefined => {
    const path = lake.goldPath(job, date);
    return existsSync(path) ? path : undefined;
  };
  const cache = new Map<string, Candle[]>();
  const indexer = createSeriesIndexer(scheduler, lake, query);
  const seriesOf = async (venue: string, symbol: string): Promise<GoldSeries | undefined> =>
    (await indexer.current()).series.get(seriesId(venue, symbol));

  /** One day's candles of a series and interval, oldest first (cached per file and run). */
  const dayCandles = async (q: CandleQuery, date: string): Promise<Candle[]> => {
    const path = fileOf('candles', date);
    if (path === undefined) return [];
    const run = scheduler.history.last('candles', date);
    const key = `${path}|${run?.id}|${q.venue}|${q.symbol}|${q.interval}`;
    let candles = cache.get(key);
    if (candles === undefined) {
      const rows = await query(
        `SELECT * FROM ${readParquetSql(path)} WHERE venue = ${sqlText(q.venue)}
         AND symbol = ${sqlText(q.symbol)} AND interval = ${sqlText(q.interval)} ORDER BY open_time`,
      );
      candles = rows.map(candleFromRow);
      if (cache.size >= CANDLE_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(key, candles);
    }
    return candles;
  };

  return {
    async series(venue, symbol) {
      const s = await seriesOf(venue, symbol);
      return s === undefined ? undefined : { ...s.info };
    },
    async find(key) {
      return ((await indexer.current()).byKey.get(key) ?? []).map((info) => ({ ...info }));
    },
    async hasVenue(venue) {
      return (await indexer.current()).venues.has(venue);
    },
    async symbols() {
      return (await indexer.current()).sorted.map((info) => ({ ...info }));
    },
    async watermarkTs(venue, symbol) {
      return (await seriesOf(venue, symbol))?.watermarkTs;
    },
    async candles(q) {
      const s = await seriesOf(q.venue, q.symbol);
      if (s === undefined || s.watermarkTs === undefined || q.limit <= 0) return [];
      const watermark = s.watermarkTs;
      // Buckets that end before the series' watermark: open time ≤ watermark − interval.
      const to = Math.min(q.to ?? Number.POSITIVE_INFINITY, watermark - INTERVAL_MS[q.interval]);
      const from = q.from ?? Number.NEGATIVE_INFINITY;
      if (from > to) return [];
      // Newest day first, so a request for the newest `limit` reads only the days it needs.
      const out: Candle[][] = [];
      const [firstDay, lastDay] = [from === Number.NEGATIVE_INFINITY ? '' : utcDate(from), utcDate(to)];
      let count = 0;
      for (let i = s.days.length - 1; i >= 0 && count < q.limit; i--) {
        const date = s.days[i] as string;
        if (date > lastDay) continue;
        if (date < firstDay) break;
        const day = (await dayCandles(q, date)).filter(
          (c) => c.openTime >= from && c.openTime <= to && c.closeTime < watermark,
        );
        out.push(day);
        count += day.length;
      }
      const candles = out.reverse().flat();
      return candles.length > q.limit ? candles.slice(candles.length - q.limit) : candles;
    },
    async daily(date) {
      const found =
        date === undefined ? newestDay('daily_market_metrics') : pathFor('daily_market_metrics', date);
      if (found === undefined) return [];
      const rows = await query(`SELECT * FROM ${readParquetSql(found.path)} ORDER BY venue, symbol`);
      return rows.map((r) => camelRow(r) as unknown as DailyMarketMetric);
    },
    async movers(period, type, limit) {
      const found = newestDay('top_movers');
      if (found === undefined) return [];
      const rows = await query(
        `SELECT * FROM ${readParquetSql(found.path)} WHERE period = ${sqlText(period)}
         AND type = ${sqlText(type)} ORDER BY rank LIMIT ${Math.max(0, Math.floor(limit))}`,
      );
      return rows.map((r) => camelRow(r) as unknown as Mover);
    },
    async trending(limit) {
      const found = newestDay('trending');
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
